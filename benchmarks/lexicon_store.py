"""The lexicon in the store: what a change costs each bot process, and the admin's write.

Run: ``.venv/bin/python -m benchmarks.lexicon_store [--rounds N]``. Prints a Markdown table for
docs/performance.md.

On a throwaway SQLite store seeded like a first start (the shipped FAQ and lexicon) it times:
the index rebuild every process does after any knowledge-base or lexicon change (entries,
lexicon groups, word keys, search index); the watcher's check when nothing changed (one small
query every ten seconds); and an admin adding one word to a group (checks against the whole
lexicon, write, commit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import Settings
from bot.factory import create_app
from bot.runner import prepare_store
from bot.services import lexicon


async def _timed(func: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await func()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def run(rounds: int) -> list[tuple[str, list[float]]]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="42:BENCH",
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
        )
        app = create_app(settings)
        try:
            await prepare_store(app)
            words = iter(f"слово{n}" for n in range(10 * rounds))

            async def add_word() -> None:
                async with app.session_factory() as session, session.begin():
                    await lexicon.add_word(session, "curator", next(words), None)

            rows = [
                ("index rebuild after a change (per process)", await _timed(
                    lambda: app.kb.reload(app.session_factory), rounds
                )),
                ("watcher check, nothing changed", await _timed(
                    lambda: app.kb.refresh(app.session_factory), rounds
                )),
                ("admin adds a word to a group (write + commit)", await _timed(add_word, rounds)),
            ]  # fmt: skip
            async with app.session_factory() as session:
                groups = await lexicon.load_groups(session)
            print(
                f"store: {len(app.kb)} published entries, {len(groups)} lexicon groups, "
                f"{sum(len(g.words) for g in groups)} words"
            )
            return rows
        finally:
            await app.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows = asyncio.run(run(args.rounds))
    print("| step | p50 ms | p90 ms |")
    print("|---|---:|---:|")
    for name, times in rows:
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        print(f"| {name} | {statistics.median(times):.1f} | {p90:.1f} |")


if __name__ == "__main__":
    main()
