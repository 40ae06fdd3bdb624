"""Codes, names, phones and passbook numbers as people type them, cleaned into one shape.

Invariants: a code is 1-40 lower-case letters, digits or dashes; a name is trimmed, 1 to 100
characters, on one line; a phone is a mainland mobile number stored as 11 digits; a passbook
number is 3-32 capital letters, digits or dashes as printed on the cover. What cannot be
cleaned into that shape is refused (:class:`InvalidPerson`), never stored as given, so masking
and look-ups can rely on the shape.
"""

from __future__ import annotations

import re
import unicodedata

from community.errors import InvalidPerson

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_PASSBOOK_NUMBER = re.compile(r"[A-Z0-9-]{3,32}")
# A mainland mobile number: 11 digits, 1 then 3-9. Spaces and dashes people type between the
# groups ("138 1234 5678") are dropped; anything else is refused.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[ \-]")
MAX_NAME = 100
# Zero-width non-joiner and joiner: the joiner glues a family emoji (👩‍👩‍👧) together. Every
# other control or format character (a zero-width space, a bidi override) is refused.
_JOINERS = "\u200c\u200d"


def is_code(text: str) -> bool:
    """Whether ``text`` is a code as every org unit, member, rule, reward, merchant and ballot
    has one: 1-40 lower-case letters, digits or dashes, not starting with a dash."""
    return _CODE.match(text) is not None


def clean_name(name: str, *, who: str = "A volunteer") -> str:
    """A person's name, trimmed; 1 to 100 characters, no control or format characters but the
    joiners that hold an emoji or a script's letters together."""
    cleaned = name.strip()
    if not cleaned.strip(_JOINERS) or len(cleaned) > MAX_NAME:
        raise InvalidPerson(
            f"{who} needs a name of 1 to {MAX_NAME} characters (got {len(cleaned)} after "
            "trimming spaces)."
        )
    if any(unicodedata.category(ch).startswith("C") and ch not in _JOINERS for ch in cleaned):
        raise InvalidPerson(
            f"{who}'s name contains a line break or another control character; type the name "
            "on one line."
        )
    return cleaned


def clean_phone(phone: str | None) -> str | None:
    """A mainland mobile number as 11 digits, or None for no phone."""
    if phone is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", phone.strip())
    if not _MOBILE.fullmatch(digits):
        raise InvalidPerson(
            "The phone must be a mainland mobile number: 11 digits starting with 13 to 19, for "
            "example 13812345678 (no +86, no landline). Leave it out if there is none."
        )
    return digits


def mask_phone(phone: str | None) -> str | None:
    """The phone as shown to everyone but its owner and admins: 138****5678."""
    if phone is None:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def clean_passbook_number(number: str) -> str:
    """The number as printed on the cover; lower-case letters typed in are read as capitals."""
    cleaned = number.strip().upper()
    if not _PASSBOOK_NUMBER.fullmatch(cleaned):
        raise InvalidPerson(
            f"Passbook number {number!r} must be 3-32 capital letters, digits or dashes, as "
            "printed on the passbook's cover (for example YZS1-0001)."
        )
    return cleaned


__all__ = [
    "MAX_NAME",
    "clean_name",
    "clean_passbook_number",
    "clean_phone",
    "is_code",
    "mask_phone",
]
