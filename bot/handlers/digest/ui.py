"""The text of the weekly digest, in the admin's language."""

from __future__ import annotations

import html
from datetime import timedelta

from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.services.digest import (
    CONFLICT,
    DISCRIMINATION,
    DOWN,
    INCIDENTS,
    K_ANONYMITY,
    UP,
    Digest,
    Trend,
)

ARROWS = {UP: "⬆️", DOWN: "⬇️"}


def _trend(trend: Trend, language: str) -> str:
    arrow = ARROWS.get(trend.direction, "➡️")
    return _("{arrow} {week} (usually {average} a week)").format(
        arrow=arrow,
        week=trend.week,
        average=format_decimal(round(trend.average, 1), locale=language),
    )


def digest_text(digest: Digest, language: str) -> str:
    """The whole digest: signals with trends, faculties (k-anonymous), topics, new words."""
    sunday = digest.week + timedelta(days=6)
    lines = [
        _("📊 <b>Weekly digest</b>, {start} – {end}").format(
            start=format_date(digest.week, "d MMM", locale=language),
            end=format_date(sunday, "d MMM y", locale=language),
        ),
        _("This week against the average of the eight weeks before."),
        "",
        _("🚨 Incident reports: {trend}").format(trend=_trend(digest.signals[INCIDENTS], language)),
        _("⚖️ Discrimination consultations: {trend}").format(
            trend=_trend(digest.signals[DISCRIMINATION], language)
        ),
        _("🤝 Conflict consultations: {trend}").format(
            trend=_trend(digest.signals[CONFLICT], language)
        ),
    ]
    if digest.faculties or digest.hidden_faculties:
        lines += ["", _("<b>By faculty</b> (all three together):")]
        for faculty in digest.faculties:
            lines.append(f"• {html.escape(faculty.faculty)}: {_trend(faculty.trend, language)}")
        if digest.hidden_faculties:
            lines.append(
                _(
                    "Faculties not shown, fewer than {k} students behind their figures: {count}."
                ).format(k=K_ANONYMITY, count=digest.hidden_faculties)
            )
    lines += ["", _("<b>Asked most</b>:")]
    if digest.topics:
        for topic in digest.topics:
            lines.append(
                f"• {html.escape(topic.question.get(language) or topic.slug)} — {topic.count}"
            )
    else:
        lines.append(_("No answered questions this week."))
    lines += ["", _("<b>New words in unanswered questions</b>:")]
    if digest.new_words:
        lines.append(
            ", ".join(f"{html.escape(word)} ({count})" for word, count in digest.new_words)
        )
    else:
        lines.append(_("None this week."))
    lines += ["", _("Details: /stats and /unanswered.")]
    return "\n".join(lines)
