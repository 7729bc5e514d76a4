"""Schemathesis over the OpenAPI document: generated requests, no server errors.

Bounded in time: a few examples per operation and no per-example deadline
(the machine is shared), on a fresh copy of the small company, as an admin so
that writes get past the permission checks and reach the services. Each
operation's examples come from schemathesis' Hypothesis strategy for it.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from steward.web.app import create_app

EXAMPLES = 8


def test_no_generated_request_makes_a_server_error(sqlite_company):
    app = create_app(sqlite_company.workspace)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = sqlite_company.token("admin@x.example")
    operations = [result.ok() for result in schema.get_all_operations()]
    checked = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        call()
        checked.append(operation.label)

    assert len(checked) == len(operations) >= 20
