"""State several bot replicas share through Redis (when REDIS_URL is set).

- dialog state (aiogram's RedisStorage) and per-user ordering of updates across replicas
  (RedisEventIsolation);
- flood-control counters, so a user's burst is counted once whichever replica gets it;
- change notices: a transaction that changed the knowledge base, the lexicon, staff roles,
  consultations or a user's profile publishes, after commit, which of these changed; every
  replica drops or reloads its in-memory copy at once instead of waiting for its re-read.

One process without Redis keeps all of this in memory and its dialog state in the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import Update
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Which in-memory copy a changed table invalidates.
TOPICS: dict[str, str] = {
    "faq_entries": "kb",
    "kb_revision": "kb",
    "lexicon_groups": "kb",
    "staff": "roles",
    "consultations": "cases",
    "users": "profiles",
}

# Sliding-window flood control in one round trip: 1 let through, 0 over the limit (tell the
# user), -1 over the limit and already told.
_THROTTLE = """
local events, noticed = KEYS[1], KEYS[2]
local now, window, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', events, '-inf', now - window)
if redis.call('ZCARD', events) < burst then
  redis.call('ZADD', events, now, ARGV[4])
  redis.call('PEXPIRE', events, math.ceil(window * 1000))
  redis.call('DEL', noticed)
  return 1
end
if redis.call('SET', noticed, '1', 'NX', 'PX', math.ceil(window * 1000)) then
  return 0
end
return -1
"""


class HandledOnce(BaseMiddleware):
    """An update delivered again after its answer was lost (a proxy's retry, Telegram's
    re-delivery) is acknowledged without being handled twice.

    It runs inside the per-user lock of RedisEventIsolation, so two deliveries of one update on
    two replicas take turns and the second finds the first one's mark.
    """

    def __init__(self, shared: SharedState, ttl: int = 86_400) -> None:
        self.shared = shared
        self.ttl = ttl

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        key = f"{self.shared.prefix}:handled:{event.update_id}"
        try:
            if await self.shared.redis.exists(key):
                log.info("update %s was handled already: not again", event.update_id)
                return None
        except Exception as error:
            log.warning("could not check update %s in Redis (%s)", event.update_id, error)
        result = await handler(event, data)
        try:
            await self.shared.redis.set(key, b"1", ex=self.ttl)
        except Exception as error:
            log.warning("could not mark update %s handled (%s)", event.update_id, error)
        return result


class SharedState:
    """One Redis connection pool and the objects built on it, under one key prefix."""

    def __init__(self, url: str, prefix: str = "kelisim") -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix
        self.channel = f"{prefix}:changes"
        self.sender = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._throttle = self.redis.register_script(_THROTTLE)

    def storage(self) -> RedisStorage:
        return RedisStorage(
            self.redis,
            key_builder=DefaultKeyBuilder(prefix=f"{self.prefix}:fsm", with_destiny=True),
        )

    def isolation(self) -> RedisEventIsolation:
        return RedisEventIsolation(
            self.redis, key_builder=DefaultKeyBuilder(prefix=f"{self.prefix}:fsm")
        )

    async def allow(self, user_id: int, burst: int, window: float, now: float) -> int:
        """1: let the event through; 0: over the limit, tell the user; -1: over, already told."""
        base = f"{self.prefix}:flood:{user_id}"
        result = await self._throttle(
            keys=[base, base + ":noticed"],
            args=[now, window, burst, f"{now}:{secrets.token_hex(3)}"],
        )
        return int(result)

    async def publish(self, topics: dict[str, list[int]]) -> None:
        """Tell every replica which copies are stale (`profiles` carries the user ids)."""
        message = json.dumps({"from": self.sender, "topics": topics})
        await self.redis.publish(self.channel, message)

    async def listen(
        self,
        on_change: Callable[[dict[str, list[int]]], Awaitable[None]],
        ready: asyncio.Event | None = None,
    ) -> None:
        """Call `on_change` for every notice another process publishes; runs until cancelled."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    notice = json.loads(message["data"])
                    if notice.get("from") == self.sender:
                        continue
                    try:
                        await on_change(notice.get("topics", {}))
                    except Exception:
                        log.exception("could not apply a change notice")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Redis restarted or the network blinked: the periodic re-reads cover the gap.
                log.warning("change notices interrupted (%s); resubscribing", error)
                await asyncio.sleep(1.0)
            finally:
                await pubsub.aclose()

    async def aclose(self) -> None:
        await self.redis.aclose()


def publish_changes_after_commit(session_class: type[Session], shared: SharedState) -> None:
    """Publish, after each commit, which shared copies the transaction made stale."""

    def changed_topics(session: Session) -> dict[str, set[int]]:
        found: dict[str, set[int]] = session.info.setdefault("kelisim_changes", {})
        return found

    @event.listens_for(session_class, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        found = changed_topics(session)
        for obj in (*session.new, *session.dirty, *session.deleted):
            table = getattr(getattr(obj, "__table__", None), "name", None)
            topic = TOPICS.get(table or "")
            if topic is None:
                continue
            ids = found.setdefault(topic, set())
            if topic == "profiles" and isinstance(getattr(obj, "id", None), int):
                ids.add(obj.id)

    @event.listens_for(session_class, "do_orm_execute")
    def _collect_bulk(state: Any) -> None:
        if not (state.is_update or state.is_delete or state.is_insert):
            return
        table = getattr(getattr(state.statement, "table", None), "name", None)
        topic = TOPICS.get(table or "")
        if topic is not None:
            # A bulk statement names no rows: every cached profile is dropped.
            changed_topics(state.session).setdefault(topic, set()).add(-1)

    @event.listens_for(session_class, "after_commit")
    def _publish(session: Session) -> None:
        found = session.info.pop("kelisim_changes", None)
        if not found:
            return
        topics = {topic: sorted(ids) for topic, ids in found.items()}
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(_publish_quietly(shared, topics))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    @event.listens_for(session_class, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop("kelisim_changes", None)


_pending: set[asyncio.Task[None]] = set()


async def _publish_quietly(shared: SharedState, topics: dict[str, list[int]]) -> None:
    try:
        await shared.publish(topics)
    except Exception as error:
        log.warning("could not publish a change notice (%s); replicas re-read in time", error)
