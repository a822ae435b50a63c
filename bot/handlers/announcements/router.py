"""/announce: admins write an announcement in both languages for all students or for one
kind of event's subscribers, preview it and confirm; delivery runs as a scheduled job.
Everyone else is refused."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.handlers.announcements.ui import (
    AnnounceAct,
    audience_keyboard,
    audience_name,
    cancel_keyboard,
    confirm_keyboard,
)
from bot.handlers.common import refuse_non_admin, stale_button
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.scheduler import Planner
from bot.scheduler.outreach import start_announcement
from bot.services import announcements
from bot.services.roles import ADMIN


class AnnounceDialog(StatesGroup):
    audience = State()
    text_kk = State()
    text_ru = State()
    confirm = State()


async def announce(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(AnnounceDialog.audience)
    await message.answer(
        _("<b>New announcement.</b> Who should receive it?"), reply_markup=audience_keyboard()
    )


async def announce_action(
    callback: CallbackQuery,
    callback_data: AnnounceAct,
    state: FSMContext,
    session: AsyncSession,
    planner: Planner,
) -> None:
    message = callback.message
    current = await state.get_state()
    if callback_data.action == "cancel":
        await state.clear()
        await callback.answer(_("Cancelled; nothing was sent."))
        if isinstance(message, Message):
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_reply_markup(reply_markup=None)
        return
    if not isinstance(message, Message):
        await callback.answer()
        return
    if (
        callback_data.action == "audience"
        and current == AnnounceDialog.audience.state
        and announcements.audience_ok(callback_data.value)
    ):
        await state.update_data(audience=callback_data.value)
        await state.set_state(AnnounceDialog.text_kk)
        await callback.answer()
        await message.answer(
            _("Text in Kazakh (plain text, up to {n} characters):").format(
                n=announcements.TEXT_MAX
            ),
            reply_markup=cancel_keyboard(),
        )
        return
    if callback_data.action == "send" and current == AnnounceDialog.confirm.state:
        data = await state.get_data()
        await state.clear()
        announcement_id, recipients = await announcements.create(
            session,
            callback.from_user.id,
            data["audience"],
            html.quote(data["text_kk"]),
            html.quote(data["text_ru"]),
        )
        # After the commit: the delivery job reads it from its own session.
        after_commit(session, lambda: start_announcement(planner, announcement_id))
        await callback.answer(_("Sending."))
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _(
                "📨 Announcement #{id} is being sent to {count} students, about 25 a second. "
                "I will report the result here."
            ).format(id=announcement_id, count=recipients)
        )
        return
    await stale_button(callback)


async def announce_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(_("Please send the announcement as text."))
        return
    if len(text) > announcements.TEXT_MAX:
        await message.answer(
            _("This is too long: {length} characters, at most {limit}.").format(
                length=len(text), limit=announcements.TEXT_MAX
            )
        )
        return
    if await state.get_state() == AnnounceDialog.text_kk.state:
        await state.update_data(text_kk=text)
        await state.set_state(AnnounceDialog.text_ru)
        await message.answer(
            _("Text in Russian (plain text, up to {n} characters):").format(
                n=announcements.TEXT_MAX
            ),
            reply_markup=cancel_keyboard(),
        )
        return
    await state.update_data(text_ru=text)
    data = await state.get_data()
    await state.set_state(AnnounceDialog.confirm)
    count = await announcements.audience_size(session, data["audience"])
    await message.answer(
        _("<b>Preview.</b> To: {audience} ({count} students).").format(
            audience=audience_name(data["audience"]), count=count
        )
        + "\n\n🇰🇿\n"
        + html.quote(data["text_kk"])
        + "\n\n🇷🇺\n"
        + html.quote(text),
        reply_markup=confirm_keyboard(),
    )


def create_router() -> Router:
    router = Router(name="announcements")
    router.message.filter(PrivateChat())
    router.message.register(announce, CommandText(), Command("announce"), HasRole(ADMIN))
    router.message.register(refuse_non_admin, CommandText(), Command("announce"))
    # The state is checked first: for ordinary messages it is one dictionary look-up.
    router.message.register(
        announce_text, StateFilter(AnnounceDialog.text_kk, AnnounceDialog.text_ru), HasRole(ADMIN)
    )
    router.callback_query.register(announce_action, AnnounceAct.filter(), HasRole(ADMIN))
    router.callback_query.register(refuse_non_admin, AnnounceAct.filter())
    return router
