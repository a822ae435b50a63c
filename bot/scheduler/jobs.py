"""Scheduled jobs of consultations: the follow-up survey, its reminder and expiry, and the
SLA nudges. Module-level coroutines taking ids only (APScheduler pickles references and
arguments); each claims its row with a guarded UPDATE before sending, so it is never sent
twice. What a message says comes from the notices port."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware
from bot.db.models import utcnow
from bot.db.unit_of_work import after_commit, unit_of_work
from bot.outbox.hooks import Delivery as Delivered
from bot.outbox.hooks import HookContext, hook
from bot.outbox.queue import enqueue
from bot.scheduler.context import JobContext, scheduled_job
from bot.scheduler.sending import notify
from bot.services import consultations, surveys
from bot.services.consultations import EventKind, Status
from bot.services.roles import ADMIN, curators_to_notify
from bot.services.users import person_language

log = logging.getLogger(__name__)


SURVEY_DELIVERED = "survey.delivered"
SURVEY_UNDELIVERED = "survey.undelivered"


async def _owe_survey(
    ctx: JobContext, session: AsyncSession, delivery: surveys.Delivery, reminder: bool
) -> None:
    """Owe the survey (or its reminder) to the student, in the claim's transaction."""
    with ctx.i18n.context(), ctx.i18n.use_locale(delivery.language):
        notice = ctx.notices.survey(delivery.consultation_id, delivery.survey_id, reminder=reminder)
    await enqueue(
        session,
        SendMessage(chat_id=delivery.student_id, text=notice.text, reply_markup=notice.markup),
        key=f"survey:{delivery.survey_id}:{'reminder' if reminder else 'survey'}",
        on_sent=SURVEY_DELIVERED,
        on_dead=SURVEY_UNDELIVERED,
        args={"survey": delivery.survey_id, "reminder": reminder},
    )


@hook(SURVEY_DELIVERED)
async def survey_delivered(
    ctx: HookContext, session: AsyncSession, sent: Delivered, args: dict[str, Any]
) -> None:
    """Counted for the curator; the next step counts from this delivery, not from the plan,
    so a bot that was down never sends a survey and its reminder together."""
    survey_id = int(args["survey"])
    await surveys.record_delivered(session, survey_id, reminder=bool(args["reminder"]))
    if ctx.planner is None:
        return
    planner = ctx.planner
    when = aware(sent.at) + timedelta(seconds=ctx.settings.survey_delay)
    if args["reminder"]:
        after_commit(session, lambda: planner.survey_expiry(survey_id, when))
    else:
        after_commit(session, lambda: planner.survey_reminder(survey_id, when))


@hook(SURVEY_UNDELIVERED)
async def survey_undelivered(
    ctx: HookContext, session: AsyncSession, sent: Delivered, args: dict[str, Any]
) -> None:
    log.info("survey %s not delivered: %s", args["survey"], sent.error)
    if (sent.error or "").startswith("chat gone") and not args["reminder"]:
        await surveys.mark_undeliverable(session, int(args["survey"]), sent.chat_id)


@scheduled_job
async def send_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: the follow-up survey, SURVEY_DELAY after the consultation closed."""
    async with unit_of_work(ctx.session_factory) as session:
        delivery = await surveys.claim_for_sending(session, survey_id)
        if delivery is not None:
            await _owe_survey(ctx, session, delivery, reminder=False)


@scheduled_job
async def remind_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: one reminder for an unanswered survey; it expires SURVEY_DELAY after the reminder
    is delivered (or after now, when there is nothing to remind)."""
    async with unit_of_work(ctx.session_factory) as session:
        delivery = await surveys.claim_for_reminder(session, survey_id)
        if delivery is not None:
            await _owe_survey(ctx, session, delivery, reminder=True)
    if delivery is None:
        ctx.planner.survey_expiry(
            survey_id, utcnow() + timedelta(seconds=ctx.settings.survey_delay)
        )


@scheduled_job
async def expire_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: an unanswered survey expires."""
    async with ctx.session_factory() as session, session.begin():
        await surveys.expire(session, survey_id)


@scheduled_job
async def nudge_unclaimed(ctx: JobContext, consultation_id: int, level: int) -> None:
    """Job: a consultation still waits for a curator — nudge curators, then tell admins."""
    await ctx.roles.refresh()
    async with unit_of_work(ctx.session_factory) as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None or consultation.status != Status.WAITING:
            return
        waited = (utcnow() - (aware(consultation.created_at) or utcnow())).total_seconds()

        people = (
            curators_to_notify(ctx.roles, consultation.urgent)
            if level == 1
            else ctx.roles.members(ADMIN)
        )
        notices = ctx.notices

        def render() -> str:
            locale = ctx.i18n.current_locale
            return notices.unclaimed(consultation_id, waited, locale, escalated=level > 1).text

        def markup() -> InlineKeyboardMarkup | None:
            locale = ctx.i18n.current_locale
            return notices.unclaimed(consultation_id, waited, locale, escalated=level > 1).markup

        with ctx.i18n.context():
            await notify(session, ctx.i18n, ctx.settings, people, render, markup)
        await consultations.record_event(
            session,
            consultation_id,
            EventKind.SLA_NUDGED if level == 1 else EventKind.SLA_ESCALATED,
        )


@scheduled_job
async def nudge_curator(ctx: JobContext, consultation_id: int) -> None:
    """Job: the assigned curator has not replied for SLA_REMIND_AFTER."""
    async with unit_of_work(ctx.session_factory) as session:
        consultation = await consultations.get(session, consultation_id)
        if (
            consultation is None
            or consultation.status != Status.ACTIVE
            or consultation.awaiting_reply_since is None
            or consultation.curator_id is None
        ):
            return
        since = aware(consultation.awaiting_reply_since) or utcnow()
        waited = (utcnow() - since).total_seconds()
        if waited < ctx.settings.sla_remind_after * 0.9:
            return  # the curator replied and the student wrote again: a newer timer exists
        language = await person_language(
            session, consultation.curator_id, ctx.settings.default_language
        )
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            notice = ctx.notices.reply_overdue(consultation_id, waited, language)
        await enqueue(
            session,
            SendMessage(
                chat_id=consultation.curator_id, text=notice.text, reply_markup=notice.markup
            ),
        )
        await consultations.record_event(
            session, consultation_id, EventKind.REPLY_NUDGED, consultation.curator_id
        )
