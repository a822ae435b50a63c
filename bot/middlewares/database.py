"""One AsyncSession per update, committed when the handler returns; handlers never commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class DbSessionMiddleware(BaseMiddleware):
    """The session begins its transaction only when a handler first uses it (SQLAlchemy's
    autobegin), so updates served from memory cost no database round trip at all."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.session_factory()
        data["session"] = session
        try:
            result = await handler(event, data)
            if session.in_transaction():
                await session.commit()
            return result
        except BaseException:
            if session.in_transaction():
                await session.rollback()
            raise
        finally:
            if session.in_transaction() or session.sync_session.identity_map:
                await session.close()
