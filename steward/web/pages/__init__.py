"""The pages: one module per kind, all behind the CSRF check for changes."""

from fastapi import APIRouter, Depends

from steward.web.deps import csrf_protect
from steward.web.pages import (
    accounts,
    admin,
    capacity,
    dashboard,
    knowledge,
    plans,
    playbooks,
    renewals,
    reports,
    signin,
    tasks,
    unsubscribe,
    voice,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
for module in (signin, dashboard, accounts, plans, tasks, voice, admin):
    router.include_router(module.router)
for module in (renewals, reports, capacity, knowledge):
    router.include_router(module.router)
router.include_router(playbooks.router)
router.include_router(unsubscribe.router)
