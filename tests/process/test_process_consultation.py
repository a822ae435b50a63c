"""`kelisim run` as real processes: a consultation is closed, the bot is stopped before the
survey is due and started again after, and the survey arrives once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.bot_api_server import FakeBotAPIServer
from tests.lang import looks_kazakh

pytestmark = pytest.mark.process

KELISIM = Path(sys.executable).parent / "kelisim"
STUDENT = 61_001
CURATOR = 71_001


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
        "RASA_URL": "http://127.0.0.1:9",  # degraded mode is enough here
        "CURATOR_IDS": str(CURATOR),
        "SURVEY_DELAY": "3",
        "THROTTLE_BURST": "50",  # the test clicks faster than a person
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        str(KELISIM),
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


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


def _with_keyboard(chat_id: int):  # type: ignore[no-untyped-def]
    return lambda call: call.chat_id == chat_id and "reply_markup" in call.params


def _with_button(chat_id: int, label: str):  # type: ignore[no-untyped-def]
    def matches(call: object) -> bool:
        markup = getattr(call, "params", {}).get("reply_markup") or ""
        shown = json.dumps(markup, ensure_ascii=False)
        return getattr(call, "chat_id", None) == chat_id and label in shown

    return matches


def _is_survey(call: object) -> bool:
    markup = json.dumps(getattr(call, "params", {}).get("reply_markup") or "", ensure_ascii=False)
    return getattr(call, "chat_id", None) == STUDENT and "5 ⭐" in markup


async def test_survey_after_a_restart_is_sent_once(
    server: FakeBotAPIServer, tmp_path: Path
) -> None:
    process = await _start(server, tmp_path)
    try:
        server.push_message(STUDENT, "/start", language_code="kk")
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=60)
        for label in ("Қазақша", "✅"):
            server.push_click(STUDENT, label)
            await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=10)
        server.push_message(STUDENT, "/consult", language_code="kk")
        await server.wait_for("sendMessage", _with_keyboard(STUDENT), timeout=10)
        for label in ("🗣", "⏭", "⏭", "⏭", "🕶"):
            server.push_click(STUDENT, label)
            await server.wait_for("sendMessage", _with_keyboard(STUDENT), timeout=10)
        server.push_click(STUDENT, "📨")
        await server.wait_for("sendMessage", lambda c: c.chat_id == CURATOR, timeout=10, since=0)
        server.push_click(CURATOR, "✋", chat_id=CURATOR)
        # The owner's panel (its ✅ closes the case) comes after the suggestions.
        await server.wait_for("sendMessage", _with_button(CURATOR, "✅"), timeout=10)
        server.push_message(CURATOR, "Сәлеметсіз бе!", first_name="Dana")
        await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=10)
        server.push_click(CURATOR, "✅", chat_id=CURATOR)
        await server.wait_for("sendMessage", lambda c: c.chat_id == CURATOR, timeout=10)
        server.push_message(CURATOR, "Кеңес берілді", first_name="Dana")
        closed = await server.wait_for("sendMessage", lambda c: c.chat_id == STUDENT, timeout=10)
        assert looks_kazakh(closed.text or "")
    finally:
        log = await _stop(process)
    assert "Traceback" not in log, log
    assert not [c for c in server.calls if _is_survey(c)]

    await asyncio.sleep(3.5)  # the survey comes due while the bot is down
    process = await _start(server, tmp_path)
    try:
        survey = await server.wait_for("sendMessage", _is_survey, timeout=60, since=0)
        assert looks_kazakh(survey.text or "")
        await asyncio.sleep(1.5)
    finally:
        log = await _stop(process)
    assert "Traceback" not in log, log
    assert len([c for c in server.calls if _is_survey(c)]) == 1
