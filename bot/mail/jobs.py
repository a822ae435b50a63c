"""The e-mail channel's recurring job: read the counselling mailbox into the consultation
queue (bot/mail/replies.py sends the curators' answers)."""

from __future__ import annotations

import logging

from bot.handlers.consultation.notices import announce, relay_to_curator
from bot.mail import intake, transport
from bot.mail.message import Ignored, parse
from bot.scheduler import Planner, job_context
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
            async with ctx.session_factory() as session, session.begin():
                result = await intake.take_in(session, incoming, ctx.settings.default_language)
            taken += 1
            # Cards and relayed messages are rendered in each curator's language.
            with ctx.i18n.context():
                async with ctx.session_factory() as session, session.begin():
                    consultation = result.consultation
                    if result.new:
                        await ctx.roles.refresh()
                        await announce(
                            ctx.bot, session, ctx.i18n, ctx.settings, ctx.roles, consultation
                        )
                    elif consultation.status == Status.ACTIVE.value and consultation.curator_id:
                        await relay_to_curator(
                            ctx.bot,
                            session,
                            consultation,
                            result.message,
                            consultation.curator_id,
                        )
        try:
            await transport.mark_seen(ctx.settings, [uid])
        except (OSError, transport.imaplib.IMAP4.error) as exc:
            log.warning("mail %s not marked read: %s", uid, exc)
    return taken
