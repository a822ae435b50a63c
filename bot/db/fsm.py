"""aiogram's FSM storage kept in the store, so dialogs survive a restart without Redis.

Reads come from memory once a key has been seen (every update reads its state, and the FAQ
path must not pay a query for that). A change made while an update is handled is written when
that update is done (`FsmFlushMiddleware`): the update's own transaction may hold SQLite's write
lock until then, and a second connection writing meanwhile would wait on it. Changes made
outside an update are written at once. One process owns its keys this way; several replicas
share FSM state through Redis instead.
"""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmState, utcnow

log = logging.getLogger(__name__)

_Record = tuple[str | None, dict[str, Any]]
# Set while an update is being handled: writes wait for it to finish.
_in_update: ContextVar[bool] = ContextVar("kelisim_fsm_in_update", default=False)


def storage_key(key: StorageKey) -> str:
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


class StoreStorage(BaseStorage):
    """FSM state and data in the `fsm_states` table, with a bounded read cache."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], cache_size: int = 20_000
    ) -> None:
        self._sessions = session_factory
        self._cache: OrderedDict[str, _Record] = OrderedDict()
        self._cache_size = cache_size
        self._dirty: dict[str, StorageKey] = {}

    async def _load(self, key: StorageKey) -> _Record:
        name = storage_key(key)
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return cached
        try:
            async with self._sessions() as session:
                row = await session.get(FsmState, name)
        except SQLAlchemyError as exc:
            log.warning("could not read dialog state %s: %s", name, exc)
            return None, {}
        record: _Record = (row.state, dict(row.data or {})) if row else (None, {})
        self._remember(name, record)
        return record

    def _remember(self, name: str, record: _Record) -> None:
        self._cache[name] = record
        self._cache.move_to_end(name)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _save(self, key: StorageKey, state: str | None, data: dict[str, Any]) -> None:
        name = storage_key(key)
        self._remember(name, (state, data))
        if _in_update.get():
            self._dirty[name] = key
        else:
            await self._write(name, key, state, data)

    async def flush(self) -> None:
        """Write every change made by updates that have finished."""
        while self._dirty:
            name, key = self._dirty.popitem()
            state, data = self._cache.get(name, (None, {}))
            await self._write(name, key, state, data)

    async def _write(
        self, name: str, key: StorageKey, state: str | None, data: dict[str, Any]
    ) -> None:
        try:
            async with self._sessions() as session, session.begin():
                if state is None and not data:
                    await session.execute(delete(FsmState).where(FsmState.key == name))
                    return
                row = await session.get(FsmState, name)
                if row is None:
                    session.add(FsmState(key=name, user_id=key.user_id, state=state, data=data))
                else:
                    row.state, row.data, row.updated_at = state, data, utcnow()
        except SQLAlchemyError as exc:
            # The dialog goes on from memory; only a restart during the outage would lose it.
            log.warning("could not keep dialog state %s: %s", name, exc)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _old, data = await self._load(key)
        await self._save(key, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _data = await self._load(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise TypeError(f"FSM data must be a dict, not {type(data).__name__}")
        state, _old = await self._load(key)
        await self._save(key, state, copy.deepcopy(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _state, data = await self._load(key)
        return copy.deepcopy(data)

    async def close(self) -> None:
        await self.flush()
        self._cache.clear()


class FsmFlushMiddleware(BaseMiddleware):
    """Writes the dialog changes an update made once it is handled (outermost middleware)."""

    def __init__(self, storage: StoreStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        token = _in_update.set(True)
        try:
            return await handler(event, data)
        finally:
            _in_update.reset(token)
            await self.storage.flush()
