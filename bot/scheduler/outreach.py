"""Scheduled outreach to students — event reminders, change notices, new-event notices,
announcements — all in the planner's persistent job store (bot/scheduler/planner.py).

The same rules as there: module-level job functions with ids as arguments, each claiming its
rows before sending so a restart or a second replica never sends twice, and one pacer for
everything the process sends in bulk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.db.models import utcnow
from bot.scheduler.context import JobContext, scheduled_job
from bot.scheduler.planner import Planner
from bot.scheduler.port import Notice
from bot.scheduler.sending import BLOCKED, FAILED, SENT, deliver
from bot.services import announcements, events
from bot.services.notifications import Recipient
from bot.services.users import person_language

log = logging.getLogger(__name__)

# A day-before reminder delayed (the bot was down) until less than this is left is dropped.
DAY_REMINDER_LATEST = timedelta(hours=20)


# ----- scheduling, in domain terms -----


def schedule_event(
    planner: Planner, event_id: int, starts_at: datetime, *, catch_up: bool = False
) -> None:
    """(Re)arm the day-before and hour-before reminders of an event.

    A reminder whose time has passed is dropped, unless `catch_up` (at start-up: the bot may
    have been down when it came due), in which case it runs now and decides for itself.
    """
    start = events.aware(starts_at)
    now = utcnow()
    for which, before in events.REMINDERS:
        job_id = f"event:{event_id}:{which}"
        when = start - before
        if when <= now and not (catch_up and start > now):
            planner.cancel(job_id)
            continue
        planner.scheduler.add_job(
            remind_event,
            "date",
            run_date=max(when, now),
            args=[event_id, which],
            id=job_id,
            replace_existing=True,
        )


def unschedule_event(planner: Planner, event_id: int) -> None:
    planner.cancel(*(f"event:{event_id}:{which}" for which, _b in events.REMINDERS))


def tell_followers(planner: Planner, event_id: int, change: str) -> None:
    """Tell everyone following the event that it moved ("moved") or was cancelled."""
    planner.scheduler.add_job(
        notify_followers,
        "date",
        run_date=utcnow(),
        args=[event_id, change],
        id=f"event-change:{event_id}:{change}:{utcnow().timestamp():.0f}",
    )


def tell_kind_subscribers(planner: Planner, event_id: int) -> None:
    planner.scheduler.add_job(
        notify_kind_subscribers,
        "date",
        run_date=utcnow(),
        args=[event_id],
        id=f"event-new:{event_id}",
        replace_existing=True,
    )


def start_announcement(planner: Planner, announcement_id: int) -> None:
    """Deliver an announcement now (also used to resume one after a restart)."""
    planner.scheduler.add_job(
        deliver_announcement,
        "date",
        run_date=utcnow(),
        args=[announcement_id],
        id=f"announcement:{announcement_id}",
        replace_existing=True,
    )


def resume_outreach(planner: Planner) -> None:
    """At start-up: re-arm the reminders of upcoming events (covering events created where no
    scheduler ran, such as the console) and resume announcements a stop interrupted."""
    planner.scheduler.add_job(
        resume_scheduled_outreach,
        "date",
        run_date=utcnow(),
        id="resume-outreach",
        replace_existing=True,
    )


# Announcements this process is delivering right now, so a resume does not start a second run.
_delivering: set[int] = set()


# ----- sending -----


async def _send_all(
    ctx: JobContext,
    recipients: list[Recipient],
    render: Callable[[str], Notice],
) -> dict[str, int]:
    counts = {SENT: 0, BLOCKED: 0, FAILED: 0}
    with ctx.i18n.context():
        for recipient in recipients:
            with ctx.i18n.use_locale(recipient.language):
                notice = render(recipient.language)
            counts[await deliver(ctx, recipient.user_id, notice.text, notice.markup)] += 1
    return counts


# ----- jobs -----


@scheduled_job
async def remind_event(ctx: JobContext, event_id: int, which: str) -> None:
    """Job: the day-before or hour-before reminder to everyone who asked, once each."""
    async with ctx.session_factory() as session, session.begin():
        event = await events.get(session, event_id)
        if not events.is_open(event):
            return
        assert event is not None
        left = events.aware(event.starts_at) - utcnow()
        if which == "day" and left < DAY_REMINDER_LATEST:
            return  # too late to say "tomorrow": the hour-before reminder will say it
        recipients = await events.claim_reminders(session, event_id, which)
    notices = ctx.notices
    counts = await _send_all(
        ctx, recipients, lambda lang: notices.event_reminder(event, lang, which)
    )
    log.info("event %s: %s reminders %s", event_id, which, counts)


@scheduled_job
async def notify_followers(ctx: JobContext, event_id: int, change: str) -> None:
    """Job: tell followers that the event moved or was cancelled."""
    async with ctx.session_factory() as session:
        event = await events.get(session, event_id)
        if event is None:
            return
        recipients = await events.followers(session, event_id)
    notices = ctx.notices
    counts = await _send_all(
        ctx, recipients, lambda lang: notices.event_changed(event, lang, change)
    )
    log.info("event %s: %s notices %s", event_id, change, counts)


@scheduled_job
async def notify_kind_subscribers(ctx: JobContext, event_id: int) -> None:
    """Job: a new event was published; tell the students subscribed to its kind."""
    async with ctx.session_factory() as session:
        event = await events.get(session, event_id)
        if not events.is_open(event):
            return
        assert event is not None
        recipients = await events.kind_subscribers(session, event.kind)
    notices = ctx.notices
    counts = await _send_all(ctx, recipients, lambda lang: notices.new_event(event, lang))
    log.info("event %s: new-event notices %s", event_id, counts)


@scheduled_job
async def resume_scheduled_outreach(ctx: JobContext) -> None:
    """Job: re-arm upcoming events' reminders and restart interrupted announcements."""
    async with ctx.session_factory() as session:
        upcoming = [(e.id, e.starts_at) for e in await events.upcoming(session, limit=10_000)]
        unfinished = await announcements.unfinished(session)
    for event_id, starts_at in upcoming:
        # Reminders already sent stay sent: each one claims its rows before sending.
        schedule_event(ctx.planner, event_id, starts_at, catch_up=True)
    for announcement_id in unfinished:
        if announcement_id in _delivering:
            continue
        log.info("announcement %s: resuming delivery", announcement_id)
        start_announcement(ctx.planner, announcement_id)


