"""The pages' language, CSRF refusals, error pages, held points and static files."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.api.conftest import VOLUNTEER
from tests.api.rewards_helpers import add_reward, redeemed
from tests.pages.helpers import csrf_of, set_pin, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_pages_are_chinese_by_default_whatever_the_browser_asks(client: Client) -> None:
    page = await client.get("/signin", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "<h1>登录</h1>" in page.text
    assert page.headers["content-language"] == "zh-CN"
    assert 'href="/lang/en?next=/signin"' in page.text


async def test_the_language_switch_gives_english_and_back(client: Client) -> None:
    switched = await client.get("/lang/en?next=/signin", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/signin"
    assert "lang=en" in switched.headers["set-cookie"]
    page = await client.get("/signin")
    assert '<html lang="en">' in page.text
    assert "<h1>Sign in</h1>" in page.text
    assert page.headers["content-language"] == "en"
    await set_pin(client)
    refused = await sign_in(client, pin="3691")
    assert "The passbook number or the PIN is wrong." in refused.text
    await client.get("/lang/zh-CN?next=/signin")
    assert "<h1>登录</h1>" in (await client.get("/signin")).text


async def test_the_switch_only_sends_back_to_this_service(client: Client) -> None:
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere"):
        answer = await client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert answer.headers["location"] == "/", target
    assert (await client.get("/lang/fr", follow_redirects=False)).status_code == 404


async def test_a_form_sent_without_its_csrf_token_is_refused_with_a_page(client: Client) -> None:
    await set_pin(client)
    await client.get("/signin")  # the CSRF cookie is there; the form field is not
    refused = await client.post(
        "/signin", data={"passbook_number": "YZS1-0001", "pin": "2580"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "这个表单已过期，或不是从本页面提交的" in refused.text
    assert "passbook_session" not in refused.headers.get("set-cookie", "")
    # A wrong token is refused too; the right one signs in.
    form = await client.get("/signin")
    wrong = await client.post(
        "/signin",
        data={"passbook_number": "YZS1-0001", "pin": "2580", "_csrf_token": "0" * 128},
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    right = await client.post(
        "/signin",
        data={"passbook_number": "YZS1-0001", "pin": "2580", "_csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    assert right.status_code == 303


async def test_the_csrf_token_in_a_header_does_as_the_field_does(client: Client) -> None:
    await set_pin(client)
    form = await client.get("/signin")
    answer = await client.post(
        "/signin",
        data={"passbook_number": "YZS1-0001", "pin": "2580"},
        headers={"x-csrftoken": csrf_of(form)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def test_the_api_asks_no_csrf_token(client: Client) -> None:
    answer = await client.post("/api/sign-in", json={"passbook_number": "YZS1-0001", "pin": "3691"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_an_unknown_page_is_a_page_in_the_readers_language(client: Client) -> None:
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "没有这个页面" in missing.text
    await client.get("/lang/en")
    assert "There is no such page." in (await client.get("/no/such/page")).text
    api = await client.get("/api/no/such/path")
    assert api.headers["content-type"] == "application/problem+json"


async def test_held_points_are_explained_on_the_home_page(client: Client) -> None:
    await add_reward(client, "page-test-tea", cost_points=30)
    before = (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).json()
    redeemed_now = await redeemed(client, "page-test-tea")
    assert redeemed_now
    await set_pin(client)
    await sign_in(client)
    home = await client.get("/")
    assert "30 分已预留给 1 张未使用的兑换券" in home.text
    held_before = before["held"]
    if held_before:  # the demo's own open vouchers and applications count too
        assert "分已预留" in home.text
    after = (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).json()
    assert (
        f'<span class="balance-number" data-role="balance">{after["available"]}</span>' in home.text
    )


async def test_static_files_are_served_from_the_package_with_a_long_cache(
    client: Client,
) -> None:
    await set_pin(client)
    await sign_in(client)
    home = await client.get("/")
    assert "/static/app.css?v=" in home.text
    assert "/static/vendor/htmx-2.0.11/htmx.min.js?v=" in home.text
    assert "http://" not in home.text  # nothing from outside
    assert "https://" not in home.text
    css = await client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["cache-control"]
    assert css.headers["etag"]
    htmx = await client.get("/static/vendor/htmx-2.0.11/htmx.min.js")
    assert htmx.status_code == 200
    assert b"2.0.11" in htmx.content
    licence = await client.get("/static/vendor/htmx-2.0.11/LICENSE")
    assert "Zero-Clause BSD" in licence.text
