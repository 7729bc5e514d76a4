"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from steward.auth.users import authenticate
from steward.errors import SignInRequired
from steward.web.deps import DB
from steward.web.rendering import render

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _local(next), "user": None})


@router.post("/login")
def login(
    request: Request,
    session: DB,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = authenticate(session, email, password)
    except SignInRequired as error:
        context = {"next": _local(next), "user": None, "error": str(error)}
        return render(request, "login.html", context, status=401)
    # A fresh session on sign-in: nothing from before it carries over.
    request.session.clear()
    request.session["user_id"] = user.id
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _local(target: str) -> str:
    """Only paths on this site: ``//evil.example`` and full URLs go home."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
