"""Answers every journey gives the same way: who may use a command, and a button that no
longer fits what it was pressed on."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.context import Ctx
from bot.middlewares.locale import PENDING_LANGUAGE_KEY
from bot.services.users import Profile, set_language


def admins_only() -> str:
    return _("This command is for Kelisim admins only.")


def curators_only() -> str:
    return _("This is for Kelisim curators only.")


def out_of_date() -> str:
    return _("This button is out of date.")


async def answer(event: Message | CallbackQuery, text: str) -> None:
    """A message gets a reply; a button press gets an alert (a toast is easily missed)."""
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


def refusal(reason: Callable[[], str]) -> Callable[[Message | CallbackQuery], Awaitable[None]]:
    """A handler that refuses a command or a button with `reason()`, in the user's language."""

    async def refuse(event: Message | CallbackQuery) -> None:
        await answer(event, reason())

    return refuse


refuse_non_admin = refusal(admins_only)
refuse_non_curator = refusal(curators_only)


async def stale_button(callback: CallbackQuery) -> None:
    """A button whose object is gone or changed: say so instead of doing something else."""
    await callback.answer(out_of_date(), show_alert=True)


async def at_step(callback: CallbackQuery, state: FSMContext, step: str) -> Message | None:
    """The message of a dialog's button when the dialog (FSM data "step") is at `step`;
    otherwise the stale-button answer and None: an old button never skips or repeats a step."""
    data = await state.get_data()
    if not isinstance(callback.message, Message) or data.get("step") != step:
        await stale_button(callback)
        return None
    return callback.message


async def switch_language(ctx: Ctx, code: str) -> None:
    """Speak `code` from now on: stored for a consenting user, kept in the FSM before consent."""
    profile = ctx.profile
    if profile is not None:
        await set_language(ctx.session, profile.id, code)
        ctx.profiles.put(profile.id, Profile(profile.id, code, profile.consent_version))
    else:
        await ctx.state.update_data({PENDING_LANGUAGE_KEY: code})


async def drop_buttons(message: Message) -> None:
    """Take the buttons off a message once they have done their job (already gone is fine)."""
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
