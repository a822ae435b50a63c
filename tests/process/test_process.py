"""`kelisim run` as its own process, polling a Bot API server over loopback, answers a student."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.bot_api_server import FakeBotAPIServer
from tests.lang import looks_russian

pytestmark = pytest.mark.process

KELISIM = Path(sys.executable).parent / "kelisim"
STUDENT = 60_001


async def _start_bot(
    server: FakeBotAPIServer, tmp_path: Path, rasa_url: str
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "RASA_URL": rasa_url,
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        str(KELISIM),
        "run",
        env=env,
        cwd=tmp_path,  # no .env of the developer's is read
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    async with FakeBotAPIServer() as fake:
        # A self-hosted Bot API server may lack optional methods; the bot must start anyway.
        fake.remove_method("setMyCommands")
        yield fake


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.stdout is not None
    return (await process.stdout.read()).decode(errors="replace")


async def test_bot_process_answers_a_student(
    server: FakeBotAPIServer, tmp_path: Path, rasa_server: str
) -> None:
    process = await _start_bot(server, tmp_path, rasa_server)
    try:
        server.push_message(STUDENT, "/start", language_code="ru")
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=60)
        server.push_click(STUDENT, "Русский")
        consent = await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=10)
        assert looks_russian(consent.text or "")
        server.push_click(STUDENT, "✅")
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=10)

        server.push_message(STUDENT, "когда празднуют наурыз?", language_code="ru")
        answer = await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=15)
        assert "21" in (answer.text or "") and "март" in (answer.text or "")

        server.push_message(STUDENT, "<b>&", language_code="ru")  # must not break HTML replies
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT and c.ok, timeout=15)
    finally:
        output = await _stop(process)
    assert process.returncode == 0, output
    assert "setMyCommands" in output or "set_my_commands" in output.lower() or "commands" in output
