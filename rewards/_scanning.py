"""A merchant at the counter: verify a voucher (no change) and consume it (exactly once).

Invariants protected here:

* a code is checked (length, alphabet, check character) before the database is asked;
* a merchant consumes only vouchers for its own rewards;
* a voucher past its date never scans as valid, even before the expiry sweep has run;
* consuming settles the voucher's hold into the merchant's ledger account and marks the voucher
  used by a conditional update ``WHERE status = 'issued'`` on a locked row: of any number of
  concurrent scans exactly one settles;
* a scanner retrying a consume that succeeded (its answer was lost) with the same
  Idempotency-Key gets the same success, marked as a replay, at any time. Every other scan of
  a used voucher is refused as already used, naming when and by which scanner: a fresh key is
  a new scan, and so is a scan without a key (nothing tells it from a second till sharing the
  credential), so a second scan at the counter never looks like a first; a key is bound to
  the one voucher it used.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
import observe
from db import constraint_name, metadata
from i18n import Message, _
from rewards._codes import grouped, parse_code
from rewards._merchants import get_merchant, get_merchant_with
from rewards._tables import voucher
from rewards._time import local_minute, utcnow
from rewards._types import Consumption, Scan, Verdict, Voucher, VoucherStatus
from rewards._vouchers import find_voucher_by_code, lock_voucher
from rewards.errors import (
    ConsumeKeyReused,
    ConsumeRace,
    VoucherAlreadyUsed,
    VoucherCancelled,
    VoucherExpired,
    VoucherNotFound,
    VoucherNotUsable,
    VoucherNotYours,
)

CONSUME_KIND = "voucher"
_CREDENTIAL_ACTOR = re.compile(r"^[a-z]+:(?P<label>.*)#\d+$")


def _at(moment: datetime | None) -> str:
    return local_minute(moment) if moment else "?"


def scanner_label(actor: str) -> str:
    """The label of the credential the books record as ``actor`` (``merchant:till 1#7`` is
    ``till 1``); an actor that is no credential (the command line) as it is recorded."""
    found = _CREDENTIAL_ACTOR.match(actor)
    return found.group("label") if found else actor


def _already_used(current: Voucher, scanner: str, key: str | None) -> VoucherAlreadyUsed:
    by = scanner_label(current.closed_by or "?")
    same = current.closed_by == scanner
    at, name = _at(current.closed_at), current.reward_name
    if same and key is None:
        said = _(
            "Already used on {at} (China Standard Time) by this scanner ({by}): {name}. Do not "
            "hand it over again. This scan sent no Idempotency-Key, so it is a new scan. Only a "
            "retry with the first scan's key is answered with its success.",
            at=at,
            by=by,
            name=name,
        )
    elif same:
        said = _(
            "Already used on {at} (China Standard Time) by this scanner ({by}): {name}. Do not "
            "hand it over again. This scan sent another Idempotency-Key than that one, so it is "
            "a new scan. Only a retry with the first scan's key is answered with its success.",
            at=at,
            by=by,
            name=name,
        )
    elif key is None:
        said = _(
            "Already used on {at} (China Standard Time) by scanner {by}: {name}. Do not hand it "
            "over again. This scan sent no Idempotency-Key, so it is a new scan. Only a retry "
            "with the first scan's key is answered with its success.",
            at=at,
            by=by,
            name=name,
        )
    else:
        said = _(
            "Already used on {at} (China Standard Time) by scanner {by}: {name}. Do not hand it "
            "over again. This scan sent another Idempotency-Key than that one, so it is a new "
            "scan. Only a retry with the first scan's key is answered with its success.",
            at=at,
            by=by,
            name=name,
        )
    return VoucherAlreadyUsed(
        said,
        used_at=_at(current.closed_at),
        used_at_iso=current.closed_at.isoformat() if current.closed_at else None,
        used_by=by,
        same_scanner=same,
    )


def _verdict(found: Voucher, merchant_code: str, now: datetime) -> tuple[Verdict, Message]:
    name = found.reward_name
    if found.merchant_code != merchant_code:
        return Verdict.NOT_YOURS, _(
            "This voucher is for {name} at {merchant}, not for this merchant. Do not hand "
            "anything over.",
            name=name,
            merchant=found.merchant_name,
        )
    state = found.state(now)
    if state is VoucherStatus.USED:
        return Verdict.USED, _(
            "Already used on {at}: {name}. Do not hand it over again.",
            at=_at(found.closed_at),
            name=name,
        )
    if state is VoucherStatus.CANCELLED:
        return Verdict.CANCELLED, _(
            "Cancelled on {at} by its owner: {name}.", at=_at(found.closed_at), name=name
        )
    if state is VoucherStatus.EXPIRED:
        return Verdict.EXPIRED, _(
            "Expired: it was valid until {until}: {name}.", until=found.valid_until, name=name
        )
    return Verdict.VALID, _(
        "Valid: {name} ({points} points), until {until}.",
        name=name,
        points=found.points,
        until=found.valid_until,
    )


async def verify_voucher(
    conn: AsyncConnection, *, code: str, merchant_code: str, now: datetime | None = None
) -> Scan:
    """What a voucher is and whether this merchant may take it now; changes nothing."""
    now = now or utcnow()
    normalised = parse_code(code)
    found = await find_voucher_by_code(conn, normalised)
    if found is None:
        raise VoucherNotFound(
            _(
                "No voucher has this code. Check it against the voucher; if it is right, "
                "the voucher was not issued by Red Passbook."
            )
        )
    verdict, message = _verdict(found, merchant_code, now)
    return Scan(verdict, found, message)


async def consume_voucher(
    conn: AsyncConnection,
    *,
    code: str,
    merchant_code: str,
    scanner: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Consumption:
    """Use a voucher at ``merchant_code``: settle its hold into the merchant's account and
    mark it used, exactly once. ``scanner`` is the credential that scanned it (the books
    record it as the actor); ``idempotency_key``, namespaced by that credential, makes a
    retry of this scan answer the stored success however late it comes. Any other scan of a
    used voucher, with a fresh key or none, is refused (:class:`VoucherAlreadyUsed`)."""
    now = now or utcnow()
    normalised = parse_code(code)
    if idempotency_key is None:
        seller = await get_merchant(conn, merchant_code)
    else:
        # The key's voucher, if it used one, read with the merchant: one statement.
        seller, used_by_key = await get_merchant_with(
            conn,
            merchant_code,
            select(voucher.c.code)
            .where(voucher.c.consume_key == idempotency_key)
            .scalar_subquery(),
        )
        if used_by_key is not None and used_by_key != normalised:
            raise ConsumeKeyReused()
    current = await lock_voucher(conn, code=normalised)
    verdict, message = _verdict(current, merchant_code, now)
    if verdict is Verdict.NOT_YOURS:
        raise VoucherNotYours(message, reward=current.reward_name, merchant=current.merchant_name)
    if verdict is Verdict.USED:
        same_key = idempotency_key is not None and current.consume_key == idempotency_key
        if same_key and current.closed_by == scanner and current.settle_entry_id is not None:
            return Consumption(
                current,
                current.settle_entry_id,
                replayed=True,
                message=_(
                    "Used (this scanner's retry of {at}, same Idempotency-Key): {name}.",
                    at=_at(current.closed_at),
                    name=current.reward_name,
                ),
            )
        raise _already_used(current, scanner, idempotency_key)
    if verdict is Verdict.CANCELLED:
        raise VoucherCancelled(message)
    if verdict is Verdict.EXPIRED:
        raise VoucherExpired(message, valid_until=current.valid_until.isoformat())
    _hold, entry = await ledger.settle_hold(
        conn,
        hold_id=current.hold_id,
        to_account_id=seller.account_id,
        idempotency_key=f"voucher:{current.code}:used",
        actor=scanner,
        kind=CONSUME_KIND,
        memo=f"兑换 {current.reward_name} · {seller.name}（券 {grouped(current.code)}）",
        now=now,
    )
    try:
        used = await conn.execute(
            update(voucher)
            .where(voucher.c.id == current.id, voucher.c.status == VoucherStatus.ISSUED)
            .values(
                status=VoucherStatus.USED,
                closed_at=now,
                closed_by=scanner,
                settle_entry_id=entry.id,
                consume_key=idempotency_key,
            )
        )
    except IntegrityError as error:
        if constraint_name(error, metadata) == "uq_voucher_consume_key":
            raise ConsumeRace(idempotency_key) from error
        raise
    if used.rowcount != 1:  # pragma: no cover - the row lock makes this unreachable
        raise VoucherNotUsable(
            _("Voucher {code} was closed meanwhile.", code=grouped(current.code))
        )
    observe.voucher_consumed(merchant_code)
    # The voucher as the update left it, from the locked row and what was written: no read-back.
    done = replace(
        current,
        status=VoucherStatus.USED,
        closed_at=now.astimezone(UTC),
        closed_by=scanner,
        settle_entry_id=entry.id,
        consume_key=idempotency_key,
    )
    return Consumption(
        done,
        entry.id,
        replayed=False,
        message=_(
            "Used: hand over {name}. {points} points go to {merchant}.",
            name=done.reward_name,
            points=done.points,
            merchant=seller.name,
        ),
    )
