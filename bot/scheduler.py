"""Scheduled work that must survive restarts: follow-up surveys and their reminders, SLA
nudges. APScheduler 3 with a persistent SQLAlchemyJobStore.

Pitfalls this module is shaped by:

* The job store is synchronous and runs in the event loop's thread. On SQLite it gets its own
  file beside the main one (``kelisim.sqlite3`` -> ``kelisim-jobs.sqlite3``): sharing the main
  file would make a job-store write wait for a write lock that an update's open transaction
  holds, while that transaction waits for the blocked loop — a deadlock until the timeout.
* ``misfire_grace_time`` is unbounded, so a job that came due while the bot was down still
  runs once when it starts again; each job claims its row with a guarded UPDATE before
  sending anything, so it is never sent twice.
* Jobs are module-level coroutines taking ids only (APScheduler pickles references and
  arguments); they find the running bot through the context set by ``Planner.start``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import aware
from bot.config import Settings
from bot.consultation_delivery import (
    curators_to_notify,
    notify,
    person_language,
    send_owner_panel,
)
from bot.consultation_keyboards import rating_keyboard, take_keyboard
from bot.consultation_texts import (
    case_number,
    duration_text,
    survey_reminder_text,
    survey_text,
)
from bot.db.models import utcnow
from bot.services import consultations, surveys
from bot.services.consultations import EventKind, OpenCases, Status
from bot.services.roles import ADMIN, RoleDirectory

log = logging.getLogger(__name__)

JOBS_TABLE = "scheduled_jobs"
# Telegram allows about 30 messages a second overall; scheduled bursts stay under it.
SEND_RATE = 25.0


def job_store_url(database_url: str) -> str | None:
    """The synchronous URL of the job store derived from DATABASE_URL (None: keep in memory).

    SQLite gets a sibling file; PostgreSQL the same database through psycopg (version 3), a
    synchronous driver.
    """
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        path = Path(url.database)
        return f"sqlite:///{path.with_name(path.stem + '-jobs' + (path.suffix or '.sqlite3'))}"
    driver = "postgresql+psycopg" if backend == "postgresql" else backend
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _sync_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Pacer:
    """Spaces sends evenly at `rate` per second, across all scheduled jobs."""

    def __init__(self, rate: float = SEND_RATE) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock: asyncio.Lock | None = None

    async def wait(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class JobContext:
    """What scheduled jobs of this process use; set when the planner starts."""

    bot: Bot
    session_factory: async_sessionmaker[AsyncSession]
    i18n: I18n
    settings: Settings
    roles: RoleDirectory
    cases: OpenCases
    planner: Planner
    pacer: Pacer


# The running process's context. APScheduler stores jobs as "module:function" plus pickled
# ids, so a job can reach the Bot and the store only through something importable.
_context: JobContext | None = None


class Planner:
    """Schedules and cancels the bot's timed work, in domain terms."""

    def __init__(self, settings: Settings, *, send_rate: float = SEND_RATE) -> None:
        self.settings = settings
        url = job_store_url(settings.database_url)
        self._engine = _sync_engine(url) if url else None
        store: BaseJobStore = (
            SQLAlchemyJobStore(engine=self._engine, tablename=JOBS_TABLE)
            if self._engine is not None
            else MemoryJobStore()
        )
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": store},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone="UTC",
        )
        self.pacer = Pacer(send_rate)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(
        self,
        bot: Bot,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        i18n: I18n,
        roles: RoleDirectory,
        cases: OpenCases,
    ) -> None:
        """Start running due jobs (those missed while the bot was down run now, once)."""
        global _context
        _context = JobContext(
            bot, session_factory, i18n, self.settings, roles, cases, self, self.pacer
        )
        self.scheduler.start()

    async def aclose(self) -> None:
        """Stop running jobs; pending ones stay in the store for the next start."""
        global _context
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            # AsyncIOScheduler stops on its loop's next turn; let it, before the store closes.
            await asyncio.sleep(0)
        if _context is not None and _context.planner is self:
            _context = None
        if self._engine is not None:
            self._engine.dispose()

    def pending(self) -> int:
        """One-off jobs waiting to run; recurring ones (the monthly review reminder) stay."""
        return sum(1 for job in self.scheduler.get_jobs() if isinstance(job.trigger, DateTrigger))

    # ----- primitives -----

    def _at(self, func: Any, when: datetime, args: tuple[int, ...], job_id: str) -> None:
        self.scheduler.add_job(
            func,
            "date",
            run_date=when,
            args=list(args),
            id=job_id,
            replace_existing=True,
        )

    def cancel(self, *job_ids: str) -> None:
        for job_id in job_ids:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(job_id)

    # ----- surveys -----

    def survey(self, survey_id: int, when: datetime) -> None:
        self._at(send_survey, when, (survey_id,), f"survey:{survey_id}")

    def survey_reminder(self, survey_id: int, when: datetime) -> None:
        self._at(remind_survey, when, (survey_id,), f"survey-reminder:{survey_id}")

    def survey_expiry(self, survey_id: int, when: datetime) -> None:
        self._at(expire_survey, when, (survey_id,), f"survey-expiry:{survey_id}")

    def cancel_survey(self, survey_id: int) -> None:
        self.cancel(
            f"survey:{survey_id}", f"survey-reminder:{survey_id}", f"survey-expiry:{survey_id}"
        )

    # ----- consultations -----

    def unclaimed(self, consultation_id: int, opened_at: datetime) -> None:
        """Nudge curators after SLA_REMIND_AFTER, admins after twice that."""
        after = timedelta(seconds=self.settings.sla_remind_after)
        self._at(
            nudge_unclaimed, opened_at + after, (consultation_id, 1), f"sla:{consultation_id}:1"
        )
        self._at(
            nudge_unclaimed, opened_at + 2 * after, (consultation_id, 2), f"sla:{consultation_id}:2"
        )

    def reply_timer(self, consultation_id: int, since: datetime) -> None:
        """Nudge the assigned curator if the student waits SLA_REMIND_AFTER for a reply."""
        after = timedelta(seconds=self.settings.sla_remind_after)
        self._at(nudge_curator, since + after, (consultation_id,), f"reply:{consultation_id}")

    def cancel_unclaimed(self, consultation_id: int) -> None:
        self.cancel(f"sla:{consultation_id}:1", f"sla:{consultation_id}:2")

    def cancel_reply_timer(self, consultation_id: int) -> None:
        self.cancel(f"reply:{consultation_id}")

    def cancel_consultation(self, consultation_id: int) -> None:
        self.cancel_unclaimed(consultation_id)
        self.cancel_reply_timer(consultation_id)


