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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.utils.i18n import I18n
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import now
from bot.config import Settings
from bot.scheduler.buddies import send_checkin, send_notices
from bot.scheduler.context import JobContext, clear_context, set_context
from bot.scheduler.jobs import (
    expire_survey,
    nudge_curator,
    nudge_unclaimed,
    remind_survey,
    send_survey,
)
from bot.scheduler.port import Notices
from bot.scheduler.sending import SEND_RATE, Pacer
from bot.services.consultations import OpenCases
from bot.services.roles import RoleDirectory

JOBS_TABLE = "scheduled_jobs"


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
        notices: Notices,
    ) -> None:
        """Start running due jobs (those missed while the bot was down run now, once)."""
        set_context(
            JobContext(
                bot, session_factory, i18n, self.settings, roles, cases, self, self.pacer, notices
            )
        )
        self.scheduler.start()

    async def aclose(self) -> None:
        """Stop running jobs; pending ones stay in the store for the next start."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            # AsyncIOScheduler stops on its loop's next turn; let it, before the store closes.
            await asyncio.sleep(0)
        clear_context(self)
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

    # ----- buddy programme -----

    def buddy_notices(self) -> None:
        """Send the buddy notices written so far, right away (call after the commit)."""
        self.scheduler.add_job(
            send_notices, "date", run_date=now(), id="buddy-notices", replace_existing=True
        )

    def buddy_checkin(self, pair_id: int, after: int) -> None:
        when = now() + timedelta(seconds=after)
        self._at(send_checkin, when, (pair_id,), f"buddy-checkin:{pair_id}")

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
