"""The API's own sentences in the reader's language: a refused field says what it takes in
Chinese under ``Accept-Language: zh-CN`` and in English otherwise, never with a regular
expression or the value sent; the API's own refusals (no token, JSON too deep, no
Idempotency-Key) and the framework's (malformed JSON, no such address) likewise; the
``code`` and the ``errors[].key`` never change with the language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from pydantic import BaseModel

import i18n
from api import validation
from tests.api.conftest import ADMIN, VOLUNTEER
from tests.api.helpers import assert_problem, writing
from tests.api.test_abuse import _body_operations, _document, _headers, _url

Client = AsyncTestClient  # type: ignore[type-arg]
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a regular expression or a type name of the code would leave in a message.
REGEX_MARKS = re.compile(r"[\^$\\`]|\{\d+(,\d*)?\}|\[[A-Za-z0-9]-|\(\?|\|\)|Input should|String")

_VOLUNTEER = {"passbook_number": "YZS1-0900", "name": "王秀英", "grid": "yzs-g1"}


def _messages(body: dict[str, Any]) -> list[str]:
    return [str(e["message"]) for e in body.get("errors") or []]


def _assert_plain(body: dict[str, Any]) -> None:
    for text in [body["title"], body["detail"], *_messages(body)]:
        assert not REGEX_MARKS.search(text), text


async def _both(
    client: Client, method: str, url: str, status: int, code: str, **request: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request read in Chinese and in English: same status, code and keys, each
    in its language, with Content-Language saying which."""
    headers = request.pop("headers", {})
    answers = {}
    for tag, language in (("zh-CN", ZH), ("en", EN)):
        response = await client.request(method, url, headers={**headers, **language}, **request)
        body = assert_problem(response, status, code)
        assert response.headers["content-language"] == tag
        _assert_plain(body)
        answers[tag] = body
    chinese, english = answers["zh-CN"], answers["en"]
    assert chinese["code"] == english["code"] == code
    assert [e.get("key") for e in chinese.get("errors") or []] == [
        e.get("key") for e in english.get("errors") or []
    ]
    assert CJK.search(chinese["detail"]), chinese
    assert CJK.search(chinese["title"]), chinese
    assert not CJK.search(english["detail"]), english
    for message in _messages(chinese):
        assert CJK.search(message), (message, chinese)
    for message in _messages(english):
        assert not CJK.search(message), (message, english)
    return chinese, english


def _entry(body: dict[str, Any], key: str) -> str:
    found = [str(e["message"]) for e in body["errors"] if e.get("key") == key]
    assert len(found) == 1, (key, body)
    return found[0]


async def test_a_bad_passbook_number_is_explained_without_its_pattern(client: Client) -> None:
    zh, en = await _both(
        client,
        "POST",
        "/api/sign-in",
        422,
        "invalid_request",
        json={"passbook_number": "Y" * 65, "pin": "2580"},
    )
    assert (
        _entry(zh, "passbook_number") == "存折号应为 3–32 位大写字母、数字或短横线，如 YZS1-0123。"
    )
    assert _entry(en, "passbook_number") == (
        "A passbook number is 3 to 32 capital letters, digits or dashes, such as YZS1-0123."
    )
    # a passbook number in the query says the same
    zh, en = await _both(
        client, "GET", "/api/rewards", 422, "invalid_request",
        params={"passbook": "Y" * 40}, headers=ADMIN,
    )  # fmt: skip
    assert "存折号应为" in _entry(zh, "passbook")
    assert [e["source"] for e in en["errors"]] == ["query"]


async def test_a_bad_pin_is_explained_and_never_shown(client: Client) -> None:
    sent = "98765432109876543210987654321098765"
    for pin in (sent, 2580):
        zh, en = await _both(
            client,
            "POST",
            "/api/sign-in",
            422,
            "invalid_request",
            json={"passbook_number": "YZS1-0001", "pin": pin},
        )
        assert _entry(zh, "pin") == "PIN 应为 4–6 位数字（0–9）。"
        assert _entry(en, "pin") == "A PIN is 4 to 6 digits (0 to 9)."
        assert sent not in str(zh) + str(en)


async def test_a_missing_field_is_named_and_explained(client: Client) -> None:
    body = {k: v for k, v in _VOLUNTEER.items() if k != "name"}
    zh, en = await _both(
        client, "POST", "/api/volunteers", 422, "invalid_request", json=body, headers=ADMIN
    )
    assert _entry(zh, "name") == "此项必须填写。名称应为 1–200 个字符。"
    assert (
        _entry(en, "name") == "This field is required. The name must be 1 to 200 characters long."
    )
    assert "(name)" in en["detail"]
    assert "（name）" in zh["detail"]


