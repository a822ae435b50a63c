"""Scheduled jobs of consultations: the follow-up survey, its reminder and expiry, and the
SLA nudges. Module-level coroutines taking ids only (APScheduler pickles references and
arguments); each claims its row with a guarded UPDATE before sending, so it is never sent
twice. What a message says comes from the notices port."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup

from bot.clock import aware
from bot.db.models import utcnow
from bot.scheduler.context import JobContext, scheduled_job
from bot.scheduler.sending import notify, send_once
from bot.services import consultations, surveys
from bot.services.consultations import EventKind, Status
from bot.services.roles import ADMIN, curators_to_notify
from bot.services.users import person_language

log = logging.getLogger(__name__)


async def _deliver_survey(ctx: JobContext, delivery: surveys.Delivery, reminder: bool) -> bool:
    with ctx.i18n.context(), ctx.i18n.use_locale(delivery.language):
        notice = ctx.notices.survey(delivery.consultation_id, delivery.survey_id, reminder=reminder)
    try:
        await send_once(ctx.bot, delivery.student_id, notice.text, notice.markup)
    except TelegramForbiddenError:
        log.info("survey %s: the student blocked the bot", delivery.survey_id)
        async with ctx.session_factory() as session, session.begin():
            await surveys.mark_undeliverable(session, delivery.survey_id, delivery.student_id)
        return False
    except TelegramAPIError as exc:
        log.warning("survey %s not delivered: %s", delivery.survey_id, exc)
        return False
    async with ctx.session_factory() as session, session.begin():
        await surveys.record_delivered(session, delivery.survey_id, reminder=reminder)
    return True


@scheduled_job
async def send_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: the follow-up survey, SURVEY_DELAY after the consultation closed."""
    # Wait for a sending slot first: a burst then holds no connections, and a survey is
    # marked sent only just before it is sent.
    await ctx.pacer.wait()
    async with ctx.session_factory() as session, session.begin():
        delivery = await surveys.claim_for_sending(session, survey_id)
    if delivery is None:
        return
    if await _deliver_survey(ctx, delivery, reminder=False):
        ctx.planner.survey_reminder(
            survey_id, utcnow() + timedelta(seconds=ctx.settings.survey_delay)
        )


@scheduled_job
async def remind_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: one reminder for an unanswered survey; it expires SURVEY_DELAY later."""
    await ctx.pacer.wait()
    async with ctx.session_factory() as session, session.begin():
        delivery = await surveys.claim_for_reminder(session, survey_id)
    if delivery is not None:
        await _deliver_survey(ctx, delivery, reminder=True)
    ctx.planner.survey_expiry(survey_id, utcnow() + timedelta(seconds=ctx.settings.survey_delay))


@scheduled_job
async def expire_survey(ctx: JobContext, survey_id: int) -> None:
    """Job: an unanswered survey expires."""
    async with ctx.session_factory() as session, session.begin():
        await surveys.expire(session, survey_id)


@scheduled_job
async def nudge_unclaimed(ctx: JobContext, consultation_id: int, level: int) -> None:
    """Job: a consultation still waits for a curator — nudge curators, then tell admins."""
    await ctx.roles.refresh()
    async with ctx.session_factory() as session, session.begin():
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
    async with ctx.session_factory() as session, session.begin():
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
        try:
            await ctx.bot.send_message(
                consultation.curator_id, notice.text, reply_markup=notice.markup
            )
        except TelegramAPIError as exc:
            log.info("could not reach curator %s: %s", consultation.curator_id, exc)
        await consultations.record_event(
            session, consultation_id, EventKind.REPLY_NUDGED, consultation.curator_id
        )
