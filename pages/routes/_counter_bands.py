"""The counter's verdict band: what the cashier sees after a scan, decided by the use case's
answer alone.

Invariants: a band is green (``yes``) only for a voucher the verify use case called valid for
this merchant, or for a consume the use case did (a retry with the same key included); every
refusal is red (``no``: already used, not this merchant's, unknown code) or orange (``warn``:
expired, cancelled, a paused scanner); the page itself draws grey (``off``: do not hand over)
when no answer came. Every band has an icon shape and words, never colour alone; holders'
names are masked, times are China Standard Time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import db
import rewards
from api.routes.rewards import mask_name
from i18n import Message, _

VERDICTS: dict[rewards.Verdict, tuple[str, Message]] = {
    rewards.Verdict.VALID: ("yes", _("Can be exchanged")),
    rewards.Verdict.USED: ("no", _("Already used")),
    rewards.Verdict.EXPIRED: ("warn", _("Expired")),
    rewards.Verdict.CANCELLED: ("warn", _("Cancelled")),
    rewards.Verdict.NOT_YOURS: ("no", _("Not this merchant's voucher")),
}
REFUSALS: dict[str, tuple[str, str, Message]] = {
    "voucher_already_used": ("used", "no", _("Already used")),
    "voucher_not_yours": ("not_yours", "no", _("Not this merchant's voucher")),
    "voucher_expired": ("expired", "warn", _("Expired")),
    "voucher_cancelled": ("cancelled", "warn", _("Cancelled")),
    "voucher_not_found": ("unknown", "no", _("No such voucher")),
    "voucher_code_invalid": ("unknown", "no", _("Not a voucher code")),
    "too_many_invalid_codes": ("paused", "warn", _("Scanning paused")),
}


@dataclass(frozen=True, slots=True)
class Band:
    """One verdict: ``verdict`` (valid, used, expired, cancelled, not_yours, unknown, paused,
    done, refused), ``tone`` (yes, no, warn), a headline and the use case's own sentence."""

    verdict: str
    tone: str
    headline: str | Message
    said: str | Message
    reward: str | None = None
    holder: str | None = None
    points: int | None = None
    code: str | None = None
    used_at: datetime | None = None
    used_by: str | None = None
    consume_code: str | None = None
    replayed: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def verified(scan: rewards.Scan) -> Band:
    """The band of a verify's answer; a valid voucher's band offers the hand-over."""
    voucher = scan.voucher
    tone, headline = VERDICTS[scan.verdict]
    used = scan.verdict is rewards.Verdict.USED
    return Band(
        verdict=scan.verdict.value,
        tone=tone,
        headline=headline,
        said=scan.message,
        reward=voucher.reward_name,
        holder=mask_name(voucher.holder_name),
        points=voucher.points,
        code=rewards.grouped(voucher.code),
        used_at=voucher.closed_at if used else None,
        used_by=rewards.scanner_label(voucher.closed_by) if used and voucher.closed_by else None,
        consume_code=voucher.code if scan.verdict is rewards.Verdict.VALID else None,
    )


def consumed(done: rewards.Consumption) -> Band:
    """The band of a consume the use case did (or answered again, for the same key)."""
    voucher = done.voucher
    return Band(
        verdict="done",
        tone="yes",
        headline=_("Hand it over"),
        said=done.message,
        reward=voucher.reward_name,
        holder=mask_name(voucher.holder_name),
        points=voucher.points,
        code=rewards.grouped(voucher.code),
        used_at=voucher.closed_at,
        replayed=done.replayed,
    )


def refused(error: db.DomainError) -> Band:
    """The band of a refusal: red or orange, with the use case's sentence."""
    verdict, tone, headline = REFUSALS.get(error.code, ("refused", "no", _("Cannot be exchanged")))
    used_at: datetime | None = None
    iso = error.figures.get("used_at_iso")
    if isinstance(iso, str):
        used_at = datetime.fromisoformat(iso)
    by = error.figures.get("used_by")
    return Band(
        verdict=verdict,
        tone=tone,
        headline=headline,
        said=error.message,
        used_at=used_at,
        used_by=by if isinstance(by, str) else None,
    )


__all__ = ["Band", "consumed", "refused", "verified"]
