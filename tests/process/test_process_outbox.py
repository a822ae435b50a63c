"""`kelisim run` killed with SIGKILL three times while a student and a curator relay messages
both ways, and the loopback Bot API answering 429 for a while: after the last restart every
message has arrived once, in the order the bot stored it.

KELISIM_RELAY_COUNT sets how many messages are relayed (both ways together; 200 by default,
docs/performance.md reports a 1,000 run).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.methods import SendMessage

from tests.fakes.bot_api_server import FakeBotAPIServer
from tests.fakes.recording import retry_after

pytestmark = pytest.mark.process

KELISIM = Path(sys.executable).parent / "kelisim"
STUDENT = 61_002
CURATOR = 71_002
COUNT = int(os.environ.get("KELISIM_RELAY_COUNT", "200"))
BATCHES = 4  # the bot is killed after each but the last
FLOOD_SECONDS = float(os.environ.get("KELISIM_FLOOD_SECONDS", "5"))
MARK = re.compile(r"relay-([sc])-(\d{4})")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    async with FakeBotAPIServer() as fake:
        yield fake


async def _start(server: FakeBotAPIServer, tmp_path: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "RASA_URL": "http://127.0.0.1:9",
        "CURATOR_IDS": str(CURATOR),
        "THROTTLE_BURST": "100000",
        "OUTBOX_RATE": "500",
        "OUTBOX_CHAT_RATE": "500",
        "OUTBOX_CHAT_BURST": "500",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "bot.log").open("ab")  # every run appends: read it when this fails
    try:
        return await asyncio.create_subprocess_exec(
            str(KELISIM), "run", env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    finally:
        log.close()


def _with_button(chat_id: int, label: str):  # type: ignore[no-untyped-def]
    return lambda call: call.chat_id == chat_id and label in str(call.params.get("reply_markup"))


def _delivered(server: FakeBotAPIServer, chat_id: int, side: str) -> list[int]:
    """Numbers of the marked messages Telegram accepted for `chat_id`, in arrival order."""
    out = []
    for call in list(server.calls):
        if call.method == "sendMessage" and call.ok and call.chat_id == chat_id:
            for found in MARK.finditer(call.text or ""):
                if found.group(1) == side:
                    out.append(int(found.group(2)))
    return out


async def _stored_count(tmp_path: Path) -> int:
    def count() -> int:
        with sqlite3.connect(tmp_path / "bot.sqlite3") as connection:
            row = connection.execute(
                "SELECT count(*) FROM consultation_messages WHERE text LIKE 'relay-%'"
            ).fetchone()
        return int(row[0])

    return await asyncio.to_thread(count)


async def _handled(tmp_path: Path, pushed: int) -> None:
    """Wait until the bot has stored every message pushed so far (what it owes is then in
    its outbox: the kill tests the outbox, not updates still in flight in the poller)."""
    for _ in range(600):
        if await _stored_count(tmp_path) >= pushed:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot stored {await _stored_count(tmp_path)} of {pushed} messages")


async def _lift_after(server: FakeBotAPIServer, seconds: float) -> None:
    await asyncio.sleep(seconds)
    server.session.clear_failures()


async def _open_consultation(server: FakeBotAPIServer) -> None:
    server.push_message(STUDENT, "/start", language_code="kk")
    await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=90)
    for label in ("Қазақша", "✅"):
        server.push_click(STUDENT, label)
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=20)
    server.push_message(STUDENT, "/consult", language_code="kk")
    await server.wait_for(
        "sendMessage", lambda c: c.chat_id == STUDENT and "reply_markup" in c.params, timeout=20
    )
    for label in ("🗣", "⏭", "⏭", "⏭", "🕶"):
        server.push_click(STUDENT, label)
        await server.wait_for(
            "sendMessage", lambda c: c.chat_id == STUDENT and "reply_markup" in c.params, timeout=20
        )
    server.push_click(STUDENT, "📨")
    await server.wait_for("sendMessage", _with_button(CURATOR, "✋"), timeout=20, since=0)
    server.push_click(CURATOR, "✋", chat_id=CURATOR)
    await server.wait_for("sendMessage", _with_button(CURATOR, "✅"), timeout=20)


async def test_relays_survive_sigkill_and_429_once_and_in_order(
    server: FakeBotAPIServer, tmp_path: Path
) -> None:
    process = await _start(server, tmp_path)
    try:
        await _open_consultation(server)
        per_side = COUNT // 2
        size = -(-per_side // BATCHES)
        floods: list[asyncio.Task[None]] = []
        for batch in range(BATCHES):
            last = min((batch + 1) * size, per_side)
            for number in range(batch * size, last):
                server.push_message(STUDENT, f"relay-s-{number:04d}", language_code="kk")
                server.push_message(CURATOR, f"relay-c-{number:04d}", first_name="Dana")
                await asyncio.sleep(0.1)  # 20 messages a second
            await _handled(tmp_path, 2 * last)
            if batch < BATCHES - 1:
                # Telegram answers 429 to every message, and the bot is killed in the middle
                # of it; the 429s go on for a while after the restart.
                server.fail_always(SendMessage, retry_after(1))
                await asyncio.sleep(1.5)
                process.send_signal(signal.SIGKILL)
                await process.wait()
                process = await _start(server, tmp_path)
                floods.append(asyncio.create_task(_lift_after(server, FLOOD_SECONDS)))
        await asyncio.gather(*floods)
        expected = list(range(per_side))
        for _ in range(240):
            if (
                len(_delivered(server, CURATOR, "s")) >= per_side
                and len(_delivered(server, STUDENT, "c")) >= per_side
            ):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # anything sent twice would show up by now
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
    to_curator = _delivered(server, CURATOR, "s")
    to_student = _delivered(server, STUDENT, "c")
    # Every message once.
    assert sorted(to_curator) == expected and sorted(to_student) == expected
    # In the order the bot took them in (its store's order).
    assert to_curator == _stored(tmp_path, "student")
    assert to_student == _stored(tmp_path, "curator")


def _stored(tmp_path: Path, sender: str) -> list[int]:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as connection:
        rows = connection.execute(
            "SELECT text FROM consultation_messages WHERE sender = ? ORDER BY id", (sender,)
        ).fetchall()
    return [int(found.group(2)) for (text,) in rows if (found := MARK.search(text or ""))]
