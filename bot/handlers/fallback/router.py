"""What nothing else handled: non-text messages, unknown commands, stale buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.filters import CommandText, PrivateChat


async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know this command. Send /help to see what I can do."))


async def non_text(message: Message) -> None:
    await message.answer(
        _(
            "I understand only text messages. Please write your question in words, in Kazakh "
            "or Russian. If you want to send a photo or a document to a curator, start a "
            "consultation from the /menu."
        )
    )


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(
        _("This button is out of date. Send /menu to start again."), show_alert=True
    )


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(PrivateChat())
    router.message.register(unknown_command, CommandText())
    router.message.register(non_text)
    router.callback_query.register(stale_button)
    return router
