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

from bot.db.unit_of_work import after_commit
from bot.handlers.buddy import ui
from bot.handlers.common import at_step, curators_only, drop_buttons, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.quiz.ui import needs_consent_text
from bot.services import buddies
from bot.services.roles import CURATOR
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


async def mine_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_mine(callback.message, ctx.session, ctx.user_id)


async def join_button(callback: CallbackQuery, callback_data: ui.BuddyMenu, ctx: Ctx) -> None:
    """A newcomer asks for a buddy ("ask") or a student volunteers ("offer"): the form starts."""
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    if not _consented(ctx.profile):
        await callback.answer(needs_consent_text(), show_alert=True)
        return
    await callback.answer()
    if callback_data.action == "ask" and await buddies.open_request(ctx.session, ctx.user_id):
        await show_mine(message, ctx.session, ctx.user_id)
        return
    await ctx.state.set_state(BuddyDialog.text)
    await ctx.state.set_data({"role": callback_data.action, "step": "faculty"})
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


async def _close_step(callback: CallbackQuery, message: Message) -> None:
    await callback.answer()
    await drop_buttons(message)


async def languages_chosen(callback: CallbackQuery, callback_data: ui.BuddyForm, ctx: Ctx) -> None:
    if not (message := await at_step(callback, ctx.state, "languages")):
        return
    asking = (await ctx.state.get_data()).get("role") == "ask"
    following = "origin" if asking else "interests"
    await ctx.state.update_data(languages=callback_data.value, step=following)
    await _close_step(callback, message)
    if asking:
        await message.answer(_("Which describes you?"), reply_markup=ui.origin_keyboard())
    else:
        await message.answer(
            _("What are you interested in? A line or two helps the curator match you.")
        )


async def origin_chosen(callback: CallbackQuery, callback_data: ui.BuddyForm, ctx: Ctx) -> None:
    if callback_data.value not in buddies.ORIGINS:
        await stale_button(callback)
        return
    if message := await at_step(callback, ctx.state, "origin"):
        await ctx.state.update_data(origin=callback_data.value, step="contact")
        await _close_step(callback, message)
        await message.answer(_contact_prompt())


async def share_chosen(callback: CallbackQuery, callback_data: ui.BuddyForm, ctx: Ctx) -> None:
    if not (message := await at_step(callback, ctx.state, "share")):
        return
    data = await ctx.state.get_data()
    await ctx.state.clear()
    await _close_step(callback, message)
    contact = str(data.get("contact")) if callback_data.value == "yes" else None
    await _finish(message, ctx, data, contact)


async def _finish(message: Message, ctx: Ctx, data: dict[str, object], contact: str | None) -> None:
    session, user_id, planner = ctx.session, ctx.user_id, ctx.planner
    languages = str(data.get("languages", "")).split(",")
    curators = sorted(ctx.roles.members(CURATOR))
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
        after_commit(session, planner.buddy_notices)
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
    after_commit(session, planner.buddy_notices)
    found = (
        _(
            "I found a volunteer for you; a curator will confirm the match, then I will introduce you."
        )
        if pair is not None
        else _("All volunteers are busy right now; I will find you a buddy as soon as one is free.")
    )
    await message.answer(_("Your request is saved.") + " " + found + "\n" + shared)


async def end_button(callback: CallbackQuery, callback_data: ui.BuddyEnd, ctx: Ctx) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    if not callback_data.confirm:
        await callback.answer()
        await message.answer(
            _("End this buddy pairing? The other side will be told, without any reason given."),
            reply_markup=ui.end_confirm_keyboard(callback_data.pair),
        )
        return
    if await buddies.end_pair(ctx.session, callback_data.pair, ctx.user_id) is None:
        await stale_button(callback)
        return
    after_commit(ctx.session, ctx.planner.buddy_notices)
    await callback.answer(_("Ended."))
    await drop_buttons(message)
    await message.answer(_("The pairing has ended. Thank you for taking part!"))


async def decide_button(callback: CallbackQuery, callback_data: ui.BuddyDecide, ctx: Ctx) -> None:
    """A curator approves or rejects a proposed match."""
    if not ctx.is_staff:
        await callback.answer(curators_only(), show_alert=True)
        return
    curators = sorted(ctx.roles.members(CURATOR))
    decision = await buddies.decide(
        ctx.session, callback_data.pair, ctx.user_id, callback_data.approve, curators
    )
    if decision.status == "stale":
        await callback.answer(
            _("This match was already decided or is no longer possible."), show_alert=True
        )
        return
    approved = decision.status == "approved"
    planner = ctx.planner
    if approved:
        pair_id, after = callback_data.pair, ctx.settings.buddy_checkin_after
        after_commit(ctx.session, lambda: planner.buddy_checkin(pair_id, after))
    after_commit(ctx.session, planner.buddy_notices)
    await callback.answer(_("Approved.") if approved else _("Rejected."))
    if isinstance(callback.message, Message):
        verdict = ui.decision_verdict(approved, decision.next_pair is not None)
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_text(
                f"{callback.message.html_text}\n\n{verdict}", reply_markup=None
            )


async def checkin_button(callback: CallbackQuery, callback_data: ui.BuddyCheckin, ctx: Ctx) -> None:
    message = callback.message
    stored = await buddies.answer_checkin(
        ctx.session, callback_data.pair, ctx.user_id, callback_data.good
    )
    if not stored or not isinstance(message, Message):
        await stale_button(callback)
        return
    await callback.answer(_("Thank you!"))
    await drop_buttons(message)
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
    router.callback_query.register(mine_button, ui.BuddyMenu.filter(F.action == "mine"))
    router.callback_query.register(join_button, ui.BuddyMenu.filter(F.action.in_(("ask", "offer"))))
    steps = (
        (languages_chosen, "languages"),
        (origin_chosen, "origin"),
        (share_chosen, "share"),
    )
    for step, field in steps:
        router.callback_query.register(step, ui.BuddyForm.filter(F.field == field))
    router.callback_query.register(stale_button, ui.BuddyMenu.filter())
    router.callback_query.register(stale_button, ui.BuddyForm.filter())
    router.callback_query.register(end_button, ui.BuddyEnd.filter())
    router.callback_query.register(decide_button, ui.BuddyDecide.filter())
    router.callback_query.register(checkin_button, ui.BuddyCheckin.filter())
    return router
