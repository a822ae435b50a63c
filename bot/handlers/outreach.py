"""Events, the personal cabinet and announcements behind one gate, so that ordinary free text
(not a command, not an answer in one of their dialogs) passes all three with one check."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import Message

from bot.handlers.announcements import router as announcements
from bot.handlers.cabinet import router as cabinet
from bot.handlers.events import router as events

DIALOG_STATES = frozenset(
    state.state
    for group in (events.EventDialog, announcements.AnnounceDialog)
    for state in group.__states__
)


class CommandOrDialog(Filter):
    """A command, or any message while one of these routers' dialogs waits for an answer."""

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        return raw_state in DIALOG_STATES or (message.text or "").startswith("/")


def create_router() -> Router:
    router = Router(name="outreach")
    # A root filter: when it fails, aiogram skips the sub-routers too.
    router.message.filter(CommandOrDialog())
    router.include_routers(
        events.create_router(), cabinet.create_router(), announcements.create_router()
    )
    return router
