"""Signing in to the pages, the session cookie, signing out, and the API's refusal of it."""

from __future__ import annotations

import httpx
from litestar.testing import AsyncTestClient

from api.app import create_app
from config import Settings
from tests.api.conftest import VOLUNTEER
from tests.pages.helpers import NUMBER, PIN, csrf_of, set_cookies, set_pin, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
SESSION = "passbook_session"
DEVICE = "passbook_device"


async def test_home_sends_a_stranger_to_sign_in(client: Client) -> None:
    answer = await client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"


async def test_the_volunteer_signs_in_with_the_pin_and_sees_the_balance(client: Client) -> None:
    await set_pin(client)
    balance = (await client.get(f"/api/passbooks/{NUMBER}", headers=VOLUNTEER)).json()
    answer = await sign_in(client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200
    assert '<html lang="zh-CN">' in home.text
    assert (
        f'<span class="balance-number" data-role="balance">{balance["available"]}</span>'
        in home.text
    )
    assert "现在可用积分" in home.text
    assert "已登录：王秀兰 (YZS1-0001)" in home.text
    for link in ("/passbook", "/rewards", "/vouchers", "/ballots"):
        assert f'href="{link}"' in home.text


async def test_the_session_and_device_cookies_are_http_only_and_same_site_lax(
    client: Client,
) -> None:
    await set_pin(client)
    cookies = set_cookies(await sign_in(client))
    session = cookies[SESSION].lower()
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "path=/" in session
    assert "max-age=43" in session  # 12 hours: 43200 seconds, give or take the test's time
    assert "secure" not in session  # plain HTTP here
    device = cookies[DEVICE].lower()
    assert "httponly" in device
    assert "samesite=lax" in device


async def test_over_https_the_session_cookie_is_secure(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as secure:
        await set_pin(secure)
        cookies = set_cookies(await sign_in(secure))
    assert "secure" in cookies[SESSION].lower()
    assert "secure" in cookies[DEVICE].lower()


async def test_a_wrong_pin_is_refused_in_chinese_keeping_the_number(client: Client) -> None:
    await set_pin(client)
    answer = await sign_in(client, pin="3691", number="yzs1-0001")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("text/html")
    assert "存折号或密码不对" in answer.text
    assert 'value="YZS1-0001"' in answer.text
    assert "3691" not in answer.text
    assert SESSION not in set_cookies(answer)
    assert (await client.get("/", follow_redirects=False)).status_code == 303


async def test_a_malformed_number_is_refused_in_plain_words(client: Client) -> None:
    answer = await sign_in(client, number="王")
    assert answer.status_code == 422
    assert "存折号应为 3–32 位大写字母、数字或短横线" in answer.text


async def test_after_wrong_pins_the_page_says_how_long_to_wait(client: Client) -> None:
    await set_pin(client)
    for _ in range(3):
        assert (await sign_in(client, pin="3691")).status_code == 401
    waiting = await sign_in(client, pin="3691")
    assert waiting.status_code == 429
    assert "密码错误次数太多，请等" in waiting.text
    assert int(waiting.headers["retry-after"]) >= 1


async def test_the_device_cookie_goes_with_the_next_sign_in(client: Client) -> None:
    await set_pin(client)
    first = set_cookies(await sign_in(client))
    device = first[DEVICE].split(";")[0].split("=", 1)[1]
    assert client.cookies.get(DEVICE) == device
    again = set_cookies(await sign_in(client))
    # A sign-in that sent its device value is given the same one back.
    assert again[DEVICE].split(";")[0].split("=", 1)[1] == device


async def test_signing_out_revokes_the_session_so_a_copy_of_the_cookie_is_useless(
    client: Client,
) -> None:
    await set_pin(client)
    await sign_in(client)
    token = client.cookies.get(SESSION)
    assert token
    home = await client.get("/")
    assert home.status_code == 200
    out = await client.post("/signout", data={"_csrf_token": csrf_of(home)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/signin?signed_out=1"
    assert "max-age=0" in set_cookies(out)[SESSION].lower()
    # The copied cookie, sent again, no longer lets anyone in.
    client.cookies.set(SESSION, token)
    again = await client.get("/", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/signin?expired=1"
    page = await client.get("/signin?expired=1")
    assert "您已退出登录（登录已过期或已被取消）" in page.text


async def test_the_api_never_takes_the_session_cookie(client: Client) -> None:
    await set_pin(client)
    await sign_in(client)
    token = client.cookies.get(SESSION)
    assert token
    refused = await client.get(f"/api/passbooks/{NUMBER}")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    # The same credential as a bearer token is let in: it is the cookie that is refused.
    client.cookies.clear()
    allowed = await client.get(
        f"/api/passbooks/{NUMBER}", headers={"Authorization": f"Bearer {token}"}
    )
    assert allowed.status_code == 200


async def test_a_bearer_token_does_not_open_the_pages(client: Client) -> None:
    answer = await client.get("/", headers=VOLUNTEER, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"


async def test_the_pin_is_the_one_the_office_set(client: Client) -> None:
    await set_pin(client, pin="4826")
    assert (await sign_in(client, pin=PIN)).status_code == 401
    assert (await sign_in(client, pin="4826")).status_code == 303


def test_the_helpers_read_set_cookie_headers() -> None:
    answer = httpx.Response(200, headers=[("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2")])
    assert set_cookies(answer) == {"a": "a=1; Path=/", "b": "b=2"}
