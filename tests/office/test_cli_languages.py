"""A refusal on the command line is told in the environment's language: Chinese under
``LANG=zh_CN.UTF-8``, English otherwise; its ``[code]`` is the same in both."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from click.testing import CliRunner, Result

from cli import main

UNSET: Mapping[str, str | None] = {"PASSBOOK_LANG": None, "LC_ALL": None, "LC_MESSAGES": None}


async def passbook(database_url: str, env: Mapping[str, str | None], *args: str) -> Result:
    runner = CliRunner(env={**UNSET, **env})
    return await asyncio.to_thread(runner.invoke, main, [*args, "--database-url", database_url])


async def test_a_refusal_is_told_in_the_environments_language(database_url: str) -> None:
    opened = await passbook(database_url, {"LANG": "C.UTF-8"}, "init", "--street", "lixia", "--name", "历下街道")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    again = ("init", "--street", "lixia", "--name", "历下街道")

    english = await passbook(database_url, {"LANG": "C.UTF-8"}, *again)
    chinese = await passbook(database_url, {"LANG": "zh_CN.UTF-8"}, *again)
    by_passbook_lang = await passbook(
        database_url, {"LANG": "C.UTF-8", "PASSBOOK_LANG": "zh_CN"}, *again
    )

    assert english.exit_code == chinese.exit_code == 1
    assert (
        "These books were opened already and hold data (1 org unit(s), 1 token(s)); "
        "'passbook init' opens empty books only and wrote nothing." in english.output
    )
    assert "这个账本已经开设，并有数据（1 个组织单位、1 个令牌）" in chinese.output
    assert "“passbook init”只开设空账本，本次没有写入任何内容。" in chinese.output
    assert "These books" not in chinese.output
    assert "[books_not_empty]" in english.output
    assert "[books_not_empty]" in chinese.output
    assert by_passbook_lang.output == chinese.output
