"""The register of sign-in codes: storing one (its hash only), finding it, and the one atomic
exchange that marks it used.

Invariants protected here (the table's constraints hold them too,
:mod:`access._sign_in_code_table`):

* a code is stored only as its SHA-256 (:func:`access.hash_token` of its normal form); its
  text is never written;
* a code is used at most once: :func:`claim_sign_in_code` is one ``UPDATE ... WHERE used_at
  IS NULL AND revoked_at IS NULL AND expires_at > now RETURNING``, so of two exchanges at
  once exactly one claims it, on both databases, whatever the caller read before;
* a revocation is recorded once and only on an open code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from access._principal import Role
from access._sign_in_code_table import sign_in_code


@dataclass(frozen=True, slots=True)
class SignInCodeRecord:
    """A sign-in code as the register keeps it (never the code, nor its hash)."""

    id: int
    role: Role
    scope: str
    label: str
    created_by: str
    issued_with_token_id: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_from: str | None
    api_token_id: int | None
    revoked_at: datetime | None
    revoked_by: str | None

    def is_open(self, now: datetime) -> bool:
        """Whether the code could still be exchanged at ``now``."""
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


_COLUMNS = [c for c in sign_in_code.c if c.name != "code_hash"]


def _record(row: object) -> SignInCodeRecord:
    r = row._mapping  # type: ignore[attr-defined]
    values = {c.name: r[c.name] for c in _COLUMNS}
    values["role"] = Role(values["role"])
    return SignInCodeRecord(**values)


async def code_hash_taken(conn: AsyncConnection, code_hash: str) -> bool:
    """Whether a code with this hash was ever stored (used, expired or not)."""
    found = await conn.scalar(
        select(sign_in_code.c.id).where(sign_in_code.c.code_hash == code_hash)
    )
    return found is not None


async def store_sign_in_code(
    conn: AsyncConnection,
    *,
    code_hash: str,
    role: Role,
    scope: str,
    label: str,
    created_by: str,
    issued_with_token_id: int | None,
    created_at: datetime,
    expires_at: datetime,
) -> SignInCodeRecord:
    """Store a new code by its hash; the database refuses a life out of bounds."""
    code_id = await conn.scalar(
        sign_in_code.insert()
        .values(
            code_hash=code_hash,
            role=role.value,
            scope=scope,
            label=label,
            created_by=created_by,
            issued_with_token_id=issued_with_token_id,
            created_at=created_at,
            expires_at=expires_at,
        )
        .returning(sign_in_code.c.id)
    )
    assert code_id is not None
    found = await get_sign_in_code(conn, code_id)
    assert found is not None
    return found


async def find_sign_in_code(
    conn: AsyncConnection, code_hash: str, *, for_update: bool = False
) -> SignInCodeRecord | None:
    """The code with this hash, locked against concurrent exchanges if ``for_update`` (on
    PostgreSQL; SQLite's write transaction holds the whole database already)."""
    query = select(*_COLUMNS).where(sign_in_code.c.code_hash == code_hash)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _record(row)


async def get_sign_in_code(conn: AsyncConnection, code_id: int) -> SignInCodeRecord | None:
    row = (await conn.execute(select(*_COLUMNS).where(sign_in_code.c.id == code_id))).first()
    return None if row is None else _record(row)


async def claim_sign_in_code(
    conn: AsyncConnection, code_id: int, *, token_id: int, address: str, now: datetime
) -> bool:
    """Mark code ``code_id`` used at ``now`` from ``address``, as credential ``token_id``, if
    it is still open: one atomic statement. Whether this call claimed it."""
    claimed = await conn.scalar(
        update(sign_in_code)
        .where(
            sign_in_code.c.id == code_id,
            sign_in_code.c.used_at.is_(None),
            sign_in_code.c.revoked_at.is_(None),
            sign_in_code.c.expires_at > now,
        )
        .values(used_at=now, used_from=address[:160], api_token_id=token_id)
        .returning(sign_in_code.c.id)
    )
    return claimed is not None


async def list_open_sign_in_codes(conn: AsyncConnection, now: datetime) -> list[SignInCodeRecord]:
    """Every code that could still be exchanged at ``now``, newest first."""
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(
            sign_in_code.c.used_at.is_(None),
            sign_in_code.c.revoked_at.is_(None),
            sign_in_code.c.expires_at > now,
        )
        .order_by(sign_in_code.c.id.desc())
    )
    return [_record(row) for row in rows]


async def revoke_sign_in_code_row(
    conn: AsyncConnection, code_id: int, *, actor: str, now: datetime
) -> bool:
    """Revoke open code ``code_id``; whether this call revoked it (False: used, revoked or
    expired already)."""
    done = await conn.scalar(
        update(sign_in_code)
        .where(
            sign_in_code.c.id == code_id,
            sign_in_code.c.used_at.is_(None),
            sign_in_code.c.revoked_at.is_(None),
            sign_in_code.c.expires_at > now,
        )
        .values(revoked_at=now, revoked_by=actor)
        .returning(sign_in_code.c.id)
    )
    return done is not None
