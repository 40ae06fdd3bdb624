"""The page helpers can fail: each is shown a page that meets the rule and pages that miss it
in one way each (pages set by the test itself, so no service page is needed)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser import (
    axe,
    check_focus_visible,
    check_volunteer_sizes,
    scan,
    screenshots,
    size_problems,
)
from tests.browser.helpers import SCREENSHOTS

STYLE = """
  html { font-size: 125%; }  /* 20 px */
  body { margin: 0; padding: 1rem; line-height: 1.5; font-family: sans-serif;
         color: #1a1a1a; background: #fff; }
  button, input, select, a.action { font: inherit; min-width: 3rem; min-height: 3rem;
         display: block; margin: 0.5rem 0; box-sizing: border-box; }
  .balance { font-size: 2.5rem; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden;
             clip: rect(0 0 0 0); white-space: nowrap; }
  .sr-only:focus { position: static; width: auto; height: auto; clip: auto; }
"""


def _page(body: str, style: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>测试页</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}{style}</style></head><body><main>{body}</main></body></html>"
    )


GOOD = _page(
    '<a class="sr-only" href="#main">跳到正文</a>'
    "<h1>我的积分</h1>"
    '<p>当前余额 <span class="balance" data-role="balance">120</span> 分</p>'
    "<p>30 分已预留给 1 张未使用的兑换券。</p>"
    '<label for="pin">密码</label><input id="pin" name="pin" inputmode="numeric">'
    '<button type="submit">兑换</button>'
    '<a class="action" href="/passbook">查看存折</a>'
    '<button type="button" style="display: none">隐藏的按钮</button>'
)


def test_a_page_that_meets_the_numbers_passes(page: Page) -> None:
    page.set_content(GOOD)
    check_volunteer_sizes(page, expect_balance=True)
    assert page.viewport_size == {"width": 360, "height": 800}  # put back after 320 and 640


def test_a_too_small_button_fails_and_is_named_with_its_size(page: Page) -> None:
    page.set_content(_page('<p>好</p><button id="small" style="min-height: 2rem">删除</button>'))
    with pytest.raises(AssertionError, match=r"smaller than 60×60 CSS px: button#small '删除'"):
        check_volunteer_sizes(page)
    assert any(re.search(r"button#small '删除' is \d+(\.\d)?×40$", p) for p in size_problems(page))


def test_staff_pages_are_held_to_44_px(page: Page) -> None:
    page.set_content(_page('<button style="min-width: 2.3rem; min-height: 2.3rem">好</button>'))
    assert size_problems(page, volunteer=False) == []  # 46 px, 20 px text
    assert len(size_problems(page, volunteer=True)) == 1


def test_targets_closer_than_8_px_fail(page: Page) -> None:
    page.set_content(
        _page(
            '<div style="display: flex; gap: 4px"><button id="yes">是</button>'
            '<button id="no">否</button></div>'
        )
    )
    problems = size_problems(page)
    assert problems == ["tap targets closer than 8 px: button#yes and button#no are 4 px apart"]


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("p { font-size: 16px; }", r"text smaller than 20 px: p#t '小字' is 16 px"),
        ("p { line-height: 1.2; }", r"line height under 1.3: p#t '小字' has 1.2"),
        ("p { line-height: normal; }", r"line height under 1.3: p#t '小字' has normal"),
    ],
)
def test_small_or_cramped_text_fails(page: Page, style: str, expected: str) -> None:
    page.set_content(_page('<p id="t">小字</p>', style))
    assert [p for p in size_problems(page) if re.fullmatch(expected, p)], size_problems(page)
    assert len(size_problems(page)) == 1


def test_a_control_left_at_the_browsers_small_font_fails(page: Page) -> None:
    page.set_content(_page('<input id="code" style="font: initial; min-height: 3rem">'))
    problems = size_problems(page)
    assert len(problems) == 1
    assert problems[0].startswith("text smaller than 20 px: input#code")


def test_text_enough_for_staff_pages_is_too_small_for_volunteers(page: Page) -> None:
    page.set_content(_page('<p id="t">店员</p>', "p { font-size: 18px; }"))
    assert size_problems(page, volunteer=False) == []
    assert size_problems(page) == ["text smaller than 20 px: p#t '店员' is 18 px"]


def test_a_small_or_missing_balance_fails(page: Page) -> None:
    page.set_content(_page('<p id="b" data-role="balance" style="font-size: 32px">120 分</p>'))
    assert size_problems(page) == ["balance smaller than 40 px: p#b '120 分' is 32 px"]
    page.set_content(_page("<p>没有余额</p>"))
    assert size_problems(page) == []
    assert size_problems(page, expect_balance=True) == [
        'no balance on the page: nothing with data-role="balance" is shown'
    ]


def test_a_link_waiting_off_the_page_edge_is_not_counted(page: Page) -> None:
    off = '<a id="skip" href="#t" style="position: absolute; left: -100rem">跳过</a>'
    page.set_content(_page(f'{off}<p id="t">正文</p>'))
    assert size_problems(page) == []
    page.set_content(_page(off.replace("-100rem", "0")))  # on the page, it counts
    assert [p.split(" '")[0] for p in size_problems(page)] == [
        "tap target smaller than 60×60 CSS px: a#skip"
    ]


def test_a_checkbox_counts_with_its_label(page: Page) -> None:
    box = 'type="checkbox" style="display: inline; min-width: 0; min-height: 0"'
    label = f'<label style="display: block; padding: 1rem 0"><input {box}> 同意</label>'
    page.set_content(_page(label))
    assert size_problems(page) == []
    page.set_content(_page(f'<input id="bare" {box}> <span>同意</span>'))
    assert [p.split(" '")[0] for p in size_problems(page)] == [
        "tap target smaller than 60×60 CSS px: input#bare"
    ]


def test_sideways_scrolling_at_320_px_fails(page: Page) -> None:
    page.set_content(_page('<table style="width: 25rem"><tr><td id="cell">存入</td></tr></table>'))
    problems = size_problems(page)
    assert len(problems) == 1
    assert problems[0].startswith("scrolls sideways at 320 px wide")
    assert "td#cell (right edge at " in problems[0]
    assert page.viewport_size == {"width": 360, "height": 800}


def test_sideways_scrolling_at_200_percent_zoom_fails(page: Page) -> None:
    # a layout that only breaks in the width a 1280-px window has at 200 %
    style = "@media (min-width: 600px) and (max-width: 700px) { #strip { width: 45rem; } }"
    page.set_content(_page('<div id="strip">横条</div>', style))
    problems = size_problems(page)
    assert len(problems) == 1
    assert problems[0].startswith("scrolls sideways at 200 % zoom")
    assert "div#strip" in problems[0]


def test_axe_fails_on_poor_contrast(page: Page) -> None:
    page.set_content(_page('<h1>积分</h1><p style="color: #999; background: #aaa">灰字</p>'))
    with pytest.raises(AssertionError, match=r"color-contrast \(serious\)"):
        axe(page)


def test_axe_passes_a_clean_page_and_returns_lesser_findings(page: Page) -> None:
    page.set_content(GOOD)
    assert axe(page) == []
    page.set_content(_page("<p>没有标题的页面</p>"))  # no h1: a moderate finding
    assert [v["id"] for v in axe(page)] == ["page-has-heading-one"]


def test_axe_fails_on_a_button_without_a_name(page: Page) -> None:
    page.set_content(_page('<h1>扫码</h1><button id="icon"></button>'))
    with pytest.raises(AssertionError, match=r"button-name \(critical\)[\s\S]*#icon"):
        axe(page)


def test_screenshots_are_written_at_both_sizes(page: Page) -> None:
    page.set_content(GOOD)
    written = screenshots(page, "harness-self-test")
    assert written == [
        SCREENSHOTS / "harness-self-test-360x800.png",
        SCREENSHOTS / "harness-self-test-1280x800.png",
    ]
    assert all(p.stat().st_size > 1000 for p in written)
    with pytest.raises(ValueError, match="lower-case"):
        screenshots(page, "../elsewhere")


def test_a_scan_is_keystrokes_then_enter(page: Page) -> None:
    page.set_content(
        _page(
            '<form id="f"><label for="code">券码</label><input id="code" name="code"></form>'
            '<output id="got"></output>'
            "<script>document.getElementById('f').addEventListener('submit', (e) => {"
            "e.preventDefault(); document.getElementById('got').textContent ="
            " document.getElementById('code').value; });</script>"
        )
    )
    page.focus("#code")
    scan(page, "RP7K2M9QX4")
    assert page.text_content("#got") == "RP7K2M9QX4"


def test_the_keyboard_reaches_every_control_with_a_visible_focus(page: Page) -> None:
    page.set_content(GOOD.replace('class="sr-only"', 'class="sr-only" id="skip"'))
    stops = check_focus_visible(page, limit=10)
    assert [s["selector"] for s in stops] == [
        "a#skip",
        "input#pin",
        "body > main > button",
        "body > main > a.action",
    ]


def test_a_focus_without_a_ring_or_on_something_hidden_fails(page: Page) -> None:
    page.set_content(
        _page(
            '<button id="plain" style="outline: none">确认</button>'
            '<button id="ghost" style="opacity: 0">看不见</button>'
            '<button id="ok" style="outline: none; box-shadow: 0 0 0 4px #1a1a1a">取消</button>'
        )
    )
    with pytest.raises(AssertionError) as failure:
        check_focus_visible(page)
    assert str(failure.value).splitlines()[1:] == [
        "- button#plain '确认': no visible focus indicator",
        "- button#ghost '看不见': takes the focus while hidden",
    ]
