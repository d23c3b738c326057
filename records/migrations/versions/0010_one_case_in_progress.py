"""One case in progress per customer and service: a partial unique index on cases
(customer_id, service_id) over the states in which a case is running the policy (open, warned,
referred, in assessment, decided).

`openCase` refuses a customer who has such a case (docs/workflow.md); the index makes the
refusal hold when two officers open a case for them at the same moment. Both SQLite and
PostgreSQL support partial indexes.

A database that already holds two such cases for one customer in one service cannot take the
index: the upgrade stops before changing anything and names the cases by reference (office
references, never personal data), so the service can close the one opened in error or record
its concerns on the other, and upgrade again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_PROGRESS = "state IN ('open', 'warned', 'referred', 'in_assessment', 'decided')"
_INDEX = "uq_cases_customer_service_in_progress"


def upgrade() -> None:
    clashing = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT reference FROM cases WHERE {_IN_PROGRESS} AND (customer_id, service_id) "
                f"IN (SELECT customer_id, service_id FROM cases WHERE {_IN_PROGRESS} "
                "GROUP BY customer_id, service_id HAVING count(*) > 1) ORDER BY reference"
            )
        )
        .scalars()
        .all()
    )
    if clashing:
        raise RuntimeError(
            "these cases are in progress for the same customer in the same service; close "
            "all but one of each customer's (closeNoAction), then upgrade again: "
            + ", ".join(clashing)
        )
    where = sa.text(_IN_PROGRESS)
    op.create_index(
        _INDEX,
        "cases",
        ["customer_id", "service_id"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="cases")
