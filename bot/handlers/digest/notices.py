"""The weekly early-warning digest to admins, sent by the scheduler.

A cron job in the persistent job store at DIGEST_AT in DIGEST_TIMEZONE (Monday 09:00 in
Almaty by default); a run missed while the bot was down happens once at the next start. It
covers the last complete week, which is claimed in the store before anything is sent, so a
restart or a second replica never sends it twice.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.clock import now
from bot.handlers.digest.ui import digest_text
from bot.scheduler import Planner, job_context
from bot.scheduler.sending import SENT, deliver
from bot.services import digest
from bot.services.roles import ADMIN
from bot.services.users import person_language

log = logging.getLogger(__name__)

JOB_ID = "weekly-digest"


def schedule_weekly_digest(planner: Planner) -> None:
    """Arm the weekly digest at DIGEST_AT (or remove it when "off"); a stored job with the
    same schedule keeps its next run, a missed one included."""
    settings = planner.settings
    when = digest.parse_schedule(settings.digest_at)
    existing = planner.scheduler.get_job(JOB_ID)
    if when is None:
        if existing is not None:
            planner.cancel(JOB_ID)
        return
    trigger = CronTrigger(
        day_of_week=when.day,
        hour=when.hour,
        minute=when.minute,
        timezone=ZoneInfo(settings.digest_timezone),
    )
    if existing is not None and repr(existing.trigger) == repr(trigger):
        return
    planner.scheduler.add_job(send_weekly_digest, trigger, id=JOB_ID, replace_existing=True)


async def send_weekly_digest() -> int:
    """Job: send every admin the digest of the last complete week, once. Returns how many
    admins received it."""
    ctx = job_context()
    if ctx is None:
        return 0
    await ctx.roles.refresh()
    zone = ZoneInfo(ctx.settings.digest_timezone)
    week = digest.last_complete_week(now(), zone)
    async with ctx.session_factory() as session, session.begin():
        report = await digest.build_digest(session, week, zone)
        if not await digest.claim_week(session, report.key):
            return 0
        admins = [
            (admin, await person_language(session, admin, ctx.settings.default_language))
            for admin in sorted(ctx.roles.members(ADMIN))
        ]
    # The week is claimed and committed: only now does anything leave the process.
    told = 0
    for admin, language in admins:
        with ctx.i18n.context(), ctx.i18n.use_locale(language):
            text = digest_text(report, language)
        if await deliver(ctx, admin, text) == SENT:
            told += 1
    log.info("weekly digest %s: %d admins told", report.key, told)
    return told
