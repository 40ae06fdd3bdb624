"""Which language a page is shown in: the reader's choice (the ``lang`` cookie the switch sets),
else Chinese (:data:`i18n.PAGES_DEFAULT`).

Invariant: a page never follows ``Accept-Language`` (a phone set to English still reads the
scheme in Chinese unless its reader chose English on the page), and a cookie naming no
language of ours counts as no choice.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

import i18n
from i18n import Locale

LANG_COOKIE = "lang"
LANG_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
CHOICES: dict[str, Locale] = {"zh-CN": Locale.ZH_CN, "en": Locale.EN}
"""What the switch may set (the BCP 47 tag) and the language each names."""


def page_locale(connection: ASGIConnection[Any, Any, Any, Any]) -> Locale:
    """The language the reader of this page chose, else the pages' default (Chinese)."""
    return CHOICES.get(connection.cookies.get(LANG_COOKIE, ""), i18n.PAGES_DEFAULT)


__all__ = ["CHOICES", "LANG_COOKIE", "LANG_MAX_AGE", "page_locale"]
