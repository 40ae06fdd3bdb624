"""The message catalogue against the code: every message the code marks has a Chinese
translation with the same placeholders, and the catalogue holds nothing the code no longer
says (so a translator never works on dead text)."""

from __future__ import annotations

import string

import pytest

import i18n
from i18n import Locale, Message, _
from i18n.maintain import code_messages


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_the_code_marks_messages() -> None:
    assert len(code_messages()) > 10


def test_every_message_of_the_code_has_a_chinese_translation_with_its_placeholders() -> None:
    chinese = i18n.catalogue(Locale.ZH_CN)
    missing, wrong = [], []
    for msgid, where in code_messages().items():
        entry = chinese.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where}: {msgid}")
        elif placeholders(str(entry.string)) != placeholders(msgid):
            wrong.append(f"{where}: {msgid} -> {entry.string}")
    assert not missing, "no Chinese for:\n" + "\n".join(missing)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_catalogue_holds_only_what_the_code_says() -> None:
    said = set(code_messages())
    stale = [
        str(entry.id) for entry in i18n.catalogue(Locale.ZH_CN) if entry.id and entry.id not in said
    ]
    assert not stale, "in the catalogue but no longer in the code:\n" + "\n".join(stale)


def test_a_message_is_english_until_shown_in_chinese() -> None:
    message = _("Not found")
    assert str(message) == "Not found"
    assert message.render(Locale.ZH_CN) != "Not found"
    assert i18n.translate("A sentence nobody translated.", Locale.ZH_CN) == (
        "A sentence nobody translated."
    )


def test_values_are_put_in_after_translation_and_messages_inside_messages_too() -> None:
    inner = _("Not found")
    outer = Message(
        "The request is not valid ({fields}); 'errors' lists each field and what is wrong with it. Correct them and send the request again.",
        {"fields": inner},
    )
    assert "Not found" in str(outer)
    assert inner.render(Locale.ZH_CN) in outer.render(Locale.ZH_CN)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Locale.EN),
        ("", Locale.EN),
        ("zh-CN", Locale.ZH_CN),
        ("zh-CN,zh;q=0.9,en;q=0.8", Locale.ZH_CN),
        ("en-US,en;q=0.9,zh-CN;q=0.8", Locale.EN),
        ("fr-FR, zh;q=0.5", Locale.ZH_CN),
        ("en;q=0.2, zh-Hans;q=0.7", Locale.ZH_CN),
        ("de, fr", Locale.EN),
        ("*", Locale.EN),
        ("zh;q=0, en;q=0.1", Locale.EN),
        ("zh;q=abc", Locale.EN),
    ],
)
def test_accept_language(header: str | None, expected: Locale) -> None:
    assert i18n.from_accept_language(header) is expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, Locale.EN),
        ({"LANG": "zh_CN.UTF-8"}, Locale.ZH_CN),
        ({"LANG": "C.UTF-8"}, Locale.EN),
        ({"LANG": "zh_CN.UTF-8", "PASSBOOK_LANG": "en"}, Locale.EN),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, Locale.EN),
    ],
)
def test_the_command_lines_language(environ: dict[str, str], expected: Locale) -> None:
    assert i18n.from_environment(environ) is expected
