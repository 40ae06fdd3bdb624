"""Signing in as a browser would: open the form, send it with its CSRF token."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import ADMIN

NUMBER = "YZS1-0001"  # the demo volunteer, 王秀兰
PIN = "2580"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def set_pin(client: Any, pin: str = PIN, number: str = NUMBER) -> None:
    """The grid worker sets the volunteer's PIN (through the API, as the office does)."""
    answer = await client.put(f"/api/volunteers/{number}/pin", json={"pin": pin}, headers=ADMIN)
    assert answer.status_code == 200, answer.text


def csrf_of(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(
    client: Any, pin: str = PIN, number: str = NUMBER, *, follow: bool = False
) -> httpx.Response:
    form = await client.get("/signin")
    assert form.status_code == 200
    answer: httpx.Response = await client.post(
        "/signin",
        data={"passbook_number": number, "pin": pin, "_csrf_token": csrf_of(form)},
        follow_redirects=follow,
    )
    return answer


def set_cookies(answer: httpx.Response) -> dict[str, str]:
    """Each cookie the answer sets, by name, with its attributes as sent."""
    return {header.split("=", 1)[0]: header for header in answer.headers.get_list("set-cookie")}
