"""The Chinese catalogue, read once from ``locale/zh_CN/LC_MESSAGES/messages.po`` with Babel.

Invariant: only translations a translator finished count (an empty or fuzzy entry is left
out, so its English msgid shows instead).
"""

from __future__ import annotations

import enum
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"


class Locale(enum.StrEnum):
    """The languages the scheme speaks."""

    ZH_CN = "zh_CN"
    EN = "en"

    @property
    def tag(self) -> str:
        """The BCP 47 tag, for ``lang`` attributes and ``Content-Language``."""
        return "zh-CN" if self is Locale.ZH_CN else "en"


LOCALES = tuple(Locale)


def po_path(locale: Locale) -> Path:
    return LOCALE_DIR / locale.value / "LC_MESSAGES" / "messages.po"


@cache
def catalogue(locale: Locale) -> Catalog:
    """The catalogue of ``locale`` as Babel reads it (English has none: msgids are English)."""
    if locale is Locale.EN:
        return Catalog(locale="en")
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale.value)


@cache
def _translations(locale: Locale) -> dict[str, str]:
    return {
        str(entry.id): str(entry.string)
        for entry in catalogue(locale)
        if entry.id and isinstance(entry.string, str) and entry.string and not entry.fuzzy
    }


def translate(msgid: str, locale: Locale) -> str:
    """``msgid`` in ``locale``: its finished translation, else the English msgid itself."""
    if locale is Locale.EN:
        return msgid
    return _translations(locale).get(msgid, msgid)
