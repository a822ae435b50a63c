"""The words on the charts, translated in whatever locale is current."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.charts.render import ChartTexts
from bot.handlers.consultation.texts import AREA_LABELS, area_label


def chart_texts() -> ChartTexts:
    """Chart titles, axes and legends in the current locale."""
    return ChartTexts(
        per_week_title=_("Consultations per week by area"),
        first_reply_title=_("Time to the first curator reply"),
        ratings_title=_("Survey ratings by curator"),
        handover_title=_("Conversations: answered by the bot or handed to a curator"),
        unanswered_title=_("Questions the bot could not answer, most asked"),
        consultations=_("consultations"),
        answers=_("answers"),
        times_asked=_("times asked"),
        week=_("week starting"),
        bot_alone=_("answered by the bot alone"),
        handed=_("handed to a curator"),
        rating=_("rating {rating}"),
        reply_buckets={
            "reply_15m": _("up to 15 min"),
            "reply_1h": _("15–60 min"),
            "reply_4h": _("1–4 h"),
            "reply_1d": _("4–24 h"),
            "reply_more": _("over a day"),
        },
        areas={area: area_label(area) for area in AREA_LABELS},
    )
