"""The monthly reminder to admins when knowledge-base entries are past their review date.

A cron job in bot/scheduler.py's persistent job store, on the first of each month in Almaty; a
run missed while the bot was down happens once at the next start. The month is claimed in the
store before anything is sent, so a restart or a second replica never sends it twice.
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError

from bot.handlers.consultation.notices import person_language
from bot.handlers.kb_review.ui import reminder_text
from bot.scheduler import Planner, job_context
from bot.services import kb_review
from bot.services.roles import ADMIN

log = logging.getLogger(__name__)

JOB_ID = "kb-review-reminder"
# When the reminder goes out: the first day of each month, in the morning in Almaty.
DAY = 1
HOUR = 10


def schedule_review_reminder(planner: Planner) -> None:
    """Arm the monthly reminder once; a stored job keeps its next run (and a missed one)."""
    if planner.scheduler.get_job(JOB_ID) is not None:
        return
    planner.scheduler.add_job(
        remind_overdue_entries,
        "cron",
        day=DAY,
        hour=HOUR,
        timezone=kb_review.ALMATY,
        id=JOB_ID,
        replace_existing=True,
    )


async def remind_overdue_entries() -> int:
    """Job: tell every admin how many entries are overdue, once a month, when any is.

    Returns how many admins were told.
    """
    ctx = job_context()
    if ctx is None:
        return 0
    await ctx.roles.refresh()
    today = kb_review.today()
    async with ctx.session_factory() as session, session.begin():
        overdue = kb_review.overdue(await kb_review.review_list(session, today))
        if not overdue:
            return 0
        if not await kb_review.claim_reminder(session, kb_review.month_of(today), len(overdue)):
            return 0
        admins = [
            (admin, await person_language(session, admin, ctx.settings.default_language))
            for admin in sorted(ctx.roles.members(ADMIN))
        ]
    # The month is claimed and committed: only now does anything leave the process.
    told = 0
    for admin, language in admins:
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            text = reminder_text(len(overdue))
        await ctx.pacer.wait()
        try:
            await ctx.bot.send_message(admin, text)
        except TelegramForbiddenError:
            log.info("review reminder: admin %s blocked the bot", admin)
            continue
        except TelegramAPIError as exc:
            log.warning("review reminder to %s not delivered: %s", admin, exc)
            continue
        told += 1
    log.info("review reminder: %d overdue entries, %d admins told", len(overdue), told)
    return told
