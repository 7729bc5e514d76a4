"""The API's router: every route answers errors in one shape (``api.errors``)."""

from fastapi import APIRouter

from steward.api import (
    accounts,
    admin,
    capacity,
    knowledge,
    plans,
    playbooks,
    renewals,
    reports,
    tasks,
    voice,
)
from steward.api.errors import RESPONSES

router = APIRouter(responses=RESPONSES)
for module in (accounts, tasks, admin, renewals, reports, capacity, plans, voice):
    router.include_router(module.router)
router.include_router(knowledge.router)
router.include_router(playbooks.router)
