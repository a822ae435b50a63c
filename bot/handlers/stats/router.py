"""/stats for admins: the consultation report in the admin's language."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.charts.album import draw_report_charts, send_charts
from bot.db.models import utcnow
from bot.handlers.common import refuse_non_admin
from bot.handlers.consultation.texts import area_label, duration_text
from bot.handlers.context import Ctx
from bot.handlers.curator_assist.ui import assist_stats_block
from bot.handlers.filters import HasRole
from bot.handlers.learning_stats import learning_stats_text
from bot.services.curator_assist import sends_per_entry
from bot.services.reports import Report, build_report
from bot.services.roles import ADMIN

DEFAULT_DAYS = 30


def _duration(seconds: float | None, language: str) -> str:
    return "—" if seconds is None else duration_text(seconds, language)


def render_report(report: Report, days: int, language: str) -> str:
    t = report.total
    lines = [
        "<b>" + _("Consultations in the last {days} days").format(days=days) + "</b>",
        _("Opened {opened}, taken {taken}, closed {closed}, cancelled {cancelled}.").format(
            opened=t.opened, taken=t.taken, closed=t.closed, cancelled=t.cancelled
        ),
    ]
    if report.by_area:
        lines += ["", "<b>" + _("By area (opened / taken / closed)") + "</b>"]
        for area, c in sorted(report.by_area.items()):
            lines.append(f"{area_label(area)}: {c.opened} / {c.taken} / {c.closed}")
    urgent = report.by_urgency.get("urgent")
    if urgent is not None:
        lines.append(
            "🚨 "
            + _("Urgent: {opened} / {taken} / {closed}").format(
                opened=urgent.opened, taken=urgent.taken, closed=urgent.closed
            )
        )
    lines += [
        "",
        _("First curator reply: median {median}, 90% within {p90}.").format(
            median=_duration(report.first_reply.median, language),
            p90=_duration(report.first_reply.p90, language),
        ),
        _("Resolution: median {median}, 90% within {p90}.").format(
            median=_duration(report.resolution.median, language),
            p90=_duration(report.resolution.p90, language),
        ),
        "",
        _("Surveys: {answered} of {sent} answered, average rating {rating}.").format(
            answered=report.surveys_answered,
            sent=report.surveys_sent,
            rating="—" if report.average_rating is None else f"{report.average_rating:.1f}",
        ),
    ]
    for score in report.curators:
        if not (score.closed or score.surveys_sent):
            continue
        lines.append(
            "• "
            + _("curator {id}: closed {closed}, surveys {answered}/{sent}, rating {rating}").format(
                id=f"<code>{score.curator_id}</code>",
                closed=score.closed,
                answered=score.surveys_answered,
                sent=score.surveys_sent,
                rating="—" if score.average_rating is None else f"{score.average_rating:.1f}",
            )
        )
    lines += [
        "",
        _("Conversations: {alone} answered by the bot alone, {handed} handed to a curator.").format(
            alone=report.conversations_bot_alone, handed=report.conversations_handed_to_curator
        ),
    ]
    return "\n".join(lines)


async def show_stats(message: Message, command: CommandObject, ctx: Ctx) -> None:
    arg = (command.args or "").strip()
    days = int(arg) if arg.isdigit() and 0 < int(arg) <= 3650 else DEFAULT_DAYS
    since = utcnow() - timedelta(days=days)
    report = await build_report(ctx.session, since=since)
    # One message: Telegram's limits are handled by the Bot session, which splits long texts.
    learning = await learning_stats_text(ctx.session, days)
    text = render_report(report, days, ctx.language) + "\n\n" + learning
    text += assist_stats_block(await sends_per_entry(ctx.session, since=since))
    await message.answer(text)
    await send_charts(message, await draw_report_charts(ctx.session, since=since))


def register(router: Router) -> None:
    """/stats for admins, a refusal for everyone else (the router filters private chats)."""
    router.message.register(show_stats, Command("stats"), HasRole(ADMIN))
    router.message.register(refuse_non_admin, Command("stats"))
