"""Voucher codes: unguessable, easy to read aloud and type, and checked before any lookup.

Invariants protected here:

* a code carries 19 characters drawn by :mod:`secrets` from a 31-character alphabet with no
  look-alikes (no 0/O, 1/I/L), i.e. 94 random bits, far more than the 80 a guesser would need
  to beat;
* its 20th character is a check character: the weighted sum of all 20 values (weights 1..20)
  is 0 modulo 31. Because 31 is prime and every weight is below it, any single mistyped
  character and any swap of two neighbouring characters changes the sum, so it is caught;
* a code that fails the check is refused by :func:`parse_code`, before the database is asked.

Codes are printed in five groups of four (``7KQM-3WXC-...``); input is read case-blind with
spaces and dashes ignored, as a handheld scanner or a person at a counter types it.
"""

from __future__ import annotations

import secrets

from i18n import _
from rewards.errors import VoucherCodeInvalid

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 19
CODE_LENGTH = RANDOM_LENGTH + 1
GROUP = 4
_MODULUS = len(ALPHABET)  # 31, a prime
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_INVERSE_LAST_WEIGHT = pow(CODE_LENGTH, -1, _MODULUS)
_IGNORED = str.maketrans("", "", " -_\t\r\n")
_BODIES = _MODULUS**RANDOM_LENGTH  # how many random parts there are


def _check_character(body: str) -> str:
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(body))
    return ALPHABET[(-total * _INVERSE_LAST_WEIGHT) % _MODULUS]


def new_code() -> str:
    """A fresh voucher code (20 characters, no separators)."""
    # One uniform draw over every random part, written out in base 31: the same distribution
    # as 19 separate draws, at a quarter of the cost.
    number = secrets.randbelow(_BODIES)
    characters = []
    for _position in range(RANDOM_LENGTH):
        number, value = divmod(number, _MODULUS)
        characters.append(ALPHABET[value])
    body = "".join(characters)
    return body + _check_character(body)


def is_well_formed(code: str) -> bool:
    return (
        len(code) == CODE_LENGTH
        and all(c in _VALUE for c in code)
        and sum((i + 1) * _VALUE[c] for i, c in enumerate(code)) % _MODULUS == 0
    )


def grouped(code: str) -> str:
    """The printed form: five groups of four joined by dashes."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def parse_code(text: str) -> str:
    """The code typed or scanned as ``text``, normalised; refused with what is wrong with it."""
    code = text.upper().translate(_IGNORED)
    if len(code) != CODE_LENGTH:
        raise VoucherCodeInvalid(
            _(
                "A voucher code has {code_length} letters and digits (five groups of "
                "four); this one has {count}. Scan it again or type it as printed on the "
                "voucher.",
                code_length=CODE_LENGTH,
                count=len(code),
            )
        )
    if strange := sorted({c for c in code if c not in _VALUE}):
        shown = ", ".join(repr(c) for c in strange)
        raise VoucherCodeInvalid(
            _(
                "{shown} never appear(s) in a voucher code (codes use no 0, O, 1, I or "
                "L). Check the code against the voucher and type it again.",
                shown=shown,
            )
        )
    if not is_well_formed(code):
        raise VoucherCodeInvalid(
            _(
                "This code's check character does not match, so a character was mistyped "
                "or misread. Check it against the voucher and type it again."
            )
        )
    return code
