"""Every table of the case database, in one import: `records.models` and the table modules
added beside it (workflow, retention, sign-in). Alembic, the schema test and the test
fixtures import `metadata` from here, so a table module that is not listed here is a table
no migration knows about.
"""

from __future__ import annotations

# Table modules add their classes to Base.metadata when imported; list each one here.
from records import (
    case_steps,  # the case timeline and the records of each step
    contacts,  # recorded contacts and their screening
    retention_tables,  # holds, retention progress, certificates
    sign_in,  # admin panel passwords and lock-out
)
from records.models import Base

metadata = Base.metadata

__all__ = ["case_steps", "contacts", "metadata", "retention_tables", "sign_in"]
