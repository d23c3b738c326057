"""Charts of the panel, drawn as SVG on the server: access over time for IG officers (entries
per day by operation and by outcome, denials and break-glass openings, counted in SQL here)
and the case reports' bars (admin/views_reports.py, counted in casework/reports.py).

The SVG is written by hand (a few rectangles, lines and labels): a plotting library would
bring a large dependency for four bar charts, and hand-written markup needs no script in the
browser. Every text in it is an operation or outcome name, a date or a count, never data
about a person, and it is escaped all the same.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.days import uk_days, uk_period_index
from records.models import AccessLogEntry

PALETTE = (
    "#206bc4",
    "#2fb344",
    "#f59f00",
    "#d63939",
    "#ae3ec9",
    "#0ca678",
    "#4263eb",
    "#f76707",
    "#74b816",
    "#1098ad",
    "#e64980",
    "#868e96",
)
_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP = 900, 260, 48, 40, 12
K = TypeVar("K", dt.date, str)


@dataclass(frozen=True)
class DailyCounts:
    """Counts per day for each series (an operation, an outcome, ...), over `days`."""

    days: tuple[dt.date, ...]
    series: dict[str, dict[dt.date, int]]

    def total(self) -> int:
        return sum(sum(per_day.values()) for per_day in self.series.values())


async def daily_counts(
    session: AsyncSession, today: dt.date, days: int
) -> tuple[DailyCounts, DailyCounts]:
    """(by operation, by outcome) for the `days` UK days up to and including `today`."""
    first = today - dt.timedelta(days=days - 1)
    span = tuple(first + dt.timedelta(days=i) for i in range(days))
    since, until = uk_days(first, today)
    day = uk_period_index(AccessLogEntry.at, span).label("day")
    rows = (
        await session.execute(
            select(day, AccessLogEntry.operation, AccessLogEntry.outcome, func.count())
            .where(AccessLogEntry.at >= since, AccessLogEntry.at < until)
            .group_by("day", AccessLogEntry.operation, AccessLogEntry.outcome)
        )
    ).all()
    by_operation: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    by_outcome: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for index, operation, outcome, count in rows:
        on = span[index]
        by_operation[operation][on] += count
        by_outcome[outcome][on] += count
    return DailyCounts(span, dict(by_operation)), DailyCounts(span, dict(by_outcome))


def only(counts: DailyCounts, *names: str) -> DailyCounts:
    return DailyCounts(counts.days, {n: counts.series[n] for n in names if n in counts.series})


def stacked_bars(counts: DailyCounts, label: str) -> Markup:
    """One bar per day, stacked by series, with a legend and a y axis."""
    names = {d: d.strftime("%d %b") for d in counts.days}
    return bars(list(counts.days), names, counts.series, label, every=5)


def bars(
    columns: Sequence[K],
    names: Mapping[K, str],
    series: Mapping[str, Mapping[K, int]],
    label: str,
    *,
    every: int = 1,
) -> Markup:
    """One bar per column (a day, a month, a state...), stacked by series, with a legend and
    a y axis; every `every`-th column is named under its bar."""
    keys = sorted(series)
    totals: list[int] = [sum(series[n].get(c, 0) for n in keys) for c in columns]
    peak = max([*totals, 1])
    plot_w, plot_h = _WIDTH - _LEFT - 10, _HEIGHT - _BOTTOM - _TOP
    slot = plot_w / max(len(columns), 1)
    base = _TOP + plot_h
    named, drop = _column_names([names[c] for c in columns], slot, base, every)
    height = _HEIGHT + drop + 24 * ((len(keys) + 5) // 6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}"'
        f' role="img" aria-label="{escape(label)}" class="tact-chart" width="100%">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{_LEFT}" y1="{base}" x2="{_WIDTH - 10}" y2="{base}" stroke="#888"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 10}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, column in enumerate(columns):
        y = float(base)
        for n, name in enumerate(keys):
            value = series[name].get(column, 0)
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{_LEFT + i * slot + 1:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{escape(names[column])} {escape(name)}: {value}</title></rect>"
            )
    parts.extend(named)
    for n, name in enumerate(keys):
        x, y = _LEFT + (n % 6) * 140, _HEIGHT + drop + 4 + 24 * (n // 6)
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="11">{escape(name)}</text>'
        )
    if not keys:
        parts.append(
            f'<text x="{_WIDTH / 2}" y="{_TOP + plot_h / 2}" text-anchor="middle" '
            'font-size="13" fill="#666">No entries in this period</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (built from escaped names, dates and numbers)


def _column_names(names: list[str], slot: float, base: float, every: int) -> tuple[list[str], int]:
    """The names under the bars (every `every`-th and the last), and how much taller the
    chart must be for them: names too wide for their slot are tilted."""
    shown = [(i, n) for i, n in enumerate(names) if i % every == 0 or i == len(names) - 1]
    widest = max((len(n) for _, n in shown), default=0) * 6  # px at font-size 10, roughly
    tilted = widest > slot * every
    parts = []
    for i, name in shown:
        x, y = _LEFT + i * slot + slot / 2, base + 16
        turn = f' transform="rotate(-40 {x:.1f} {y - 6:.1f})"' if tilted else ""
        anchor = "end" if tilted else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" font-size="10"{turn}>'
            f"{escape(name)}</text>"
        )
    return parts, int(widest * 0.65) if tilted else 0
