"""A student blocking the bot, or coming back, is noticed when Telegram says so, not on the
next failed send: nothing more is sent to someone who left, and they get everything again
once they return."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.notifications import mark_blocked, mark_returned

_GONE = (ChatMemberStatus.KICKED, ChatMemberStatus.LEFT)


async def membership_changed(
    event: ChatMemberUpdated, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    if event.chat.type != ChatType.PRIVATE:
        return
    gone = event.new_chat_member.status in _GONE
    async with session_factory() as session, session.begin():
        if gone:
            await mark_blocked(session, event.from_user.id)
        else:
            await mark_returned(session, event.from_user.id)


def create_router() -> Router:
    router = Router(name="membership")
    router.my_chat_member.register(membership_changed)
    return router
