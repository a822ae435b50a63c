"""/buddy: a newcomer asks for a buddy, a student volunteers, both see and can end their
pairing; curators approve or reject proposed matches; both sides answer the check-in."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.unit_of_work import after_commit
from bot.handlers.buddy import ui
from bot.handlers.common import curators_only, out_of_date
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.quiz.ui import needs_consent_text
from bot.scheduler import Planner
from bot.services import buddies
from bot.services.roles import CURATOR, RoleDirectory
from bot.services.users import Profile


class BuddyDialog(StatesGroup):
    text = State()  # FSM data "step": faculty | interests | contact; "role": ask | offer


def _consented(profile: Profile | None) -> bool:
    return profile is not None and profile.consent_current


async def buddy_command(message: Message) -> None:
    await message.answer(ui.menu_text(), reply_markup=ui.menu_keyboard())


async def show_mine(message: Message, session: AsyncSession, user_id: int) -> None:
    views = await buddies.my_pairs(session, user_id)
    text = ui.pairs_text(views)
    request = await buddies.open_request(session, user_id)
    if request is not None and request.status == "waiting":
        text += "\n\n" + _("⏳ Your request is waiting for a free volunteer.")
    await message.answer(text, reply_markup=ui.pairs_keyboard(views))


async def menu_button(
    callback: CallbackQuery,
    callback_data: ui.BuddyMenu,
    session: AsyncSession,
    state: FSMContext,
    profile: Profile | None,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    action = callback_data.action
    if action == "mine":
        await callback.answer()
        await show_mine(message, session, callback.from_user.id)
        return
    if action not in ("ask", "offer"):
        await callback.answer(out_of_date(), show_alert=True)
        return
    if not _consented(profile):
        await callback.answer(needs_consent_text(), show_alert=True)
        return
    if action == "ask" and await buddies.open_request(session, callback.from_user.id):
        await callback.answer()
        await show_mine(message, session, callback.from_user.id)
        return
    await callback.answer()
    await state.set_state(BuddyDialog.text)
    await state.set_data({"role": action, "step": "faculty"})
    await message.answer(
        _("Which faculty (or speciality) are you at?") + "\n" + _("/cancel stops without saving.")
    )


async def dialog_text(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    step = data.get("step")
    text = " ".join((message.text or "").split())
    if step == "faculty":
        if not 2 <= len(text) <= buddies.FACULTY_MAX:
            await message.answer(
                _("Send 2 to {limit} characters.").format(limit=buddies.FACULTY_MAX)
            )
            return
        await state.update_data(faculty=text, step="languages")
        await message.answer(
            _("In which languages can you talk?"), reply_markup=ui.languages_keyboard()
        )
    elif step == "interests":
        if not 2 <= len(text) <= buddies.INTERESTS_MAX:
            await message.answer(
                _("Send 2 to {limit} characters.").format(limit=buddies.INTERESTS_MAX)
            )
            return
        await state.update_data(interests=text, step="contact")
        await message.answer(_contact_prompt())
    elif step == "contact":
        if not 2 <= len(text) <= buddies.CONTACT_MAX:
            await message.answer(
                _("Send 2 to {limit} characters.").format(limit=buddies.CONTACT_MAX)
            )
            return
        await state.update_data(contact=text, step="share")
        await message.answer(
            _("May I show «{contact}» to your buddy once a curator approves the match?").format(
                contact=text
            ),
            reply_markup=ui.share_keyboard(),
        )
    else:
        await message.answer(_("Please send text, use the buttons above, or send /cancel."))


def _contact_prompt() -> str:
    return _(
        "How may your buddy reach you? For example your Telegram @username or a phone number. "
        "I will ask before showing it to anyone."
    )


async def dialog_choice(
    callback: CallbackQuery,
    callback_data: ui.BuddyForm,
    session: AsyncSession,
    state: FSMContext,
    roles: RoleDirectory,
    planner: Planner | None = None,
) -> None:
    message = callback.message
    data = await state.get_data()
    if not isinstance(message, Message) or not data:
        await callback.answer(out_of_date(), show_alert=True)
        return
    step, field, value = data.get("step"), callback_data.field, callback_data.value
    if field == "languages" and step == "languages":
        following = "origin" if data.get("role") == "ask" else "interests"
        await state.update_data(languages=value, step=following)
        await callback.answer()
        if following == "origin":
            await message.answer(_("Which describes you?"), reply_markup=ui.origin_keyboard())
        else:
            await message.answer(
                _("What are you interested in? A line or two helps the curator match you.")
            )
    elif field == "origin" and step == "origin" and value in buddies.ORIGINS:
        await state.update_data(origin=value, step="contact")
        await callback.answer()
        await message.answer(_contact_prompt())
    elif field == "share" and step == "share":
        await callback.answer()
        await state.clear()
        contact = str(data.get("contact")) if value == "yes" else None
        await _finish(message, session, roles, planner, callback.from_user.id, data, contact)
    else:
        await callback.answer(out_of_date(), show_alert=True)
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)


async def _finish(
    message: Message,
    session: AsyncSession,
    roles: RoleDirectory,
    planner: Planner | None,
    user_id: int,
    data: dict[str, object],
    contact: str | None,
) -> None:
    languages = str(data.get("languages", "")).split(",")
    curators = sorted(roles.members(CURATOR))
    shared = (
        _("Your contact will be shown to your buddy once a curator approves the match.")
        if contact
        else _("You chose not to share a contact: a curator will put you in touch.")
    )
    if data.get("role") == "offer":
        await buddies.register_volunteer(
            session,
            user_id,
            str(data.get("faculty")),
            languages,
            str(data.get("interests")),
            contact,
        )
        made = await buddies.propose_waiting(session, curators)
        after_commit(session, lambda: planner.buddy_notices() if planner else None)
        await message.answer(
            _("Thank you! You are registered as a buddy volunteer.")
            + " "
            + shared
            + (
                "\n\n" + _("A newcomer is already waiting: a curator will confirm the match.")
                if made
                else ""
            )
        )
        return
    _request, pair, _new = await buddies.request_buddy(
        session,
        user_id,
        str(data.get("faculty")),
        languages,
        str(data.get("origin")),
        contact,
        curators,
    )
    after_commit(session, lambda: planner.buddy_notices() if planner else None)
    found = (
        _(
            "I found a volunteer for you; a curator will confirm the match, then I will introduce you."
        )
        if pair is not None
        else _("All volunteers are busy right now; I will find you a buddy as soon as one is free.")
    )
    await message.answer(_("Your request is saved.") + " " + found + "\n" + shared)


async def end_button(
    callback: CallbackQuery,
    callback_data: ui.BuddyEnd,
    session: AsyncSession,
    planner: Planner | None = None,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    if not callback_data.confirm:
        await callback.answer()
        from aiogram.utils.keyboard import InlineKeyboardBuilder

        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✖️ Yes, end it"),
            callback_data=ui.BuddyEnd(pair=callback_data.pair, confirm=True),
        )
        await message.answer(
            _("End this buddy pairing? The other side will be told, without any reason given."),
            reply_markup=builder.as_markup(),
        )
        return
    pair = await buddies.end_pair(session, callback_data.pair, callback.from_user.id)
    if pair is None:
        await callback.answer(out_of_date(), show_alert=True)
        return
    after_commit(session, lambda: planner.buddy_notices() if planner else None)
    await callback.answer(_("Ended."))
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    await message.answer(_("The pairing has ended. Thank you for taking part!"))


async def decide_button(
    callback: CallbackQuery,
    callback_data: ui.BuddyDecide,
    session: AsyncSession,
    roles: RoleDirectory,
    settings: Settings,
    is_curator: bool = False,
    is_admin: bool = False,
    planner: Planner | None = None,
) -> None:
    message = callback.message
    if not (is_curator or is_admin):
        await callback.answer(curators_only(), show_alert=True)
        return
    decision = await buddies.decide(
        session,
        callback_data.pair,
        callback.from_user.id,
        callback_data.approve,
        sorted(roles.members(CURATOR)),
    )
    if decision.status == "stale":
        await callback.answer(
            _("This match was already decided or is no longer possible."), show_alert=True
        )
        return
    if decision.status == "approved":
        pair_id, after = callback_data.pair, settings.buddy_checkin_after
        after_commit(session, lambda: planner.buddy_checkin(pair_id, after) if planner else None)
    after_commit(session, lambda: planner.buddy_notices() if planner else None)
    await callback.answer(_("Approved.") if decision.status == "approved" else _("Rejected."))
    if isinstance(message, Message):
        verdict = (
            _("✅ Approved: both are being introduced.")
            if decision.status == "approved"
            else _("✖️ Rejected.")
            + (
                " " + _("The next volunteer is proposed.")
                if decision.next_pair is not None
                else " " + _("No other volunteer is free; the request waits.")
            )
        )
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(f"{message.html_text}\n\n{verdict}", reply_markup=None)


async def checkin_button(
    callback: CallbackQuery, callback_data: ui.BuddyCheckin, session: AsyncSession
) -> None:
    message = callback.message
    stored = await buddies.answer_checkin(
        session, callback_data.pair, callback.from_user.id, callback_data.good
    )
    if not stored or not isinstance(message, Message):
        await callback.answer(out_of_date(), show_alert=True)
        return
    await callback.answer(_("Thank you!"))
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    if callback_data.good:
        await message.answer(_("Glad to hear it! /buddy shows your buddy's contact any time."))
    else:
        await message.answer(
            _(
                "I am sorry it does not go well. A curator can help: talk it over, or find you "
                "another buddy. You can also end the pairing in /buddy."
            ),
            reply_markup=ui.curator_offer_keyboard(),
        )


async def cancel_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


def create_router() -> Router:
    router = Router(name="buddy")
    router.message.register(buddy_command, PrivateChat(), CommandText(), Command("buddy"))
    router.message.register(cancel_command, Command("cancel"), StateFilter(BuddyDialog))
    router.message.register(dialog_text, StateFilter(BuddyDialog.text), F.text)
    router.callback_query.register(menu_button, ui.BuddyMenu.filter())
    router.callback_query.register(dialog_choice, ui.BuddyForm.filter())
    router.callback_query.register(end_button, ui.BuddyEnd.filter())
    router.callback_query.register(decide_button, ui.BuddyDecide.filter())
    router.callback_query.register(checkin_button, ui.BuddyCheckin.filter())
    return router
