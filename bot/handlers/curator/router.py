"""Curators: take a consultation from its card, talk with the student through the bot, add
internal notes, transfer, close; /queue and /mine. Everyone else is refused clearly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Message
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Consultation, User, utcnow
from bot.db.unit_of_work import after_commit
from bot.handlers.common import refuse_non_curator, stale_button
from bot.handlers.consultation.delivery import deliver_backlog
from bot.handlers.consultation.notices import (
    person_language,
    refresh_cards,
    send_owner_panel,
)
from bot.handlers.consultation.texts import (
    card_text,
    case_number,
    history_text,
    owner_line,
    queue_line,
)
from bot.handlers.consultation.ui import (
    CaseAction,
    TransferTo,
    mine_keyboard,
    queue_keyboard,
    transfer_keyboard,
)
from bot.handlers.context import Ctx
from bot.handlers.curator.closing import write_note, write_resolution
from bot.handlers.curator.context import (
    CURATOR_COMMANDS,
    FOCUS_KEY,
    PENDING_KEY,
    CuratorForm,
    CuratorTarget,
    refusal_text,
)
from bot.handlers.curator.relay import relay_from_curator
from bot.handlers.curator_assist.router import send_suggestions
from bot.handlers.filters import HasRole
from bot.outbox.hooks import Delivery, HookContext, hook
from bot.outbox.queue import enqueue
from bot.scheduler.sending import notify
from bot.services import consultation_messages, consultations, curator_assist
from bot.services.consultations import ConsultationRefused
from bot.services.roles import CURATOR

log = logging.getLogger(__name__)

STUDENT_UNREACHABLE = "consultation.student_unreachable_on_take"

# ----- /queue, /mine -----


async def show_queue(message: Message, session: AsyncSession, language: str) -> None:
    waiting = await consultation_messages.waiting_queue(session)
    if not waiting:
        await message.answer(_("No consultations are waiting for a curator. 🎉"))
        return
    lines = ["<b>" + _("Waiting for a curator (urgent first, then oldest):") + "</b>"]
    lines += [queue_line(c, language) for c in waiting]
    await message.answer("\n".join(lines), reply_markup=queue_keyboard(c.id for c in waiting[:10]))


async def show_mine(
    message: Message, session: AsyncSession, state: FSMContext, language: str
) -> None:
    assert message.from_user is not None
    mine = await consultation_messages.curator_consultations(session, message.from_user.id)
    if not mine:
        await message.answer(_("You have no open consultations. /queue shows the waiting ones."))
        return
    focus = (await state.get_data()).get(FOCUS_KEY)
    lines = ["<b>" + _("Your consultations:") + "</b>"]
    for c in mine:
        mark = " ✍️" if c.id == focus else ""
        lines.append(queue_line(c, language) + mark)
    lines += ["", _("Press a number to write to that student.")]
    await message.answer("\n".join(lines), reply_markup=mine_keyboard(c.id for c in mine))


# ----- actions on a consultation -----


async def take_pressed(callback: CallbackQuery, callback_data: CaseAction, ctx: Ctx) -> None:
    """«Take» on a card: the case becomes the curator's, and their focus."""
    curator, session, planner = callback.from_user, ctx.session, ctx.planner
    try:
        consultation = await consultations.take(
            session, callback_data.case, curator.id, curator.full_name
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    taken_at = utcnow()
    after_commit(session, lambda: planner.cancel_unclaimed(consultation.id))
    after_commit(session, lambda: planner.reply_timer(consultation.id, taken_at))
    await callback.answer(
        _("Consultation {case} is yours.").format(case=case_number(consultation.id))
    )
    await ctx.state_of(curator.id).update_data({FOCUS_KEY: consultation.id})
    # The closest knowledge-base answers arrive just before the panel, which stays the newest.
    entries = await curator_assist.suggestions(session, ctx.kb, consultation)
    await send_suggestions(session, curator.id, consultation, entries)
    await _hand_over(session, ctx.i18n, ctx.settings, consultation, curator)


async def _hand_over(
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    consultation: Consultation,
    curator: TgUser,
) -> None:
    """With a take: the owner's panel, the backlog, the cards, the student (all owed in the
    take's transaction)."""
    first = await consultation_messages.first_student_text(session, consultation.id)
    language = await person_language(session, curator.id, settings.default_language)
    await send_owner_panel(
        session,
        curator.id,
        card_text(consultation, first, language, owner_line(consultation))
        + "\n\n"
        + _(
            "Everything the student writes comes here. Whatever you write here now goes to "
            "this student (or reply to one of their messages). Notes, transfer and closing "
            "are under the buttons."
        ),
        consultation.id,
    )
    await deliver_backlog(session, consultation, curator.id)
    await refresh_cards(session, i18n, settings, consultation)
    if consultation.student_id is not None:
        with i18n.use_locale(consultation.language):
            text = _(
                "A curator, {name}, has taken your request {case}. Write here: your messages "
                "go straight to them."
            ).format(name=html.quote(curator.first_name), case=case_number(consultation.id))
        await enqueue(
            session,
            SendMessage(chat_id=consultation.student_id, text=text),
            on_dead=STUDENT_UNREACHABLE,
            args={"curator": curator.id, "language": language},
        )


@hook(STUDENT_UNREACHABLE)
async def _student_unreachable(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    if not (delivery.error or "").startswith("chat gone"):
        return
    with ctx.i18n.context(), ctx.i18n.use_locale(args.get("language") or "kk"):
        text = _("⚠️ The student has blocked the bot and cannot be reached.")
    await enqueue(session, SendMessage(chat_id=args["curator"], text=text))


async def _owned(callback: CallbackQuery, case: int, ctx: Ctx) -> Consultation | None:
    """The case a panel button acts on, when the presser owns it (or is an admin)."""
    try:
        consultation = await consultations.owned(
            ctx.session, case, ctx.user_id, override=ctx.is_admin
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return None
    await callback.answer()
    return consultation


async def write_pressed(callback: CallbackQuery, callback_data: CaseAction, ctx: Ctx) -> None:
    if consultation := await _owned(callback, callback_data.case, ctx):
        await ctx.state_of(ctx.user_id).update_data({FOCUS_KEY: consultation.id})
        await ctx.bot.send_message(
            ctx.user_id,
            _("✍️ Your messages now go to the student of {case}. /mine switches.").format(
                case=case_number(consultation.id)
            ),
        )


async def note_or_close_pressed(
    callback: CallbackQuery, callback_data: CaseAction, ctx: Ctx
) -> None:
    """«Note» or «Close»: the curator's next message is the note or the resolution."""
    if not (consultation := await _owned(callback, callback_data.case, ctx)):
        return
    case = case_number(consultation.id)
    closing = callback_data.action == "close"
    context = ctx.state_of(ctx.user_id)
    await context.set_state(CuratorForm.closing if closing else CuratorForm.note)
    await context.update_data({PENDING_KEY: consultation.id})
    prompt = (
        _(
            "✅ Write a short resolution for {case}: what was done or agreed. It stays "
            "with the curators; the student gets a short notice and later a survey."
        )
        if closing
        else _("📝 Write the note for {case}. The student will never see it.")
    )
    await ctx.bot.send_message(ctx.user_id, prompt.format(case=case))


async def history_pressed(callback: CallbackQuery, callback_data: CaseAction, ctx: Ctx) -> None:
    if consultation := await _owned(callback, callback_data.case, ctx):
        messages = await consultation_messages.history(ctx.session, consultation.id)
        await ctx.bot.send_message(ctx.user_id, history_text(consultation, messages))


async def transfer_pressed(callback: CallbackQuery, callback_data: CaseAction, ctx: Ctx) -> None:
    if not (consultation := await _owned(callback, callback_data.case, ctx)):
        return
    others = [c for c in ctx.roles.members(CURATOR) if c != consultation.curator_id]
    if not others:
        await ctx.bot.send_message(ctx.user_id, _("There is no other curator to transfer to."))
        return
    names = [(c, await _staff_name(ctx.session, c)) for c in others]
    await ctx.bot.send_message(
        ctx.user_id,
        _("Transfer {case} to:").format(case=case_number(consultation.id)),
        reply_markup=transfer_keyboard(consultation.id, names),
    )


async def _staff_name(session: AsyncSession, user_id: int) -> str:
    user = await session.get(User, user_id)
    if user is not None and user.first_name:
        return user.first_name + (f" (@{user.username})" if user.username else "")
    return _("curator {id}").format(id=user_id)


async def transfer_to(callback: CallbackQuery, callback_data: TransferTo, ctx: Ctx) -> None:
    new_owner = callback_data.curator
    if not ctx.roles.is_curator(new_owner) and not ctx.roles.is_admin(new_owner):
        await callback.answer(_("This person is no longer a curator."), show_alert=True)
        return
    name = await _staff_name(ctx.session, new_owner)
    try:
        consultation = await consultations.transfer(
            ctx.session, callback_data.case, ctx.user_id, new_owner, name, override=ctx.is_admin
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    transferred_at, planner = utcnow(), ctx.planner
    after_commit(ctx.session, lambda: planner.reply_timer(consultation.id, transferred_at))
    # The old curator's focus stays: a message they write next is refused with the reason.
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            _("Consultation {case} is transferred to {name}.").format(
                case=case_number(consultation.id), name=html.quote(name)
            )
        )
    await ctx.state_of(new_owner).update_data({FOCUS_KEY: consultation.id})
    handover = _Transfer(callback.from_user.full_name, new_owner, name)
    await _tell_transfer(ctx.session, ctx.i18n, ctx.settings, consultation, handover)


@dataclass(frozen=True)
class _Transfer:
    from_name: str
    new_owner: int
    name: str


async def _tell_transfer(
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    consultation: Consultation,
    handover: _Transfer,
) -> None:
    """With a transfer: the new owner's panel and history, the cards, the student."""
    case = case_number(consultation.id)
    new_owner, name = handover.new_owner, handover.name
    first = await consultation_messages.first_student_text(session, consultation.id)
    messages = await consultation_messages.history(session, consultation.id)
    language = await person_language(session, new_owner, settings.default_language)
    with i18n.use_locale(language):
        panel = (
            _("🔁 {from_name} transferred consultation {case} to you.").format(
                from_name=html.quote(handover.from_name), case=case
            )
            + "\n\n"
            + card_text(consultation, first, language, owner_line(consultation))
        )
        history = history_text(consultation, messages)
    await send_owner_panel(session, new_owner, panel, consultation.id)
    await enqueue(session, SendMessage(chat_id=new_owner, text=history))
    await deliver_backlog(session, consultation, new_owner)
    await refresh_cards(session, i18n, settings, consultation)
    if consultation.student_id is not None:
        await notify(
            session,
            i18n,
            settings,
            [consultation.student_id],
            lambda: _("Your request {case} has been passed to another curator, {name}.").format(
                case=case, name=html.quote(name.split(" (@")[0])
            ),
        )


def register_commands(router: Router) -> None:
    """Curators' commands, buttons and pending dialogs (the router filters private chats)."""
    router.message.register(show_queue, Command("queue"), HasRole(CURATOR))
    router.message.register(show_mine, Command("mine"), HasRole(CURATOR))
    router.message.register(refuse_non_curator, Command(*CURATOR_COMMANDS))
    router.message.register(write_note, StateFilter(CuratorForm.note), HasRole(CURATOR))
    router.message.register(write_resolution, StateFilter(CuratorForm.closing), HasRole(CURATOR))
    curator = HasRole(CURATOR)
    actions = (
        (take_pressed, ("take",)),
        (write_pressed, ("write",)),
        (note_or_close_pressed, ("note", "close")),
        (history_pressed, ("history",)),
        (transfer_pressed, ("transfer",)),
    )
    for handler, names in actions:
        router.callback_query.register(handler, CaseAction.filter(F.action.in_(names)), curator)
    router.callback_query.register(stale_button, CaseAction.filter(), curator)
    router.callback_query.register(transfer_to, TransferTo.filter(), HasRole(CURATOR))
    router.callback_query.register(refuse_non_curator, CaseAction.filter())
    router.callback_query.register(refuse_non_curator, TransferTo.filter())


def register_relay(router: Router) -> None:
    """A curator's message to the student they are working with; registered last."""
    router.message.register(relay_from_curator, HasRole(CURATOR), CuratorTarget())
    router.edited_message.register(relay_from_curator, HasRole(CURATOR), CuratorTarget())
