"""The keyboard alone: the Tab order of a page, and a visible focus on every stop.

Invariant: a page passes only if pressing Tab from the top reaches its controls one after
another and every element that takes the focus is shown and draws a focus indicator: an
outline (the browser's own ``auto`` ring counts) or a box shadow. A page that removes the
outline (``outline: none``) without putting a ring or shadow in its place fails, as does a
focus that lands on something hidden. A change of colour alone is not counted as visible.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const box = el.getBoundingClientRect();
  const parts = [];
  for (let n = el; n && n.nodeType === 1 && parts.length < 3; n = n.parentElement) {
    if (n.id) { parts.unshift(`${n.tagName.toLowerCase()}#${n.id}`); break; }
    parts.unshift(n.tagName.toLowerCase() + [...n.classList].slice(0, 2).map((c) => "." + c).join(""));
  }
  return {
    selector: parts.join(" > "),
    words: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30),
    shown: el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) &&
      box.width >= 2 && box.height >= 2 &&
      box.right + window.scrollX > 0 && box.bottom + window.scrollY > 0,
    ring: outline || style.boxShadow !== "none",
  };
}"""


def tab_order(page: Page, *, limit: int = 80) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until the focus leaves it or comes round again
    (at most ``limit`` times) and return each stop: ``selector``, ``words``, ``shown``
    (visible on screen) and ``ring`` (draws an outline or a box shadow)."""
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop: dict[str, Any] | None = page.evaluate(_FOCUSED)
        if stop is None or (stops and stop["selector"] == stops[0]["selector"]):
            break
        stops.append(stop)
    return stops


def check_focus_visible(page: Page, *, limit: int = 80) -> list[dict[str, Any]]:
    """Fail the test, naming each offender, unless every Tab stop of the page is shown and
    draws a focus indicator; return the stops (the keyboard's path through the page)."""
    stops = tab_order(page, limit=limit)
    problems = [
        f"- {s['selector']} {s['words']!r}: "
        + ("takes the focus while hidden" if not s["shown"] else "no visible focus indicator")
        for s in stops
        if not (s["shown"] and s["ring"])
    ]
    if problems:
        raise AssertionError(
            f"{page.url}: focus not visible on the keyboard:\n" + "\n".join(problems)
        )
    return stops


__all__ = ["check_focus_visible", "tab_order"]
