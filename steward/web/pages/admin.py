"""Admin: users and their roles, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from steward.api.schemas import ID_MAX, PathId
from steward.auth.tokens import issue_token, list_tokens, revoke_token
from steward.auth.users import add_user_as, list_users, update_user
from steward.store.models import ROLES, User
from steward.web.deps import DB, PageUser
from steward.web.rendering import answer, is_htmx, render

router = APIRouter()


@router.get("/admin")
def admin_page(request: Request, session: DB, user: PageUser) -> Response:
    return render(request, "admin.html", _context(session, user))


@router.post("/admin/users")
def post_user(
    request: Request,
    session: DB,
    user: PageUser,
    email: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    add_user_as(session, user, email=email, name=name, role=role, password=password)
    return answer(request, "_admin.html", _context(session, user), "/admin")


@router.post("/admin/users/{user_id}")
def post_user_change(
    request: Request,
    session: DB,
    user: PageUser,
    user_id: PathId,
    role: Annotated[str, Form()],
    active: Annotated[bool, Form()] = False,
) -> Response:
    update_user(session, user, user_id, role=role, active=active)
    return answer(request, "_admin.html", _context(session, user), "/admin")


@router.post("/admin/tokens")
def post_token(
    request: Request,
    session: DB,
    user: PageUser,
    user_id: Annotated[int, Form(ge=1, le=ID_MAX)],
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    token, secret = issue_token(session, user, user_id, name)
    context = {**_context(session, user), "issued": secret, "issued_to": token}
    return render(request, "_admin.html" if is_htmx(request) else "admin.html", context)


@router.post("/admin/tokens/{token_id}/revoke")
def post_revoke(
    request: Request, session: DB, user: PageUser, token_id: PathId
) -> Response:
    revoke_token(session, user, token_id)
    return answer(request, "_admin.html", _context(session, user), "/admin")


def _context(session: DB, user: User) -> dict:
    session.flush()
    return {
        "user": user,
        "users": list_users(session, user),
        "tokens": list_tokens(session, user),
        "roles": ROLES,
    }
