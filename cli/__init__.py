"""The ``passbook`` command: set-up, demo data, tokens, scoring sheets, reports, benchmarks.

Every command that changes the books calls the same use cases as the API, each in one
transaction (:class:`db.Transactions`)."""

from cli.main import main

__all__ = ["main"]
