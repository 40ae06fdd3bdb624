"""The registry's and access's refusals answer in the reader's language: Chinese with
``Accept-Language: zh-CN``, English without it (what older clients always read), and the same
``code`` and status either way."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.api.conftest import ADMIN, COUNCIL_G1
from tests.api.helpers import assert_problem

Client = AsyncTestClient  # type: ignore[type-arg]

CHINESE = {"Accept-Language": "zh-CN"}


async def both(client: Client, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
    """The same request without and with ``Accept-Language: zh-CN``."""
    headers = kwargs.pop("headers", {})
    english = await client.request(method, path, headers=headers, **kwargs)
    chinese = await client.request(method, path, headers={**headers, **CHINESE}, **kwargs)
    return english, chinese


CASES = [
    pytest.param(
        ("POST", "/api/sign-in", {"json": {"passbook_number": "YZS1-0001", "pin": "3691"}}),
        401,
        "sign_in_failed",
        ("Sign-in failed", "The passbook number or the PIN is wrong."),
        ("登录未成功", "存折号或密码不正确。请核对存折封面上的存折号后再试。"),
        id="wrong sign-in",
    ),
    pytest.param(
        ("GET", "/api/passbooks/YZS9-9999", {"headers": ADMIN}),
        404,
        "passbook_not_found",
        ("Not found", "No passbook numbered 'YZS9-9999'. Check the number on the cover."),
        ("找不到", "没有存折号为 'YZS9-9999' 的存折，请核对封面上的存折号。"),
        id="passbook not found",
    ),
    pytest.param(
        ("GET", "/api/passbooks/YZS3-0001", {"headers": COUNCIL_G1}),
        403,
        "forbidden",
        ("Forbidden", "Passbook YZS3-0001 is outside this token's scope"),
        (
            "无权操作",
            "存折 YZS3-0001 超出本令牌的权限范围，或者没有这个存折号：请核对封面上的存折号。",
        ),
        id="out of scope",
    ),
    pytest.param(
        ("PUT", "/api/volunteers/YZS1-0001/pin", {"headers": ADMIN, "json": {"pin": "1234"}}),
        422,
        "weak_pin",
        (None, "Digits counting straight up or down (like 2345 or 987654) are too easy"),
        (None, "顺序递增或递减的数字（如 2345 或 987654）太容易被猜到，请换一个密码。"),
        id="weak PIN",
    ),
    pytest.param(
        (
            "POST",
            "/api/volunteers",
            {
                "headers": ADMIN,
                "json": {"passbook_number": "YZS1-0001", "name": "张三", "grid": "yzs-g2"},
            },
        ),
        409,
        "registration_conflict",
        ("Conflict", "Passbook YZS1-0001 is already registered with a different name, grid"),
        ("与账本现状冲突", "存折 YZS1-0001 已登记，但姓名、网格"),
        id="registered otherwise: the differences in words of the language",
    ),
]


@pytest.mark.parametrize(("request_", "status", "code", "english_says", "chinese_says"), CASES)
async def test_a_refusal_comes_in_the_readers_language(
    client: Client,
    request_: tuple[str, str, dict[str, Any]],
    status: int,
    code: str,
    english_says: tuple[str | None, str],
    chinese_says: tuple[str | None, str],
) -> None:
    method, path, kwargs = request_
    english, chinese = await both(client, method, path, **kwargs)
    in_english = assert_problem(english, status, code)
    in_chinese = assert_problem(chinese, status, code)

    title, detail = english_says
    assert detail in in_english["detail"]
    if title is not None:
        assert in_english["title"] == title
    title, detail = chinese_says
    assert detail in in_chinese["detail"]
    if title is not None:
        assert in_chinese["title"] == title
    assert not any("a" <= c <= "z" for c in in_chinese["title"])
    assert chinese.headers["content-language"] == "zh-CN"
    # the same refusal in both: only the words (and each request's own id) differ
    said = ("title", "detail", "request_id")
    assert {k: v for k, v in in_english.items() if k not in said} == {
        k: v for k, v in in_chinese.items() if k not in said
    }
