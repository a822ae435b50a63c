"""/help, /menu and the menu's buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.handlers import entry_points as journeys
from bot.handlers.callbacks import MenuItem
from bot.handlers.common import stale_button
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import language_keyboard, menu_keyboard, privacy_keyboard
from bot.handlers.privacy.router import ask_delete_confirmation, privacy_text
from bot.handlers.texts import capabilities
from bot.services.knowledge import KnowledgeBase
from bot.services.users import Profile

MENU_ITEMS = frozenset(
    {"ask", "consult", "incident", "events", "learn", "requests", "language", "privacy", "delete"}
)


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


async def menu_item(
    callback: CallbackQuery,
    callback_data: MenuItem,
    kb: KnowledgeBase,
    language: str,
    profile: Profile | None,
    state: FSMContext,
    session: AsyncSession,
    is_admin: bool = False,
    settings: Settings | None = None,
) -> None:
    message = callback.message
    if not isinstance(message, Message) or callback_data.item not in MENU_ITEMS:
        await stale_button(callback)
        return
    await callback.answer()
    match callback_data.item:
        case "ask":
            await message.answer(_("Write your question in your own words, in Kazakh or Russian."))
        case "consult":
            await journeys.consultation(message, state, profile, session)
        case "incident":
            await journeys.incident(message, kb, language, state)
        case "events":
            await journeys.events(message, session, language, is_admin=is_admin)
        case "learn":
            await journeys.courses(message, session, kb, language)
        case "requests":
            await journeys.my_requests(message, session, callback.from_user.id)
        case "language":
            await message.answer(
                _("Choose your language:"), reply_markup=language_keyboard(language)
            )
        case "privacy":
            await message.answer(
                privacy_text(profile, settings.retention_days if settings else 365),
                reply_markup=privacy_keyboard(),
            )
        case "delete":
            await ask_delete_confirmation(message, profile)


async def consult_command(
    message: Message, state: FSMContext, profile: Profile | None, session: AsyncSession
) -> None:
    await journeys.consultation(message, state, profile, session)


async def events_command(
    message: Message, session: AsyncSession, language: str, is_admin: bool = False
) -> None:
    await journeys.events(message, session, language, is_admin=is_admin)


async def learn_command(
    message: Message, session: AsyncSession, kb: KnowledgeBase, language: str
) -> None:
    await journeys.courses(message, session, kb, language)


async def my_command(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    await journeys.my_requests(message, session, message.from_user.id)


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
