"""/announce: admins write an announcement in both languages for all students or for one
kind of event's subscribers, preview it and confirm; delivery runs as a scheduled job.
Everyone else is refused."""

from __future__ import annotations

from aiogram import F, Router
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
from bot.handlers.common import drop_buttons, refuse_non_admin, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, HasRole, PrivateChat
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


async def cancel_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    await ctx.state.clear()
    await callback.answer(_("Cancelled; nothing was sent."))
    if isinstance(callback.message, Message):
        await drop_buttons(callback.message)


async def audience_chosen(callback: CallbackQuery, callback_data: AnnounceAct, ctx: Ctx) -> None:
    if not isinstance(callback.message, Message) or not announcements.audience_ok(
        callback_data.value
    ):
        await stale_button(callback)
        return
    await ctx.state.update_data(audience=callback_data.value)
    await ctx.state.set_state(AnnounceDialog.text_kk)
    await callback.answer()
    await callback.message.answer(
        _("Text in Kazakh (plain text, up to {n} characters):").format(n=announcements.TEXT_MAX),
        reply_markup=cancel_keyboard(),
    )


async def send_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await stale_button(callback)
        return
    data = await ctx.state.get_data()
    await ctx.state.clear()
    announcement_id, recipients = await announcements.create(
        ctx.session,
        ctx.user_id,
        data["audience"],
        html.quote(data["text_kk"]),
        html.quote(data["text_ru"]),
    )
    # After the commit: the delivery job reads it from its own session.
    planner = ctx.planner
    after_commit(ctx.session, lambda: start_announcement(planner, announcement_id))
    await callback.answer(_("Sending."))
    await drop_buttons(message)
    await message.answer(
        _(
            "📨 Announcement #{id} is being sent to {count} students, about 25 a second. "
            "I will report the result here."
        ).format(id=announcement_id, count=recipients)
    )


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
    admin = HasRole(ADMIN)
    router.callback_query.register(cancel_pressed, AnnounceAct.filter(F.action == "cancel"), admin)
    router.callback_query.register(
        audience_chosen,
        AnnounceAct.filter(F.action == "audience"),
        StateFilter(AnnounceDialog.audience),
        admin,
    )
    router.callback_query.register(
        send_pressed,
        AnnounceAct.filter(F.action == "send"),
        StateFilter(AnnounceDialog.confirm),
        admin,
    )
    router.callback_query.register(stale_button, AnnounceAct.filter(), admin)
    router.callback_query.register(refuse_non_admin, AnnounceAct.filter())
    return router
