"""/me, the personal cabinet: language, consent (and withdrawing it), consultations, event
reminders, registrations and kind subscriptions, notification preferences, exporting and
deleting one's data, and a few recommendations."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.handlers import entry_points as journeys
from bot.handlers.cabinet import ui
from bot.handlers.common import drop_buttons, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import language_keyboard
from bot.handlers.learning.ui import render_material
from bot.handlers.privacy.router import ask_delete_confirmation
from bot.services import cabinet, events
from bot.services.notifications import PREFERENCES, preferences, set_preference
from bot.services.questions import QuestionRecorder


async def show_cabinet(message: Message, session: AsyncSession, user_id: int) -> None:
    data = await cabinet.cabinet(session, user_id)
    if data is None:
        await message.answer(
            _(
                "You have not given consent, so nothing about you is stored and there is no "
                "cabinet yet. Send /start to give consent."
            )
        )
        return
    await message.answer(ui.cabinet_text(data), reply_markup=ui.cabinet_keyboard(data.withdrawn))


async def me_command(message: Message, ctx: Ctx) -> None:
    await show_cabinet(message, ctx.session, ctx.user_id)


async def _consented(callback: CallbackQuery, ctx: Ctx) -> Message | None:
    """The cabinet's message, when the user may change things (consent given); else says why."""
    if not isinstance(callback.message, Message):
        await callback.answer()
        return None
    if ctx.profile is None:
        await callback.answer(
            _(
                "There is nothing to change: I do not process your data now. Send /start to "
                "give consent."
            ),
            show_alert=True,
        )
        return None
    return callback.message


async def export_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    # Exporting and deleting stay possible after consent is withdrawn.
    await callback.answer()
    if isinstance(callback.message, Message):
        await send_export(callback.message, ctx.session, ctx.recorder, ctx.user_id)


async def delete_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await ask_delete_confirmation(callback.message, ctx.profile)


async def language_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _consented(callback, ctx):
        await callback.answer()
        await message.answer(
            _("Choose your language:"), reply_markup=language_keyboard(ctx.language)
        )


async def my_consultations_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _consented(callback, ctx):
        await callback.answer()
        await journeys.my_requests(message, ctx.session, ctx.user_id)


async def follows_pressed(callback: CallbackQuery, callback_data: ui.CabinetAct, ctx: Ctx) -> None:
    """My events; ✖️ removes a reminder ("unremind") or a registration ("ungo") in place."""
    if not (message := await _consented(callback, ctx)):
        return
    action, arg = callback_data.action, callback_data.arg
    if action != "follows" and arg.isdigit():
        remove = events.remove_reminder if action == "unremind" else events.remove_rsvp
        removed = await remove(ctx.session, int(arg), ctx.user_id)
        await callback.answer(_("Removed.") if removed else _("It was already removed."))
    else:
        await callback.answer()
    following = await events.followed_events(ctx.session, ctx.user_id)
    text = ui.follows_text(following, ctx.language)
    markup = ui.follows_keyboard(following, ctx.language)
    if action == "follows":
        await message.answer(text, reply_markup=markup)
    else:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)


async def preferences_pressed(
    callback: CallbackQuery, callback_data: ui.CabinetAct, ctx: Ctx
) -> None:
    """The notification switches; pressing one ("pref") flips it in place."""
    if not (message := await _consented(callback, ctx)):
        return
    prefs = (await preferences(ctx.session, ctx.user_id)).as_dict()
    name = callback_data.arg
    if callback_data.action == "pref" and name in PREFERENCES:
        prefs = (await set_preference(ctx.session, ctx.user_id, name, not prefs[name])).as_dict()
        await callback.answer(_("Saved."))
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=ui.prefs_keyboard(prefs))
        return
    await callback.answer()
    await message.answer(
        _("What may I notify you about? Press to turn on or off."),
        reply_markup=ui.prefs_keyboard(prefs),
    )


async def recommend_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _consented(callback, ctx):
        await callback.answer()
        await message.answer(
            await recommendations_text(ctx.session, ctx.user_id, ctx.language),
            disable_web_page_preview=True,
        )


async def withdraw_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if not (message := await _consented(callback, ctx)):
        return
    await callback.answer()
    await message.answer(
        _(
            "Withdraw your consent? I will stop processing your data: no reminders, "
            "announcements, surveys or recorded questions. You can then delete what is "
            "stored."
        ),
        reply_markup=ui.withdraw_keyboard(),
    )


async def withdraw_confirmed(callback: CallbackQuery, ctx: Ctx) -> None:
    if not (message := await _consented(callback, ctx)):
        return
    await cabinet.withdraw_consent(ctx.session, ctx.user_id)
    after_commit(ctx.session, ctx.planner.buddy_notices)
    ctx.profiles.forget(ctx.user_id)
    await ctx.recorder.forget_user(ctx.user_id)
    await callback.answer()
    await drop_buttons(message)
    await message.answer(
        _(
            "Your consent is withdrawn: I no longer process your data. Do you want to "
            "delete what is stored now? You can also give consent again with /start."
        ),
        reply_markup=ui.after_withdrawal_keyboard(),
    )


async def keep_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _consented(callback, ctx):
        await callback.answer(_("Nothing was changed."))
        await drop_buttons(message)


async def recommendations_text(session: AsyncSession, user_id: int, language: str) -> str:
    found = await cabinet.recommendations(session, user_id)
    if not found.events and not found.materials:
        return _(
            "I have nothing to recommend yet. Ask me questions, subscribe to kinds of events "
            "in /events, and recommendations will appear here."
        )
    lines = [_("<b>Recommended for you</b>")]
    if found.events:
        lines += ["", _("📅 Events:")]
        lines += [
            f"• {html.quote(events.title(e, language))} — "
            f"{events.format_when(e.starts_at, language, short=True)}"
            for e in found.events
        ]
        lines.append(_("Open /events to be reminded."))
    if found.materials:
        lines += ["", _("📚 Materials:")]
        lines += [render_material(m, language) for m in found.materials]
    return "\n".join(lines)


async def send_export(
    message: Message, session: AsyncSession, recorder: QuestionRecorder, user_id: int
) -> None:
    """Everything stored about the student as a JSON document in the chat."""
    # Questions waiting in the recorder's batch are written first, so the export is complete.
    await recorder.flush()
    data = await cabinet.export_data(session, user_id)
    if data is None:
        await message.answer(_("Nothing about you is stored, so there is nothing to export."))
        return
    document = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await message.answer_document(
        BufferedInputFile(document, filename=f"kelisim-my-data-{user_id}.json"),
        caption=_("📦 Everything Kelisim stores about you, as JSON."),
    )


def create_router() -> Router:
    router = Router(name="cabinet")
    router.message.register(me_command, PrivateChat(), CommandText(), Command("me"))
    actions: dict[Callable[..., Awaitable[None]], tuple[str, ...]] = {
        export_pressed: ("export",),
        delete_pressed: ("delete",),
        language_pressed: ("lang",),
        my_consultations_pressed: ("my",),
        follows_pressed: ("follows", "unremind", "ungo"),
        preferences_pressed: ("prefs", "pref"),
        recommend_pressed: ("recommend",),
        withdraw_pressed: ("withdraw",),
        withdraw_confirmed: ("withdraw_yes",),
        keep_pressed: ("keep",),
    }
    for handler, names in actions.items():
        router.callback_query.register(handler, ui.CabinetAct.filter(F.action.in_(names)))
    router.callback_query.register(stale_button, ui.CabinetAct.filter())
    return router
