"""The whole schema alembic compares against: every package's tables, registered on one
metadata when the package is imported (each exports its table objects)."""

import access
import community
import council
import ledger
import rewards
from db import metadata

PACKAGES = (access, community, council, ledger, rewards)

__all__ = ["PACKAGES", "metadata"]
