"""The outbox sender: delivers owed rows after commit, in each chat's order, under Telegram's
limits, retrying what Telegram asks to retry, and never sending a delivered row again.

A row is claimed (status "sending", with a lease) in a committed transaction before its
network call and marked "sent" with Telegram's message id right after. The one window where a
message can go twice is a crash between Telegram accepting the call and that mark being
committed: on the next start the row is still "sending" and is sent again (at least once,
never lost). One sender per store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiogram.methods
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import aware
from bot.db.models import utcnow
from bot.db.unit_of_work import unit_of_work
from bot.outbox import signal
from bot.outbox.hooks import Delivery, HookContext, find
from bot.outbox.model import DEAD, FAILED, OWED, PENDING, SENDING, SENT, OutboxMessage
from bot.services.notifications import mark_blocked
from bot.telegram.errors import is_benign
from bot.telegram.session import DURABLE_CALL

log = logging.getLogger(__name__)

# Telegram's answers that mean the person or chat is gone for good.
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "bot was blocked")


@dataclass
class Pacing:
    """Telegram's limits: about 30 messages a second overall, about one a second per private
    chat (short bursts tolerated), 20 a minute per group."""

    rate: float = 25.0
    chat_rate: float = 1.0
    chat_burst: float = 10.0
    group_per_minute: float = 20.0


class _Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` per second."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = max(capacity, 1.0)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_time(self) -> float:
        """Seconds until a token is free (0: take one now)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def reserve(self) -> float:
        """Take a token now, in debt if need be; returns how long to wait before using it."""
        self.wait_time()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass(frozen=True)
class _Claim:
    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    attempts: int
    created_at: datetime


def build(method: str, params: dict[str, Any]) -> TelegramMethod[Any]:
    """The aiogram method a row stands for."""
    kind = getattr(aiogram.methods, method, None)
    if not (isinstance(kind, type) and issubclass(kind, TelegramMethod)):
        raise ValueError(f"unknown Telegram method {method!r}")
    result: TelegramMethod[Any] = kind.model_validate(params)
    return result


