"""First contact: language choice, consent to personal-data processing, /lang."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.callbacks import ConsentChoice, LanguageChoice
from bot.handlers.common import stale_button, switch_language
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import consent_keyboard, language_keyboard, menu_keyboard
from bot.handlers.texts import capabilities, language_name
from bot.middlewares.locale import PENDING_LANGUAGE_KEY
from bot.services.users import Profile, give_consent


def consent_text() -> str:
    return _(
        "<b>Consent to personal data processing</b>\n\n"
        "To answer you and, if you wish, connect you with a curator, Kelisim keeps: your "
        "Telegram id, name and username, your language, the questions you ask and your "
        "consultations. The data is used only for this help and the service's anonymous "
        "statistics, and is not passed to anyone else. Consultations can be anonymous.\n\n"
        "You can withdraw consent and delete your data at any time: /privacy.\n"
        "(Law of the Republic of Kazakhstan «On personal data and their protection».)\n\n"
        "Do you agree?"
    )


def welcome_text() -> str:
    return _("Welcome! 👋") + "\n\n" + capabilities()


async def start(message: Message, profile: Profile | None, language: str) -> None:
    if profile is not None and profile.consent_current:
        await message.answer(welcome_text(), reply_markup=menu_keyboard())
        return
    await message.answer(
        _("Сәлем! Здравствуйте! Choose your language:"),
        reply_markup=language_keyboard(language),
    )


async def choose_language_command(message: Message, language: str) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard(language))


async def language_chosen(callback: CallbackQuery, callback_data: LanguageChoice, ctx: Ctx) -> None:
    code, profile = callback_data.code, ctx.profile
    if code not in ("kk", "ru") or callback.message is None:
        await stale_button(callback)
        return
    await switch_language(ctx, code)
    with ctx.i18n.use_locale(code):
        await callback.answer()
        if profile is not None and profile.consent_current:
            await callback.message.answer(
                _("Done: I will speak {language}.").format(language=language_name(code)),
                reply_markup=menu_keyboard(),
            )
        else:
            await callback.message.answer(consent_text(), reply_markup=consent_keyboard())


async def consent_chosen(callback: CallbackQuery, callback_data: ConsentChoice, ctx: Ctx) -> None:
    if callback.message is None:
        await stale_button(callback)
        return
    await callback.answer()
    if not callback_data.accept:
        await callback.message.answer(
            _(
                "Understood: I keep nothing about you. You can still ask me questions; "
                "to talk with a curator, I will need your consent. Send /start to change your mind."
            )
        )
        return
    user = callback.from_user
    profile = await give_consent(ctx.session, user.id, ctx.language, user.first_name, user.username)
    ctx.profiles.put(user.id, profile)
    await ctx.state.update_data({PENDING_LANGUAGE_KEY: None})
    await callback.message.answer(
        _("Thank you! Consent saved.") + "\n\n" + welcome_text(), reply_markup=menu_keyboard()
    )


def create_router() -> Router:
    router = Router(name="onboarding")
    # Only commands reach these handlers: one cheap check instead of one per command.
    router.message.filter(PrivateChat(), CommandText())
    router.message.register(start, CommandStart())
    router.message.register(choose_language_command, Command("lang", "language"))
    router.callback_query.register(language_chosen, LanguageChoice.filter())
    router.callback_query.register(consent_chosen, ConsentChoice.filter())
    return router
