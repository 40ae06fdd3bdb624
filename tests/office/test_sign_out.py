"""Signing out: a credential revokes itself, and only itself; the operator holds none."""

from __future__ import annotations

import pytest

import access
import db
import office
from access import Principal, Role
from community import services
from scheme_time import utcnow

OPERATOR = services.OPERATOR


async def issued(tx: db.Transactions, role: Role, scope: str) -> Principal:
    made = await tx.write(
        office.issue_credential, OPERATOR, role=role, scope=scope, label=f"{role} {scope}"
    )
    return made.principal


async def test_a_credential_signs_itself_out_and_no_other(tx: db.Transactions) -> None:
    mine = await issued(tx, Role.AUDITOR, "estate")
    colleague = await issued(tx, Role.AUDITOR, "estate")
    done = await tx.write(office.sign_out, mine)
    assert done.revoked_now
    assert done.record.id == mine.token_id
    assert done.record.revoked_by == mine.actor
    again = await tx.write(office.sign_out, mine)
    assert not again.revoked_now  # signing out twice changes nothing
    records = {
        r.id: r
        for r in (
            await tx.read(office.list_credentials, OPERATOR, include_inactive=True)
        ).page.items
    }
    assert records[mine.token_id].state(utcnow()) is access.TokenState.REVOKED
    assert records[colleague.token_id].revoked_at is None


async def test_the_operator_has_nothing_to_sign_out_of(tx: db.Transactions) -> None:
    with pytest.raises(db.InvalidRequest):
        await tx.write(office.sign_out, OPERATOR)
