"""/help, /menu and the menu's buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers import entry_points as journeys
from bot.handlers.callbacks import MenuItem
from bot.handlers.common import stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import language_keyboard, menu_keyboard, privacy_keyboard
from bot.handlers.privacy.router import ask_delete_confirmation, privacy_text
from bot.handlers.texts import capabilities


def help_text() -> str:
    return (
        capabilities()
        + "\n\n"
        + _(
            "Commands:\n"
            "/menu — main menu\n"
            "/consult — contact a curator\n"
            "/events — events\n"
            "/learn — learning materials\n"
            "/my — my requests\n"
            "/me — my cabinet: events, notifications, my data\n"
            "/lang — change language\n"
            "/privacy — your data and consent\n"
            "/help — this help"
        )
    )


async def show_help(message: Message) -> None:
    await message.answer(help_text(), reply_markup=menu_keyboard())


async def show_menu(message: Message) -> None:
    await message.answer(
        _("Main menu. Choose or just write your question:"), reply_markup=menu_keyboard()
    )


async def _ask(message: Message, ctx: Ctx) -> None:
    await message.answer(_("Write your question in your own words, in Kazakh or Russian."))


async def _consult(message: Message, ctx: Ctx) -> None:
    await journeys.consultation(message, ctx.state, ctx.profile, ctx.session)


async def _incident(message: Message, ctx: Ctx) -> None:
    await journeys.incident(message, ctx.kb, ctx.language, ctx.state)


async def _events(message: Message, ctx: Ctx) -> None:
    await journeys.events(message, ctx.session, ctx.language, is_admin=ctx.is_admin)


async def _learn(message: Message, ctx: Ctx) -> None:
    await journeys.courses(message, ctx.session, ctx.kb, ctx.language)


async def _requests(message: Message, ctx: Ctx) -> None:
    await journeys.my_requests(message, ctx.session, ctx.user_id)


async def _language(message: Message, ctx: Ctx) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard(ctx.language))


async def _privacy(message: Message, ctx: Ctx) -> None:
    await message.answer(
        privacy_text(ctx.profile, ctx.settings.retention_days), reply_markup=privacy_keyboard()
    )


async def _delete(message: Message, ctx: Ctx) -> None:
    await ask_delete_confirmation(message, ctx.profile)


# What each button of the main menu opens.
MENU_ACTIONS: dict[str, Callable[[Message, Ctx], Awaitable[None]]] = {
    "ask": _ask,
    "consult": _consult,
    "incident": _incident,
    "events": _events,
    "learn": _learn,
    "requests": _requests,
    "language": _language,
    "privacy": _privacy,
    "delete": _delete,
}


async def menu_item(callback: CallbackQuery, callback_data: MenuItem, ctx: Ctx) -> None:
    action = MENU_ACTIONS.get(callback_data.item)
    if not isinstance(callback.message, Message) or action is None:
        await stale_button(callback)
        return
    await callback.answer()
    await action(callback.message, ctx)


async def consult_command(message: Message, ctx: Ctx) -> None:
    await _consult(message, ctx)


async def events_command(message: Message, ctx: Ctx) -> None:
    await _events(message, ctx)


async def learn_command(message: Message, ctx: Ctx) -> None:
    await _learn(message, ctx)


async def my_command(message: Message, ctx: Ctx) -> None:
    await _requests(message, ctx)


def create_router() -> Router:
    router = Router(name="menu")
    # Only commands reach these handlers: one cheap check instead of one per command.
    router.message.filter(PrivateChat(), CommandText())
    router.message.register(show_help, Command("help"))
    router.message.register(show_menu, Command("menu"))
    router.message.register(consult_command, Command("consult"))
    router.message.register(events_command, Command("events"))
    router.message.register(learn_command, Command("learn"))
    router.message.register(my_command, Command("my"))
    router.callback_query.register(menu_item, MenuItem.filter())
    return router
