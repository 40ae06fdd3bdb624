"""The elderly-friendly numbers, measured in the page: tap targets, spacing, text and balance
sizes, line height, and no sideways scrolling when narrow or zoomed.

Invariant: a page passes only if, at the viewport it is shown at, every visible interactive
element (``a[href]``, ``button``, ``input``, ``select``, ``textarea``, ``summary``,
``[role=button]``) is at least 60 × 60 CSS px on volunteer pages (44 × 44 elsewhere) and at
least 8 px from every other one; every visible text (and the text inside inputs and selects)
is at least 20 px on volunteer pages (18 px elsewhere) with a line height of at least 1.3 (an
unset ``normal`` counts as too small: it depends on the font); the balance
(``data-role="balance"``) is at least 40 px; and the page does not scroll sideways at 320 CSS px
wide nor at 200 % zoom. Every offender is reported with a selector and what was measured.

What is not counted: elements not rendered, ``visibility: hidden``, transparent, reduced to
the 1-px box kept for screen readers, or pushed off the page's top or left edge (a skip link
waiting for the focus); text in
``<option>`` (the ``<select>`` is checked) and in SVG charts (they have a table beside them).
A checkbox or radio button counts with its label's box, which is what a finger taps.

Zoom: a browser at 200 % lays a page out as if its window were half as wide and half as tall in
CSS px (a 1280 × 800 window becomes 640 × 400), and media queries see that width. So 200 % zoom
is checked on a 640 × 400 CSS px viewport; the device pixel ratio only changes how sharp the
pixels are, not the layout. CSS ``zoom`` on the root is not the same thing (media queries and
``vw`` do not follow it), so it is not used. The 320 px check is also WCAG's 400 % reflow case.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize

MEASURE_SCRIPT = Path(__file__).parent / "sizes.js"

NARROW: ViewportSize = {"width": 320, "height": 800}
ZOOMED_200: ViewportSize = {"width": 640, "height": 400}  # a 1280 × 800 window at 200 % zoom

_OVERFLOW = """() => {
  const root = document.scrollingElement || document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const wide = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > width + 0.5);
  const leaves = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].slice(0, 2).map((c) => "." + c).join("");
  return {
    scrollWidth: root.scrollWidth, clientWidth: width,
    widest: leaves.slice(0, 5).map((el) =>
      `${name(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)} px)`),
  };
}"""


@dataclass(frozen=True)
class Limits:
    """The numbers a page is held to (CSS px, and a ratio for line height)."""

    target: float
    gap: float
    text: float
    line_height: float
    balance: float


VOLUNTEER = Limits(target=60, gap=8, text=20, line_height=1.3, balance=40)
OTHER = Limits(target=44, gap=8, text=18, line_height=1.3, balance=40)


@cache
def _measure_source() -> str:
    return MEASURE_SCRIPT.read_text(encoding="utf-8")


def size_problems(page: Page, *, volunteer: bool = True, expect_balance: bool = False) -> list[str]:
    """Every way the page at its current viewport misses the numbers, one line each (empty
    when it meets them all); then the sideways-scroll checks at 320 px and at 200 % zoom
    (the viewport is put back afterwards)."""
    # A locator's wait_for returns once the element is in the DOM, which can be before the
    # stylesheet has arrived: measured then, every size is the browser's default. Wait for it.
    page.wait_for_load_state("load")
    limits = VOLUNTEER if volunteer else OTHER
    found: dict[str, list[dict[str, Any]]] = page.evaluate(
        _measure_source(),
        {
            "target": limits.target,
            "gap": limits.gap,
            "text": limits.text,
            "lineHeight": limits.line_height,
            "balance": limits.balance,
            "expectBalance": expect_balance,
        },
    )
    size = f"{limits.target:g}×{limits.target:g}"
    problems = [
        f"tap target smaller than {size} CSS px: {t['selector']} {t['words']!r} is "
        f"{t['width']:g}×{t['height']:g}"
        for t in found["targets"]
    ]
    problems += [
        f"tap targets closer than {limits.gap:g} px: {s['selector']} and {s['other']} are "
        f"{s['gap']:g} px apart"
        for s in found["spacing"]
    ]
    for t in found["text"]:
        if t["problem"] == "font-size":
            problems.append(
                f"text smaller than {limits.text:g} px: {t['selector']} {t['words']!r} is "
                f"{t['size']:g} px"
            )
        else:
            problems.append(
                f"line height under {limits.line_height:g}: {t['selector']} {t['words']!r} has "
                f"{t['lineHeight']}"
            )
    for b in found["balance"]:
        if b.get("missing"):
            problems.append('no balance on the page: nothing with data-role="balance" is shown')
        else:
            problems.append(
                f"balance smaller than {limits.balance:g} px: {b['selector']} {b['words']!r} "
                f"is {b['size']:g} px"
            )
    problems += sideways_scroll_problems(page)
    return problems


def sideways_scroll_problems(page: Page) -> list[str]:
    """Whether the page scrolls sideways at 320 CSS px wide or at 200 % zoom (640 × 400 CSS
    px, see the module's note), naming the elements that stick out; the viewport is put back."""
    original = page.viewport_size
    problems: list[str] = []
    try:
        for label, viewport in (("at 320 px wide", NARROW), ("at 200 % zoom", ZOOMED_200)):
            page.set_viewport_size(viewport)
            overflow = page.evaluate(_OVERFLOW)
            if overflow is not None:
                problems.append(
                    f"scrolls sideways {label}: {overflow['scrollWidth']} px of content in "
                    f"{overflow['clientWidth']} px; sticking out: "
                    + (", ".join(overflow["widest"]) or "(none found)")
                )
    finally:
        if original is not None:
            page.set_viewport_size(original)
    return problems


def check_volunteer_sizes(
    page: Page, *, volunteer: bool = True, expect_balance: bool = False
) -> None:
    """Fail the test, listing every offender by selector and size, unless the page meets the
    numbers (see the module docstring): volunteer pages by default, ``volunteer=False`` for
    the staff and counter pages (44 px targets, 18 px text). ``expect_balance`` also fails a
    page that shows no ``data-role="balance"`` element (the volunteer's home page)."""
    problems = size_problems(page, volunteer=volunteer, expect_balance=expect_balance)
    if problems:
        kind = "volunteer page" if volunteer else "page"
        raise AssertionError(
            f"{page.url} misses the {kind} numbers ({len(problems)} problem(s)):\n"
            + "\n".join(f"- {p}" for p in problems)
        )


__all__ = [
    "NARROW",
    "OTHER",
    "VOLUNTEER",
    "ZOOMED_200",
    "Limits",
    "check_volunteer_sizes",
    "sideways_scroll_problems",
    "size_problems",
]
