"""The API fuzzed from its own OpenAPI document (schemathesis), in process, once per role.

For each role's demo token (admin, auditor, council, volunteer, merchant) every operation of the
document gets generated requests on a fresh copy of the demo database: requests that fit the
document (positive) and requests that break it (negative: a wrong type, a missing field, an
unknown field, a number out of bounds, no token). Path parameters are drawn half of the time
from the demo data (passbook YZS1-0001, reward tissues, ...), so requests reach past "not
found" into the services. Every answer must:

* not be a server error (``not_a_server_error``);
* have a status the document lists for the operation (``status_code_conformance``), a
  media type it lists (``content_type_conformance``) and a body that fits its schema
  (``response_schema_conformance``);
* refuse input that breaks the document with a 4xx (``negative_data_rejection``);
* if it is an error, be problem details (``application/problem+json`` with ``type``,
  ``title``, ``status`` and a non-empty ``detail``): :func:`_assert_problem`.

Not enabled, and why: ``positive_data_acceptance`` (a request that fits the document may
still be refused: a random passbook number is 404, another grid's passbook 403, a reward
bought twice 409; the document cannot say which numbers exist), ``use_after_free`` and
``ensure_resource_availability`` (stateful checks: they need links between operations that
the document does not declare), ``ignored_auth`` and ``unsupported_method`` (they send their
own requests through schemathesis' transport, which keeps an app alive for the whole process;
tests/api/test_auth.py and the access matrix cover tokens, and litestar answers undeclared
methods).

Deterministic: hypothesis runs derandomized (its seed is fixed by the test's code) with no
example database, so each run generates the same requests; the budget is
:data:`POSITIVE_EXAMPLES` and :data:`NEGATIVE_EXAMPLES` per operation and role: about
2,000 requests, 20 to 35 s per database for the five tests on the shared 2-core machine.
Negative requests are sent only where the role gets past authorization at all: a role's
guard refuses before the input is read, so a wholly refused role would only test the guard
again.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis import GenerationMode

from api.app import create_app
from config import Settings
from seeds.rewards import BALLOT_CODE
from tests.api.conftest import MAX_BODY_BYTES
from tests.api.helpers import PROBLEM_JSON

BASE_URL = "http://testserver.local"
POSITIVE_EXAMPLES = 4
NEGATIVE_EXAMPLES = 3

# The document is the app's own, made without a database (nothing connects at creation).
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite+aiosqlite://")).openapi_schema.to_schema()
)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

TOKENS = {
    "admin": "pb_demo_admin",
    "auditor": "pb_demo_auditor",
    "council": "pb_demo_council_g1",
    "volunteer": "pb_demo_volunteer",
    "merchant": "pb_demo_merchant_market",
}

# Demo values for path parameters, by path prefix and then by name.
_DEMO_CODES = {
    "/api/rewards/": "tissues",
    "/api/ballots/": BALLOT_CODE,
    "/api/public/ballots/": BALLOT_CODE,
    "/api/merchants/": "market",
    "/api/council-members/": "yzs-g1-a",
    "/api/savings-rules/": "home-visit",
    "/api/org-units/": "yzs-g1",
}
_DEMO_VALUES: dict[str, Any] = {
    "number": "YZS1-0001",
    "grid": "yzs-g1",
    "month": "2026-11",
    "entry_id": 1,
    "sheet_id": 1,
    "line": 1,
    "voucher_id": 1,
    "redemption_id": 1,
}

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    # Requests go through a real app on a real database: slow by hypothesis' measure, and
    # negative generation filters many drafts away.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _demo_path(operation: Any) -> dict[str, Any]:
    path: str = operation.path
    values = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        if name == "code":
            values[name] = next(v for p, v in _DEMO_CODES.items() if path.startswith(p))
        elif name in _DEMO_VALUES:
            values[name] = _DEMO_VALUES[name]
    return values


def _can_be_invalid(operation: Any) -> bool:
    """Whether a request can break the document other than by leaving the token out (which
    every test of tests/api/test_auth.py does): a body, a query or header parameter, or a
    path parameter with a type or bounds."""
    if len(operation.body) or len(operation.query):
        return True
    if any(header.name != "Authorization" for header in operation.headers):
        return True
    return any(p.definition["schema"] != {"type": "string"} for p in operation.path_parameters)


def _cases(operation: Any, mode: GenerationMode, token: str) -> st.SearchStrategy[Any]:
    # The token is a fixed header, so a negative case that leaves it out is known to be one.
    headers = {"Authorization": f"Bearer {token}"}
    generated = operation.as_strategy(generation_mode=mode, headers=headers)
    demo = _demo_path(operation)
    if not demo:
        return generated  # type: ignore[no-any-return]
    return st.one_of(
        generated,
        operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=demo),
    )


def _send(client: TestClient[Any], case: Any) -> Any:
    """The case as an httpx request (what the litestar test client sends)."""
    sent = case.as_transport_kwargs(base_url=BASE_URL)
    body = sent.get("data")
    return client.request(
        sent["method"],
        sent["url"],
        headers=sent["headers"],
        params=sent.get("params"),
        cookies=sent.get("cookies") or None,
        json=sent.get("json"),
        content=body.encode() if isinstance(body, str) else body,
    )


def _assert_problem(response: Any) -> None:
    """An error answer is problem details that say what happened."""
    if response.status_code < 400:
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == PROBLEM_JSON, (response.status_code, media_type, response.text)
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"].endswith("/" + body["code"]), body
    assert body["title"], body
    assert isinstance(body["detail"], str), body
    assert body["detail"].strip(), body


def _explain(operation: Any, mode: GenerationMode, error: BaseException) -> str:
    notes = "\n".join(getattr(error, "__notes__", []))
    message = "".join(traceback.format_exception_only(error)).strip()
    return f"{operation.label} ({mode.value}):\n{message}\n{notes}"


def _fuzz(
    client: TestClient[Any], operation: Any, mode: GenerationMode, token: str, examples: int
) -> set[int]:
    """Send up to ``examples`` generated requests and return the statuses answered; a failure
    is raised as hypothesis found it (shrunk)."""
    statuses: list[int] = []

    @settings(SETTINGS, max_examples=examples)
    @given(case=_cases(operation, mode, token))
    def run(case: Any) -> None:
        response = _send(client, case)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)
        _assert_problem(response)

    run()
    return set(statuses)


@pytest.mark.parametrize("role", TOKENS)
def test_every_operation_answers_by_its_document(role: str, database_url: str) -> None:
    app = create_app(
        Settings(
            database_url=database_url, max_body_bytes=MAX_BODY_BYTES, expiry_interval_seconds=0
        )
    )
    token = TOKENS[role]
    failures: list[str] = []
    with TestClient(app, base_url=BASE_URL) as client:
        for operation in OPERATIONS:
            try:
                statuses = _fuzz(
                    client, operation, GenerationMode.POSITIVE, token, POSITIVE_EXAMPLES
                )
            except (Exception, BaseExceptionGroup) as error:
                failures.append(_explain(operation, GenerationMode.POSITIVE, error))
                continue
            if statuses <= {401, 403} or not _can_be_invalid(operation):
                continue  # refused before the input is read, or no input can be invalid
            try:
                _fuzz(client, operation, GenerationMode.NEGATIVE, token, NEGATIVE_EXAMPLES)
            except (Exception, BaseExceptionGroup) as error:
                failures.append(_explain(operation, GenerationMode.NEGATIVE, error))
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
