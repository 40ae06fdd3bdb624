"""The first pages in the browser: a volunteer signs in with passbook number and PIN, typed
on the keyboard, and sees the home page with the balance; both pages pass axe-core and the
keyboard check, are photographed, and are held to the volunteer pages' numbers."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser import axe, check_focus_visible, check_volunteer_sizes, screenshots

PIN = "2580"


def _set_pin(page: Page) -> None:
    answer = page.request.put(
        "/api/volunteers/YZS1-0001/pin",
        headers={"Authorization": "Bearer pb_demo_admin"},
        data={"pin": PIN},
    )
    assert answer.ok, answer.text()


def _sign_in_by_keyboard(page: Page) -> None:
    page.get_by_label("存折号").focus()
    page.keyboard.type("YZS1-0001")
    page.keyboard.press("Tab")
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    page.locator(".balance-number").wait_for()


def test_a_volunteer_signs_in_with_the_keyboard_and_sees_the_balance(page: Page) -> None:
    _set_pin(page)
    page.goto("/")
    page.get_by_label("存折号").wait_for()
    screenshots(page, "signin")
    axe(page)
    check_focus_visible(page)

    _sign_in_by_keyboard(page)
    assert re.fullmatch(r"\d+", page.locator(".balance-number").inner_text())
    screenshots(page, "volunteer-home")
    axe(page)
    check_focus_visible(page)


def test_the_first_pages_meet_the_volunteer_numbers(page: Page) -> None:
    _set_pin(page)
    page.goto("/")
    page.get_by_label("存折号").wait_for()
    problems = []
    try:
        check_volunteer_sizes(page)
    except AssertionError as found:
        problems.append(str(found))
    _sign_in_by_keyboard(page)
    try:
        check_volunteer_sizes(page, expect_balance=True)
    except AssertionError as found:
        problems.append(str(found))
    assert problems == [], "\n".join(problems)
