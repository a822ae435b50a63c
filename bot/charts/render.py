"""PNG charts of the report, drawn headless with matplotlib's Agg canvas.

Only the object API is used (no pyplot and its global state), so charts can be drawn in a
worker thread while the bot keeps serving updates. Every PNG is the same size and carries its
title and series count in its text metadata, so whoever receives it can check what it shows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.services.report_series import ReportSeries

WIDTH_PX = 1000
HEIGHT_PX = 560
DPI = 100
# The durations a first reply is sorted into, in seconds: (upper bound, label key).
REPLY_BUCKETS: tuple[tuple[float, str], ...] = (
    (15 * 60, "reply_15m"),
    (3600, "reply_1h"),
    (4 * 3600, "reply_4h"),
    (24 * 3600, "reply_1d"),
    (float("inf"), "reply_more"),
)
# Colours that stay apart for readers with the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
RATING_COLOURS = {1: "#D55E00", 2: "#E69F00", 3: "#F0E442", 4: "#56B4E9", 5: "#009E73"}


@dataclass(frozen=True, slots=True)
class ChartTexts:
    """Every word a chart shows, already in the reader's language."""

    per_week_title: str
    first_reply_title: str
    ratings_title: str
    handover_title: str
    unanswered_title: str
    consultations: str
    answers: str
    times_asked: str
    week: str
    bot_alone: str
    handed: str
    rating: str  # "{rating}" placeholder: the legend label of one rating value
    reply_buckets: dict[str, str]
    areas: dict[str, str]


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # a file-name stem: consultations_per_week, ...
    title: str
    png: bytes
    series: int


def render_charts(series: ReportSeries, texts: ChartTexts) -> list[Chart]:
    """The charts that have something to show, in reading order."""
    drawers: list[Callable[[ReportSeries, ChartTexts], Chart | None]] = [
        _per_week,
        _first_reply,
        _ratings,
        _handover,
        _unanswered,
    ]
    return [chart for draw in drawers if (chart := draw(series, texts)) is not None]


# ----- the five charts ----------------------------------------------------------------------


def _per_week(series: ReportSeries, texts: ChartTexts) -> Chart | None:
    if not any(sum(counts) for counts in series.opened_by_area.values()):
        return None
    fig, ax = _figure()
    x = list(range(len(series.weeks)))
    bottom = [0] * len(x)
    drawn = 0
    for n, (area, counts) in enumerate(series.opened_by_area.items()):
        if not sum(counts):
            continue
        ax.bar(
            x,
            counts,
            bottom=bottom,
            label=_plain(texts.areas.get(area, area)),
            color=PALETTE[n % len(PALETTE)],
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        drawn += 1
    _week_axis(ax, series.weeks, texts)
    ax.set_ylabel(texts.consultations)
    _integer_axis(ax.yaxis)
    ax.legend(loc="upper left", fontsize="small")
    return _finish(fig, "consultations_per_week", texts.per_week_title, drawn)


def _first_reply(series: ReportSeries, texts: ChartTexts) -> Chart | None:
    if not series.first_reply_seconds:
        return None
    counts = [0] * len(REPLY_BUCKETS)
    for seconds in series.first_reply_seconds:
        counts[next(i for i, (bound, _) in enumerate(REPLY_BUCKETS) if seconds <= bound)] += 1
    fig, ax = _figure()
    labels = [texts.reply_buckets[key] for _, key in REPLY_BUCKETS]
    bars = ax.bar(range(len(labels)), counts, color=PALETTE[0])
    ax.bar_label(bars)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel(texts.consultations)
    _integer_axis(ax.yaxis)
    return _finish(fig, "time_to_first_reply", texts.first_reply_title, 1)


def _ratings(series: ReportSeries, texts: ChartTexts) -> Chart | None:
    curators = series.curator_ratings
    if not curators:
        return None
    fig, ax = _figure()
    names = [c.name or str(c.curator_id) for c in curators]
    y = list(range(len(curators)))
    left = [0] * len(curators)
    drawn = 0
    for rating in range(1, 6):
        counts = [c.counts.get(rating, 0) for c in curators]
        if not sum(counts):
            continue
        ax.barh(
            y,
            counts,
            left=left,
            label=texts.rating.format(rating=rating),
            color=RATING_COLOURS[rating],
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
        drawn += 1
    ax.set_yticks(y, [_short(name, 28) for name in names])
    ax.invert_yaxis()
    ax.set_xlabel(texts.answers)
    _integer_axis(ax.xaxis)
    ax.legend(loc="lower right", fontsize="small")
    return _finish(fig, "ratings_by_curator", texts.ratings_title, drawn)


def _handover(series: ReportSeries, texts: ChartTexts) -> Chart | None:
    if not (sum(series.bot_alone) or sum(series.handed_to_curator)):
        return None
    fig, ax = _figure()
    x = list(range(len(series.weeks)))
    width = 0.4
    ax.bar(
        [i - width / 2 for i in x], series.bot_alone, width, label=texts.bot_alone, color=PALETTE[2]
    )
    ax.bar(
        [i + width / 2 for i in x],
        series.handed_to_curator,
        width,
        label=texts.handed,
        color=PALETTE[1],
    )
    _week_axis(ax, series.weeks, texts)
    _integer_axis(ax.yaxis)
    ax.legend(loc="upper left", fontsize="small")
    return _finish(fig, "answered_vs_handed_over", texts.handover_title, 2)


def _unanswered(series: ReportSeries, texts: ChartTexts) -> Chart | None:
    topics = series.unanswered_topics
    if not topics:
        return None
    fig, ax = _figure()
    y = list(range(len(topics)))
    bars = ax.barh(y, [count for _, count in topics], color=PALETTE[3])
    ax.bar_label(bars)
    ax.set_yticks(y, [_short(text, 48) for text, _ in topics])
    ax.invert_yaxis()
    ax.set_xlabel(texts.times_asked)
    _integer_axis(ax.xaxis)
    return _finish(fig, "top_unanswered_topics", texts.unanswered_title, 1)


# ----- drawing helpers ----------------------------------------------------------------------


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(axis="both", alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def _finish(fig: Any, name: str, title: str, series: int) -> Chart:
    fig.suptitle(title)
    buffer = io.BytesIO()
    # No bbox_inches="tight": every chart keeps the same pixel size.
    fig.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Title": title, "Description": f"series={series}", "Software": "Kelisim"},
    )
    return Chart(name=name, title=title, png=buffer.getvalue(), series=series)


def _week_axis(ax: Any, weeks: Sequence[date], texts: ChartTexts) -> None:
    step = max(1, len(weeks) // 13)
    ticks = list(range(0, len(weeks), step))
    ax.set_xticks(ticks, [weeks[i].strftime("%d.%m") for i in ticks])
    ax.set_xlabel(texts.week)


def _integer_axis(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _plain(label: str) -> str:
    """A label without its leading emoji, which the chart font cannot draw."""
    return re.sub(r"^\W+", "", label).strip() or label


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
