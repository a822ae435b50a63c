"""Writing to the outbox: `enqueue(session, method)` in the transaction of the change that
causes the message; the sender is woken once that transaction commits."""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.client.default import Default
from aiogram.methods import (
    CopyMessage,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.outbox import signal
from bot.outbox.model import PENDING, OutboxMessage
from bot.telegram.limits import CAPTION_LIMIT, MESSAGE_LIMIT, fits, split_numbered, split_text

_CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAudio, SendVoice, SendAnimation, CopyMessage)


def params_of(method: TelegramMethod[Any]) -> dict[str, Any]:
    """The method's parameters as JSON; unset defaults (parse mode) are left to the Bot."""
    data = method.model_dump(exclude_none=True)
    data = {name: value for name, value in data.items() if not isinstance(value, Default)}
    result: dict[str, Any] = to_jsonable_python(data, fallback=lambda _value: None)
    return result


def _parts(method: TelegramMethod[Any]) -> list[TelegramMethod[Any]]:
    """The calls that deliver `method` within Telegram's limits, in order.

    A long text becomes numbered parts; a long caption a shorter caption plus text. Only the
    last part keeps the buttons. Texts are HTML (the bot's default parse mode).
    """
    if isinstance(method, SendMessage) and not fits(method.text, MESSAGE_LIMIT):
        texts = split_numbered(method.text, MESSAGE_LIMIT, html=True)
        return [
            method.model_copy(
                update={
                    "text": text,
                    "entities": None,
                    "reply_markup": method.reply_markup if index == len(texts) - 1 else None,
                }
            )
            for index, text in enumerate(texts)
        ]
    if (
        isinstance(method, _CAPTIONED)
        and method.caption
        and not fits(method.caption, CAPTION_LIMIT)
    ):
        head, *tail = split_text(method.caption, CAPTION_LIMIT, html=True)
        texts = split_numbered("".join(tail), MESSAGE_LIMIT, html=True)
        calls: list[TelegramMethod[Any]] = [
            method.model_copy(
                update={"caption": head, "caption_entities": None, "reply_markup": None}
            )
        ]
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            calls.append(
                SendMessage(
                    chat_id=method.chat_id,
                    text=text,
                    message_thread_id=method.message_thread_id,
                    reply_markup=method.reply_markup if last else None,
                )
            )
        return calls
    return [method]


async def enqueue(
    session: AsyncSession,
    method: TelegramMethod[Any],
    *,
    key: str | None = None,
    on_sent: str | None = None,
    on_dead: str | None = None,
    args: dict[str, Any] | None = None,
) -> list[OutboxMessage]:
    """Owe `method` to its chat: sent after `session` commits, never if it rolls back.

    `key` makes it idempotent (the same key twice is one message). `on_sent` / `on_dead` name
    hooks (bot.outbox.hooks) run with `args` once the last part is delivered or given up.
    A message over Telegram's limits is stored as its parts, in order.
    """
    chat_id = getattr(method, "chat_id", None)
    if not isinstance(chat_id, int):
        raise ValueError(f"an outbox message needs a numeric chat_id, not {chat_id!r}")
    key = key or uuid.uuid4().hex
    taken = select(OutboxMessage.id).where(
        (OutboxMessage.key == key) | (OutboxMessage.key == key + "#1")
    )
    if await session.scalar(taken.limit(1)) is not None:
        return []
    calls = _parts(method)
    rows = []
    for index, call in enumerate(calls):
        last = index == len(calls) - 1
        row = OutboxMessage(
            key=key if len(calls) == 1 else f"{key}#{index + 1}",
            chat_id=chat_id,
            method=type(call).__name__,
            params=params_of(call),
            status=PENDING,
            attempts=0,
            on_sent=on_sent if last else None,
            on_dead=on_dead,
            hook_args=args,
        )
        session.add(row)
        rows.append(row)
    await session.flush()
    after_commit(session, signal.wake)
    return rows
