"""The named scope checks on their own, without a database or HTTP: each role reaches what its
scope holds and nothing beside it."""

from __future__ import annotations

import pytest

import access
import ledger
from access import Principal, Role
from community import Passbook

STREET = "yanshan"
COMMUNITY = "yanshan/yzs"
GRID = "yanshan/yzs/yzs-g1"
OTHER_GRID = "yanshan/yzs/yzs-g2"
LOOKALIKE = "yanshan/yzs/yzs-g10"  # a code that starts like GRID's is not inside it


def _principal(role: Role, scope: str, member_id: int | None = None) -> Principal:
    return Principal(token_id=7, role=role, scope=scope, label="t", member_id=member_id)


def _passbook(number: str = "YZS1-0001", grid_path: str = GRID) -> Passbook:
    return Passbook(
        volunteer_id=1,
        number=number,
        holder_name="王秀兰",
        grid_code=grid_path.rsplit("/", 1)[-1],
        grid_name="一网格",
        grid_path=grid_path,
        account_id=ledger.AccountId(11),
    )


def test_require_role_names_the_roles_that_may() -> None:
    access.require_role(_principal(Role.ADMIN, STREET), Role.ADMIN, Role.AUDITOR)
    with pytest.raises(access.Forbidden, match=r"A merchant token cannot do this.*admin, auditor"):
        access.require_role(_principal(Role.MERCHANT, "market"), Role.ADMIN, Role.AUDITOR)


def test_only_a_council_principal_names_a_member() -> None:
    assert access.require_council_member(_principal(Role.COUNCIL, GRID, member_id=3)) == 3
    for principal in (_principal(Role.ADMIN, GRID), _principal(Role.COUNCIL, GRID)):
        with pytest.raises(access.Forbidden, match="council member"):
            access.require_council_member(principal)


def test_whole_books_need_the_street_itself() -> None:
    access.require_whole_books(_principal(Role.AUDITOR, STREET))
    with pytest.raises(access.Forbidden, match="whole book"):
        access.require_whole_books(_principal(Role.AUDITOR, COMMUNITY))


@pytest.mark.parametrize(
    ("scope", "path", "inside"),
    [
        (STREET, GRID, True),
        (COMMUNITY, GRID, True),
        (GRID, GRID, True),
        (GRID, OTHER_GRID, False),
        (GRID, LOOKALIKE, False),
        (GRID, COMMUNITY, False),
    ],
)
def test_an_admin_acts_only_under_their_own_unit(scope: str, path: str, inside: bool) -> None:
    admin = _principal(Role.ADMIN, scope)
    assert access.admin_over(admin, path) is inside
    assert access.admin_over(_principal(Role.AUDITOR, scope), path) is False
    if inside:
        access.require_admin_over(admin, path, "Grid 'x'")
        access.require_in_scope(admin, path, "Grid 'x'")
    else:
        with pytest.raises(access.Forbidden, match="Grid 'x' is outside this token's scope"):
            access.require_admin_over(admin, path, "Grid 'x'")
        with pytest.raises(access.Forbidden, match="outside this token's scope"):
            access.require_in_scope(admin, path, "Grid 'x'")


def test_who_may_read_a_passbook() -> None:
    own = _passbook()
    assert access.may_read_passbook(_principal(Role.VOLUNTEER, own.number), own)
    assert not access.may_read_passbook(_principal(Role.VOLUNTEER, "YZS1-0002"), own)
    for role in (Role.ADMIN, Role.AUDITOR, Role.COUNCIL):
        assert access.may_read_passbook(_principal(role, GRID), own)
        assert access.may_read_passbook(_principal(role, STREET), own)
        assert not access.may_read_passbook(_principal(role, OTHER_GRID), own)
    assert not access.may_read_passbook(_principal(Role.MERCHANT, GRID), own)


def test_who_may_act_for_a_passbook() -> None:
    """The holder, or an admin whose unit holds its grid; reading is not acting."""
    own = _passbook()
    assert access.may_act_for(_principal(Role.VOLUNTEER, own.number), own)
    assert access.may_act_for(_principal(Role.ADMIN, COMMUNITY), own)
    assert not access.may_act_for(_principal(Role.ADMIN, OTHER_GRID), own)
    assert not access.may_act_for(_principal(Role.VOLUNTEER, "YZS1-0002"), own)
    for role in (Role.AUDITOR, Role.COUNCIL, Role.MERCHANT):
        assert not access.may_act_for(_principal(role, STREET), own)


def test_a_principal_records_who_acted() -> None:
    assert _principal(Role.ADMIN, STREET).actor == "admin:t#7"
    cli = Principal(0, Role.COUNCIL, GRID, "m1", member_id=3, recorded_as="cli:m1")
    assert cli.actor == "cli:m1"
    # two council members of one grid keep their idempotency keys apart
    first, second = (_principal(Role.COUNCIL, GRID, member_id=n) for n in (1, 2))
    assert first.key_namespace() != second.key_namespace()
