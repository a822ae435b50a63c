"""The e-mail channel's recurring job: read the counselling mailbox into the consultation
queue (bot/mail/replies.py sends the curators' answers)."""

from __future__ import annotations

import logging
import smtplib

from bot.clock import aware, now
from bot.db.mail_models import MailThread
from bot.db.unit_of_work import after_commit, unit_of_work
from bot.handlers.consultation.delivery import relay_student_message
from bot.handlers.consultation.notices import announce
from bot.mail import intake, transport
from bot.mail.message import Ignored, Incoming, parse
from bot.mail.replies import send_survey
from bot.scheduler import Planner, job_context
from bot.scheduler.context import JobContext
from bot.services.consultations import Status

log = logging.getLogger(__name__)

JOB_ID = "mail-poll"


def schedule_mail_poll(planner: Planner) -> None:
    """Read the mailbox every IMAP_POLL_EVERY seconds when the channel is configured."""
    settings = planner.settings
    if not settings.mail_enabled:
        planner.cancel(JOB_ID)
        return
    planner.scheduler.add_job(
        poll_mailbox, "interval", seconds=settings.imap_poll_every, id=JOB_ID, replace_existing=True
    )


async def poll_mailbox() -> int:
    """Job: take every unread e-mail in; returns how many became consultation messages.

    A mail is marked read only after its consultation is committed, so a crash in between
    reads it again rather than losing it. Automatic mail and empty mail are marked read and
    otherwise ignored: nothing is ever sent back to a machine.
    """
    ctx = job_context()
    if ctx is None or not ctx.settings.mail_enabled:
        return 0
    try:
        unread = await transport.fetch_unseen(ctx.settings)
    except (OSError, transport.imaplib.IMAP4.error) as exc:
        log.warning("mailbox not read: %s", exc)
        return 0
    taken = 0
    for uid, raw in unread:
        incoming = parse(raw, ctx.settings.mail_max_attachment)
        if isinstance(incoming, Ignored):
            log.info("mail %s ignored: %s", uid, incoming.reason)
        else:
            await _take_in(ctx, incoming)
            taken += 1
        try:
            await transport.mark_seen(ctx.settings, [uid])
        except (OSError, transport.imaplib.IMAP4.error) as exc:
            log.warning("mail %s not marked read: %s", uid, exc)
    await _send_due_surveys(ctx)
    return taken


async def _send_due_surveys(ctx: JobContext) -> int:
    """The follow-up survey of closed e-mail consultations, SURVEY_DELAY after closing, as a
    link-free e-mail answered with a number 1–5. Claimed in the store first: sent once."""
    async with ctx.session_factory() as session, session.begin():
        due = await intake.claim_due_surveys(session, ctx.settings.survey_delay)
    sent = 0
    for thread, language in due:
        try:
            message_id = await send_survey(ctx.settings, ctx.i18n, thread, language)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("survey of consultation %s not sent: %s", thread.consultation_id, exc)
            continue
        async with ctx.session_factory() as session, session.begin():
            fresh = await session.get(MailThread, thread.id)
            if fresh is not None:
                fresh.message_ids = [*fresh.message_ids, message_id]
        sent += 1
    return sent


async def _take_in(ctx: JobContext, incoming: Incoming) -> None:
    """One transaction: the consultation (or follow-up) and the Telegram messages it owes
    curators (through the outbox); the SLA timer starts after the commit."""
    await ctx.roles.refresh()
    # Cards and relayed messages are rendered in each curator's language.
    with ctx.i18n.context():
        async with unit_of_work(ctx.session_factory) as session:
            result = await intake.take_in(session, incoming, ctx.settings.default_language)
            consultation = result.consultation
            if result.new:
                await announce(session, ctx.i18n, ctx.settings, ctx.roles, consultation)
                opened_at = aware(consultation.created_at) or now()
                planner = ctx.planner
                case = consultation.id
                after_commit(session, lambda: planner.unclaimed(case, opened_at))
            elif (
                result.message is not None
                and consultation.status == Status.ACTIVE.value
                and consultation.curator_id
            ):
                await relay_student_message(
                    session,
                    consultation,
                    result.message,
                    consultation.curator_id,
                    consultation.language,
                )
