"""Check codes: forty bits of a posting's chain hash in Crockford's base32, and the typed code
read as people type it (what protects: one code per hash, and a typed code is either exactly
a code or none, never a near match)."""

from __future__ import annotations

import ledger


def other_code(code: str) -> str:
    last = ledger.CHECK_CODE_ALPHABET.index(code[-1])
    return code[:-1] + ledger.CHECK_CODE_ALPHABET[(last + 1) % 32]


def test_a_check_code_is_forty_bits_of_the_chain_hash_in_base32() -> None:
    chain_hash = "0123456789" + "f" * 54
    code = ledger.check_code(chain_hash)
    assert code == "04HM-ASW9"  # 0x0123456789 in Crockford's base32, grouped 4-4
    assert ledger.check_code("f" * 64) == "ZZZZ-ZZZZ"
    assert ledger.check_code("0" * 64) == "0000-0000"
    for typed in ("04hm-asw9", " 04HM ASW9 ", "O4HMASW9", "０４ＨＭ－ＡＳＷ９", "04hm–asw9"):
        assert ledger.normalise_check_code(typed) == code, typed
    assert ledger.normalise_check_code("1IL1-1111") == "1111-1111"
    for not_a_code in ("", "04HM-ASW", "04HM-ASW99", "04HM-ASWU", "04HM/ASW9", "码码码码码码码码"):
        assert ledger.normalise_check_code(not_a_code) is None, not_a_code
    assert ledger.same_code(code, chain_hash)
    assert not ledger.same_code(other_code(code), chain_hash)
