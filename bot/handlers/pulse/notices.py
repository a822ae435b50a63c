"""Sending pulse surveys and their one reminder, as scheduled jobs.

One recurring job (every PULSE_POLL_EVERY seconds) sends what is queued — by an admin's
button or by `kelisim pulse send` from another process — and reminds, once, those who have
not finished PULSE_REMIND_AFTER seconds after a survey went out. Recipients are claimed in the
store before their message is sent, so a restart continues without sending anyone twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.clock import aware, now
from bot.db.pulse_models import PulseSurvey
from bot.handlers.pulse.ui import question_keyboard, question_text
from bot.scheduler import Planner, job_context
from bot.scheduler.sending import BLOCKED, SENT, deliver
from bot.services import pulse

log = logging.getLogger(__name__)

JOB_ID = "pulse-dispatch"
NOW_JOB_ID = "pulse-dispatch-now"


def schedule_pulse_dispatch(planner: Planner) -> None:
    """Arm the recurring dispatch (kept in the store; it also continues after a restart)."""
    every = planner.settings.pulse_poll_every
    job = planner.scheduler.get_job(JOB_ID)
    if job is None or getattr(job.trigger, "interval", None) != timedelta(seconds=every):
        planner.scheduler.add_job(
            dispatch_pulses, "interval", seconds=every, id=JOB_ID, replace_existing=True
        )


def dispatch_now(planner: Planner) -> None:
    """Send what is queued right away (call after the commit that queued it)."""
    planner.scheduler.add_job(
        dispatch_pulses, "date", run_date=now(), id=NOW_JOB_ID, replace_existing=True
    )


async def dispatch_pulses() -> int:
    """Job: send queued surveys, then remind where due. Returns how many messages went out."""
    ctx = job_context()
    if ctx is None:
        return 0
    sent = 0
    async with ctx.session_factory() as session:
        queued = await pulse.sending(session)
    for survey_id in queued:
        sent += await _send_survey(survey_id)
    remind_before = now() - timedelta(seconds=ctx.settings.pulse_remind_after)
    async with ctx.session_factory() as session:
        due = (
            await session.scalars(
                select(PulseSurvey.id).where(
                    PulseSurvey.status == pulse.SENT,
                    PulseSurvey.reminded_at.is_(None),
                    PulseSurvey.sent_at <= remind_before,
                )
            )
        ).all()
    for survey_id in due:
        sent += await _remind(survey_id)
    return sent


async def _send_survey(survey_id: int) -> int:
    ctx = job_context()
    assert ctx is not None
    sent = 0
    while True:
        async with ctx.session_factory() as session, session.begin():
            survey = await session.get(PulseSurvey, survey_id)
            if survey is None:
                return sent
            titles = {"kk": survey.title_kk, "ru": survey.title_ru}
            first = (await pulse.questions(session, survey_id))[0]
            batch = await pulse.claim_batch(session, survey_id)
        if not batch:
            log.info("pulse survey %s: sending finished", survey_id)
            return sent
        for recipient in batch:
            language = recipient.language
            with ctx.i18n.context(), ctx.i18n.use_locale(language):
                text = question_text(titles.get(language) or titles["kk"], first, language)
                markup = question_keyboard(first, language)
            outcome = await deliver(ctx, recipient.user_id, text, markup)
            async with ctx.session_factory() as session, session.begin():
                await pulse.record_delivery(
                    session,
                    survey_id,
                    recipient.user_id,
                    pulse.DELIVERED
                    if outcome == SENT
                    else pulse.BLOCKED
                    if outcome == BLOCKED
                    else pulse.FAILED,
                )
            sent += outcome == SENT


async def _remind(survey_id: int) -> int:
    ctx = job_context()
    assert ctx is not None
    async with ctx.session_factory() as session, session.begin():
        survey = await session.get(PulseSurvey, survey_id)
        if survey is None or aware(survey.sent_at) is None:
            return 0
        titles = {"kk": survey.title_kk, "ru": survey.title_ru}
        due = await pulse.claim_reminders(session, survey_id)
    # Claimed and committed: only now does anything leave the process.
    sent = 0
    for recipient, question in due:
        language = recipient.language
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            text = question_text(
                titles.get(language) or titles["kk"], question, language, reminder=True
            )
            markup = question_keyboard(question, language)
        sent += await deliver(ctx, recipient.user_id, text, markup) == SENT
    log.info("pulse survey %s: %d reminders", survey_id, sent)
    return sent
