"""Browser tests: the real service on 127.0.0.1 driven by Debian's Chromium through Playwright.

What a page test uses (docs/testing.md, "Browser tests"): the fixtures ``live_service``,
``context``, ``page`` and ``watch`` (``conftest.py``), and the helpers below.
"""

from tests.browser.accessibility import axe, axe_results
from tests.browser.focus import check_focus_visible, tab_order
from tests.browser.helpers import scan, screenshots
from tests.browser.live import LiveService
from tests.browser.sizes import check_volunteer_sizes, size_problems

__all__ = [
    "LiveService",
    "axe",
    "axe_results",
    "check_focus_visible",
    "check_volunteer_sizes",
    "scan",
    "screenshots",
    "size_problems",
    "tab_order",
]