def _require_context() -> JobContext | None:
    if _context is None:
        log.error("a scheduled job ran without a started planner; it will be skipped")
    return _context


def job_context() -> JobContext | None:
    """The running process's context, for job functions in sibling modules (bot/outreach.py)."""
    return _require_context()


async def _send(
    ctx: JobContext, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send; one retry when Telegram asks to slow down."""
    try:
        await ctx.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramRetryAfter as exc:
        await asyncio.sleep(exc.retry_after)
        await ctx.bot.send_message(chat_id, text, reply_markup=markup)


async def _deliver_survey(ctx: JobContext, delivery: surveys.Delivery, reminder: bool) -> bool:
    with ctx.i18n.context(), ctx.i18n.use_locale(delivery.language):
        text = (survey_reminder_text if reminder else survey_text)(delivery.consultation_id)
    try:
        await _send(ctx, delivery.student_id, text, rating_keyboard(delivery.survey_id))
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


async def send_survey(survey_id: int) -> None:
    """Job: the follow-up survey, SURVEY_DELAY after the consultation closed."""
    ctx = _require_context()
    if ctx is None:
        return
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


async def remind_survey(survey_id: int) -> None:
    """Job: one reminder for an unanswered survey; it expires SURVEY_DELAY later."""
    ctx = _require_context()
    if ctx is None:
        return
    await ctx.pacer.wait()
    async with ctx.session_factory() as session, session.begin():
        delivery = await surveys.claim_for_reminder(session, survey_id)
    if delivery is not None:
        await _deliver_survey(ctx, delivery, reminder=True)
    ctx.planner.survey_expiry(survey_id, utcnow() + timedelta(seconds=ctx.settings.survey_delay))


async def expire_survey(survey_id: int) -> None:
    """Job: an unanswered survey expires."""
    ctx = _require_context()
    if ctx is None:
        return
    async with ctx.session_factory() as session, session.begin():
        await surveys.expire(session, survey_id)


async def nudge_unclaimed(consultation_id: int, level: int) -> None:
    """Job: a consultation still waits for a curator — nudge curators, then tell admins."""
    ctx = _require_context()
    if ctx is None:
        return
    await ctx.roles.refresh()
    async with ctx.session_factory() as session, session.begin():
        consultation = await consultations.get(session, consultation_id)
        if consultation is None or consultation.status != Status.WAITING:
            return
        waited = (utcnow() - (aware(consultation.created_at) or utcnow())).total_seconds()

        def render() -> str:
            locale = ctx.i18n.current_locale
            if level == 1:
                return _(
                    "⏰ Consultation {case} has been waiting for a curator for {time}. "
                    "Please take it, or see /queue."
                ).format(case=case_number(consultation_id), time=duration_text(waited, locale))
            return _(
                "⚠️ Consultation {case} still has no curator after {time}. Please make sure "
                "someone takes it (/queue)."
            ).format(case=case_number(consultation_id), time=duration_text(waited, locale))

        people = (
            curators_to_notify(ctx.roles, consultation.urgent)
            if level == 1
            else ctx.roles.members(ADMIN)
        )
        with ctx.i18n.context():
            await notify(
                ctx.bot,
                session,
                ctx.i18n,
                ctx.settings,
                people,
                render,
                (lambda: take_keyboard(consultation_id)) if level == 1 else None,
            )
        await consultations.record_event(
            session,
            consultation_id,
            EventKind.SLA_NUDGED if level == 1 else EventKind.SLA_ESCALATED,
        )


async def nudge_curator(consultation_id: int) -> None:
    """Job: the assigned curator has not replied for SLA_REMIND_AFTER."""
    ctx = _require_context()
    if ctx is None:
        return
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
            text = _(
                "⏰ The student in consultation {case} has been waiting for your reply for {time}."
            ).format(case=case_number(consultation_id), time=duration_text(waited, language))
            await send_owner_panel(ctx.bot, consultation.curator_id, text, consultation_id)
        await consultations.record_event(
            session, consultation_id, EventKind.REPLY_NUDGED, consultation.curator_id
        )
