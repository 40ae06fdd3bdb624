"""What is wrong with a refused request's fields, in sentences a person understands.

Invariants: each entry of a 422's ``errors`` keeps the framework's ``key`` and ``source`` and
says in ``message``, in the reader's language, what the field takes: its shape (a passbook
number, a PIN, a code, a month), or its type with its bounds, read from the field's own
schema (the request model or the operation's parameter). A message never shows a regular
expression, a type name of the code or the value sent (a PIN stays unseen); a field with no
sentence of its own gets a general one, and an error of unknown kind says only that the value
is not accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException

import community
import i18n
import scheme_time
from api.field_schema import Accepts, accepts, field_accepts
from api.refusals import MAX_CLIENT_KEY
from api.schemas import REFUSALS
from i18n import Message, _

# --- what went wrong ---------------------------------------------------------------------------

_PYDANTIC_KINDS = {
    "missing": "missing",
    "extra_forbidden": "extra",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_too_short": "too_short",
    "too_short": "too_short",
    "string_pattern_mismatch": "pattern",
    "greater_than_equal": "range",
    "greater_than": "range",
    "less_than_equal": "range",
    "less_than": "range",
    "literal_error": "choice",
    "enum": "choice",
    "whole_number": "not_a_number",
    "int_type": "not_a_number",
    "int_parsing": "not_a_number",
    "int_from_float": "not_a_number",
}
_MSGSPEC_KINDS = [
    (re.compile(r"of length <= \d+"), "too_long"),
    (re.compile(r"of length >= \d+"), "too_short"),
    (re.compile(r"^Expected `int` [<>]=? ?-?\d+"), "range"),
    (re.compile(r"^Expected `int`, got"), "not_a_number"),
    (re.compile(r"matching regex"), "pattern"),
    (re.compile(r"^Invalid enum value"), "choice"),
]


def _msgspec_kind(message: str) -> str:
    return next((kind for found, kind in _MSGSPEC_KINDS if found.search(message)), "wrong")


# --- the sentences -----------------------------------------------------------------------------

REQUIRED = _("This field is required.")
REQUIRED_AND = _("This field is required. {expected}")
NO_SUCH_FIELD = _(
    "This operation takes no field of this name; leave it out, or check its spelling."
)
NOT_ACCEPTED = _(
    "This value is not accepted here; the operation's documentation says what it takes."
)
UNQUOTED = _("{expected} Write it without quotes or decimals.")

# The example is no passbook of the demo: a refusal shows no one's number.
PASSBOOK_NUMBER = _(
    "A passbook number is 3 to 32 capital letters, digits or dashes, such as YZS1-0123."
)
PIN = _("A PIN is {least} to {most} digits (0 to 9).")
PHONE = _(
    "A phone number is a mainland mobile number of 11 digits (such as 13812345678) or a "
    "landline (such as 0531-86123456)."
)
CODE = _(
    "A code is 1 to {most} lower-case letters, digits or dashes, not starting with a dash, "
    "such as yzs-g1."
)
MONTH = _("Write the month like 2026-03 (the year, then the month in two digits).")
HEX = _("Write {digits} hexadecimal digits (0 to 9 and lower-case a to f).")
HEX_RANGE = _("Write {least} to {most} hexadecimal digits (0 to 9 and lower-case a to f).")
IDEMPOTENCY_KEY = _(
    "An Idempotency-Key is 1 to {most} characters: a fresh UUID per new request, repeated "
    "only to retry the same request."
)
CURSOR = _(
    "A page cursor is a value the previous page gave ('earlier', 'later' or 'next_after'); "
    "send it as it was given."
)

TEXT_BETWEEN = _("{what} must be {least} to {most} characters long.")
TEXT_AT_MOST = _("{what} must be at most {most} characters long.")
TEXT_TOO_LONG = _("{what} is too long: at most {most} characters.")
TEXT_TOO_SHORT = _("{what} is too short: at least {least} characters.")
TEXT_EMPTY = _("{what} cannot be empty.")
TEXT = _("{what} must be text, written in quotes.")
NUMBER_BETWEEN = _("{what} must be a whole number from {lowest} to {highest}.")
NUMBER_AT_LEAST = _("{what} must be a whole number of at least {lowest}.")
NUMBER_AT_MOST = _("{what} must be a whole number of at most {highest}.")
NUMBER = _("{what} must be a whole number.")
BOOL = _("{what} must be true or false.")
DATE = _("Write the date like 2026-03-01 (year, month, day).")
MOMENT = _("Write the date and time with its time zone, like 2026-03-01T09:00:00+08:00.")
CHOICE = _("Choose one of: {choices}.")
LIST_BETWEEN = _("{what} must be a list of {least} to {most} items.")
LIST_AT_MOST = _("{what} must be a list of at most {most} items.")
LIST = _("{what} must be a list, in square brackets.")
OBJECT = _("Send an object, in curly braces, with the fields the operation documents.")

THIS = _("This value")
_POINTS = _("The points")
_DAYS = _("The number of days")
NOUNS: Mapping[str, Message] = {
    "name": _("The name"),
    "label": _("The label"),
    "reason": _("The reason"),
    "note": _("The note"),
    "place": _("The place"),
    "description": _("The description"),
    "category": _("The category"),
    "device": _("The device value"),
    "scope": _("The scope"),
    "code": _("The code"),
    "batch": _("The batch name"),
    "points": _POINTS,
    "cost_points": _POINTS,
    "bonus_points": _POINTS,
    "cap_points": _POINTS,
    "points_per_unit": _POINTS,
    "min_lifetime_points": _POINTS,
    "quantity": _("The quantity"),
    "units": _("The number of units"),
    "daily_cap_units": _("The daily cap"),
    "places": _("The number of places"),
    "claim_days": _DAYS,
    "valid_days": _DAYS,
    "voucher_valid_days": _DAYS,
    "limit": _("The page size (limit)"),
    "stock_total": _("The stock"),
    "monthly_quota": _("The monthly quota"),
    "per_volunteer_limit": _("The limit per volunteer"),
    "min_months_registered": _("The number of months"),
    "threshold": _("The threshold"),
    "version": _("The version"),
    "lines": _("The lines"),
    "accounts": _("The accounts"),
}
"""What a field is called in a sentence, by its name (the last part of its key)."""

_PASSBOOK_FIELDS = frozenset({"passbook_number", "passbook", "number"})
_CODE_FIELDS = frozenset(
    {"grid", "to_grid", "parent", "org_unit", "merchant", "reward", "rule", "unit"}
)
_CURSOR_FIELDS = frozenset({"before", "after"})
_HEX = re.compile(r"\^\[0-9a-f\]\{(\d+)(?:,(\d+))?\}\$")
_ALTERNATIVES = re.compile(r"\^\(([\w-]+(?:\|[\w-]+)*)\)\$")
_CODE_PATTERN = re.compile(r"\^\[a-z0-9\]\[a-z0-9-\]")


def _choices(values: Iterable[str], locale: i18n.Locale) -> str:
    return ("、" if locale is i18n.Locale.ZH_CN else ", ").join(values)


def _by_pattern(pattern: str, accepts: Accepts, locale: i18n.Locale) -> Message:
    if pattern == scheme_time.MONTH_PATTERN:
        return MONTH
    if hex_digits := _HEX.fullmatch(pattern):
        least, most = hex_digits.groups()
        if most:
            return Message(HEX_RANGE.msgid, {"least": least, "most": most})
        return Message(HEX.msgid, {"digits": least})
    if alternatives := _ALTERNATIVES.fullmatch(pattern):
        return Message(CHOICE.msgid, {"choices": _choices(alternatives[1].split("|"), locale)})
    if _CODE_PATTERN.match(pattern):
        return Message(CODE.msgid, {"most": accepts.most or 40})
    return NOT_ACCEPTED


def _shape(name: str, accepts: Accepts, locale: i18n.Locale) -> Message | None:
    """The sentence of a field whose values have a shape of their own, whatever went wrong."""
    if accepts.pattern is not None:
        return _by_pattern(accepts.pattern, accepts, locale)
    if name.lower() == "idempotency-key":
        return Message(IDEMPOTENCY_KEY.msgid, {"most": MAX_CLIENT_KEY})
    if name in _CURSOR_FIELDS and accepts.kind in ("text", "number"):
        return CURSOR
    if accepts.kind != "text":
        return None
    if name in _PASSBOOK_FIELDS:
        return PASSBOOK_NUMBER
    if name == "pin":
        return Message(
            PIN.msgid, {"least": community.PIN_MIN_DIGITS, "most": community.PIN_MAX_DIGITS}
        )
    if name == "phone":
        return PHONE
    if name in _CODE_FIELDS:
        return Message(CODE.msgid, {"most": accepts.most or 40})
    return None


def _text(what: Message, accepts: Accepts, kind: str) -> Message:
    least, most = accepts.least, accepts.most
    if kind == "too_long" and most is not None:
        return Message(TEXT_TOO_LONG.msgid, {"what": what, "most": most})
    if kind == "too_short" and least is not None:
        if least <= 1:
            return Message(TEXT_EMPTY.msgid, {"what": what})
        return Message(TEXT_TOO_SHORT.msgid, {"what": what, "least": least})
    if kind != "wrong" and most is not None:
        if least:
            return Message(TEXT_BETWEEN.msgid, {"what": what, "least": least, "most": most})
        return Message(TEXT_AT_MOST.msgid, {"what": what, "most": most})
    return Message(TEXT.msgid, {"what": what})


def _number(what: Message, accepts: Accepts, kind: str) -> Message:
    lowest, highest = accepts.lowest, accepts.highest
    if lowest is not None and highest is not None:
        sentence = Message(
            NUMBER_BETWEEN.msgid, {"what": what, "lowest": lowest, "highest": highest}
        )
    elif lowest is not None:
        sentence = Message(NUMBER_AT_LEAST.msgid, {"what": what, "lowest": lowest})
    elif highest is not None:
        sentence = Message(NUMBER_AT_MOST.msgid, {"what": what, "highest": highest})
    else:
        sentence = Message(NUMBER.msgid, {"what": what})
    return Message(UNQUOTED.msgid, {"expected": sentence}) if kind == "not_a_number" else sentence


def _list(what: Message, accepts: Accepts) -> Message:
    if accepts.most is not None and accepts.least:
        return Message(
            LIST_BETWEEN.msgid, {"what": what, "least": accepts.least, "most": accepts.most}
        )
    if accepts.most is not None:
        return Message(LIST_AT_MOST.msgid, {"what": what, "most": accepts.most})
    return Message(LIST.msgid, {"what": what})


def expected(name: str, accepts: Accepts, kind: str, locale: i18n.Locale) -> Message | None:
    """What the field ``name`` takes, said for the error ``kind``; None when unknown."""
    if (shape := _shape(name, accepts, locale)) is not None:
        return shape
    what = NOUNS.get(name, THIS)
    match accepts.kind:
        case "text":
            return _text(what, accepts, kind)
        case "number":
            return _number(what, accepts, kind)
        case "bool":
            return Message(BOOL.msgid, {"what": what})
        case "date":
            return DATE
        case "moment":
            return MOMENT
        case "choice":
            return Message(CHOICE.msgid, {"choices": _choices(accepts.choices, locale)})
        case "list":
            return _list(what, accepts)
        case "object":
            return OBJECT
    return None


def sentence(
    name: str, accepts: Accepts, kind: str, locale: i18n.Locale, rule: str | None = None
) -> str:
    """The message of one entry: the field ``name`` (the last part of its key) refused for
    ``kind``, or for the request model's own ``rule`` (a key of ``api.schemas.REFUSALS``)."""
    if rule is not None and rule in REFUSALS:
        return REFUSALS[rule].render(locale)
    if kind == "extra":
        return NO_SUCH_FIELD.render(locale)
    said = expected(name, accepts, kind, locale)
    if kind == "missing":
        if said is None:
            return REQUIRED.render(locale)
        return Message(REQUIRED_AND.msgid, {"expected": said}).render(locale)
    return (said or NOT_ACCEPTED).render(locale)


