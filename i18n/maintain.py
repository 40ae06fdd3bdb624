"""Keeping the catalogue in step with the code (a source checkout's tool, not the service's):

    python -m i18n.maintain update [--from OTHER.po]   add new messages, drop dead ones
    python -m i18n.maintain missing                     list messages with no Chinese yet

``update`` extracts every message the code marks (``_()``, ``N_()``, and the pages'
templates) with Babel, adds each new msgid to ``zh_CN/LC_MESSAGES/messages.po`` with an empty
translation, drops msgids the code no longer says, and keeps every finished translation
(``--from`` also takes the translations of another catalogue, such as the other side of a
merge). It writes entries sorted by msgid and without source locations, so two changes that
add different messages seldom touch the same lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from i18n._catalogue import Locale, po_path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = frozenset({"tests", "bench", "migrations", "seeds", "docs", "build"})
KEYWORDS = {"_": None, "N_": None}
WIDTH = 100
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)
"""The header's dates never change, so an update touches only the messages."""


METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
"""What is read for messages: the code, and the pages' templates (as i18n/babel.cfg says)."""


def packages(root: Path = ROOT) -> Iterator[Path]:
    """The service's packages: every top-level directory with an ``__init__.py`` but the
    tests, benchmarks, migrations and demo data (nobody reads their words in the service)."""
    for top in sorted(root.iterdir()):
        if top.is_dir() and top.name not in SKIPPED and (top / "__init__.py").exists():
            yield top


def code_messages(root: Path = ROOT) -> dict[str, str]:
    """Every msgid the code marks, with where it is first said."""
    found: dict[str, str] = {}
    for top in packages(root):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            top, METHOD_MAP, keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, f"{top.name}/{filename}:{lineno}")
    return found


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=Locale.ZH_CN.value)


def update(also: Path | None = None) -> tuple[int, int]:
    """Bring the Chinese catalogue in step with the code; (added, dropped)."""
    path = po_path(Locale.ZH_CN)
    current = _read(path)
    others = _read(also) if also is not None else None
    said = code_messages()
    fresh = Catalog(
        locale=Locale.ZH_CN.value,
        header_comment=current.header_comment,
        project="red-passbook",
        version="1",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        msgid_bugs_address="the Red Passbook maintainers",
        last_translator="Red Passbook",
        language_team="Red Passbook",
        fuzzy=False,
    )
    added = 0
    for msgid in sorted(said):
        kept = current.get(msgid)
        string = kept.string if kept is not None else ""
        if not string and others is not None and (other := others.get(msgid)) is not None:
            string = other.string
        added += kept is None
        fresh.add(msgid, string or "")
    dropped = sum(1 for entry in current if entry.id and entry.id not in said)
    with path.open("wb") as po:
        write_po(po, fresh, width=WIDTH, no_location=True, sort_output=True, omit_header=False)
    return added, dropped


def missing() -> list[str]:
    chinese = _read(po_path(Locale.ZH_CN))
    return [
        f"{where}: {msgid}"
        for msgid, where in code_messages().items()
        if (entry := chinese.get(msgid)) is None or not entry.string or entry.fuzzy
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n.maintain")
    commands = parser.add_subparsers(dest="command", required=True)
    updating = commands.add_parser("update", help="add new messages, drop dead ones")
    updating.add_argument("--from", dest="also", type=Path, help="take translations from here too")
    commands.add_parser("missing", help="list messages with no Chinese yet")
    args = parser.parse_args(argv)
    if args.command == "update":
        added, dropped = update(args.also)
        print(f"{added} messages added, {dropped} dropped; {len(missing())} need Chinese.")
        return 0
    lines = missing()
    print("\n".join(lines) or "Every message has Chinese.")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
