"""The API's router: every route answers errors in one shape (``api.errors``)."""

from fastapi import APIRouter

from steward.api import accounts, admin, tasks
from steward.api.errors import RESPONSES

router = APIRouter(responses=RESPONSES)
for module in (accounts, tasks, admin):
    router.include_router(module.router)
