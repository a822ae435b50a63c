"""Report charts: how long `/stats` takes to gather and draw its five charts, and how much the
event loop stalls meanwhile (drawing runs in a worker thread, but holds the GIL at times).

Run: ``.venv/bin/python -m benchmarks.charts`` (``--help`` for options). Prints a Markdown
table for docs/performance.md.

The store is a real SQLite file migrated with Alembic, holding half a year of a busy
university: consultations spread over the weeks and areas with first replies, survey ratings
for a handful of curators, and the question log with some questions the bot could not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.charts.render import ChartTexts, render_charts
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.models import Consultation, ConsultationEvent, QuestionLog, utcnow
from bot.factory import create_app
from bot.services.report_series import build_series

AREAS = (
    "conflict",
    "discrimination",
    "adaptation",
    "language",
    "culture",
    "psychological",
    "other",
)
TOPICS = ("где общежитие", "стипендия когда", "жатақхана қайда", "как перевестись", "виза продлить")
TEXTS = ChartTexts(
    per_week_title="Consultations per week by area",
    first_reply_title="Time to the first curator reply",
    ratings_title="Survey ratings by curator",
    handover_title="Conversations: answered by the bot or handed to a curator",
    unanswered_title="Questions the bot could not answer, most asked",
    consultations="consultations",
    answers="answers",
    times_asked="times asked",
    week="week starting",
    bot_alone="answered by the bot alone",
    handed="handed to a curator",
    rating="rating {rating}",
    reply_buckets={
        "reply_15m": "up to 15 min",
        "reply_1h": "15–60 min",
        "reply_4h": "1–4 h",
        "reply_1d": "4–24 h",
        "reply_more": "over a day",
    },
    areas={area: area for area in AREAS},
)


async def populate(db_url: str, consultations: int, questions: int, days: int) -> None:
    await asyncio.to_thread(upgrade, db_url)
    settings = Settings(_env_file=None, bot_token="42:TEST", database_url=db_url)  # type: ignore[call-arg]
    app = create_app(settings)
    rng = random.Random(14)
    now = utcnow()
    async with app.session_factory() as session, session.begin():
        for n in range(consultations):
            opened = now - timedelta(seconds=rng.uniform(0, days * 86400))
            curator = 8000 + rng.randrange(6)
            case = Consultation(
                student_id=10_000 + n,
                language="kk",
                area=rng.choice(AREAS),
                status="closed",
                curator_id=curator,
                curator_name=f"Curator {curator}",
                created_at=opened,
            )
            session.add(case)
            await session.flush()
            reply = opened + timedelta(seconds=rng.expovariate(1 / 7200))
            session.add_all(
                [
                    ConsultationEvent(consultation_id=case.id, kind="opened", created_at=opened),
                    ConsultationEvent(
                        consultation_id=case.id,
                        kind="first_reply",
                        actor_id=curator,
                        created_at=reply,
                    ),
                    ConsultationEvent(
                        consultation_id=case.id,
                        kind="survey_answered",
                        actor_id=curator,
                        created_at=reply,
                        details={"rating": rng.choice((3, 4, 4, 5, 5, 5))},
                    ),
                ]
            )
        for n in range(questions):
            unanswered = rng.random() < 0.15
            session.add(
                QuestionLog(
                    created_at=now - timedelta(seconds=rng.uniform(0, days * 86400)),
                    user_id=None if rng.random() < 0.2 else 20_000 + rng.randrange(questions // 3),
                    text=f"{rng.choice(TOPICS)} {n % 7}" if unanswered else "наурыз қашан",
                    language="ru",
                    intent="ask_faq",
                    intent_confidence=0.8,
                    outcome="unmatched" if unanswered else "answered",
                )
            )
    await app.aclose()


async def ticker(done: asyncio.Event, lateness: list[float]) -> None:
    """Sleep 10 ms at a time until `done`; keep the worst lateness in `lateness[0]`."""
    while not done.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lateness[0] = max(lateness[0], time.perf_counter() - before - 0.01)


async def measure(db_url: str, days: int, rounds: int) -> dict[str, float]:
    settings = Settings(_env_file=None, bot_token="42:TEST", database_url=db_url)  # type: ignore[call-arg]
    app = create_app(settings)
    since = utcnow() - timedelta(days=days)
    gather, draw, stalls = [], [], []
    size = 0
    for _ in range(rounds):
        start = time.perf_counter()
        async with app.session_factory() as session:
            series = await build_series(session, since=since)
        gather.append(time.perf_counter() - start)

        # A 10 ms ticker on the event loop: how late it fires while the charts are drawn.
        done, lateness = asyncio.Event(), [0.0]
        task = asyncio.create_task(ticker(done, lateness))
        start = time.perf_counter()
        charts = await asyncio.to_thread(render_charts, series, TEXTS)
        draw.append(time.perf_counter() - start)
        done.set()
        await task
        stalls.append(lateness[0])
        size = sum(len(c.png) for c in charts)
    await app.aclose()
    return {
        "gather_first": gather[0],
        "gather_median": statistics.median(gather[1:] or gather),
        "draw_first": draw[0],
        "draw_median": statistics.median(draw[1:] or draw),
        "stall_first": stalls[0],
        "stall_worst": max(stalls[1:] or stalls),
        "charts": float(len(charts)),
        "png_kib": size / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=20000)
    parser.add_argument(
        "--days", type=int, default=182, help="period the data spans and /stats covers"
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        asyncio.run(populate(db_url, args.consultations, args.questions, args.days))
        r = asyncio.run(measure(db_url, args.days, args.rounds))
    print(
        f"{args.consultations:,} consultations, {args.questions:,} questions over {args.days} days, "
        f"{int(r['charts'])} charts ({r['png_kib']:.0f} KiB of PNG), {args.rounds} rounds\n"
    )
    print("| step | first (cold) | median of the rest |")
    print("|---|---:|---:|")
    ms = {k: f"{v * 1000:.0f} ms" for k, v in r.items()}
    print(f"| gather the series (SQL + grouping) | {ms['gather_first']} | {ms['gather_median']} |")
    print(f"| draw five PNGs in a worker thread | {ms['draw_first']} | {ms['draw_median']} |")
    print(
        f"| longest event-loop stall while drawing | {ms['stall_first']} | {ms['stall_worst']} (worst) |"
    )


if __name__ == "__main__":
    main()
