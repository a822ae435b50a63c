"""One AsyncSession per update, committed when the handler returns; handlers never commit.

The session is the update's unit of work: side effects recorded with
`bot.db.unit_of_work.after_commit` run after the commit and are dropped on a rollback."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.unit_of_work import discard, run_after_commit
from bot.middlewares import Data, Handler


class DbSessionMiddleware(BaseMiddleware):
    """The session begins its transaction only when a handler first uses it (SQLAlchemy's
    autobegin), so updates served from memory cost no database round trip at all."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        session = self.session_factory()
        data["session"] = session
        try:
            result = await handler(event, data)
            if session.in_transaction():
                await session.commit()
        except BaseException:
            discard(session)
            if session.in_transaction():
                await session.rollback()
            raise
        else:
            await run_after_commit(session)
            return result
        finally:
            if session.in_transaction() or session.sync_session.identity_map:
                await session.close()
