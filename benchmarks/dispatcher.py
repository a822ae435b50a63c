"""Updates per second and per-update latency of the free-text FAQ path.

Run: ``.venv/bin/python -m benchmarks.dispatcher`` (add ``--rasa-url http://127.0.0.1:5005`` to
include the real Rasa server, or ``--start-rasa`` to start one from the trained model).

Three configurations, all in one run on the same machine, so the ratios are what matters:

* ``echo floor``: a bare aiogram Dispatcher whose only handler echoes the text;
* ``FAQ, NLU stubbed``: Kelisim's real dispatcher, middlewares, SQLite store (a real file),
  question log and knowledge-base search, with an NLU that answers instantly;
* ``FAQ, real Rasa``: the same with the real Rasa server over HTTP. Rasa's own parse time is
  measured alone too, so the overhead Kelisim adds over it can be read off.

``--profile PATH`` runs the real-Rasa configuration under cProfile and prints where its time goes.

Latency is measured with updates fed one at a time; throughput with 32 updates in flight, as
aiogram's polling handles updates concurrently. Telegram itself is a session that answers
instantly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Chat, Message, Update, User

from benchmarks.telegram import InstantTelegram
from bot.config import Settings
from bot.factory import create_app, create_bot, create_dispatcher
from bot.runner import prepare_store
from knowledge_base.loader import load_paths
from nlu.client import NluClient, NluResult

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    question
    for item in load_paths([ROOT / "knowledge_base" / "data"]).items
    for question in (item.question["kk"], item.question["ru"], *item.alternatives.get("ru", ()))
]


class InstantNlu:
    """An NLU that always says ask_faq, so only Kelisim's own work is measured."""

    async def parse(self, text: str) -> NluResult:
        return NluResult("ask_faq", 0.93, [], [("ask_faq", 0.93)])

    async def is_available(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


def make_updates(count: int, users: int) -> list[Update]:
    updates = []
    for n in range(count):
        user_id = 10_000 + n % users
        user = User(id=user_id, is_bot=False, first_name="Student", language_code="ru")
        message = Message(
            message_id=n + 1,
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=user,
            text=QUESTIONS[n % len(QUESTIONS)],
        )
        updates.append(Update(update_id=n + 1, message=message))
    return updates


async def measure(
    feed: Callable[[Update], Awaitable[Any]], updates: list[Update], concurrency: int
) -> dict[str, float]:
    """Sequential latency over the first half, concurrent throughput over the second."""
    half = len(updates) // 2
    latencies = []
    for update in updates[:half]:
        start = time.perf_counter()
        await feed(update)
        latencies.append((time.perf_counter() - start) * 1000)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(update: Update) -> None:
        async with semaphore:
            await feed(update)

    start = time.perf_counter()
    await asyncio.gather(*(one(u) for u in updates[half:]))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "updates_per_s": (len(updates) - half) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


async def bench_echo(updates: list[Update], concurrency: int) -> dict[str, float]:
    session = InstantTelegram()
    bot = Bot("42:BENCH", session=session)
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return await measure(lambda u: dp.feed_update(bot, u), updates, concurrency)


async def bench_kelisim(
    updates: list[Update], concurrency: int, workdir: Path, nlu: Any
) -> dict[str, float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:BENCH",
        database_url=f"sqlite+aiosqlite:///{workdir / f'bench-{id(nlu)}.sqlite3'}",
        throttle_burst=10**9,
    )
    app = create_app(settings, nlu=nlu)
    await prepare_store(app)
    await _add_consenting_users(
        app, {u.message.from_user.id for u in updates if u.message and u.message.from_user}
    )
    app.recorder.start()
    bot = create_bot(settings, session=InstantTelegram())
    dp = create_dispatcher(app)
    try:
        return await measure(lambda u: dp.feed_update(bot, u), updates, concurrency)
    finally:
        await app.aclose()


async def _add_consenting_users(app: Any, user_ids: set[int]) -> None:
    from bot.services.users import give_consent

    async with app.session_factory() as session, session.begin():
        for user_id in user_ids:
            await give_consent(session, user_id, "ru", "Student", None)


async def bench_rasa_parse(rasa_url: str, count: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=rasa_url, timeout=10) as client:
        latencies = []
        for n in range(count):
            start = time.perf_counter()
            response = await client.post(
                "/model/parse", json={"text": QUESTIONS[n % len(QUESTIONS)]}
            )
            response.raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


@contextlib.contextmanager
def started_rasa(port: int) -> Any:
    from nlu import rasa_runner

    model = rasa_runner.latest_model() or rasa_runner.train()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            str(rasa_runner.rasa_executable()),
            "run",
            "--enable-api",
            "-m",
            str(model),
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/status", timeout=2).status_code == 200:
                    break
            time.sleep(1)
        else:
            raise RuntimeError("Rasa did not start")
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _print_profile(path: str) -> None:
    """The functions the real-Rasa run spent its own time in (waiting on sockets shows as
    ``select``/``poll``: that is Rasa's time, not Kelisim's)."""
    stats = pstats.Stats(path, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def _row(name: str, result: dict[str, float]) -> str:
    rate = f"{result['updates_per_s']:,.0f}" if "updates_per_s" in result else "—"
    return f"| {name} | {rate} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} |"


async def main_async(args: argparse.Namespace) -> None:
    updates = make_updates(args.updates, args.users)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        echo = await bench_echo(updates, args.concurrency)
        rows.append(_row("echo floor (bare aiogram)", echo))
        stubbed = await bench_kelisim(updates, args.concurrency, workdir, InstantNlu())
        rows.append(_row("FAQ path, NLU stubbed", stubbed))
        rasa_url = args.rasa_url
        with (
            started_rasa(args.rasa_port)
            if args.start_rasa
            else contextlib.nullcontext(rasa_url) as url
        ):
            if url:
                parse = await bench_rasa_parse(url, min(args.updates // 2, 1000))
                rows.append(_row("Rasa /model/parse alone", parse))
                client = NluClient(url, timeout=10)
                profiler = cProfile.Profile() if args.profile else None
                if profiler is not None:
                    profiler.enable()
                real = await bench_kelisim(
                    updates[: args.rasa_updates], args.concurrency, workdir, client
                )
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                    _print_profile(args.profile)
                await client.aclose()
                rows.append(_row("FAQ path, real Rasa", real))
                rows.append(
                    f"\nAdded over Rasa's own parse (p50): {real['p50_ms'] - parse['p50_ms']:.2f} ms"
                )
    print(
        f"{args.updates:,} updates from {args.users:,} users, {args.concurrency} in flight for throughput\n"
    )
    print("| configuration | updates/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))
    ratio = stubbed["updates_per_s"] / echo["updates_per_s"]
    print(f"\nFAQ path (NLU stubbed) runs at {ratio:.0%} of the echo floor's rate.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rasa-url", default=None, help="measure with this Rasa server too")
    parser.add_argument(
        "--start-rasa", action="store_true", help="start Rasa from the trained model"
    )
    parser.add_argument("--rasa-port", type=int, default=5075)
    parser.add_argument(
        "--profile",
        metavar="PATH",
        default=None,
        help="profile the real-Rasa run with cProfile, write the stats to PATH, print the top",
    )
    parser.add_argument("--rasa-updates", type=int, default=2000)
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
