"""The case reports' period figures as CSV (served by admin/views_reports.py): the one
`PeriodFigures` the page shows, one row per service and label with every 0 written out, so
every download for the same services and profile has the same rows whatever the period.
Counts, service slugs and names, Tact's labels and the period's dates: nothing about a person.

A cell a spreadsheet would take for a formula (one starting =, +, -, @, a tab or a carriage
return) gets a leading apostrophe: the labels are Tact's own, but a service's name is typed
in by an administrator.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from casework.reports import PeriodFigures

HEADER = ("period_from", "period_to", "table", "service", "service_name", "category", "count")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text, never as a formula to evaluate."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def csv_rows(figures: PeriodFigures) -> list[tuple[str, ...]]:
    """The header, then the decisions and the cases opened, each by service then label, in
    the page's order."""
    names = dict(figures.services)
    period = (figures.first.isoformat(), figures.last.isoformat())
    tables = (("decisions", figures.decisions), ("cases_opened", figures.opened))
    return [
        HEADER,
        *(
            tuple(inert(cell) for cell in (*period, table, c.service, names[c.service],
                                            c.category, str(c.count)))
            for table, counts in tables
            for c in counts
        ),
    ]  # fmt: skip


def csv_text(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)  # RFC 4180: CRLF line ends, quoted where needed
    return out.getvalue()


def csv_filename(first: dt.date, last: dt.date) -> str:
    return f"tact-case-reports-{first.isoformat()}-to-{last.isoformat()}.csv"
