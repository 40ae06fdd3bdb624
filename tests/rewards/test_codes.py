"""Voucher codes without a database: randomness, the check character, parsing, images."""

from __future__ import annotations

import math
import re

import pytest

import rewards
from rewards.errors import VoucherCodeInvalid


def test_a_code_carries_at_least_80_random_bits_in_a_plain_alphabet() -> None:
    assert math.log2(len(rewards.ALPHABET)) * (rewards.CODE_LENGTH - 1) >= 80
    assert not set("01OIL") & set(rewards.ALPHABET)
    codes = {rewards.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(f"[{rewards.ALPHABET}]{{20}}", code) for code in codes)
    # every character turns up in every position over enough codes: no position is fixed
    for position in range(rewards.CODE_LENGTH - 1):
        assert len({code[position] for code in codes}) == len(rewards.ALPHABET)


def test_every_single_mistyped_character_is_caught() -> None:
    for code in (rewards.new_code() for _ in range(20)):
        assert rewards.is_well_formed(code)
        for position in range(rewards.CODE_LENGTH):
            for wrong in rewards.ALPHABET:
                if wrong != code[position]:
                    typo = code[:position] + wrong + code[position + 1 :]
                    assert not rewards.is_well_formed(typo), (code, position, wrong)


def test_every_swap_of_neighbours_is_caught() -> None:
    for code in (rewards.new_code() for _ in range(200)):
        for position in range(rewards.CODE_LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a != b:
                swapped = code[:position] + b + a + code[position + 2 :]
                assert not rewards.is_well_formed(swapped)


def test_codes_print_in_groups_and_read_back_however_typed() -> None:
    code = rewards.new_code()
    printed = rewards.grouped(code)
    assert re.fullmatch(r"(\w{4}-){4}\w{4}", printed)
    for typed in (printed, printed.lower(), printed.replace("-", " "), f"  {code}\n"):
        assert rewards.parse_code(typed) == code


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "has 0"),
        ("ABCD-EFGH-JKMN", "has 12"),
        ("0" * 20, "'0'"),
        ("OIL" + "A" * 17, "'I', 'L', 'O'"),
    ],
)
def test_malformed_codes_are_refused_with_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(VoucherCodeInvalid) as refused:
        rewards.parse_code(typed)
    assert says in str(refused.value)
    assert refused.value.category == "invalid"


def test_images_encode_the_code() -> None:
    code = rewards.new_code()
    svg = rewards.code128(code, rewards.ImageFormat.SVG)
    assert svg.lstrip().startswith(b"<?xml")
    assert rewards.grouped(code).encode() in svg
    assert rewards.code128(code, rewards.ImageFormat.PNG).startswith(b"\x89PNG")
    assert b"<svg" in rewards.qr(code, rewards.ImageFormat.SVG)
    assert rewards.qr(code, rewards.ImageFormat.PNG).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="not a voucher code"):
        rewards.qr("HELLO", rewards.ImageFormat.SVG)