# --- the entries of a refused request ----------------------------------------------------------

_MISSING_PARAMETER = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def _pydantic_errors(error: ValidationException) -> list[dict[str, Any]]:
    """The request model's own errors (type and location), when pydantic refused the body."""
    found = getattr(error.__cause__, "errors", None)
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, dict) and "type" in e and "loc" in e]


def field_errors(
    request: Request[Any, Any, Any], error: ValidationException, locale: i18n.Locale
) -> list[dict[str, Any]]:
    """The ``errors`` of a 422: each refused field's key and source as the framework named
    them, and what it takes in ``locale``."""
    if not isinstance(error.extra, list) or not error.extra:
        missing = _MISSING_PARAMETER.match(str(error.detail))
        if missing is None:
            return []
        source, key = missing.groups()
        found = accepts(request, key, source)
        return [{"message": sentence(key, found, "missing", locale), "key": key, "source": source}]
    raw = _pydantic_errors(error)
    entries = []
    for entry in error.extra:
        if not isinstance(entry, dict):
            continue
        key, source = entry.get("key"), entry.get("source")
        rule: str | None = None
        kind = "wrong"
        matching = next(
            (e for e in raw if ".".join(str(part) for part in e["loc"]) == (key or "")), None
        )
        if matching is not None:
            raw.remove(matching)
            kind = _PYDANTIC_KINDS.get(str(matching["type"]), "wrong")
            rule = str(matching["type"])
        else:
            kind = _msgspec_kind(str(entry.get("message", "")))
        name = str(key).split(".")[-1] if key else ""
        where = getattr(source, "value", source)
        found = accepts(request, str(key) if key else None, str(where) if where else None)
        entries.append({**entry, "message": sentence(name, found, kind, locale, rule)})
    return entries


__all__ = ["Accepts", "accepts", "expected", "field_accepts", "field_errors", "sentence"]
