"""Start-up with many pending scheduled surveys, and delivering a burst of surveys due at once.

Run: ``.venv/bin/python -m benchmarks.scheduler`` (``--pending 10000 --burst 300``).

* Start-up: a store (real SQLite files) holds ``--pending`` follow-up surveys scheduled for
  tomorrow, each with its job in the persistent job store. Measured: creating the application,
  preparing the store (migrations, knowledge-base index), loading the open-consultation index
  and starting the scheduler, until it has looked at the store for due jobs — the same steps
  as ``kelisim run`` before polling. The same with an empty job store is the baseline.
* Burst: ``--burst`` surveys come due at the same moment. Measured: the time until every one
  was sent, and the most messages sent in any one-second window, which must stay under
  Telegram's limit of about 30 per second. Telegram is a session that answers at once.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot
from sqlalchemy import insert

from benchmarks.telegram import InstantTelegram
from bot.config import Settings
from bot.db.models import Consultation, FollowUpSurvey
from bot.db.models import User as StoredUser
from bot.factory import App, create_app, create_bot
from bot.runner import prepare_store


def settings_for(folder: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:BENCH",
        database_url=f"sqlite+aiosqlite:///{folder / 'kelisim.sqlite3'}",
        rasa_url="http://127.0.0.1:9",
        survey_delay=86_400,
        log_level="WARNING",
    )


async def seed_surveys(app: App, count: int, due: datetime, first_id: int = 1) -> list[int]:
    """`count` closed consultations with scheduled surveys (rows only, no jobs)."""
    now = datetime.now(UTC)
    ids = list(range(first_id, first_id + count))
    async with app.session_factory() as session, session.begin():
        await session.execute(
            insert(StoredUser),
            [
                {
                    "id": 1_000_000 + i,
                    "language": "kk" if i % 2 else "ru",
                    "consent_version": "2026-11",
                    "consent_at": now,
                    "created_at": now,
                    "last_seen_at": now,
                    "blocked_bot": False,
                }
                for i in ids
            ],
        )
        await session.execute(
            insert(Consultation),
            [
                {
                    "id": i,
                    "student_id": 1_000_000 + i,
                    "language": "kk" if i % 2 else "ru",
                    "area": "adaptation",
                    "answers": [],
                    "anonymous": True,
                    "urgent": False,
                    "status": "closed",
                    "curator_id": 8001,
                    "created_at": now,
                    "closed_at": now,
                }
                for i in ids
            ],
        )
        await session.execute(
            insert(FollowUpSurvey),
            [
                {
                    "id": i,
                    "consultation_id": i,
                    "student_id": 1_000_000 + i,
                    "curator_id": 8001,
                    "language": "kk" if i % 2 else "ru",
                    "status": "scheduled",
                    "due_at": due,
                }
                for i in ids
            ],
        )
    return ids


async def measure_startup(folder: Path, bot: Bot) -> float:
    """Seconds from nothing to a running scheduler that has checked the store."""
    started = time.perf_counter()
    app = create_app(settings_for(folder))
    await prepare_store(app)
    assert app.cases is not None and app.planner is not None
    await app.cases.refresh(force=True)
    app.start_scheduler(bot)
    # The scheduler's first look at the store (due jobs, next wake-up) runs on the loop.
    for _ in range(3):
        await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    pending = app.planner.pending()
    await app.aclose()
    print(f"    ({pending} jobs pending after start)")
    return elapsed


async def startup_benchmark(pending: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bot = create_bot(settings_for(folder), session=InstantTelegram())
        await measure_startup(folder, bot)  # creates and migrates the store
        empty = await measure_startup(folder, bot)

        app = create_app(settings_for(folder))
        await prepare_store(app, seed=False)
        assert app.planner is not None
        due = datetime.now(UTC) + timedelta(days=1)
        ids = await seed_surveys(app, pending, due)
        app.planner.scheduler.start(paused=True)  # jobs go straight into the store
        filled = time.perf_counter()
        for survey_id in ids:
            app.planner.survey(survey_id, due)
        print(f"    (stored {pending} jobs in {time.perf_counter() - filled:.1f} s)")
        await app.aclose()

        full = await measure_startup(folder, bot)
        cold = await asyncio.to_thread(cold_start, folder)
        await bot.session.close()
    return empty, full, cold


COLD_START = """
import asyncio, sys
from pathlib import Path
from benchmarks.scheduler import InstantTelegram, measure_startup, settings_for
from bot.factory import create_bot
folder = Path(sys.argv[1])
bot = create_bot(settings_for(folder), session=InstantTelegram())
asyncio.run(measure_startup(folder, bot))
"""


def cold_start(folder: Path) -> float:
    """Seconds for a fresh Python process to import the bot and do the same start-up."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD_START, str(folder)], check=True)
    return time.perf_counter() - started


async def burst_benchmark(count: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        session = InstantTelegram()
        bot = create_bot(settings_for(folder), session=session)
        app = create_app(settings_for(folder))
        await prepare_store(app)
        assert app.planner is not None
        due = datetime.now(UTC) + timedelta(seconds=3)
        ids = await seed_surveys(app, count, due)
        app.planner.scheduler.start(paused=True)
        for survey_id in ids:
            app.planner.survey(survey_id, due)
        await app.aclose()

        app = create_app(settings_for(folder))
        await prepare_store(app)
        app.start_scheduler(bot)
        due_monotonic = time.monotonic() + (due - datetime.now(UTC)).total_seconds()
        while len(session.sent_at) < count:
            await asyncio.sleep(0.05)
            if time.monotonic() > due_monotonic + count / 5 + 30:
                break
        await app.aclose()
        await bot.session.close()
    sent = sorted(session.sent_at)
    worst = 0
    start = 0
    for end, moment in enumerate(sent):
        while moment - sent[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    return (sent[-1] - due_monotonic if sent else float("nan")), worst, len(sent)


async def main_async(args: argparse.Namespace) -> None:
    print(f"start-up with {args.pending:,} pending surveys")
    empty, full, cold = await startup_benchmark(args.pending)
    print(f"  empty job store:            {empty:.2f} s")
    print(f"  {args.pending:,} pending surveys:     {full:.2f} s")
    print(f"  the same as a new process, imports included: {cold:.2f} s")
    print(f"burst of {args.burst} surveys due at the same moment")
    took, worst, sent = await burst_benchmark(args.burst)
    print(f"  all {sent} sent {took:.1f} s after they came due")
    print(f"  most messages in any one second: {worst}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=300)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
