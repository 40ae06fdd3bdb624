"""Which language a reader asked for: ``Accept-Language`` for a request, ``LANG`` for the
command line.

Invariant: an API client that asks nothing reads English, as it always did; a page with
no choice made is Chinese (:data:`PAGES_DEFAULT`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from i18n._catalogue import Locale

API_DEFAULT = Locale.EN
PAGES_DEFAULT = Locale.ZH_CN


def _locale_of(tag: str) -> Locale | None:
    primary = tag.strip().replace("_", "-").lower().split("-")[0]
    if primary == "zh":
        return Locale.ZH_CN
    if primary == "en":
        return Locale.EN
    return None


def from_accept_language(header: str | None, default: Locale = API_DEFAULT) -> Locale:
    """The language an ``Accept-Language`` header prefers among ours (highest ``q`` first,
    the header's order breaking ties); ``default`` when it names none of them."""
    if not header:
        return default
    ranked: list[tuple[float, int, Locale]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = _locale_of(tag) if tag.strip() != "*" else None
        if locale is not None and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else default


def from_environment(environ: Mapping[str, str] | None = None) -> Locale:
    """The command line's language: ``PASSBOOK_LANG``, else ``LC_ALL``/``LC_MESSAGES``/
    ``LANG`` (``zh_CN.UTF-8`` is Chinese); English when none names ours."""
    environ = os.environ if environ is None else environ
    for name in ("PASSBOOK_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        locale = _locale_of(value.split(".")[0]) if value and value not in ("C", "POSIX") else None
        if locale is not None:
            return locale
    return API_DEFAULT
