"""A store that refuses writes loses nothing: the update waits in a spool and runs again later.

When the store cannot take a write (a read-only file, a full disk, a lock held past the busy
timeout, a database server gone), the update that failed is appended to a spool file and the
person is told once that it is saved. Nothing left the process for it: side effects wait for
the commit. The connection pool is thrown away, so the next attempt opens fresh connections
(a SQLite connection opened while the file was read-only stays read-only). A background task
replays the spool in order once the store writes again. While a consultation's messages wait,
new ones in it queue behind them, so the conversation keeps its order; other updates (an FAQ
question) are tried at once, since many need no write at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import Update
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.middlewares.locale import language_from_code

log = logging.getLogger(__name__)

# During a replay: where the middleware reports a store failure (aiogram's error handling
# would otherwise swallow it before the replay loop sees it).
_replaying: ContextVar[list[BaseException] | None] = ContextVar(
    "kelisim_spool_replaying", default=None
)
# How much of a spool is kept in memory when even the spool file cannot be written.
_MEMORY_LIMIT = 10_000


def is_store_failure(error: BaseException) -> bool:
    """True when the store refused to work, as opposed to a bug in a handler."""
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (ConnectionError, OSError)) and "database" in str(error).lower()


def _chat_of(update: Update) -> int | None:
    event = update.event
    chat = getattr(event, "chat", None)
    if chat is None and update.callback_query is not None and update.callback_query.message:
        chat = update.callback_query.message.chat
    return getattr(chat, "id", None)


def _user_of(update: Update) -> Any:
    return getattr(update.event, "from_user", None)


def _order_matters(update: Update, data: dict[str, Any]) -> bool:
    """Relays must keep their order: a student with an open consultation, curators, admins.
    Anything else (an FAQ question, say) is tried at once: it may need no write at all."""
    user = _user_of(update)
    if user is None:
        return False
    cases = data.get("cases")
    roles = data.get("roles")
    if cases is not None and user.id in cases:
        return True
    return roles is not None and (roles.is_curator(user.id) or roles.is_admin(user.id))


class UpdateSpool:
    """The durable queue of updates that met a store outage, and its replay."""

    def __init__(
        self,
        path: Path,
        engine: AsyncEngine,
        i18n: I18n,
        default_language: str,
        retry_every: float = 5.0,
    ) -> None:
        self.path = path
        self.engine = engine
        self.i18n = i18n
        self.default_language = default_language
        self.retry_every = retry_every
        self._memory: list[str] = []
        self._waiting_chats: set[int] = set()
        self._told: set[int] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._load_waiting_chats()

    # ----- the queue -----

    def _load_waiting_chats(self) -> None:
        for line in self._lines():
            chat = _chat_of(Update.model_validate_json(line))
            if chat is not None:
                self._waiting_chats.add(chat)

    def _lines(self) -> list[str]:
        lines = list(self._memory)
        if self.path.is_file():
            text = self.path.read_text(encoding="utf-8")
            lines = [line for line in text.splitlines() if line.strip()] + lines
        return lines

    def __len__(self) -> int:
        return len(self._lines())

    def waiting(self, update: Update) -> bool:
        chat = _chat_of(update)
        return chat is not None and chat in self._waiting_chats

    def _append(self, update: Update) -> None:
        line = update.model_dump_json(exclude_none=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as spool:
                spool.write(line + "\n")
                spool.flush()
                os.fsync(spool.fileno())
        except OSError as exc:  # the disk is what is full: keep it in memory meanwhile
            log.warning("spool file %s not writable (%s); keeping update in memory", self.path, exc)
            if len(self._memory) < _MEMORY_LIMIT:
                self._memory.append(line)
        chat = _chat_of(update)
        if chat is not None:
            self._waiting_chats.add(chat)

    def _rewrite(self, lines: list[str]) -> None:
        self._memory.clear()
        if not lines:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        temporary.replace(self.path)

    async def keep(self, bot: Bot, update: Update) -> None:
        """Spool `update`; tell its sender once per outage that it is saved."""
        async with self._lock:
            self._append(update)
        user = _user_of(update)
        chat = _chat_of(update)
        if user is None or chat is None or chat in self._told:
            return
        self._told.add(chat)
        language = language_from_code(getattr(user, "language_code", None), self.default_language)
        text = self.i18n.gettext(
            "The service is having a short technical problem. Your message is saved and will be "
            "handled as soon as it is over; there is no need to send it again.",
            locale=language,
        )
        with contextlib.suppress(Exception):
            await bot.send_message(chat, text)

    async def replay(self, bot: Bot, dp: Dispatcher) -> int:
        """Run the spooled updates in order until one meets the outage again; returns how many ran."""
        async with self._lock:
            lines = self._lines()
            done = 0
            failures: list[BaseException] = []
            token = _replaying.set(failures)
            try:
                for line in lines:
                    update = Update.model_validate_json(line)
                    await dp.feed_update(bot, update)
                    if failures:
                        await self.engine.dispose()
                        break
                    done += 1
            finally:
                _replaying.reset(token)
            rest = lines[done:]
            self._rewrite(rest)
            self._waiting_chats = {
                chat
                for chat in (_chat_of(Update.model_validate_json(line)) for line in rest)
                if chat is not None
            }
            if not rest:
                self._told.clear()
            if done:
                log.info("replayed %d spooled updates; %d still waiting", done, len(rest))
            return done

    # ----- the background task -----

    def start(self, bot: Bot, dp: Dispatcher) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(bot, dp), name="update-spool")

    async def _run(self, bot: Bot, dp: Dispatcher) -> None:
        while True:
            await asyncio.sleep(self.retry_every)
            if len(self):
                try:
                    await self.replay(bot, dp)
                except Exception:
                    log.exception("replaying the spool failed; will retry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class StoreOutageMiddleware(BaseMiddleware):
    """Outer update middleware: spools what a store outage stopped, and what must queue behind."""

    def __init__(self, spool: UpdateSpool) -> None:
        self.spool = spool

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        failures = _replaying.get()
        if failures is not None:
            try:
                return await handler(event, data)
            except Exception as exc:
                if not is_store_failure(exc):
                    raise
                failures.append(exc)
                return None
        bot: Bot = data["bot"]
        if self.spool.waiting(event) and _order_matters(event, data):
            await self.spool.keep(bot, event)  # a relay waits behind the ones before it
            return None
        try:
            return await handler(event, data)
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            log.warning("store failure on update %s: %s; spooled", event.update_id, exc)
            await self.spool.engine.dispose()
            await self.spool.keep(bot, event)
            return None
