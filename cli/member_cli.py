"""What the council's commands share: running a use case as a named council member.

The command line acts with database access, so it names the council member who acts and runs
the use cases (:mod:`council.services`) as that member; the books record ``cli:<code>``, and
four eyes compare members, so two commands by two members are two people. (Running them, and
telling a refusal, is :func:`cli.options.run_use_case`.)
"""

from __future__ import annotations

import community
import council
import db
from access import Principal, Role


async def member_principal(conn: db.Connection, code: str) -> Principal:
    """The council member ``code`` as the one who acts (the books record ``cli:<code>``)."""
    member = await community.find_council_member(conn, code)
    if member is None or not member.active:
        raise council.NotYourGrid(f"No serving council member with code {code!r}.")
    return Principal(
        token_id=0,
        role=Role.COUNCIL,
        scope=member.grid_path,
        label=code,
        member_id=member.id,
        recorded_as=f"cli:{code}",
    )
