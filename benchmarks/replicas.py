"""Throughput and latency of 1, 2 and 3 replicas on PostgreSQL + Redis, against one process on
SQLite, in the same run.

Run: ``.venv/bin/python -m benchmarks.replicas`` (``--updates 3000 --replicas 1,2,3``;
``--database-url`` / ``--redis-url`` choose the servers, default the local ones).

Each replica is its own process with Kelisim's real dispatcher, middlewares, store and (on
PostgreSQL) Redis for dialog state, per-user ordering, flood counters and change notices. The
free-text FAQ path is fed directly (``feed_update``, 32 updates in flight per replica), so the
web server and proxy in front are not part of the figures; the NLU answers instantly and
Telegram is a session that answers at once. The updates are shared out by user, as a proxy
spreading Telegram's calls would. Throughput is all updates over the wall time from the first
replica's start to the last one's end; p50/p99 are per-update latencies under that load.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.dispatcher import InstantNlu, make_updates
from benchmarks.telegram import InstantTelegram
from bot.config import Settings
from bot.factory import create_app, create_bot, create_dispatcher
from bot.runner import prepare_store

CONCURRENCY = 32
USERS = 400


def _settings(database_url: str, redis_url: str | None, prefix: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:BENCH",
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        throttle_burst=10**9,
        scheduler=False,
    )


async def _prepare(settings: Settings) -> None:
    from bot.services.users import give_consent

    app = create_app(settings, nlu=InstantNlu())  # type: ignore[arg-type]
    try:
        await prepare_store(app)
        async with app.session_factory() as session, session.begin():
            for n in range(USERS):
                await give_consent(session, 10_000 + n, "ru", "Student", None)
    finally:
        await app.aclose()


async def _replica(
    settings: Settings, index: int, replicas: int, count: int, barrier: Any
) -> tuple[float, float, list[float]]:
    updates = [
        u
        for u in make_updates(count, USERS)
        if u.message and u.message.from_user and u.message.from_user.id % replicas == index
    ]
    app = create_app(settings, nlu=InstantNlu())  # type: ignore[arg-type]
    await app.kb.reload(app.session_factory)
    app.recorder.start()
    bot = create_bot(settings, session=InstantTelegram())
    dp = create_dispatcher(app)
    # Warm caches and connections, as a replica that has been running a while has them.
    for update in updates[:20]:
        await dp.feed_update(bot, update)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []

    async def one(update: Any) -> None:
        async with semaphore:
            start = time.perf_counter()
            await dp.feed_update(bot, update)
            latencies.append((time.perf_counter() - start) * 1000)

    barrier.wait()
    started = time.time()
    await asyncio.gather(*(one(u) for u in updates[20:]))
    ended = time.time()
    await app.aclose()
    return started, ended, latencies


def _replica_main(args: tuple[Any, ...]) -> tuple[float, float, list[float]]:
    settings, index, replicas, count, barrier = args
    return asyncio.run(_replica(settings, index, replicas, count, barrier))


def run_replicas(settings: Settings, replicas: int, count: int) -> dict[str, float]:
    context = mp.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(replicas)
        with context.Pool(replicas) as pool:
            results = pool.map(
                _replica_main,
                [(settings, i, replicas, count, barrier) for i in range(replicas)],
            )
    started = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    latencies = sorted(ms for r in results for ms in r[2])
    return {
        "updates": len(latencies),
        "updates_per_s": len(latencies) / (ended - started),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


def _server(url: str) -> Any:
    server = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return create_engine(server, isolation_level="AUTOCOMMIT")


def _fresh_database(url: str) -> str:
    name = f"kelisim_bench_{os.getpid()}_{secrets.token_hex(3)}"
    engine = _server(url)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    engine = _server(url)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _row(name: str, result: dict[str, float]) -> str:
    return (
        f"| {name} | {result['updates_per_s']:.0f} | {result['p50_ms']:.1f} | "
        f"{result['p99_ms']:.1f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.replicas.split(",")]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.updates} updates, {USERS} users, "
        f"{CONCURRENCY} in flight per replica"
    )
    print("| configuration | updates/s | p50 ms | p99 ms |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _settings(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}", None, "b")
        asyncio.run(_prepare(sqlite))
        print(
            _row("1 process, SQLite, no Redis", run_replicas(sqlite, 1, args.updates)), flush=True
        )
    for replicas in counts:
        database = _fresh_database(args.database_url)
        try:
            shared = _settings(database, args.redis_url, f"kelisim_bench:{secrets.token_hex(3)}")
            asyncio.run(_prepare(shared))
            result = run_replicas(shared, replicas, args.updates)
            print(_row(f"{replicas} replica(s), PostgreSQL + Redis", result), flush=True)
        finally:
            _drop_database(database)


if __name__ == "__main__":
    main()
