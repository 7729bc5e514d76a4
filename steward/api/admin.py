"""``/api/v1/users`` and ``/api/v1/tokens``: for admins only."""

from __future__ import annotations

from fastapi import APIRouter

from steward.api.schemas import (
    PathId,
    TokenIn,
    TokenIssued,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from steward.auth.tokens import issue_token, list_tokens, revoke_token
from steward.auth.users import add_user_as, list_users, update_user
from steward.web.deps import DB, ApiUser

router = APIRouter(tags=["admin"])


@router.get("/me", response_model=UserOut, tags=["users"])
def get_me(user: ApiUser) -> UserOut:
    """Who the token acts as."""
    return UserOut.model_validate(user)


@router.get("/users", response_model=list[UserOut])
def get_users(session: DB, user: ApiUser) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in list_users(session, user)]


@router.post("/users", response_model=UserOut, status_code=201)
def post_user(session: DB, user: ApiUser, body: UserIn) -> UserOut:
    created = add_user_as(
        session,
        user,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
    )
    return UserOut.model_validate(created)


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(session: DB, user: ApiUser, user_id: PathId, body: UserPatch) -> UserOut:
    changed = update_user(session, user, user_id, role=body.role, active=body.active)
    return UserOut.model_validate(changed)


@router.get("/tokens", response_model=list[TokenOut])
def get_tokens(session: DB, user: ApiUser) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in list_tokens(session, user)]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def post_token(session: DB, user: ApiUser, body: TokenIn) -> TokenIssued:
    """Issue a token acting as ``user_id``; its secret is in this response only."""
    token, secret = issue_token(session, user, body.user_id, body.name)
    return TokenIssued(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def post_revoke(session: DB, user: ApiUser, token_id: PathId) -> TokenOut:
    return TokenOut.model_validate(revoke_token(session, user, token_id))
