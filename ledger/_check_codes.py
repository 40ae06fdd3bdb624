"""Check codes: a short, typeable piece of an account's hash chain, printed on each page of a
printed passbook so that anyone can later ask whether the printed history is still the books'.

Invariants:

* a check code is the first :data:`CHECK_CODE_BITS` (40) bits of one posting's chain hash,
  written in Crockford's base32 (digits and capital letters without I, L, O and U, so that no
  two characters look alike) as two groups of four, ``XXXX-XXXX``; it is a pure function of
  the chain hash, so reprinting a page gives the same code;
* a typed code is read after NFKC normalisation (full-width characters a Chinese input method
  types become ASCII) and upper-casing, with spaces and dashes dropped and O read as 0, I and
  L as 1; what is not eight characters of the alphabet then is no code (``None``), never a
  near match;
* a posting's chain hash covers the one before it, so a posting at sequence *n* that still
  yields the printed code means postings 1 to *n* of that account are (up to the 40 bits'
  chance of a deliberate collision) what they were when the page was printed.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._tables import posting
from ledger._types import AccountId

CHECK_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U."""
CHECK_CODE_BITS = 40
CHECK_CODE_LENGTH = CHECK_CODE_BITS // 5
_HEX_DIGITS = CHECK_CODE_BITS // 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type between the groups, after NFKC: spaces, dashes, a dot or underscore.
_SEPARATORS = str.maketrans(
    dict.fromkeys(" \t-_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u3000")
)


def check_code(chain_hash: str) -> str:
    """The check code of a posting whose chain hash is ``chain_hash`` (64 hex digits), e.g.
    ``7K3M-Q9PX``."""
    if len(chain_hash) < _HEX_DIGITS:
        raise ValueError("a chain hash is 64 hex digits")
    value = int(chain_hash[:_HEX_DIGITS], 16)
    digits = [
        CHECK_CODE_ALPHABET[(value >> (5 * (CHECK_CODE_LENGTH - 1 - i))) & 31]
        for i in range(CHECK_CODE_LENGTH)
    ]
    half = CHECK_CODE_LENGTH // 2
    return "".join(digits[:half]) + "-" + "".join(digits[half:])


def normalise_check_code(typed: str) -> str | None:
    """``typed`` as a check code in its printed form (``XXXX-XXXX``), or ``None`` when it is
    not one: ``"7k3m q9px"``, ``"7K3MQ9PX"`` and ``"７Ｋ３Ｍ－Ｑ９ＰＸ"`` all read as
    ``7K3M-Q9PX``; ``o`` is read as ``0``, ``i`` and ``l`` as ``1``."""
    text = unicodedata.normalize("NFKC", typed).upper().translate(_SEPARATORS).translate(_READ_AS)
    if len(text) != CHECK_CODE_LENGTH or any(ch not in CHECK_CODE_ALPHABET for ch in text):
        return None
    half = CHECK_CODE_LENGTH // 2
    return text[:half] + "-" + text[half:]


def same_code(printed: str, chain_hash: str) -> bool:
    """Whether ``printed`` (as :func:`normalise_check_code` gives it) is the code of
    ``chain_hash``, compared in constant time."""
    return hmac.compare_digest(printed.encode(), check_code(chain_hash).encode())


@dataclass(frozen=True, slots=True)
class ChainPoint:
    """One posting's place in its account's chain: its sequence, hash and balance after."""

    seq: int
    chain_hash: str
    balance_after: int

    @property
    def check_code(self) -> str:
        return check_code(self.chain_hash)


async def chain_points(
    conn: AsyncConnection, account_id: AccountId, seqs: Sequence[int]
) -> dict[int, ChainPoint]:
    """The postings of ``account_id`` at sequences ``seqs`` (those that exist), by sequence."""
    if not seqs:
        return {}
    rows = await conn.execute(
        select(posting.c.account_seq, posting.c.chain_hash, posting.c.balance_after).where(
            posting.c.account_id == account_id, posting.c.account_seq.in_(sorted(set(seqs)))
        )
    )
    return {
        int(r.account_seq): ChainPoint(int(r.account_seq), r.chain_hash, int(r.balance_after))
        for r in rows
    }
