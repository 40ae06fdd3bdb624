"""``passbook sheet edit|delete|revise`` and the four-eyed take-backs from the command line:
two council members, two people."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import AsyncTestClient

from tests.api.conftest import ADMIN
from tests.api.helpers import balance
from tests.api.test_cli import passbook
from tests.api.test_sheets import days_ago

Client = AsyncTestClient  # type: ignore[type-arg]


def _csv(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def _id_after(word: str, output: str) -> str:
    found = re.search(rf"{word} (\d+)", output)
    assert found is not None, output
    return found.group(1)


async def test_edit_delete_and_revise_from_the_command_line(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    db = ["--database-url", database_url]
    first = _csv(tmp_path, "first.csv", "passbook,units\nYZS1-0001,1\n")
    drafted = await passbook(
        "sheet", "draft", *db, "--member", "yzs-g1-a", "--rule", "home-visit",
        "--date", days_ago(2), first,
    )  # fmt: skip
    assert drafted.exit_code == 0, drafted.output
    sheet_id = _id_after("Sheet", drafted.stdout)
    bad = _csv(tmp_path, "bad.csv", "passbook,units\nYZS1-0001,1\nNOPE-0001,1\n")
    refused = await passbook("sheet", "edit", *db, "--member", "yzs-g1-a", "--lines", bad, sheet_id)
    assert refused.exit_code == 1
    assert "line 2 (NOPE-0001): no passbook with this number" in refused.output
    two = _csv(tmp_path, "two.csv", "passbook,units\nYZS1-0001,2\nYZS1-0002,1\n")
    edited = await passbook(
        "sheet", "edit", *db, "--member", "yzs-g1-a", "--lines", two, "--place", "9号楼",
        sheet_id,
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    assert "2 line(s), 15 points" in edited.stdout
    assert "9号楼" in edited.stdout
    other = await passbook("sheet", "delete", *db, "--member", "yzs-g1-b", sheet_id)
    assert other.exit_code == 1
    assert "Only the author" in other.output
    deleted = await passbook("sheet", "delete", *db, "--member", "yzs-g1-a", sheet_id)
    assert deleted.exit_code == 0, deleted.output
    assert f"Deleted draft {sheet_id}" in deleted.stdout
    assert (await client.get(f"/api/sheets/{sheet_id}", headers=ADMIN)).status_code == 404

    # a rejected sheet revised from the command line
    submitted = await passbook(
        "sheet", "draft", *db, "--member", "yzs-g1-a", "--rule", "home-visit",
        "--date", days_ago(2), "--submit", first,
    )  # fmt: skip
    rejected_id = _id_after("Sheet", submitted.stdout)
    rejected = await passbook(
        "sheet", "reject", *db, "--member", "yzs-g1-b", "--reason", "少记一人", rejected_id
    )
    assert rejected.exit_code == 0, rejected.output
    assert "(rejected)" in rejected.stdout
    revised = await passbook(
        "sheet", "revise", *db, "--member", "yzs-g1-a", "--lines", two, rejected_id
    )
    assert revised.exit_code == 0, revised.output
    assert "(draft)" in revised.stdout
    assert f"revises rejected sheet {rejected_id}" in revised.stdout
    revision_id = _id_after("Sheet", revised.stdout)
    submitted = await passbook("sheet", "submit", *db, "--member", "yzs-g1-a", revision_id)
    assert submitted.exit_code == 0, submitted.output
    assert "(submitted)" in submitted.stdout


async def test_a_take_back_needs_two_members_at_the_command_line(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    db = ["--database-url", database_url]
    lines = _csv(tmp_path, "lines.csv", "passbook,units\nYZS1-0001,2\nYZS1-0002,1\n")
    drafted = await passbook(
        "sheet", "draft", *db, "--member", "yzs-g1-a", "--rule", "home-visit",
        "--date", days_ago(1), "--submit", lines,
    )  # fmt: skip
    sheet_id = _id_after("Sheet", drafted.stdout)
    assert (
        await passbook("sheet", "approve", *db, "--member", "yzs-g1-b", sheet_id)
    ).exit_code == 0
    before = (await balance(client, "YZS1-0002"))["posted"]

    proposal = await passbook(
        "sheet", "correct", *db, "--member", "yzs-g1-a", "--line", "2", "--reason", "不在场",
        sheet_id,
    )  # fmt: skip
    assert proposal.exit_code == 0, proposal.output
    assert "(proposed)" in proposal.stdout
    assert "No points have moved" in proposal.stdout
    takeback = _id_after("Take-back", proposal.stdout)
    own = await passbook("sheet", "confirm-takeback", *db, "--member", "yzs-g1-a", takeback)
    assert own.exit_code == 1
    assert "another council member" in own.output
    assert (await balance(client, "YZS1-0002"))["posted"] == before
    done = await passbook("sheet", "confirm-takeback", *db, "--member", "yzs-g1-b", takeback)
    assert done.exit_code == 0, done.output
    assert "(confirmed)" in done.stdout
    assert (await balance(client, "YZS1-0002"))["posted"] == before - 5

    # a whole-sheet reversal declined, another withdrawn: nothing moves
    whole = await passbook(
        "sheet", "reverse", *db, "--member", "yzs-g1-b", "--reason", "重复", sheet_id
    )
    assert whole.exit_code == 1  # a corrected line: the rest are corrected one by one
    assert "one by one" in whole.output
    first = await passbook(
        "sheet", "correct", *db, "--member", "yzs-g1-b", "--line", "1", "--reason", "重复",
        sheet_id,
    )  # fmt: skip
    first_id = _id_after("Take-back", first.stdout)
    declined = await passbook(
        "sheet", "decline-takeback", *db, "--member", "yzs-g1-a", "--reason", "没有重复",
        first_id,
    )  # fmt: skip
    assert declined.exit_code == 0, declined.output
    assert "(declined)" in declined.stdout
    second = await passbook(
        "sheet", "correct", *db, "--member", "yzs-g1-b", "--line", "1", "--reason", "重复",
        sheet_id,
    )  # fmt: skip
    second_id = _id_after("Take-back", second.stdout)
    withdrawn = await passbook("sheet", "withdraw-takeback", *db, "--member", "yzs-g1-b", second_id)
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "(withdrawn)" in withdrawn.stdout
    line = (await client.get(f"/api/sheets/{sheet_id}", headers=ADMIN)).json()["lines"][0]
    assert line["corrected"] is False
