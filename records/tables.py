"""Every table of the case database, in one import: `records.models` and the table modules
added beside it (workflow, retention, sign-in). Alembic, the schema test and the test
fixtures import `metadata` from here, so a table module that is not listed here is a table
no migration knows about.
"""

from __future__ import annotations

from records.models import Base

# Table modules add their classes to Base.metadata when imported; list each one here.
import records.case_steps  # noqa: F401, E402  (the case timeline and its deadlines)
import records.contacts  # noqa: F401, E402  (recorded contacts and their screening)
import records.retention_tables  # noqa: F401, E402  (holds, progress, certificates)
import records.sign_in  # noqa: F401, E402  (admin panel passwords)

metadata = Base.metadata

__all__ = ["metadata"]
