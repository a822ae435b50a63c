"""Generated sequences of updates from every role, with Telegram failing now and then, through
the real dispatcher: no handler crashes, nothing Telegram would refuse is sent, every relayed
message reaches the other side exactly once, and no curator-facing text of an anonymous case
names the student."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from aiogram.exceptions import TelegramForbiddenError, TelegramServerError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.factory import App, create_bot, create_dispatcher
from bot.outbox.model import DEAD, SENT, OutboxMessage
from bot.telegram.limits import CAPTION_LIMIT, MESSAGE_LIMIT, utf16_len
from tests.consult_support import (
    ADMIN_ID,
    CURATOR_CHAT_ID,
    CURATOR_ID,
    SECOND_CURATOR_ID,
    STUDENT_ID,
    STUDENT_NAME,
    STUDENT_USERNAME,
    consult_settings,
    driver,
    make_app,
)
from tests.fakes import builders
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
TELEGRAM_TAGS |= {"tg-spoiler", "span", "blockquote", "tg-emoji"}
STAFF = (CURATOR_ID, SECOND_CURATOR_ID, ADMIN_ID, CURATOR_CHAT_ID)
COMMANDS = [
    "/start", "/menu", "/consult", "/events", "/learn", "/my", "/me", "/lang", "/privacy",
    "/help", "/queue", "/mine", "/stats", "/kb", "/unanswered", "/staff", "/add_curator",
    "/new_event", "/announce", "/nonexistent", "/start extra",
]  # fmt: skip
TEXTS = st.one_of(
    st.sampled_from(
        [
            "Наурыз қашан?",
            "меня оскорбляют из-за национальности",
            "кеңес керек",
            "хочу поговорить с куратором",
            "<b>жирный</b> & <script>",
            "🙂" * 50,
            "рахмет",
            "",
        ]
    ),
    st.text(min_size=1, max_size=300),
    st.text(alphabet="абвгдеәқңөүұі🙂<>&\n ", min_size=3000, max_size=4000),
)
FORGED = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda prefix, a, b: f"{prefix}:{a}:{b}",
        st.sampled_from(["case", "faq", "vote", "srate", "sres", "menu", "kb", "evt", "lang"]),
        st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(["take", "close", "x"])),
        st.integers(-5, 2**64),
    ),
)


@dataclass
class Action:
    who: str
    kind: str
    payload: Any = None
    fault: str | None = None


ACTIONS = st.builds(
    Action,
    who=st.sampled_from(["student", "student2", "curator", "curator2", "admin", "group"]),
    kind=st.sampled_from(
        ["text", "text", "command", "button", "button", "button", "forged", "photo", "sticker"]
    ),
    payload=st.one_of(TEXTS, st.sampled_from(COMMANDS), FORGED, st.integers(0, 10)),
    fault=st.sampled_from([None, None, None, None, "5xx", "403"]),
)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}> is not a Telegram tag")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes nothing")
        else:
            self.stack.pop()


def telegram_would_refuse(method: TelegramMethod[Any]) -> str | None:
    """Why Telegram would answer 400 to what the bot sent, or None."""
    text = getattr(method, "text", None)
    caption = getattr(method, "caption", None)
    if isinstance(method, (SendMessage, EditMessageText)) and text is not None:
        if not text.strip():
            return "empty text"
        if utf16_len(text) > MESSAGE_LIMIT:
            return f"text of {utf16_len(text)} UTF-16 units"
    if caption is not None and utf16_len(caption) > CAPTION_LIMIT:
        return f"caption of {utf16_len(caption)} UTF-16 units"
    for body in (text, caption):
        if body and getattr(method, "parse_mode", "HTML") is not None:
            parser = _Html()
            parser.feed(body)
            parser.close()
            if parser.problems or parser.stack:
                return f"bad HTML {parser.problems or parser.stack}: {body[:200]!r}"
    markup = getattr(method, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or []:
        for button in row:
            if button.callback_data and len(button.callback_data.encode()) > 64:
                return f"callback data over 64 bytes: {button.callback_data!r}"
    if isinstance(method, AnswerCallbackQuery) and method.text and len(method.text) > 200:
        return "callback answer over 200 characters"
    return None


Relayed = Counter[tuple[int, str]]


async def _relays_owed(app: App) -> tuple[Relayed, list[str]]:
    """(chat, body) of every relayed consultation message the outbox delivered, and what it
    still owes or gave up on for another reason than the person having blocked the bot."""
    delivered: Relayed = Counter()
    stuck = []
    async with app.session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("consultation-message:"))
        )
        for row in rows:
            body = row.params.get("text") or row.params.get("caption") or ""
            if row.status == SENT:
                delivered[(row.chat_id, body)] += 1
            elif not (row.status == DEAD and (row.last_error or "").startswith("chat gone")):
                stuck.append(f"{row.key} {row.status}: {row.last_error}")
    return delivered, stuck


def _accepted(recording: RecordingSession, relayed: Relayed) -> Relayed:
    """How often Telegram accepted each relayed (chat, body)."""
    seen: Relayed = Counter()
    for method, response in zip(recording.requests, recording.responses, strict=False):
        if isinstance(response, Exception):
            continue
        key = (
            getattr(method, "chat_id", None),
            getattr(method, "text", None) or getattr(method, "caption", None) or "",
        )
        if key in relayed:
            seen[key] += 1  # type: ignore[index]
    return seen


async def _run(actions: list[Action]) -> tuple[RecordingSession, list[logging.LogRecord], bool]:
    records: list[logging.LogRecord] = []
    named = False

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.ERROR)
    logging.getLogger().addHandler(handler)
    with tempfile.TemporaryDirectory() as folder:
        settings_ = consult_settings(
            f"sqlite+aiosqlite:///{Path(folder) / 'kelisim.sqlite3'}",
            telegram_retry_budget=0.6,
            throttle_burst=1000,
        )
        app = await make_app(settings_)
        recording = RecordingSession()
        bot = create_bot(settings_, session=recording)
        dp = create_dispatcher(app)
        app.start_scheduler(bot)
        people: dict[str, ChatDriver] = {
            "student": driver(dp, bot, recording, STUDENT_ID, STUDENT_NAME,
                              language="kk", username=STUDENT_USERNAME),
            "student2": driver(dp, bot, recording, 5002, "Ivan", language="ru"),
            "curator": driver(dp, bot, recording, CURATOR_ID, "Dana"),
            "curator2": driver(dp, bot, recording, SECOND_CURATOR_ID, "Marat"),
            "admin": driver(dp, bot, recording, ADMIN_ID, "Erlan"),
            "group": driver(dp, bot, recording, CURATOR_ID, "Dana", chat_id=CURATOR_CHAT_ID),
        }  # fmt: skip
        try:
            for action in actions:
                person = people[action.who]
                recording.clear_failures()
                if action.fault == "5xx":
                    recording.fail_next(SendMessage, TelegramServerError)
                elif action.fault == "403":
                    recording.fail_next(SendMessage, TelegramForbiddenError, chat_id=STUDENT_ID)
                pressed = await _act(person, action)
                if action.who == "student" and pressed and "👤" in pressed:
                    named = True  # the student chose to give their name
            # Telegram recovers: every relayed message reaches the other side exactly once.
            recording.clear_failures()
            assert app.outbox is not None
            await app.outbox.drain(within=60)
            relayed, stuck = await _relays_owed(app)
            assert not stuck, stuck
            assert _accepted(recording, relayed) == relayed
        finally:
            recording.clear_failures()
            await app.aclose()
            await bot.session.close()
            logging.getLogger().removeHandler(handler)
    return recording, records, named


async def _act(person: ChatDriver, action: Action) -> str | None:
    """Do `action`; returns the label of the button pressed, if any."""
    payload = action.payload
    if action.kind == "text":
        await person.send(payload if isinstance(payload, str) and payload else "сәлем")
    elif action.kind == "command":
        await person.send(
            payload if isinstance(payload, str) and payload.startswith("/") else "/start"
        )
    elif action.kind == "forged":
        from_bot = [
            m
            for m in person.session.chat_messages(person.chat_id)
            if m.from_user is not None and m.from_user.is_bot
        ]
        if from_bot:
            await person.click_data(str(payload)[:64] or "x")
    elif action.kind == "photo":
        await person.send_photo(caption=payload if isinstance(payload, str) else None)
    elif action.kind == "sticker":
        await person.send_sticker()
    else:
        try:
            message = person.session.keyboard_message(person.chat_id)
        except AssertionError:
            return None
        buttons = [b for b in builders.inline_buttons(message) if b.callback_data]
        if buttons:
            index = payload if isinstance(payload, int) else len(str(payload))
            button = buttons[index % len(buttons)]
            await person.click_data(button.callback_data or "", message.message_id)
            return button.text
    return None


def _student_secrets_shown(recording: RecordingSession) -> list[str]:
    """What staff were shown that identifies the (anonymous) student."""
    leaks = []
    for method in recording.requests:
        if getattr(method, "chat_id", None) not in STAFF:
            continue
        shown = str(method.model_dump(exclude={"chat_id"}))
        if re.search(rf"{STUDENT_USERNAME}|\b{STUDENT_ID}\b|{STUDENT_NAME}", shown):
            leaks.append(shown[:200])
    return leaks


def _cancelled_at_shutdown(record: logging.LogRecord) -> bool:
    """A job still running when the test's bot stops is cancelled: that is not a crash."""
    error = record.exc_info[1] if record.exc_info else None
    while error is not None:
        if isinstance(error, asyncio.CancelledError):
            return True
        error = error.__cause__ or error.__context__
    return False


@settings(
    # A few sequences in every run; KELISIM_FUZZ_EXAMPLES=200 for a long search.
    max_examples=int(os.environ.get("KELISIM_FUZZ_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(ACTIONS, min_size=15, max_size=40))
def test_any_sequence_of_updates_with_telegram_failing(actions: list[Action]) -> None:
    recording, errors, named = asyncio.run(_run(actions))
    crashes = [f"{r.name}: {r.getMessage()}" for r in errors if not _cancelled_at_shutdown(r)]
    assert not crashes, crashes
    refused = [
        f"{type(m).__name__}: {why}"
        for m in recording.requests
        if (why := telegram_would_refuse(m))
    ]
    assert not refused, refused
    if not named:
        assert not _student_secrets_shown(recording)