class OutboxSender:
    """Sends the outbox's rows; `start()` in the bot, `drain()` in tests and tools."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        pacing: Pacing | None = None,
        lease: float = 60.0,
        poll_every: float = 1.0,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        give_up_after: float = 86_400.0,
        concurrency: int = 8,
    ) -> None:
        self.session_factory = session_factory
        self.pacing = pacing or Pacing()
        self.lease = lease
        self.poll_every = poll_every
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.give_up_after = give_up_after
        self._global = _Bucket(self.pacing.rate, self.pacing.rate)
        self._chats: dict[int, _Bucket] = {}
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._semaphore = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._passing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.context: HookContext | None = None
        # Builds the hooks' context around a bot (set by the app).
        self.make_context: Callable[[Bot], HookContext] | None = None

    # ----- life cycle -----

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, context: HookContext) -> None:
        """Send in the background; rows a previous process left "sending" go again first."""
        if self.running:
            return
        self.context = context
        signal.listen(self._wake)
        self._task = asyncio.create_task(self._loop(), name="outbox-sender")

    async def stop(self) -> None:
        signal.forget(self._wake)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    async def recover(self) -> int:
        """Rows left "sending" by a process that stopped mid-call: owed again (at least once)."""
        async with self.session_factory() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == SENDING)
                .values(status=PENDING, lease_until=None)
            )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.warning(
                "outbox: %s message(s) were being sent when the bot stopped; sending again", count
            )
        return count

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.recover()
                break
            except Exception:
                log.exception("outbox: could not read the store; trying again")
                await asyncio.sleep(self.poll_every)
        while True:
            # Cleared before the pass: a commit during it wakes the next one.
            self._wake.clear()
            try:
                delay = await self.pass_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed; trying again")
                delay = self.poll_every
            timeout = self.poll_every if delay is None else min(delay, self.poll_every)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.001))
            except TimeoutError:
                pass

    async def drain(self, bot: Bot | None = None, *, within: float = 30.0) -> None:
        """Send everything owed now with `bot` and wait until nothing is owed (for tests and
        tools). Rows waiting for a retry are waited for too, up to `within` seconds."""
        if bot is not None and not self.running and self.make_context is not None:
            self.context = self.make_context(bot)
        deadline = time.monotonic() + within
        while True:
            if self.running:
                delay: float | None = 0.02
            else:
                delay = await self.pass_once()
                if self._inflight:
                    await asyncio.wait(
                        list(self._inflight.values()), return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
            if not self._inflight and not await self.owed():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox still owes messages")
            await asyncio.sleep(min(delay if delay is not None else 0.02, 0.25))

    async def owed(self) -> int:
        async with self.session_factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(OWED))
            )
        return int(count or 0)

    # ----- one pass -----

    def _chat_bucket(self, chat_id: int) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                per_minute = self.pacing.group_per_minute
                bucket = _Bucket(per_minute / 60.0, per_minute)
            else:
                bucket = _Bucket(self.pacing.chat_rate, self.pacing.chat_burst)
            self._chats[chat_id] = bucket
        return bucket

    async def pass_once(self) -> float | None:
        """Claim and start sending each chat's next row that is due; returns the seconds until
        the next row that had to wait is due (None: nothing waits)."""
        if self.context is None:
            raise RuntimeError("the outbox sender needs a bot: start() or drain(context)")
        async with self._passing:
            return await self._pass()

    async def _pass(self) -> float | None:
        now = utcnow()
        soonest: float | None = None
        claims: list[_Claim] = []
        taken: list[Any] = []
        async with self.session_factory() as session, session.begin():
            heads = (
                select(func.min(OutboxMessage.id))
                .where(
                    OutboxMessage.status.in_(OWED),
                    OutboxMessage.chat_id.not_in(tuple(self._inflight)),
                )
                .group_by(OutboxMessage.chat_id)
            )
            # Only what deciding needs; the parameters are read for the rows claimed.
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.chat_id,
                        OutboxMessage.status,
                        OutboxMessage.not_before,
                        OutboxMessage.lease_until,
                        OutboxMessage.attempts,
                        OutboxMessage.created_at,
                    )
                    .where(OutboxMessage.id.in_(heads))
                    .order_by(OutboxMessage.id)
                    .limit(500)
                )
            ).all()
            for row in rows:
                if row.chat_id in self._inflight:
                    continue
                due = aware(row.lease_until if row.status == SENDING else row.not_before)
                if due is not None and due > now:
                    wait = (due - now).total_seconds()
                    soonest = wait if soonest is None else min(soonest, wait)
                    continue
                bucket = self._chat_bucket(row.chat_id)
                wait = bucket.wait_time()
                if wait > 0:
                    soonest = wait if soonest is None else min(soonest, wait)
                    continue
                # Guarded: a row another pass claimed meanwhile is left alone.
                claimed = await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row.id,
                        OutboxMessage.status == row.status,
                        OutboxMessage.attempts == row.attempts,
                    )
                    .values(
                        status=SENDING,
                        lease_until=now + timedelta(seconds=self.lease),
                        attempts=row.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if not getattr(claimed, "rowcount", 0):
                    continue
                bucket.take()
                taken.append(row)
            if taken:
                calls = {
                    found.id: (found.method, found.params)
                    for found in await session.execute(
                        select(OutboxMessage.id, OutboxMessage.method, OutboxMessage.params).where(
                            OutboxMessage.id.in_([row.id for row in taken])
                        )
                    )
                }
                claims = [
                    _Claim(row.id, row.chat_id, *calls[row.id], row.attempts + 1, row.created_at)
                    for row in taken
                ]
        for claim in claims:
            self._inflight[claim.chat_id] = asyncio.create_task(self._deliver(claim))
        return soonest

    # ----- one row -----

    async def _pace(self) -> None:
        wait = self._global.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _deliver(self, claim: _Claim) -> None:
        try:
            async with self._semaphore:
                await self._pace()
                await self._attempt(claim)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox row %s: unexpected failure", claim.id)
        finally:
            self._inflight.pop(claim.chat_id, None)
            self._wake.set()

    async def _attempt(self, claim: _Claim) -> None:
        assert self.context is not None
        try:
            method = build(claim.method, claim.params)
        except ValueError as exc:
            await self._dead(claim, f"unreadable row: {exc}")
            return
        token = DURABLE_CALL.set(True)
        try:
            result = await self.context.bot(method)
        except TelegramRetryAfter as exc:
            await self._retry(claim, float(exc.retry_after), exc)
        except (TelegramServerError, TelegramNetworkError) as exc:
            delay = min(self.first_delay * 2 ** (claim.attempts - 1), self.max_delay)
            await self._retry(claim, delay, exc)
        except TelegramForbiddenError as exc:
            await self._gone(claim, exc)
        except (TelegramBadRequest, TelegramNotFound) as exc:
            text = str(exc.message).lower()
            if any(marker in text for marker in _GONE):
                await self._gone(claim, exc)
            elif is_benign(exc) and not claim.method.startswith("Send"):
                await self._sent(claim, None)  # an edit that changes nothing is done
            else:
                log.warning(
                    "outbox row %s (%s to %s) refused: %s",
                    claim.id,
                    claim.method,
                    claim.chat_id,
                    exc.message,
                )
                await self._dead(claim, str(exc.message))
        except TelegramAPIError as exc:
            delay = min(self.first_delay * 2 ** (claim.attempts - 1), self.max_delay)
            await self._retry(claim, delay, exc)
        else:
            await self._sent(claim, getattr(result, "message_id", None))
        finally:
            DURABLE_CALL.reset(token)

    async def _run_hook(self, name: str | None, delivery: Delivery, args: dict[str, Any]) -> bool:
        if not name:
            return True
        hook = find(name)
        if hook is None:
            log.error("outbox row %s: no hook named %r", delivery.row_id, name)
            return False
        assert self.context is not None
        try:
            async with unit_of_work(self.session_factory) as session:
                await hook(self.context, session, delivery, args)
        except Exception:
            log.exception("outbox row %s: hook %r failed", delivery.row_id, name)
            return False
        return True

    async def _sent(self, claim: _Claim, message_id: int | None) -> None:
        at = utcnow()
        async with self.session_factory() as session, session.begin():
            row = await session.get(OutboxMessage, claim.id)
            if row is None:
                return
            row.status = SENT
            row.sent_at = at
            row.message_id = message_id
            row.lease_until = None
            row.last_error = None
            hook, args = row.on_sent, dict(row.hook_args or {})
        await self._run_hook(hook, Delivery(claim.id, claim.chat_id, message_id, at), args)

    async def _retry(self, claim: _Claim, delay: float, error: Exception) -> None:
        age = (utcnow() - aware(claim.created_at)).total_seconds()
        if age + delay > self.give_up_after:
            log.warning(
                "outbox row %s to %s: giving up after %s attempts: %s",
                claim.id,
                claim.chat_id,
                claim.attempts,
                error,
            )
            await self._dead(claim, f"gave up: {error}")
            return
        log.info(
            "outbox row %s to %s: %s; again in %.1f s",
            claim.id,
            claim.chat_id,
            type(error).__name__,
            delay,
        )
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claim.id)
                .values(
                    status=FAILED,
                    lease_until=None,
                    not_before=utcnow() + timedelta(seconds=delay),
                    last_error=str(error)[:500],
                )
            )

    async def _dead(self, claim: _Claim, reason: str) -> None:
        at = utcnow()
        async with self.session_factory() as session, session.begin():
            row = await session.get(OutboxMessage, claim.id)
            if row is None:
                return
            row.status = DEAD
            row.lease_until = None
            row.last_error = reason[:500]
            hook, args = row.on_dead, dict(row.hook_args or {})
        await self._run_hook(hook, Delivery(claim.id, claim.chat_id, None, at, reason), args)

    async def _gone(self, claim: _Claim, error: TelegramAPIError) -> None:
        """The person blocked the bot or the chat is gone: marked, and nothing more goes there."""
        log.info("outbox: chat %s is gone (%s)", claim.chat_id, error.message)
        at = utcnow()
        async with self.session_factory() as session, session.begin():
            if claim.chat_id > 0:
                await mark_blocked(session, claim.chat_id)
            others = (
                await session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.chat_id == claim.chat_id,
                        OutboxMessage.status.in_(OWED),
                        OutboxMessage.id != claim.id,
                    )
                )
            ).all()
            hooks = []
            for row in others:
                row.status = DEAD
                row.lease_until = None
                row.last_error = "chat gone"
                hooks.append((row.id, row.on_dead, dict(row.hook_args or {})))
        await self._dead(claim, f"chat gone: {error.message}")
        for row_id, name, args in hooks:
            await self._run_hook(name, Delivery(row_id, claim.chat_id, None, at, "chat gone"), args)
