"""Curators: take a consultation from its card, talk with the student through the bot, add
internal notes, transfer, close; /queue and /mine. Everyone else is refused clearly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
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
from bot.handlers.curator.closing import write_note, write_resolution
from bot.handlers.curator.context import (
    CURATOR_COMMANDS,
    FOCUS_KEY,
    PENDING_KEY,
    CuratorForm,
    CuratorTarget,
    private_context,
    refusal_text,
)
from bot.handlers.curator.relay import relay_from_curator
from bot.handlers.curator_assist.router import send_suggestions
from bot.handlers.filters import HasRole
from bot.outbox.hooks import Delivery, HookContext, hook
from bot.outbox.queue import enqueue
from bot.scheduler import Planner
from bot.scheduler.sending import notify
from bot.services import consultation_messages, consultations, curator_assist
from bot.services.consultations import ConsultationRefused
from bot.services.knowledge import KnowledgeBase
from bot.services.roles import CURATOR, RoleDirectory

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


async def case_action(
    callback: CallbackQuery,
    callback_data: CaseAction,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    planner: Planner,
    fsm_storage: BaseStorage,
    is_admin: bool,
    kb: KnowledgeBase,
) -> None:
    match callback_data.action:
        case "take":
            await _take(
                callback, callback_data.case, session, bot, i18n, settings, planner, fsm_storage, kb
            )
        case "write" | "note" | "close" | "history" | "transfer":
            await _owner_action(callback, callback_data, session, bot, roles, fsm_storage, is_admin)
        case _:
            await stale_button(callback)


async def _take(
    callback: CallbackQuery,
    case: int,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    planner: Planner,
    storage: BaseStorage,
    kb: KnowledgeBase,
) -> None:
    curator = callback.from_user
    try:
        consultation = await consultations.take(session, case, curator.id, curator.full_name)
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    taken_at = utcnow()
    after_commit(session, lambda: planner.cancel_unclaimed(consultation.id))
    after_commit(session, lambda: planner.reply_timer(consultation.id, taken_at))
    await callback.answer(_("Consultation {case} is yours.").format(case=case_number(case)))
    await private_context(storage, bot, curator.id).update_data({FOCUS_KEY: consultation.id})
    # The closest knowledge-base answers arrive just before the panel, which stays the newest.
    entries = await curator_assist.suggestions(session, kb, consultation)
    await send_suggestions(session, curator.id, consultation, entries)
    await _hand_over(session, i18n, settings, consultation, curator)


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


async def _owner_action(
    callback: CallbackQuery,
    callback_data: CaseAction,
    session: AsyncSession,
    bot: Bot,
    roles: RoleDirectory,
    storage: BaseStorage,
    is_admin: bool,
) -> None:
    curator = callback.from_user
    try:
        consultation = await consultations.owned(
            session, callback_data.case, curator.id, override=is_admin
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    await callback.answer()
    context = private_context(storage, bot, curator.id)
    case = case_number(consultation.id)
    match callback_data.action:
        case "write":
            await context.update_data({FOCUS_KEY: consultation.id})
            await bot.send_message(
                curator.id,
                _("✍️ Your messages now go to the student of {case}. /mine switches.").format(
                    case=case
                ),
            )
        case "note":
            await context.set_state(CuratorForm.note)
            await context.update_data({PENDING_KEY: consultation.id})
            await bot.send_message(
                curator.id,
                _("📝 Write the note for {case}. The student will never see it.").format(case=case),
            )
        case "close":
            await context.set_state(CuratorForm.closing)
            await context.update_data({PENDING_KEY: consultation.id})
            await bot.send_message(
                curator.id,
                _(
                    "✅ Write a short resolution for {case}: what was done or agreed. It stays "
                    "with the curators; the student gets a short notice and later a survey."
                ).format(case=case),
            )
        case "history":
            messages = await consultation_messages.history(session, consultation.id)
            await bot.send_message(curator.id, history_text(consultation, messages))
        case "transfer":
            others = [c for c in roles.members(CURATOR) if c != consultation.curator_id]
            if not others:
                await bot.send_message(curator.id, _("There is no other curator to transfer to."))
                return
            names = [(c, await _staff_name(session, c)) for c in others]
            await bot.send_message(
                curator.id,
                _("Transfer {case} to:").format(case=case),
                reply_markup=transfer_keyboard(consultation.id, names),
            )


async def _staff_name(session: AsyncSession, user_id: int) -> str:
    user = await session.get(User, user_id)
    if user is not None and user.first_name:
        return user.first_name + (f" (@{user.username})" if user.username else "")
    return _("curator {id}").format(id=user_id)


async def transfer_to(
    callback: CallbackQuery,
    callback_data: TransferTo,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    planner: Planner,
    fsm_storage: BaseStorage,
    is_admin: bool,
) -> None:
    curator = callback.from_user
    if not roles.is_curator(callback_data.curator) and not roles.is_admin(callback_data.curator):
        await callback.answer(_("This person is no longer a curator."), show_alert=True)
        return
    name = await _staff_name(session, callback_data.curator)
    try:
        consultation = await consultations.transfer(
            session,
            callback_data.case,
            curator.id,
            callback_data.curator,
            name,
            override=is_admin,
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    transferred_at = utcnow()
    after_commit(session, lambda: planner.reply_timer(consultation.id, transferred_at))
    # The old curator's focus stays: a message they write next is refused with the reason.
    await callback.answer()
    case = case_number(consultation.id)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            _("Consultation {case} is transferred to {name}.").format(
                case=case, name=html.quote(name)
            )
        )
    new_owner = callback_data.curator
    await private_context(fsm_storage, bot, new_owner).update_data({FOCUS_KEY: consultation.id})
    handover = _Transfer(curator.full_name, new_owner, name)
    await _tell_transfer(session, i18n, settings, consultation, handover)


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
    router.callback_query.register(case_action, CaseAction.filter(), HasRole(CURATOR))
    router.callback_query.register(transfer_to, TransferTo.filter(), HasRole(CURATOR))
    router.callback_query.register(refuse_non_curator, CaseAction.filter())
    router.callback_query.register(refuse_non_curator, TransferTo.filter())


def register_relay(router: Router) -> None:
    """A curator's message to the student they are working with; registered last."""
    router.message.register(relay_from_curator, HasRole(CURATOR), CuratorTarget())
    router.edited_message.register(relay_from_curator, HasRole(CURATOR), CuratorTarget())
