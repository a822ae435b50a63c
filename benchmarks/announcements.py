"""An announcement to 10,000 students: scheduling overhead, memory, and the send rate.

Run: ``.venv/bin/python -m benchmarks.announcements`` (``--students 10000 --paced-seconds 20``).

Real SQLite files (store and job store); Telegram is a session that answers at once.

* Confirming: the announcement row and one delivery row per student (one INSERT ... SELECT).
* Overhead: the whole delivery with the pacer lifted, so only the bot's own work is timed —
  claiming batches, choosing the language, recording outcomes, the scheduler. Wall and CPU
  time per message, and the process's peak memory.
* Pace: a second announcement at the real rate for ``--paced-seconds``, then a stop: the most
  messages in any one-second window (Telegram allows about 30 a second overall; the bot aims
  at 25), the mean rate, and how many recipients the stop left pending (none lost).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.telegram import InstantTelegram
from bot.config import Settings
from bot.db.models import Announcement, AnnouncementDelivery
from bot.db.models import User as StoredUser
from bot.factory import App, create_app, create_bot
from bot.runner import prepare_store
from bot.scheduler import Pacer
from bot.scheduler.outreach import start_announcement
from bot.services import announcements

ADMIN_ID = 9001


def rss_mb() -> float:
    """Resident memory of this process now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed_students(app: App, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": 1_000_000 + i,
            "language": "kk" if i % 2 else "ru",
            "first_name": f"Student {i}",
            "consent_version": "2026-11",
            "consent_at": now,
            "created_at": now,
            "last_seen_at": now,
            "blocked_bot": False,
        }
        for i in range(count)
    ]
    async with app.session_factory() as session, session.begin():
        await session.execute(insert(StoredUser), rows)


async def status_counts(app: App, announcement_id: int) -> dict[str, int]:
    async with app.session_factory() as session:
        return await announcements.counts(session, announcement_id)


async def is_done(app: App, announcement_id: int) -> bool:
    async with app.session_factory() as session:
        status = await session.scalar(
            select(Announcement.status).where(Announcement.id == announcement_id)
        )
    return status == announcements.DONE


async def wait_done(app: App, announcement_id: int) -> float:
    """Wait until delivered; the most memory the process held meanwhile (sampled)."""
    most = rss_mb()
    for _tick in itertools.count():
        most = max(most, rss_mb())
        if await is_done(app, announcement_id):
            break
        await asyncio.sleep(0.05)
    return most


async def create(app: App) -> tuple[int, int, float]:
    started = time.perf_counter()
    async with app.session_factory() as session, session.begin():
        announcement_id, count = await announcements.create(
            session, ADMIN_ID, announcements.ALL, "Хабарландыру", "Объявление"
        )
    return announcement_id, count, time.perf_counter() - started


def max_per_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main(students: int, paced_seconds: float) -> int:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="42:BENCH",
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'kelisim.sqlite3'}",
            rasa_url="http://127.0.0.1:9",
            log_level="WARNING",
        )
        telegram = InstantTelegram()
        bot = create_bot(settings, session=telegram)
        app = create_app(settings)
        await prepare_store(app)
        await seed_students(app, students)
        print(f"students: {students}")
        memory_before = rss_mb()

        # 1. Overhead: everything but the pace.
        announcement_id, count, took = await create(app)
        print(f"confirming (delivery rows for {count} students): {took * 1000:.0f} ms")
        assert app.planner is not None
        app.planner.pacer = Pacer(rate=1_000_000)
        app.start_scheduler(bot)
        wall, cpu = time.perf_counter(), time.process_time()
        start_announcement(app.planner, announcement_id)
        most = await wait_done(app, announcement_id)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sent = len(telegram.sent_at)
        print(
            f"delivery without the pace: {wall:.1f} s wall, {cpu:.1f} s CPU for {sent} messages "
            f"= {wall / sent * 1000:.2f} ms wall, {cpu / sent * 1000:.2f} ms CPU per message "
            f"(at 25/s the budget is 40 ms)"
        )
        print(
            f"memory (RSS): {memory_before:.0f} MB before, at most {most:.0f} MB while delivering"
        )
        print(f"outcomes: {await status_counts(app, announcement_id)}")
        await app.aclose()

        # 2. The real pace, then a stop.
        telegram.sent_at.clear()
        app = create_app(settings)
        await prepare_store(app, seed=False)
        announcement_id, _count, _took = await create(app)
        app.start_scheduler(bot)
        assert app.planner is not None
        started = time.monotonic()
        start_announcement(app.planner, announcement_id)
        await asyncio.sleep(paced_seconds)
        await app.aclose()
        await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        times = sorted(telegram.sent_at)
        counts = await _counts_after_stop(settings, announcement_id)
        print(
            f"paced for {elapsed:.1f} s: {len(times)} sent, mean {len(times) / elapsed:.1f}/s, "
            f"most in any one second {max_per_second(times)} (limit 25)"
        )
        print(f"after the stop: {counts} (claimed = possibly lost; expected none)")
        await bot.session.close()
    return 0


async def _counts_after_stop(settings: Settings, announcement_id: int) -> dict[str, int]:
    app = create_app(settings)
    try:
        async with app.session_factory() as session:
            rows = await session.execute(
                select(AnnouncementDelivery.status).where(
                    AnnouncementDelivery.announcement_id == announcement_id
                )
            )
            result: dict[str, int] = {}
            for (status,) in rows:
                result[status] = result.get(status, 0) + 1
            return result
    finally:
        await app.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.students, args.paced_seconds)))