@scheduled_job
async def deliver_announcement(ctx: JobContext, announcement_id: int) -> None:
    """Job: deliver an announcement in small batches, each claimed before it is sent, then
    report the counts to the admin who wrote it.

    When the bot stops, the claimed rows not yet sent are released, so the next start sends
    them; only a crash can leave a batch unsent, and it is reported as interrupted.
    """
    if announcement_id in _delivering:  # already running here (started, then resumed)
        return
    _delivering.add(announcement_id)
    try:
        summary = await _deliver_batches(ctx, announcement_id)
    except asyncio.CancelledError:
        # The scheduler shut down in the middle of a batch; its unsent claims were released.
        summary = None
    finally:
        _delivering.discard(announcement_id)
    if summary is None:
        if not ctx.planner.running:
            log.info(
                "announcement %s: paused by a stop; resumes at the next start", announcement_id
            )
        return
    async with ctx.session_factory() as session:
        language = await person_language(session, summary.author_id, ctx.settings.default_language)
    with ctx.i18n.context(), ctx.i18n.use_locale(language):
        notice = ctx.notices.announcement_report(summary)
    await deliver(ctx, summary.author_id, notice.text, notice.markup)


async def _deliver_batches(ctx: JobContext, announcement_id: int) -> announcements.Summary | None:
    """Send batch after batch; the summary when finished, None when stopped or done elsewhere."""
    while True:
        async with ctx.session_factory() as session, session.begin():
            batch = await announcements.claim_batch(session, announcement_id)
        if batch is None:  # finished by another run, or unknown
            return None
        if not batch.items:
            break
        outcomes: dict[int, str] = {}
        # A message cut off while being sent may have arrived: it stays claimed, never resent.
        in_flight: int | None = None
        try:
            for item in batch.items:
                if item.skip is not None:
                    outcomes[item.user_id] = item.skip
                    continue
                await ctx.pacer.wait()
                if not ctx.planner.running:  # the bot is stopping: leave the rest for later
                    break
                text = batch.text_kk if item.language == "kk" else batch.text_ru
                in_flight = item.user_id
                outcomes[item.user_id] = await deliver(ctx, item.user_id, text, paced=True)
                in_flight = None
        finally:
            unsent = [
                i.user_id
                for i in batch.items
                if i.user_id not in outcomes and i.user_id != in_flight
            ]
            async with ctx.session_factory() as session, session.begin():
                await announcements.record_outcomes(session, announcement_id, outcomes)
                await announcements.release(session, announcement_id, unsent)
        if not ctx.planner.running:
            return None
    async with ctx.session_factory() as session, session.begin():
        return await announcements.finish(session, announcement_id)
