"""Every failure in one place: JSON for the API, a page or a flash for people."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from steward.api.errors import HTTP_CODES, body, status_of, validation_body
from steward.errors import SignInRequired, StewardError
from steward.web.rendering import is_htmx, render


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StewardError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)


def _is_api(request: Request) -> bool:
    # The JSON API, and the tracking API (/v1/track...): programs, not people.
    return request.url.path.startswith(("/api/", "/v1/"))


async def _domain(request: Request, error: Exception) -> Response:
    assert isinstance(error, StewardError)
    status, code = status_of(error)
    field = getattr(error, "field", None)
    if _is_api(request):
        return JSONResponse(body(code, str(error), field), status_code=status)
    if isinstance(error, SignInRequired) and request.method == "GET":
        target = "/login?next=" + quote(request.url.path)
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return _page_error(request, status, str(error))


async def _validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    content = validation_body(list(error.errors()))
    if _is_api(request):
        return JSONResponse(content, status_code=422)
    return _page_error(request, 422, content["error"]["message"])


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = HTTP_CODES.get(error.status_code, "error")
    message = str(error.detail)
    headers = getattr(error, "headers", None)
    if _is_api(request):
        return JSONResponse(
            body(code, message), status_code=error.status_code, headers=headers
        )
    return _page_error(request, error.status_code, message, headers)


def _page_error(
    request: Request, status: int, message: str, headers: dict | None = None
) -> Response:
    if is_htmx(request):
        # Shown in the page's flash area, whatever the request was aimed at.
        flash = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(
            request,
            "_flash.html",
            {"message": message},
            status=status,
            headers={**flash, **(headers or {})},
        )
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "user": None},
        status=status,
        headers=headers,
    )
