"""Codes, names, phones and passbook numbers as people type them, cleaned into one shape.

Invariants: a code is 1-40 lower-case letters, digits or dashes; a name is trimmed, 1 to 100
characters, on one line; a phone is a mainland mobile number stored as 11 digits, or a
landline stored as ``AREA-LOCAL`` (``0531-86123456``) or, typed without its area code, as the
7 or 8 digits of the local number; a passbook number is 3-32 capital letters, digits or
dashes as printed on the cover, read after NFKC normalisation (full-width letters, digits and
dashes typed by a Chinese input method become ASCII) and upper-casing. What cannot be cleaned
into that shape is refused (:class:`InvalidPerson`), never stored as given, so masking and
look-ups can rely on the shape.

Two passbook numbers that differ only by O/0, I/1 or L/1 have the same
:func:`lookalike_key`: a new number lookalike to a registered one is a likely typo
(registration and the roster import refuse it).
"""

from __future__ import annotations

import re
import unicodedata

from community.errors import InvalidPerson
from i18n import Message, _

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_PASSBOOK_NUMBER = re.compile(r"[A-Z0-9-]{3,32}")
# A mainland mobile number: 11 digits, 1 then 3-9. Spaces and dashes people type between the
# groups ("138 1234 5678") are dropped; anything else is refused.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# A landline: an area code (010, 02x, or 0 and three digits for the rest of the country: 0531
# for Jinan) and a local number of 7 or 8 digits that starts with 2-9; or the local number
# alone. The area code's own length is fixed by its first digits, so 053186123456 splits
# one way only.
_LANDLINE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))?([2-9][0-9]{6,7})")
_PHONE_SEPARATORS = re.compile(r"[ \-()]")
# Dashes a Chinese input method or a word processor types that NFKC leaves alone.
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                         "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u30fc": "-"})  # fmt: skip
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_NAME = 100
# Zero-width non-joiner and joiner: the joiner glues a family emoji (👩‍👩‍👧) together. Every
# other control or format character (a zero-width space, a bidi override) is refused.
_JOINERS = "\u200c\u200d"


def is_code(text: str) -> bool:
    """Whether ``text`` is a code as every org unit, member, rule, reward, merchant and ballot
    has one: 1-40 lower-case letters, digits or dashes, not starting with a dash."""
    return _CODE.match(text) is not None


_A_VOLUNTEER = _("A volunteer")
"""Who a name belongs to, when the caller names nobody."""


def clean_name(name: str, *, who: str | Message = _A_VOLUNTEER) -> str:
    """A person's name, trimmed; 1 to 100 characters, no control or format characters but the
    joiners that hold an emoji or a script's letters together."""
    cleaned = name.strip()
    if not cleaned.strip(_JOINERS) or len(cleaned) > MAX_NAME:
        raise InvalidPerson(
            _(
                "{who} needs a name of 1 to {max_name} characters (got {cleaned_count} "
                "after trimming spaces).",
                who=who,
                max_name=MAX_NAME,
                cleaned_count=len(cleaned),
            )
        )
    if any(unicodedata.category(ch).startswith("C") and ch not in _JOINERS for ch in cleaned):
        raise InvalidPerson(
            _(
                "{who}'s name contains a line break or another control character; type "
                "the name on one line.",
                who=who,
            )
        )
    return cleaned


def clean_phone(phone: str | None) -> str | None:
    """A mainland mobile number as 11 digits, a landline as ``AREA-LOCAL`` or its local
    number alone (see the module's invariants), or None for no phone."""
    if phone is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", phone).translate(_DASHES))
    if _MOBILE.fullmatch(digits):
        return digits
    landline = _LANDLINE.fullmatch(digits)
    if landline is None:
        raise InvalidPerson(
            _(
                "The phone must be a mainland mobile number (11 digits starting with "
                "13 to 19, for example 13812345678) or a landline with or without its "
                "area code (0531-86123456 or 86123456); no +86, no extension. Leave it "
                "out if there is none."
            )
        )
    area, local = landline.groups()
    return f"{area}-{local}" if area else local


def mask_phone(phone: str | None) -> str | None:
    """The phone as shown to everyone but its owner and admins: 138****5678 for a mobile,
    0531-****3456 for a landline (the area code says only the city), ****3456 without one."""
    if phone is None:
        return None
    area, dash, local = phone.rpartition("-")
    if dash:
        return f"{area}-****{local[-4:]}"
    if _MOBILE.fullmatch(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"****{phone[-4:]}" if len(phone) >= 7 else "****"


def normalise_passbook_number(number: str) -> str:
    """A passbook number as typed, made comparable: NFKC (full-width ＹＺＳ１－０００１ becomes
    YZS1-0001), other dashes read as '-', trimmed, upper-cased. Not checked: see
    :func:`clean_passbook_number`."""
    return unicodedata.normalize("NFKC", number).translate(_DASHES).strip().upper()


def lookalike_key(number: str) -> str:
    """The number with O read as 0 and I and L as 1: two numbers with one key differ only by
    characters people mistake for each other on a handwritten or printed cover."""
    return normalise_passbook_number(number).translate(_LOOKALIKE)


def clean_passbook_number(number: str) -> str:
    """The number as printed on the cover; lower-case letters typed in are read as capitals,
    full-width characters as their ASCII forms (:func:`normalise_passbook_number`)."""
    cleaned = normalise_passbook_number(number)
    if not _PASSBOOK_NUMBER.fullmatch(cleaned):
        raise InvalidPerson(
            _(
                "Passbook number {number!r} must be 3-32 capital letters, digits or "
                "dashes, as printed on the passbook's cover (for example YZS1-0001).",
                number=number,
            )
        )
    return cleaned


__all__ = [
    "MAX_NAME",
    "clean_name",
    "clean_passbook_number",
    "clean_phone",
    "is_code",
    "lookalike_key",
    "mask_phone",
    "normalise_passbook_number",
]
