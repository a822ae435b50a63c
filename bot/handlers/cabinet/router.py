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
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.handlers import entry_points as journeys
from bot.handlers.common import drop_buttons, stale_button
from bot.handlers.context import Ctx
from bot.handlers.events.ui import EventOpen, KindToggle, kind_plural
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.keyboards import language_keyboard
from bot.handlers.learning.ui import render_material
from bot.handlers.privacy.router import ask_delete_confirmation
from bot.handlers.progress.ui import ProgressShow
from bot.handlers.texts import language_name
from bot.services import cabinet, events
from bot.services.notifications import PREFERENCES, preferences, set_preference
from bot.services.questions import QuestionRecorder


class CabinetAct(CallbackData, prefix="me"):
    action: str
    arg: str = ""


def _button(builder: InlineKeyboardBuilder, text: str, action: str, arg: str = "") -> None:
    builder.button(text=text, callback_data=CabinetAct(action=action, arg=arg))


def cabinet_keyboard(withdrawn: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not withdrawn:
        _button(builder, _("🌐 Language"), "lang")
        _button(builder, _("🗂 My consultations"), "my")
        _button(builder, _("📅 My events"), "follows")
        _button(builder, _("🔔 Notifications"), "prefs")
        _button(builder, _("⭐ Recommended for me"), "recommend")
        builder.button(text=_("🏅 My progress"), callback_data=ProgressShow())
        _button(builder, _("↩️ Withdraw consent"), "withdraw")
    _button(builder, _("📦 Export my data"), "export")
    _button(builder, _("🗑 Delete my data"), "delete")
    builder.adjust(2)
    return builder.as_markup()


def cabinet_text(data: cabinet.Cabinet) -> str:
    if data.withdrawn:
        return _(
            "<b>My cabinet</b>\n\nYou have withdrawn your consent, so I no longer process your "
            "data: no reminders, announcements or surveys. What was stored is kept until you "
            "delete it, or until it is deleted after a long time without activity. You can "
            "export or delete it below, or give consent again with /start."
        )
    lines = [
        _("<b>My cabinet</b>"),
        "",
        _("🌐 Language: {language}").format(language=language_name(data.language)),
        _("🔒 Consent: given (version {version}, {date})").format(
            version=data.consent_version,
            date=events.format_when(data.consent_at, data.language, short=True)
            if data.consent_at
            else "—",
        ),
        _("🗂 Consultations: {total}, open: {open}").format(
            total=data.consultations, open=data.open_consultations
        ),
        _("📅 Events I follow: {count}").format(count=len(data.following)),
        _("🔔 Kinds I am subscribed to: {kinds}").format(
            kinds=", ".join(kind_plural(k) for k in sorted(data.kinds)) or "—"
        ),
    ]
    return "\n".join(lines)


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
    await message.answer(cabinet_text(data), reply_markup=cabinet_keyboard(data.withdrawn))


async def me_command(message: Message, ctx: Ctx) -> None:
    await show_cabinet(message, ctx.session, ctx.user_id)


def follows_keyboard(following: list[events.Following], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in following:
        name = events.title(item.event, language)
        short = name if len(name) <= 30 else name[:29] + "…"
        builder.button(text=f"📅 {short}", callback_data=EventOpen(id=item.event.id))
        if item.reminder:
            _button(builder, _("✖️ 🔔 {title}").format(title=short), "unremind", str(item.event.id))
        if item.going:
            _button(builder, _("✖️ ✋ {title}").format(title=short), "ungo", str(item.event.id))
    builder.button(text=_("🔔 Kinds of events"), callback_data=KindToggle(kind="menu"))
    builder.adjust(1)
    return builder.as_markup()


def follows_text(following: list[events.Following], language: str) -> str:
    if not following:
        return _(
            "You do not follow any upcoming event yet. Open /events and press «Remind me» or "
            "«I'm going»."
        )
    lines = [_("<b>My events</b> (✖️ removes a reminder or a registration):")]
    for item in following:
        marks = ("🔔" if item.reminder else "") + ("✋" if item.going else "")
        lines.append(
            f"{marks} {html.quote(events.title(item.event, language))} — "
            f"{events.format_when(item.event.starts_at, language, short=True)}"
        )
    return "\n".join(lines)


def prefs_keyboard(prefs: dict[str, bool]) -> InlineKeyboardMarkup:
    labels = {
        "events": _("Event reminders and news"),
        "announcements": _("Announcements"),
        "surveys": _("Surveys after consultations"),
    }
    builder = InlineKeyboardBuilder()
    for name in PREFERENCES:
        mark = "✅" if prefs[name] else "🚫"
        _button(builder, f"{mark} {labels[name]}", "pref", name)
    builder.adjust(1)
    return builder.as_markup()


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


async def follows_pressed(callback: CallbackQuery, callback_data: CabinetAct, ctx: Ctx) -> None:
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
    text = follows_text(following, ctx.language)
    markup = follows_keyboard(following, ctx.language)
    if action == "follows":
        await message.answer(text, reply_markup=markup)
    else:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)


async def preferences_pressed(callback: CallbackQuery, callback_data: CabinetAct, ctx: Ctx) -> None:
    """The notification switches; pressing one ("pref") flips it in place."""
    if not (message := await _consented(callback, ctx)):
        return
    prefs = (await preferences(ctx.session, ctx.user_id)).as_dict()
    name = callback_data.arg
    if callback_data.action == "pref" and name in PREFERENCES:
        prefs = (await set_preference(ctx.session, ctx.user_id, name, not prefs[name])).as_dict()
        await callback.answer(_("Saved."))
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=prefs_keyboard(prefs))
        return
    await callback.answer()
    await message.answer(
        _("What may I notify you about? Press to turn on or off."),
        reply_markup=prefs_keyboard(prefs),
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
    builder = InlineKeyboardBuilder()
    _button(builder, _("↩️ Yes, withdraw my consent"), "withdraw_yes")
    _button(builder, _("Cancel"), "keep")
    builder.adjust(1)
    await message.answer(
        _(
            "Withdraw your consent? I will stop processing your data: no reminders, "
            "announcements, surveys or recorded questions. You can then delete what is "
            "stored."
        ),
        reply_markup=builder.as_markup(),
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
    builder = InlineKeyboardBuilder()
    _button(builder, _("🗑 Delete my data"), "delete")
    _button(builder, _("📦 Export my data"), "export")
    builder.adjust(1)
    await message.answer(
        _(
            "Your consent is withdrawn: I no longer process your data. Do you want to "
            "delete what is stored now? You can also give consent again with /start."
        ),
        reply_markup=builder.as_markup(),
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
        router.callback_query.register(handler, CabinetAct.filter(F.action.in_(names)))
    router.callback_query.register(stale_button, CabinetAct.filter())
    return router
