"""Staff pages over HTTP: sign-in codes (typed and by link), the grid worker's chooser and its
rule (an admin of one grid cannot act for a volunteer of another: refused, nothing written),
and the ballots pages for the subject."""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.api.conftest import ADMIN, VOLUNTEER
from tests.api.test_ballots import open_ballot, place_reward
from tests.pages.helpers import csrf_of, set_cookies, set_pin, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
SESSION = "passbook_session"
ACTING = "passbook_acting_for"
GRID_1 = "yzs-g1"  # holds YZS1-0001 (王秀兰) and YZS1-0002; not YZS2-0001


async def issue_code(client: Client, *, scope: str = GRID_1, role: str = "admin") -> str:
    answer = await client.post(
        "/api/sign-in-codes",
        json={"role": role, "scope": scope, "label": f"网格员 {scope}"},
        headers=ADMIN,
    )
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["code"]
    return code


async def type_code(client: Client, code: str) -> httpx.Response:
    form = await client.get("/signin/code")
    assert form.status_code == 200
    answer: httpx.Response = await client.post(
        "/signin/code", data={"code": code, "_csrf_token": csrf_of(form)}, follow_redirects=False
    )
    return answer


async def grid_worker(client: Client, scope: str = GRID_1) -> None:
    answer = await type_code(client, await issue_code(client, scope=scope))
    assert answer.status_code == 303, answer.text


async def act_for(client: Client, number: str) -> httpx.Response:
    chooser = await client.get("/volunteers")
    assert chooser.status_code == 200, chooser.text
    answer: httpx.Response = await client.post(
        "/volunteers/act",
        data={"passbook_number": number, "_csrf_token": csrf_of(chooser)},
        follow_redirects=False,
    )
    return answer


async def post_form(client: Client, path: str, **fields: Any) -> httpx.Response:
    form = await client.get(path)
    assert form.status_code == 200, form.text
    answer: httpx.Response = await client.post(
        path, data={**fields, "_csrf_token": csrf_of(form)}, follow_redirects=False
    )
    return answer


async def test_a_typed_code_becomes_a_session_once(client: Client) -> None:
    code = await issue_code(client)
    signin = await client.get("/signin")
    assert 'href="/signin/code"' in signin.text
    form = await client.get("/signin/code")
    assert "输入法切换到英文" in form.text
    answer = await type_code(client, code.lower().replace("-", " "))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert "httponly" in set_cookies(answer)[SESSION].lower()
    home = await client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/volunteers"  # a grid worker chooses whom to act for
    assert (await client.get("/volunteers")).status_code == 200

    again = await type_code(client, code)
    assert again.status_code == 401
    assert "这个登录码不能用" in again.text
    assert SESSION not in set_cookies(again)


async def test_a_malformed_code_is_told_in_plain_words(client: Client) -> None:
    answer = await type_code(client, "王")
    assert answer.status_code == 422
    assert "登录码是 8 位大写字母和数字" in answer.text


