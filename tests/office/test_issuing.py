"""Issuing credentials (office.issue_credential), called as the API and the command line call
it: who may make which credential, and that its scope exists and is open, for every role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

import access
import community
import db
import office
from access import Principal, Role
from community import services
from tests.office.conftest import ESTATE, GRID_1, GRID_3, STREET, admin_of

OPERATOR = services.OPERATOR


async def issue(tx: db.Transactions, who: Principal, role: Role, scope: str, **kw: Any) -> Any:
    kw.setdefault("label", f"{role} {scope}")
    return await tx.write(office.issue_credential, who, role=role, scope=scope, **kw)


async def test_the_operator_issues_any_role_and_the_token_works(tx: db.Transactions) -> None:
    for role, scope, stored in [
        (Role.ADMIN, "street", STREET),
        (Role.AUDITOR, "grid-3", GRID_3),
        (Role.COUNCIL, "g1-a", GRID_1),
        (Role.VOLUNTEER, "TST-0001", "TST-0001"),
        (Role.MERCHANT, "market", "market"),
    ]:
        issued = await issue(tx, OPERATOR, role, scope, valid_for=None)
        assert issued.token.startswith(access.TOKEN_PREFIX)
        assert issued.expires_at is None
        assert (issued.principal.role, issued.principal.scope) == (role, stored)
        assert issued.record.created_by == "cli:operator"
        assert issued.record.state(issued.record.created_at) is access.TokenState.ACTIVE
        found = await tx.read(access.find_principal, issued.token)
        assert found is not None
        assert (found.token_id, found.role, found.scope) == (
            issued.principal.token_id,
            role,
            stored,
        )


UNKNOWN_SCOPES = [
    (Role.ADMIN, "nowhere"),
    (Role.AUDITOR, "TST-0001"),
    (Role.COUNCIL, "nobody"),
    (Role.VOLUNTEER, "TST-9999"),
    (Role.MERCHANT, "nosuch"),
    (Role.MERCHANT, "Corner Shop"),
]


@pytest.mark.parametrize(("role", "scope"), UNKNOWN_SCOPES)
async def test_a_scope_that_names_nothing_is_refused_for_every_role(
    tx: db.Transactions, role: Role, scope: str
) -> None:
    tokens = await _count(tx)
    with pytest.raises(access.UnknownScope) as refused:
        await issue(tx, OPERATOR, role, scope)
    assert refused.value.code == "unknown_credential_scope"
    assert await _count(tx) == tokens


@pytest.mark.parametrize(
    ("role", "scope", "error"),
    [
        (Role.ADMIN, "nowhere", access.UnknownScope),
        (Role.AUDITOR, "nowhere", access.UnknownScope),
        (Role.COUNCIL, "nobody", community.CouncilMemberNotFound),
        (Role.MERCHANT, "nosuch", access.UnknownScope),
    ],
)
async def test_an_admin_is_refused_a_scope_that_names_nothing(
    tx: db.Transactions, role: Role, scope: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await issue(tx, admin_of(STREET), role, scope)


async def test_a_closed_unit_takes_no_new_credentials(tx: db.Transactions) -> None:
    await _close(tx, "grid-1")
    for who in (OPERATOR, admin_of(STREET)):
        for role, scope in [
            (Role.ADMIN, "grid-1"),
            (Role.AUDITOR, "grid-1"),
            (Role.COUNCIL, "g1-a"),
        ]:
            with pytest.raises(access.ClosedScope) as refused:
                await issue(tx, who, role, scope)
            assert refused.value.code == "credential_scope_closed"
    await issue(tx, admin_of(STREET), Role.ADMIN, "grid-2")  # its neighbour is open


async def test_a_moved_away_volunteer_or_a_member_who_stepped_down_gets_none(
    tx: db.Transactions,
) -> None:
    street = admin_of(STREET)
    await tx.write(services.set_volunteer_status, street, number="TST-0001", status="moved_away")
    with pytest.raises(access.ClosedScope):
        await issue(tx, OPERATOR, Role.VOLUNTEER, "TST-0001")
    await tx.write(services.step_down_council_member, street, code="g1-a")
    with pytest.raises(access.ClosedScope):
        await issue(tx, OPERATOR, Role.COUNCIL, "g1-a")
    with pytest.raises(community.CouncilMemberSteppedDown):
        await issue(tx, street, Role.COUNCIL, "g1-a")


async def test_an_admin_issues_only_below_their_unit_never_above_or_beside(
    tx: db.Transactions,
) -> None:
    street, estate, grid = admin_of(STREET), admin_of(ESTATE), admin_of(GRID_1)
    allowed = [
        (street, Role.ADMIN, "estate", ESTATE),
        (street, Role.ADMIN, "grid-3", GRID_3),
        (street, Role.AUDITOR, "street", STREET),
        (street, Role.MERCHANT, "market", "market"),
        (estate, Role.ADMIN, "grid-1", GRID_1),  # a grid worker's credential
        (estate, Role.AUDITOR, "estate", ESTATE),
        (estate, Role.COUNCIL, "g1-a", GRID_1),
        (grid, Role.AUDITOR, "grid-1", GRID_1),
        (grid, Role.COUNCIL, "g1-a", GRID_1),
    ]
    for who, role, scope, stored in allowed:
        issued = await issue(tx, who, role, scope, valid_for=timedelta(days=30))
        assert issued.principal.scope == stored
        assert issued.record.created_by == who.actor
        assert issued.expires_at == issued.record.created_at + timedelta(days=30)
    refused = [
        (street, Role.ADMIN, "street"),  # their own unit: a colleague, made by the operator
        (estate, Role.ADMIN, "estate"),
        (estate, Role.ADMIN, "street"),  # above
        (estate, Role.ADMIN, "grid-3"),  # beside: another community's grid
        (estate, Role.AUDITOR, "other"),
        (estate, Role.AUDITOR, "street"),
        (estate, Role.MERCHANT, "market"),  # merchants are the street's
        (grid, Role.ADMIN, "grid-1"),
        (grid, Role.ADMIN, "grid-2"),
        (street, Role.VOLUNTEER, "TST-0001"),  # volunteers sign in with their PIN
    ]
    tokens = await _count(tx)
    for who, role, scope in refused:
        with pytest.raises(access.CredentialOutOfReach) as error:
            await issue(tx, who, role, scope)
        assert error.value.code == "credential_out_of_reach", (who.scope, role, scope)
    with pytest.raises(access.Forbidden):  # a council member of another community
        await issue(tx, estate, Role.COUNCIL, "g3-a")
    assert await _count(tx) == tokens


async def test_a_council_credential_is_labelled_with_its_member(tx: db.Transactions) -> None:
    issued = await tx.write(
        office.issue_credential, admin_of(STREET), role=Role.COUNCIL, scope="g1-a"
    )
    assert issued.principal.label == "甲 (g1-a)"
    assert issued.member is not None
    assert issued.member.code == "g1-a"
    assert issued.record.member == "g1-a"


async def test_only_an_admin_or_the_operator_issues(tx: db.Transactions) -> None:
    for role in (Role.AUDITOR, Role.COUNCIL):
        who = Principal(token_id=5, role=role, scope=STREET, label="x", member_id=1)
        with pytest.raises(access.Forbidden):
            await issue(tx, who, Role.AUDITOR, "grid-1")
    with pytest.raises(access.CredentialError):  # a label saying whose it is is needed
        await issue(tx, admin_of(STREET), Role.AUDITOR, "grid-1", label="  ")


async def _count(tx: db.Transactions) -> int:
    async def count(conn: db.Connection) -> int:
        return int(await conn.scalar(text("SELECT count(*) FROM api_token")) or 0)

    return await tx.read(count)


async def _close(tx: db.Transactions, code: str) -> None:
    async def close(conn: db.Connection) -> None:
        await conn.execute(
            text(
                "UPDATE org_unit SET closed_at = CURRENT_TIMESTAMP, closed_by = 't' WHERE code = :c"
            ),
            {"c": code},
        )

    await tx.write(close)
