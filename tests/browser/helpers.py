"""Screenshots of a page at a phone's and a desk's size, and a USB barcode scanner.

Invariant: screenshots go to ``test-artifacts/screenshots/`` at the project's root (kept out of
git), named ``<name>-360x800.png`` and ``<name>-1280x800.png``, and the page's viewport is put
back afterwards; a scan is what a USB scanner does: the code typed as keystrokes into whatever
has focus, then Enter.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SIZES = ((360, 800), (1280, 800))
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def screenshots(page: Page, name: str, *, full_page: bool = True) -> list[Path]:
    """Write ``<name>-360x800.png`` and ``<name>-1280x800.png`` of the page as it is now,
    into ``test-artifacts/screenshots/``, and return their paths. The file names give the
    viewport (CSS px); with ``full_page`` (the default) the picture runs the page's whole
    length, so a long page is seen to its end. ``name``: lower-case letters, digits, ``-``
    and ``_`` (e.g. ``"volunteer-home"``)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits, - and _")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    written: list[Path] = []
    try:
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            path = SCREENSHOTS / f"{name}-{width}x{height}.png"
            page.screenshot(path=str(path), full_page=full_page, animations="disabled")
            written.append(path)
    finally:
        if original is not None:
            page.set_viewport_size(original)
    return written


def scan(page: Page, code: str, *, delay_ms: float = 5) -> None:
    """A USB barcode scanner reading ``code``: it types the characters as keystrokes into
    whatever has focus (a scanner is a keyboard), ``delay_ms`` apart, then presses Enter."""
    page.keyboard.type(code, delay=delay_ms)
    page.keyboard.press("Enter")


__all__ = ["SCREENSHOTS", "SIZES", "scan", "screenshots"]
