"""The outbox's costs, against a Bot API server on loopback that answers at once.

    .venv/bin/python -m benchmarks.outbox [--messages 2000] [--chats 200] [--latency 300]

* Throughput: rows written in one transaction, then delivered by the sender (pacing lifted,
  so the sender's own work is what is measured; in production OUTBOX_RATE caps it at 25/s).
* Added latency of one relayed message: from the start of the transaction that stores it to
  the moment the Bot API server receives the call, through the outbox versus sent directly
  right after the commit (the old way), one message at a time, same run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram.methods import SendMessage
from aiohttp import web

from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.unit_of_work import unit_of_work
from bot.factory import create_app, create_bot
from bot.outbox.queue import enqueue
from bot.outbox.sender import OutboxSender, Pacing


class LoopbackBotApi:
    """Answers sendMessage with a message at once and notes when each call arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.count = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.changed = asyncio.Event()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        data = await request.post()
        text = str(data.get("text", ""))
        self.arrived[text] = time.perf_counter()
        self.count += 1
        self.changed.set()
        chat = int(str(data.get("chat_id", "0")))
        result: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": text,
        }
        return web.json_response({"ok": True, "result": result})


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _wait_for(api: LoopbackBotApi, text: str) -> float:
    while text not in api.arrived:
        api.changed.clear()
        await api.changed.wait()
    return api.arrived[text]


async def run(messages: int, chats: int, latency_rounds: int) -> None:
    api = LoopbackBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="42:BENCH",
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
            telegram_api_url=api.url,
            rasa_url="http://127.0.0.1:9",
        )
        await asyncio.to_thread(upgrade, settings.database_url)
        app = create_app(settings)
        bot = create_bot(settings)
        fast = Pacing(rate=100_000, chat_rate=100_000, chat_burst=100_000)
        sender = OutboxSender(app.session_factory, pacing=fast)
        sender.make_context = app.outbox_context
        try:
            # --- throughput ---
            async with unit_of_work(app.session_factory) as session:
                for index in range(messages):
                    chat = 1_000 + index % chats
                    await enqueue(session, SendMessage(chat_id=chat, text=f"bulk {index}"))
            started = time.perf_counter()
            await sender.drain(bot, within=600)
            elapsed = time.perf_counter() - started
            print(
                f"throughput: {messages} messages to {chats} chats in {elapsed:.2f} s = "
                f"{messages / elapsed:.0f} messages/s (pacing lifted)"
            )

            # --- added latency, one message at a time ---
            direct: list[float] = []
            through: list[float] = []
            sender.start(app.outbox_context(bot))
            for index in range(latency_rounds):
                text = f"direct {index}"
                t0 = time.perf_counter()
                async with app.session_factory() as session, session.begin():
                    pass  # the relay's own writes are the same either way
                await bot.send_message(7, text)
                direct.append((await _wait_for(api, text) - t0) * 1000)

                text = f"outbox {index}"
                t0 = time.perf_counter()
                async with unit_of_work(app.session_factory) as session:
                    await enqueue(session, SendMessage(chat_id=7, text=text))
                through.append((await _wait_for(api, text) - t0) * 1000)
            for name, values in (("direct after commit", direct), ("through the outbox", through)):
                print(
                    f"{name}: p50 {statistics.median(values):.2f} ms, "
                    f"p99 {_percentile(values, 0.99):.2f} ms ({len(values)} messages)"
                )
            added50 = statistics.median(through) - statistics.median(direct)
            added99 = _percentile(through, 0.99) - _percentile(direct, 0.99)
            print(f"added by the outbox: p50 {added50:.2f} ms, p99 {added99:.2f} ms")
            print(
                f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
                f"Python {platform.python_version()}"
            )
        finally:
            await sender.stop()
            await app.aclose()
            await bot.session.close()
            await api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--latency", type=int, default=300, help="messages timed one by one")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.chats, args.latency))


if __name__ == "__main__":
    main()
