"""The chart of a pulse survey's results: one bar per question shown (k-anonymous), split by
answer value in percent. Headless matplotlib (object API only), the size of the report charts."""

from __future__ import annotations

import io

from bot.charts.render import DPI, HEIGHT_PX, PALETTE, RATING_COLOURS, WIDTH_PX
from bot.services.pulse import LIKERT
from bot.services.pulse_results import Results


def results_png(report: Results, language: str, title: str, percent: str) -> tuple[bytes, int]:
    """The PNG and its series count (answer values drawn); shown questions only."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    shown = report.shown
    labels = [
        f"{item.question.position + 1}. {_short(item.question.text.get(language, ''))}"
        for item in shown
    ]
    y = list(range(len(shown)))
    left = [0.0] * len(shown)
    widest = max((len(item.question.values()) for item in shown), default=0)
    for index in range(widest):
        value = index + 1
        shares = []
        for item in shown:
            total = item.respondents or 1
            shares.append(100 * item.counts.get(value, 0) / total)
        colour = (
            RATING_COLOURS[value]
            if shown and all(i.question.kind == LIKERT for i in shown)
            else PALETTE[index % len(PALETTE)]
        )
        ax.barh(y, shares, left=left, color=colour, label=str(value))
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(percent)
    if widest:
        ax.legend(loc="lower right", fontsize="small", ncols=widest)
    fig.suptitle(title)
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Title": title, "Description": f"series={widest}", "Software": "Kelisim"},
    )
    return buffer.getvalue(), widest


def _short(text: str, limit: int = 45) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
