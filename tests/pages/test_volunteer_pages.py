"""The volunteer pages' rules over HTTP: the passbook page by page, a redemption through its
confirmation form (a resent form redeems once), another volunteer's voucher refused, cancelling
with its confirmation, and a staff member acting for a volunteer (the books name the staff)."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.api.conftest import ADMIN
from tests.pages.helpers import csrf_of, set_pin, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
KEY_FIELD = re.compile(r'name="key" value="([^"]+)"')


async def _signed_in(client: Client, number: str = "YZS1-0001") -> None:
    await set_pin(client, number=number)
    answer = await sign_in(client, number=number)
    assert answer.status_code == 303, answer.text


async def _confirm_form(client: Client, code: str) -> tuple[str, str]:
    form = await client.get(f"/rewards/{code}/confirm")
    assert form.status_code == 200, form.text
    found = KEY_FIELD.search(form.text)
    assert found
    return csrf_of(form), found.group(1)


async def _redeem(client: Client, code: str) -> str:
    csrf, key = await _confirm_form(client, code)
    answer = await client.post(
        f"/rewards/{code}/redeem",
        data={"_csrf_token": csrf, "key": key},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


async def _available(number: str, client: Client) -> int:
    answer = await client.get(f"/api/passbooks/{number}", headers=ADMIN)
    value: int = answer.json()["available"]
    return value


async def test_the_passbook_reads_like_a_bank_passbook(client: Client) -> None:
    await _signed_in(client)
    page = await client.get("/passbook")
    assert page.status_code == 200
    assert "<table" in page.text
    assert 'data-label="余额"' in page.text
    assert "第 1 页，共 1 页" in page.text
    assert "纸质存折" in page.text or "结转" in page.text  # the opening line, in words
    # a page past the end shows the last page; a bad page number is refused with a page
    assert "第 1 页，共 1 页" in (await client.get("/passbook?page=99")).text
    refused = await client.get("/passbook?page=abc")
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")


async def test_a_resent_redemption_form_gives_one_voucher(client: Client) -> None:
    await _signed_in(client)
    before = await _available("YZS1-0001", client)
    csrf, key = await _confirm_form(client, "tissues")
    assert "确认用 10 分兑换 抽纸（一提）？" in (await client.get("/rewards/tissues/confirm")).text
    sent = [
        await client.post(
            "/rewards/tissues/redeem",
            data={"_csrf_token": csrf, "key": key},
            follow_redirects=False,
        )
        for _ in range(3)
    ]
    locations = {answer.headers["location"] for answer in sent}
    assert [answer.status_code for answer in sent] == [303, 303, 303]
    assert len(locations) == 1, locations
    assert await _available("YZS1-0001", client) == before - 10
    voucher = await client.get(locations.pop())
    assert voucher.status_code == 200
    assert "出示给店员" in voucher.text
    listed = await client.get("/api/passbooks/YZS1-0001/vouchers", headers=ADMIN)
    assert len([v for v in listed.json()["vouchers"] if v["reward"]["code"] == "tissues"]) == 1


async def test_another_volunteers_voucher_is_refused(client: Client) -> None:
    await _signed_in(client)
    location = await _redeem(client, "tissues")
    voucher_path = location.split("?")[0]
    await client.post("/signout", data={"_csrf_token": csrf_of(await client.get("/"))})
    await _signed_in(client, number="YZS1-0002")
    for path in (voucher_path, voucher_path + "/show", voucher_path + "/cancel"):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
        assert "王" not in refused.text  # names nobody
    csrf = csrf_of(await client.get("/vouchers"))
    posted = await client.post(voucher_path + "/cancel", data={"_csrf_token": csrf})
    assert posted.status_code == 403


async def test_the_full_screen_voucher_shows_qr_bar_code_and_masked_holder(
    client: Client,
) -> None:
    await _signed_in(client)
    location = await _redeem(client, "tissues")
    shown = await client.get(location.split("?")[0] + "/show")
    assert shown.status_code == 200
    assert shown.text.count("<svg") == 2
    assert 'class="segno"' in shown.text
    assert "barcode_group" in shown.text
    assert "王*兰" in shown.text
    assert "王秀兰" not in shown.text
    assert 'class="site"' not in shown.text  # no other chrome


async def test_cancelling_gives_the_points_back_once(client: Client) -> None:
    await _signed_in(client)
    before = await _available("YZS1-0001", client)
    path = (await _redeem(client, "tissues")).split("?")[0]
    assert await _available("YZS1-0001", client) == before - 10
    confirm = await client.get(path + "/cancel")
    assert "积分" in confirm.text
    assert "退回" in confirm.text
    csrf = csrf_of(confirm)
    for _ in range(2):  # a resent form changes nothing more
        answer = await client.post(
            path + "/cancel", data={"_csrf_token": csrf}, follow_redirects=False
        )
        assert answer.status_code == 303
    assert await _available("YZS1-0001", client) == before
    page = await client.get(path)
    assert "state-cancelled" in page.text
    assert "出示给店员" not in page.text


async def test_staff_acting_for_a_volunteer_see_the_band_and_are_recorded(
    client: Client,
) -> None:
    client.cookies.set("passbook_session", "pb_demo_admin")
    assert (await client.get("/passbook", follow_redirects=False)).headers[
        "location"
    ] == "/volunteers"
    client.cookies.set("passbook_acting_for", "YZS1-0002")
    home = await client.get("/")
    assert "正在代 李建国（YZS1-0002）操作" in home.text
    location = await _redeem(client, "tissues")
    voucher = await client.get(location)
    assert "正在代 李建国（YZS1-0002）操作" in voucher.text
    assert "燕山街道演示管理员" in voucher.text
    redemption = await client.get("/api/passbooks/YZS1-0002/vouchers", headers=ADMIN)
    (made,) = redemption.json()["vouchers"]
    found = await client.get(f"/api/redemptions/{made['redemption_id']}", headers=ADMIN)
    assert found.json()["recorded_by"].startswith("admin:")
    assert made["passbook"] == "YZS1-0002"


async def test_a_forged_acting_for_cookie_gains_nothing(client: Client) -> None:
    # A grid council member is no admin: the cookie is not followed at all.
    client.cookies.set("passbook_session", "pb_demo_council_g1")
    client.cookies.set("passbook_acting_for", "YZS1-0001")
    answer = await client.get("/passbook", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