async def test_opening_the_link_uses_nothing_and_its_button_signs_in(client: Client) -> None:
    code = await issue_code(client)
    path = f"/signin/code/{code}"
    for _ in range(3):  # a link preview, a prefetcher, the person
        opened = await client.get(path)
        assert opened.status_code == 200
        assert code in opened.text
        assert SESSION not in set_cookies(opened)
    answer = await client.post(path, data={"_csrf_token": csrf_of(opened)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert SESSION in set_cookies(answer)
    client.cookies.delete(SESSION)
    second = await client.post(path, data={"_csrf_token": csrf_of(opened)}, follow_redirects=False)
    assert second.status_code == 401


async def test_the_link_form_needs_its_csrf_token(client: Client) -> None:
    code = await issue_code(client)
    await client.get(f"/signin/code/{code}")
    answer = await client.post(f"/signin/code/{code}", data={}, follow_redirects=False)
    assert answer.status_code == 403
    assert SESSION not in set_cookies(answer)
    # the code was not used: the form still works
    await client.get(f"/signin/code/{code}")
    opened = await client.get(f"/signin/code/{code}")
    assert (
        await client.post(
            f"/signin/code/{code}", data={"_csrf_token": csrf_of(opened)}, follow_redirects=False
        )
    ).status_code == 303


async def test_the_chooser_finds_the_grid_s_volunteers_by_name_or_number(client: Client) -> None:
    await grid_worker(client)
    everyone = await client.get("/volunteers")
    assert "YZS1-0001" in everyone.text
    assert "YZS2-0001" not in everyone.text  # another grid's
    by_name = await client.get("/volunteers", params={"q": "秀兰"})
    assert "王秀兰" in by_name.text
    assert "李建国" not in by_name.text
    by_number = await client.get("/volunteers", params={"q": "yzs1-0002"})
    assert "李建国" in by_number.text
    assert "王秀兰" not in by_number.text
    assert 'href="/passbooks/YZS1-0002/print"' in by_number.text
    elsewhere = await client.get("/volunteers", params={"q": "张桂英"})  # grid 2
    assert "YZS2-0001" not in elsewhere.text
    assert "按“张桂英”找到 0 位志愿者" in elsewhere.text


async def test_the_api_lists_volunteers_by_search_too(client: Client) -> None:
    answer = await client.get("/api/volunteers", params={"search": "秀兰"}, headers=ADMIN)
    assert answer.status_code == 200
    assert [v["passbook_number"] for v in answer.json()["volunteers"]] == ["YZS1-0001"]
    wild = await client.get("/api/volunteers", params={"search": "%"}, headers=ADMIN)
    assert wild.json()["volunteers"] == []  # % is a plain character


async def test_a_grid_worker_acts_for_a_volunteer_and_stops(client: Client) -> None:
    await grid_worker(client)
    answer = await act_for(client, "yzs1-0001")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = set_cookies(answer)[ACTING]
    assert cookie.startswith(f"{ACTING}=YZS1-0001")
    assert "httponly" in cookie.lower()
    home = await client.get("/")
    assert home.status_code == 200
    assert "王秀兰" in home.text
    assert "YZS1-0001" in home.text
    # The chooser says whom they act for: in the band (by number) and on the volunteer's line.
    chooser = await client.get("/volunteers")
    assert chooser.status_code == 200, chooser.text
    assert "您正在代存折 YZS1-0001 的持有人办理。" in chooser.text
    assert chooser.text.count("正在代其办理") == 1
    stop = await client.post(
        "/volunteers/stop", data={"_csrf_token": csrf_of(home)}, follow_redirects=False
    )
    assert stop.status_code == 303
    assert f"{ACTING}=" in set_cookies(stop)[ACTING]
    assert "max-age=0" in set_cookies(stop)[ACTING].lower()
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/volunteers"


async def test_a_grid_worker_cannot_act_for_another_grid_s_volunteer(client: Client) -> None:
    await place_reward(client)
    await open_ballot(client)
    await grid_worker(client)
    refused = await act_for(client, "YZS2-0001")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert ACTING not in set_cookies(refused)
    # A forged cookie gains nothing: every page's use case refuses it, and nothing is written.
    client.cookies.set(ACTING, "YZS2-0001")
    assert (await client.get("/", follow_redirects=False)).status_code == 403
    assert (await client.get("/ballots")).status_code == 403
    assert (await client.get("/ballots/b1/apply")).status_code == 403
    home = await client.get("/volunteers")
    tried = await client.post(
        "/ballots/b1/apply",
        data={"form_key": "k" * 20, "_csrf_token": csrf_of(home)},
        follow_redirects=False,
    )
    assert tried.status_code == 403
    mine = await client.get("/api/ballots/b1/applications/YZS2-0001", headers=ADMIN)
    assert mine.status_code == 404


async def test_staff_acting_for_a_volunteer_apply_to_a_ballot_and_the_books_say_who(
    client: Client,
) -> None:
    await place_reward(client)
    await open_ballot(client)
    await grid_worker(client)
    await act_for(client, "YZS1-0001")
    listed = await client.get("/ballots")
    assert listed.status_code == 200
    assert 'href="/ballots/b1"' in listed.text
    shown = await client.get("/ballots/b1")
    assert 'href="/ballots/b1/apply"' in shown.text
    assert 'href="/api/public/ballots/b1"' in shown.text
    confirm = await client.get("/ballots/b1/apply")
    assert confirm.status_code == 200
    # A GET applies nothing.
    none = await client.get("/api/ballots/b1/applications/YZS1-0001", headers=ADMIN)
    assert none.status_code == 404
    key = confirm.text.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    form = {"form_key": key, "_csrf_token": csrf_of(confirm)}
    answer = await client.post("/ballots/b1/apply", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ballots/b1?done=applied"
    twice = await client.post(
        "/ballots/b1/apply", data=form, follow_redirects=False
    )  # the same form again
    assert twice.status_code == 303
    found = await client.get("/api/ballots/b1/applications/YZS1-0001", headers=ADMIN)
    assert found.status_code == 200
    application = found.json()
    assert application["status"] == "applied"
    assert application["recorded_by"].startswith("admin:网格员 yzs-g1")
    page = await client.get("/ballots/b1?done=applied")
    assert application["pseudonym"] in page.text
    listed = await client.get("/ballots/b1")
    assert 'href="/ballots/b1/withdraw"' in listed.text


async def test_a_volunteer_withdraws_an_application(client: Client) -> None:
    await place_reward(client)
    await open_ballot(client)
    await set_pin(client)
    await sign_in(client)
    confirm = await client.get("/ballots/b1/apply")
    key = confirm.text.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    applied = await client.post(
        "/ballots/b1/apply",
        data={"form_key": key, "_csrf_token": csrf_of(confirm)},
        follow_redirects=False,
    )
    assert applied.status_code == 303, applied.text
    before = (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).json()
    withdraw = await post_form(client, "/ballots/b1/withdraw")
    assert withdraw.status_code == 303
    assert withdraw.headers["location"] == "/ballots/b1?done=withdrawn"
    found = await client.get("/api/ballots/b1/applications/YZS1-0001", headers=VOLUNTEER)
    assert found.json()["status"] == "withdrawn"
    after = (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).json()
    assert after["available"] == before["available"] + 50
    again = await post_form(client, "/ballots/b1/withdraw")
    assert again.status_code == 303  # withdrawing again changes nothing
    still = (await client.get("/api/passbooks/YZS1-0001", headers=VOLUNTEER)).json()
    assert still["available"] == after["available"]
    shown = await client.get("/ballots/b1")
    assert "申请已撤回" in shown.text
    assert 'href="/ballots/b1/apply"' in shown.text  # and may apply again


async def test_the_drawn_demo_ballot_shows_the_public_draw_in_english(client: Client) -> None:
    await set_pin(client, number="YZS1-0001")
    await sign_in(client)
    await client.get("/lang/en")
    shown = await client.get("/ballots/kindergarten-2027-spring")
    assert shown.status_code == 200
    public = (await client.get("/api/public/ballots/kindergarten-2027-spring")).json()
    assert public["seed"] in shown.text
    assert public["commitment"] in shown.text
    for applicant in public["applicants"]:
        assert applicant["pseudonym"] in shown.text
    assert "How anyone can check it" in shown.text
    assert "YZS4-0002" not in shown.text  # tickets only


async def test_wrong_codes_are_slowed_and_told_so_in_chinese(client: Client) -> None:
    answers = [await type_code(client, "2345-6789") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    slowed = answers[5]
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) > 0
    assert "输错登录码的次数太多" in slowed.text
    assert SESSION not in set_cookies(slowed)
