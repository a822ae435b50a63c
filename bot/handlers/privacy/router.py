"""/privacy: what is kept, and deleting one's data for real."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.db.unit_of_work import after_commit
from bot.handlers.callbacks import DeleteData
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import delete_keyboard, privacy_keyboard
from bot.scheduler import Planner
from bot.services import privacy
from bot.services.users import Profile


def privacy_text(profile: Profile | None, retention_days: int = 365) -> str:
    kept = _(
        "<b>Your data in Kelisim</b>\n\n"
        "With your consent Kelisim keeps: your Telegram id, name and username, your language, "
        "the questions you asked the bot and your consultations with curators. Curators see "
        "your name only if you choose a named (not anonymous) consultation. Nothing is passed "
        "to third parties. Anonymous statistics (how many questions, which topics) are kept "
        "without any link to you."
    )
    kept += "\n\n" + _(
        "It also keeps the events you asked to be reminded of or registered for, the kinds of "
        "events you follow and your notification settings. If you do not use the bot for "
        "{days} days, all of it is deleted automatically. In /me you can export it as a file "
        "or withdraw your consent."
    ).format(days=retention_days)
    kept += "\n\n" + _(
        "If you give them with /faculty, also your faculty and course: surveys and reports "
        "use them only in groups of at least five students."
    )
    if profile is None:
        status = _("You have not given consent, so nothing about you is stored.")
    else:
        status = _("You gave consent (version {version}).").format(version=profile.consent_version)
    return (
        kept
        + "\n\n"
        + status
        + "\n\n"
        + _("To delete everything about you, press the button below.")
    )


async def show_privacy(message: Message, ctx: Ctx) -> None:
    await message.answer(
        privacy_text(ctx.profile, ctx.settings.retention_days), reply_markup=privacy_keyboard()
    )


async def ask_delete_confirmation(message: Message, profile: Profile | None) -> None:
    await message.answer(
        _(
            "Delete all your data? Your profile, questions and consultation history will be "
            "erased and cannot be restored. You can start again later with /start."
        ),
        reply_markup=delete_keyboard(),
    )


async def delete_chosen(callback: CallbackQuery, callback_data: DeleteData, ctx: Ctx) -> None:
    message = callback.message if isinstance(callback.message, Message) else None
    if not callback_data.confirm:
        await callback.answer(_("Nothing was deleted."))
        if message:
            await message.edit_reply_markup(reply_markup=None)
        return
    user_id, planner = ctx.user_id, ctx.planner
    # Questions still waiting in the recorder's batch must not be written after the delete.
    await ctx.recorder.forget_user(user_id)
    erased = await privacy.erase_student(ctx.session, user_id)
    after_commit(ctx.session, lambda: _cancel_jobs(planner, erased))
    ctx.cases.discard(user_id)
    ctx.profiles.forget(user_id)
    await ctx.state.clear()
    await callback.answer()
    if message:
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _(
                "Done: all your data has been deleted. If you write again, I will ask for consent first."
            )
        )


def _cancel_jobs(planner: Planner, erased: privacy.Erased) -> None:
    for case in erased.consultations:
        planner.cancel_consultation(case)
    for survey in erased.surveys:
        planner.cancel_survey(survey)
    # Their buddy, if any, is told they left.
    planner.buddy_notices()


def create_router() -> Router:
    router = Router(name="privacy")
    # Only commands reach these handlers: one cheap check instead of one per command.
    router.message.filter(PrivateChat(), CommandText())
    router.message.register(show_privacy, Command("privacy"))
    router.callback_query.register(delete_chosen, DeleteData.filter())
    return router
