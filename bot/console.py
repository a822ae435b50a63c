"""`kelisim console`: the real dispatcher in a terminal, with a session that prints replies."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import sys
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)

from bot.config import Settings
from bot.factory import create_app, create_bot, create_dispatcher
from bot.runner import prepare_store

BOT_USER = User(id=1, is_bot=True, first_name="Kelisim", username="kelisim_bot")
_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)( [^>]*)?>")


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class ConsoleSession(BaseSession):
    """Prints what the bot sends and remembers the last inline keyboard."""

    def __init__(self, chat: Chat) -> None:
        super().__init__()
        self.chat = chat
        self.buttons: list[tuple[str, str, int]] = []  # label, callback data, message id
        self._ids = itertools.count(1_000)

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    def _show_keyboard(self, markup: Any, message_id: int) -> None:
        if not isinstance(markup, InlineKeyboardMarkup):
            return
        self.buttons = []
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data is not None:
                    self.buttons.append((button.text, button.callback_data, message_id))
                    print(f"   [{len(self.buttons)}] {button.text}")

    def _message(self, message_id: int, text: str | None, markup: Any) -> Message:
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=BOT_USER,
            text=text,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        )

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        result: Any = True
        if isinstance(method, SendMessage):
            message_id = next(self._ids)
            print("\nKelisim: " + _plain(method.text).replace("\n", "\n         "))
            self._show_keyboard(method.reply_markup, message_id)
            result = self._message(message_id, method.text, method.reply_markup)
        elif isinstance(method, EditMessageText):
            print("\nKelisim (edited): " + _plain(method.text or ""))
            self._show_keyboard(method.reply_markup, method.message_id or 0)
            result = self._message(method.message_id or 0, method.text, method.reply_markup)
        elif isinstance(method, EditMessageReplyMarkup):
            if method.reply_markup is None:
                self.buttons = [b for b in self.buttons if b[2] != method.message_id]
            result = self._message(method.message_id or 0, None, method.reply_markup)
        elif isinstance(method, AnswerCallbackQuery):
            if method.text:
                print(f"\n  ({_plain(method.text)})")
        return result


async def run_console(settings: Settings, role: str = "student", user_id: int | None = None) -> int:
    """Chat with the bot on standard input/output until end of input or /quit."""
    if user_id is None:
        ids = {"admin": settings.admin_ids, "curator": settings.curator_ids}.get(role) or []
        user_id = (
            ids[0] if ids else {"student": 100_001, "curator": 100_002, "admin": 100_003}[role]
        )
    user = User(
        id=user_id,
        is_bot=False,
        first_name=role.capitalize(),
        language_code=settings.default_language,
    )
    chat = Chat(id=user_id, type="private", first_name=user.first_name)
    session = ConsoleSession(chat)
    app = create_app(settings)
    await prepare_store(app)
    app.recorder.start()
    bot = create_bot(settings.model_copy(update={"bot_token": _console_token()}), session=session)
    dp = create_dispatcher(app)
    updates = itertools.count(1)
    messages = itertools.count(1)
    print(
        f"Kelisim console as {role} (id {user_id}). Type messages; #N presses button N; "
        "/quit or Ctrl-D exits. Try /start."
    )
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "\nyou> ")
            except EOFError:
                break
            line = line.strip()
            if line in ("/quit", "/exit"):
                break
            update = _update_for(line, next(updates), next(messages), user, chat, session)
            if update is None:
                print("  (no such button)")
                continue
            await dp.feed_update(bot, update)
    finally:
        await app.aclose()
    return 0


def _console_token() -> Any:
    from pydantic import SecretStr

    return SecretStr("1:console")


def _update_for(
    line: str, update_id: int, message_id: int, user: User, chat: Chat, session: ConsoleSession
) -> Update | None:
    if re.fullmatch(r"#\d+", line):
        index = int(line[1:]) - 1
        if not 0 <= index < len(session.buttons):
            return None
        _label, data, on_message = session.buttons[index]
        return Update(
            update_id=update_id,
            callback_query=CallbackQuery(
                id=str(update_id),
                from_user=user,
                chat_instance="console",
                data=data,
                message=Message(
                    message_id=on_message,
                    date=datetime.now(UTC),
                    chat=chat,
                    from_user=BOT_USER,
                    text="…",
                ),
            ),
        )
    entities = None
    if line.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(line.split()[0]))]
    return Update(
        update_id=update_id,
        message=Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=chat,
            from_user=user,
            text=line,
            entities=entities,
        ),
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(asyncio.run(run_console(Settings())))
