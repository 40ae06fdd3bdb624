"""Rewards exchange: catalog, quotas, redemptions, vouchers and ballots (see the rewards issue).

Uses the ledger through its public API only; nothing is built here yet.
"""

__all__: list[str] = []