async def test_a_too_long_name_says_the_limit(client: Client) -> None:
    zh, en = await _both(
        client,
        "POST",
        "/api/volunteers",
        422,
        "invalid_request",
        json={**_VOLUNTEER, "name": "王" * 201},
        headers=ADMIN,
    )
    assert _entry(zh, "name") == "名称太长了：最多 200 个字符。"
    assert _entry(en, "name") == "The name is too long: at most 200 characters."


@pytest.mark.parametrize("month", ["2026-3", "2026/03", "26-03", "2026-13"])
async def test_a_wrong_month_says_how_to_write_one(client: Client, month: str) -> None:
    zh, en = await _both(
        client,
        "GET",
        "/api/reports/issuance",
        422,
        "invalid_request",
        params={"since": month, "until": "2026-03"},
        headers=ADMIN,
    )
    assert _entry(zh, "since") == "月份应写成 2026-03 这样的格式（年份在前，月份写两位）。"
    assert _entry(en, "since").startswith("Write the month like 2026-03")
    # a month left out is required, and said the same way
    zh, _en = await _both(
        client, "GET", "/api/reports/issuance", 422, "invalid_request",
        params={"until": "2026-03"}, headers=ADMIN,
    )  # fmt: skip
    assert _entry(zh, "since").startswith("此项必须填写。月份应写成 2026-03")
    assert [e["source"] for e in zh["errors"]] == ["query"]


async def test_numbers_choices_booleans_and_dates_say_what_they_take(client: Client) -> None:
    zh, en = await _both(
        client,
        "POST",
        "/api/rewards/tissues/redemptions",
        422,
        "invalid_request",
        json={"quantity": "2"},
        headers=writing(VOLUNTEER),
    )
    assert (
        _entry(zh, "quantity") == "数量应为 1 到 10 之间的整数。请直接写数字，不加引号、不带小数。"
    )
    assert _entry(en, "quantity") == (
        "The quantity must be a whole number from 1 to 10. Write it without quotes or decimals."
    )
    rule = {
        "code": "Corridor Clean", "name": "楼道清理", "category": "property",
        "points_per_unit": 0, "unit": "day", "daily_cap_units": 2,
        "valid_from": "2026-12-32", "org_unit": "yanshan",
    }  # fmt: skip
    zh, en = await _both(
        client, "POST", "/api/savings-rules", 422, "invalid_request", json=rule, headers=ADMIN
    )
    assert _entry(zh, "unit") == "只能是以下之一：hour、visit、time。"
    assert _entry(en, "unit") == "Choose one of: hour, visit, time."
    assert _entry(zh, "points_per_unit") == "积分应为 1 到 1000 之间的整数。"
    assert _entry(zh, "valid_from").startswith("日期应写成 2026-03-01")
    assert _entry(en, "code").startswith("A code is 1 to 40 lower-case letters")
    zh, en = await _both(
        client, "POST", "/api/volunteers", 422, "invalid_request",
        json={**_VOLUNTEER, "leaderboard_opt_out": "maybe"}, headers=ADMIN,
    )  # fmt: skip
    assert _entry(zh, "leaderboard_opt_out") == "此项只能是 true 或 false。"
    zh, en = await _both(
        client, "GET", "/api/passbooks/YZS1-0001/statement", 422, "invalid_request",
        params={"limit": 0}, headers=ADMIN,
    )  # fmt: skip
    assert _entry(zh, "limit") == "每页条数（limit）应为 1 到 500 之间的整数。"


async def test_an_unknown_field_and_the_schemas_own_rules_are_said_in_both(
    client: Client,
) -> None:
    zh, en = await _both(
        client, "POST", "/api/volunteers", 422, "invalid_request",
        json={**_VOLUNTEER, "surprise": 1}, headers=ADMIN,
    )  # fmt: skip
    assert _entry(zh, "surprise") == "此操作没有这个字段：请删去，或检查拼写。"
    assert _entry(en, "surprise").startswith("This operation takes no field of this name")
    zh, en = await _both(
        client, "PATCH", "/api/org-units/yzs-g1", 422, "invalid_request", json={}, headers=ADMIN
    )
    assert _messages(zh) == ['请发送新的名称，或 "closed": true，或两者都发送。']
    assert _messages(en) == ['Send a new name, or "closed": true, or both.']
    zh, _en = await _both(
        client, "PATCH", "/api/rewards/tissues", 422, "invalid_request",
        json={"active": None}, headers=ADMIN,
    )  # fmt: skip
    assert _entry(zh, "active") == "这里只能写 true 或 false，不能是 null。"


