"""Scheduled outreach to students — event reminders, change notices, new-event notices,
announcements — and the retention job, all in bot/scheduler.py's persistent job store.

The same rules as there: module-level job functions with ids as arguments, each claiming its
rows before sending so a restart or a second replica never sends twice, and one pacer for
everything the process sends in bulk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.db.models import Event, utcnow
from bot.event_ui import (
    cancelled_text,
    event_card_keyboard,
    moved_text,
    new_event_text,
    reminder_text,
)
from bot.scheduler import JobContext, Planner, job_context
from bot.services import announcements, events
from bot.services.notifications import Recipient, mark_blocked
from bot.services.users import purge_inactive

log = logging.getLogger(__name__)

SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
# How often Telegram may ask us to slow down for one message before we give up on it.
MAX_RETRIES = 5
RETENTION_EVERY = timedelta(hours=6)
ANNOUNCEMENT_TICK = timedelta(seconds=30)


# ----- scheduling, in domain terms -----


def schedule_event(planner: Planner, event_id: int, starts_at: object) -> None:
    """(Re)arm the day-before and hour-before reminders of an event."""
    start = events.aware(starts_at)  # type: ignore[arg-type]
    now = utcnow()
    for which, before in events.REMINDERS:
        job_id = f"event:{event_id}:{which}"
        when = start - before
        if when <= now:
            planner.cancel(job_id)
            continue
        planner.scheduler.add_job(
            remind_event,
            "date",
            run_date=when,
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
    """Deliver an announcement; the job stays in the store until it is done, so delivery
    resumes after a restart."""
    planner.scheduler.add_job(
        deliver_announcement,
        "interval",
        seconds=ANNOUNCEMENT_TICK.total_seconds(),
        next_run_time=utcnow(),
        args=[announcement_id],
        id=f"announcement:{announcement_id}",
        replace_existing=True,
    )


def schedule_retention(planner: Planner) -> None:
    """Purge inactive students at start-up and every six hours (one job, however many starts)."""
    planner.scheduler.add_job(
        enforce_retention,
        "interval",
        seconds=RETENTION_EVERY.total_seconds(),
        next_run_time=utcnow(),
        id="retention",
        replace_existing=True,
    )


# ----- sending -----


async def deliver(
    ctx: JobContext, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> str:
    """Send one message at the paced rate: "sent", "blocked" (403, marked) or "failed".

    Telegram's 429 is honoured by waiting retry_after, a few times at most.
    """
    for _attempt in range(MAX_RETRIES):
        await ctx.pacer.wait()
        try:
            await ctx.bot.send_message(
                chat_id, text, reply_markup=markup, disable_web_page_preview=True
            )
            return SENT
        except TelegramRetryAfter as exc:
            log.info("Telegram asks to wait %s s before writing to %s", exc.retry_after, chat_id)
            await asyncio.sleep(exc.retry_after)
        except TelegramForbiddenError:
            async with ctx.session_factory() as session, session.begin():
                await mark_blocked(session, chat_id)
            return BLOCKED
        except TelegramAPIError as exc:
            log.warning("message to %s not delivered: %s", chat_id, exc)
            return FAILED
    return FAILED


async def _send_all(
    ctx: JobContext,
    recipients: list[Recipient],
    render: Callable[[str], str],
    markup: Callable[[], InlineKeyboardMarkup | None] = lambda: None,
) -> dict[str, int]:
    counts = {SENT: 0, BLOCKED: 0, FAILED: 0}
    with ctx.i18n.context():
        for recipient in recipients:
            with ctx.i18n.use_locale(recipient.language):
                text, keyboard = render(recipient.language), markup()
            counts[await deliver(ctx, recipient.user_id, text, keyboard)] += 1
    return counts


# ----- jobs -----


async def remind_event(event_id: int, which: str) -> None:
    """Job: the day-before or hour-before reminder to everyone who asked, once each."""
    ctx = job_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session, session.begin():
        event = await events.get(session, event_id)
        if not events.is_open(event):
            return
        assert event is not None
        left = events.aware(event.starts_at) - utcnow()
        if which == "day" and left < timedelta(hours=1):
            return  # down for a day: the hour-before reminder says it
        recipients = await events.claim_reminders(session, event_id, which)
    counts = await _send_all(ctx, recipients, lambda lang: reminder_text(event, lang, which))
    log.info("event %s: %s reminders %s", event_id, which, counts)


async def notify_followers(event_id: int, change: str) -> None:
    """Job: tell followers that the event moved or was cancelled."""
    ctx = job_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session:
        event = await events.get(session, event_id)
        if event is None:
            return
        recipients = await events.followers(session, event_id)
    render: Callable[[Event, str], str] = cancelled_text if change == "cancelled" else moved_text
    counts = await _send_all(ctx, recipients, lambda lang: render(event, lang))
    log.info("event %s: %s notices %s", event_id, change, counts)


async def notify_kind_subscribers(event_id: int) -> None:
    """Job: a new event was published; tell the students subscribed to its kind."""
    ctx = job_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session:
        event = await events.get(session, event_id)
        if not events.is_open(event):
            return
        assert event is not None
        recipients = await events.kind_subscribers(session, event.kind)
    counts = await _send_all(
        ctx,
        recipients,
        lambda lang: new_event_text(event, lang),
        lambda: event_card_keyboard(event),
    )
    log.info("event %s: new-event notices %s", event_id, counts)


async def deliver_announcement(announcement_id: int) -> None:
    """Job: deliver an announcement in batches, claiming each batch before sending it."""
    ctx = job_context()
    if ctx is None:
        return
    from bot.announcement_ui import announcement_report

    while True:
        async with ctx.session_factory() as session, session.begin():
            batch = await announcements.claim_batch(session, announcement_id)
        if batch is None:  # finished or unknown; the job is no longer needed
            ctx.planner.cancel(f"announcement:{announcement_id}")
            return
        if not batch.items:
            break
        outcomes: dict[int, str] = {}
        for item in batch.items:
            if item.skip is not None:
                outcomes[item.user_id] = item.skip
                continue
            text = batch.text_kk if item.language == "kk" else batch.text_ru
            outcomes[item.user_id] = await deliver(ctx, item.user_id, text)
        async with ctx.session_factory() as session, session.begin():
            await announcements.record_outcomes(session, announcement_id, outcomes)
    async with ctx.session_factory() as session, session.begin():
        summary = await announcements.finish(session, announcement_id)
    ctx.planner.cancel(f"announcement:{announcement_id}")
    if summary is None:
        return
    async with ctx.session_factory() as session:
        from bot.consultation_delivery import person_language

        language = await person_language(session, summary.author_id, ctx.settings.default_language)
    with ctx.i18n.context(), ctx.i18n.use_locale(language):
        text = announcement_report(summary)
    await deliver(ctx, summary.author_id, text)


async def enforce_retention() -> None:
    """Job: delete the data of students inactive for RETENTION_DAYS."""
    ctx = job_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session, session.begin():
        deleted = await purge_inactive(session, ctx.settings.retention_days)
    if deleted:
        log.info("retention: deleted the data of %d inactive students", deleted)
