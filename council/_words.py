"""The scheme's own words inside council messages: a sheet's status and a rule's unit.

Invariant: a message names a status or a unit through these, so the reader sees the word in
their language (the English word is the stored value, so English reads as it always did).
"""

from __future__ import annotations

from i18n import Message, _

_STATUS = {
    "draft": _("draft"),
    "submitted": _("submitted"),
    "approved": _("approved"),
    "rejected": _("rejected"),
}
_UNITS = {"hour": _("hours"), "visit": _("visits"), "time": _("times")}


def status_word(status: str) -> str | Message:
    """A sheet's status as a reader says it (an unknown one as it is stored)."""
    return _STATUS.get(str(status), str(status))


def units_word(unit: str) -> str | Message:
    """A rule's unit in the plural (``visit``: visits), as a reader says it."""
    return _UNITS.get(unit, f"{unit}s")