async def test_no_token_is_401_in_both_languages(client: Client) -> None:
    zh, en = await _both(client, "GET", "/api/me", 401, "not_authenticated")
    assert zh["detail"] == "请先登录：每个请求都要带上“Authorization: Bearer <token>”。"
    assert en["detail"] == "Sign in first: send 'Authorization: Bearer <token>' with every request."
    zh, en = await _both(
        client, "GET", "/api/me", 401, "not_authenticated", headers={"Authorization": "Bearer x"}
    )
    assert "令牌无效" in zh["detail"]
    assert "not valid" in en["detail"]
    answer = await client.get("/api/me", headers=ZH)
    assert answer.headers["www-authenticate"] == 'Bearer realm="red-passbook"'


async def test_too_deep_and_malformed_json_are_400_in_both_languages(client: Client) -> None:
    json_body = {"Content-Type": "application/json"}
    zh, en = await _both(
        client, "POST", "/api/sign-in", 400, "bad_request", content=b"[" * 1000, headers=json_body
    )
    assert "嵌套太深" in zh["detail"]
    assert "nested too deeply" in en["detail"]
    zh, en = await _both(
        client, "POST", "/api/sign-in", 400, "bad_request", content=b"{bad", headers=json_body
    )
    assert zh["detail"].startswith("请求内容不是有效的 JSON（第一处错误在第 1 个字节）")
    assert en["detail"].startswith("The request body is not valid JSON (the first fault")


async def test_the_apis_and_the_frameworks_other_refusals_are_in_both(client: Client) -> None:
    zh, en = await _both(
        client, "POST", "/api/rewards/tissues/redemptions", 422, "invalid_request",
        json={"quantity": 1}, headers=VOLUNTEER,
    )  # fmt: skip
    assert zh["detail"].startswith("请发送 Idempotency-Key 请求头（1–100 个字符")
    assert en["detail"].startswith("Send an Idempotency-Key header (1 to 100 characters")
    zh, en = await _both(client, "GET", "/api/no-such-thing", 404, "not_found", headers=ADMIN)
    assert "这个地址下没有内容" in zh["detail"]
    zh, en = await _both(client, "DELETE", "/api/me", 405, "method_not_allowed", headers=ADMIN)
    assert "Allow" in en["detail"]


def _bodies(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """Bodies that get every field of a request refused: none sent, each of the wrong type."""
    if "$ref" in schema:
        schema = components[schema["$ref"].split("/")[-1]]
    properties = schema.get("properties", {})
    return [{}, {name: {"wrong": True} for name in properties}]


async def test_every_refused_body_field_is_said_in_chinese(client: Client) -> None:
    document = _document(client.app)
    components = document["components"]["schemas"]
    seen = 0
    for method, path in _body_operations(client.app):
        operation = document["paths"][path][method.lower()]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        for body in _bodies(schema, components):
            response = await client.request(
                method, _url(path), json=body, headers={**_headers(method, path), **ZH}
            )
            if response.status_code != 422:
                continue  # a body every field of which may be left out, or a guard first
            problem = assert_problem(response, 422, "invalid_request")
            _assert_plain(problem)
            for message in _messages(problem):
                assert CJK.search(message), (method, path, body, problem)
                seen += 1
    assert seen > 150


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = []
    for inner in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found.append(inner)
            for info in inner.model_fields.values():
                found += _models(info.annotation)
    return found


async def test_every_pattern_of_the_api_has_a_sentence(client: Client) -> None:
    """A field checked against a pattern is explained by its shape, never by the generic
    sentence (which would leave the reader guessing the pattern)."""
    patterns: list[tuple[str, validation.Accepts]] = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            for name, parameter in handler.parsed_fn_signature.parameters.items():
                definition = parameter.kwarg_definition
                if name == "data":
                    for model in _models(parameter.annotation):
                        for field, info in model.model_fields.items():
                            accepts = validation.field_accepts(info.annotation, info.metadata)
                            if accepts.pattern:
                                patterns.append((field, accepts))
                elif getattr(definition, "pattern", None):
                    patterns.append(
                        (name, validation.field_accepts(parameter.annotation, [definition]))
                    )
    assert len(patterns) >= 10
    for name, accepts in patterns:
        for locale in i18n.LOCALES:
            said = validation.expected(name, accepts, "pattern", locale)
            assert said is not None, (name, accepts)
            assert said != validation.NOT_ACCEPTED, (name, accepts)
            assert not REGEX_MARKS.search(said.render(locale)), (name, said)
