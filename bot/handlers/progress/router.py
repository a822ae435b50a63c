"""/progress (also «🏅 My progress» in /me), material cards that count as opened, and
/attendance for curators to mark who came to an event."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.handlers.common import refuse_non_curator
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.learning.ui import render_material
from bot.handlers.progress import ui
from bot.handlers.quiz.ui import needs_consent_text
from bot.services import events, progress, quizzes
from bot.services.progress_card import render_card
from bot.services.roles import CURATOR
from bot.services.users import Profile


async def show_progress(
    message: Message,
    session: AsyncSession,
    user_id: int,
    language: str,
    profile: Profile | None,
    font: str | None = None,
) -> None:
    if profile is None:
        await message.answer(needs_consent_text())
        return
    state = await progress.progress(session, user_id)
    # Drawing takes a few milliseconds of CPU: off the event loop.
    png = await asyncio.to_thread(render_card, ui.progress_card(state, language), font)
    await message.answer_photo(
        BufferedInputFile(png, filename="kelisim-progress.png"),
        caption=f"{state.level.emoji} {state.level.title[language]}",
    )
    await message.answer(ui.progress_text(state, language), reply_markup=ui.progress_keyboard())


async def progress_command(
    message: Message,
    session: AsyncSession,
    language: str,
    profile: Profile | None,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    await show_progress(
        message, session, message.from_user.id, language, profile, settings.progress_font
    )


async def progress_button(
    callback: CallbackQuery,
    session: AsyncSession,
    language: str,
    profile: Profile | None,
    settings: Settings,
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_progress(
            callback.message,
            session,
            callback.from_user.id,
            language,
            profile,
            settings.progress_font,
        )


async def open_material(
    callback: CallbackQuery,
    callback_data: ui.MaterialOpen,
    session: AsyncSession,
    language: str,
    profile: Profile | None,
) -> None:
    message = callback.message
    material = await quizzes.material(session, callback_data.pk)
    if not isinstance(message, Message) or material is None:
        await callback.answer(_("This material no longer exists."), show_alert=True)
        return
    await callback.answer()
    if profile is not None and profile.consent_current:
        await progress.record_open(session, callback.from_user.id, material.pk)
    quiz = await quizzes.quiz_of_material(session, material.pk)
    await message.answer(
        render_material(material, language),
        reply_markup=ui.material_keyboard(quiz.id if quiz is not None else None),
        disable_web_page_preview=True,
    )


async def attendance_command(message: Message, session: AsyncSession, language: str) -> None:
    found = await progress.recent_events(session)
    if not found:
        await message.answer(_("No event took place in the last 30 days."))
        return
    await message.answer(
        _("Which event do you want to mark attendance for?"),
        reply_markup=ui.attendance_events_keyboard(found, language),
    )


async def attendance_button(
    callback: CallbackQuery,
    callback_data: ui.AttendanceAct,
    session: AsyncSession,
    language: str,
) -> None:
    message = callback.message
    event = await events.get(session, callback_data.event)
    if not isinstance(message, Message) or event is None:
        await callback.answer(_("This event no longer exists."), show_alert=True)
        return
    if callback_data.user:
        marked = await progress.toggle_attendance(
            session, event.id, callback_data.user, callback.from_user.id
        )
        if marked is None:
            await callback.answer(_("This student's data has been deleted."), show_alert=True)
        else:
            await callback.answer(_("Marked present.") if marked else _("Mark removed."))
    else:
        await callback.answer()
    people = await progress.attendees(session, event.id)
    text = ui.attendance_text(event, people, language)
    markup = ui.attendance_keyboard(event.id, people)
    if callback_data.user:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
        return
    await message.answer(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="progress")
    router.message.register(progress_command, PrivateChat(), CommandText(), Command("progress"))
    router.callback_query.register(progress_button, ui.ProgressShow.filter())
    router.callback_query.register(open_material, ui.MaterialOpen.filter())
    staff = Router(name="attendance")
    staff.message.filter(PrivateChat(), HasRole(CURATOR))
    staff.callback_query.filter(HasRole(CURATOR))
    staff.message.register(attendance_command, CommandText(), Command("attendance"))
    staff.callback_query.register(attendance_button, ui.AttendanceAct.filter())
    refusals = Router(name="attendance_refusals")
    refusals.message.register(
        refuse_non_curator, PrivateChat(), CommandText(), Command("attendance")
    )
    refusals.callback_query.register(refuse_non_curator, ui.AttendanceAct.filter())
    router.include_routers(staff, refusals)
    return router
