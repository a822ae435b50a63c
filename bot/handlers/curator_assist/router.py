"""Curator assist in Telegram: the suggestions a curator gets on taking a case or tapping «📚»,
and the one-tap sending of an entry's answer to the student."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Router
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import get_i18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Consultation
from bot.handlers.common import refuse_non_curator
from bot.handlers.consultation.texts import curator_header
from bot.handlers.context import Ctx
from bot.handlers.curator.context import refusal_text
from bot.handlers.curator_assist.ui import (
    AssistSend,
    AssistShow,
    answer_for_student,
    assist_keyboard,
    assist_text,
    current_language,
    entry_gone,
    not_delivered,
    sent_notice,
)
from bot.handlers.filters import HasRole
from bot.outbox.hooks import Delivery, HookContext, hook
from bot.outbox.queue import enqueue
from bot.services import curator_assist
from bot.services.consultations import ConsultationRefused
from bot.services.knowledge import Entry
from bot.services.roles import CURATOR

log = logging.getLogger(__name__)


async def send_suggestions(
    session: AsyncSession, curator_id: int, consultation: Consultation, entries: Sequence[Entry]
) -> None:
    """Owe the closest entries as buttons, in the curator's (the current) language."""
    language = current_language()
    await enqueue(
        session,
        SendMessage(
            chat_id=curator_id,
            text=assist_text(consultation.id, entries, consultation.language),
            reply_markup=assist_keyboard(consultation.id, entries, language),
        ),
    )


async def show(callback: CallbackQuery, callback_data: AssistShow, ctx: Ctx) -> None:
    """«📚» on the reply screen: the suggestions for everything the student wrote so far."""
    session, kb = ctx.session, ctx.kb
    try:
        consultation = await curator_assist.owned_case(
            session, callback_data.case, ctx.user_id, override=ctx.is_admin
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    entries = await curator_assist.suggestions(session, kb, consultation)
    await callback.answer()
    assert callback.bot is not None
    await send_suggestions(session, callback.from_user.id, consultation, entries)


async def send(callback: CallbackQuery, callback_data: AssistSend, ctx: Ctx) -> None:
    """A tap on «📤»: the answer is stored as the curator's reply and counted, then sent."""
    session = ctx.session
    try:
        consultation, entry = await curator_assist.answer_to_send(
            session,
            ctx.kb,
            callback_data.case,
            ctx.user_id,
            callback_data.entry,
            override=ctx.is_admin,
        )
    except ConsultationRefused as refusal:
        await callback.answer(refusal_text(refusal), show_alert=True)
        return
    except curator_assist.EntryGone:
        await callback.answer(entry_gone(), show_alert=True)
        return
    sent = await curator_assist.record_sent(session, consultation, entry, callback.from_user.id)
    await callback.answer(sent_notice(entry, current_language()))
    assert consultation.student_id is not None
    with get_i18n().use_locale(consultation.language):
        body = answer_for_student(curator_header(consultation), entry, consultation.language)
    # Owed to the student with the count; a refusal undoes the count (ANSWER_UNDELIVERED).
    await enqueue(
        session,
        SendMessage(chat_id=consultation.student_id, text=body, disable_web_page_preview=True),
        key=f"consultation-message:{sent.message_id}",
        on_sent=ANSWER_DELIVERED,
        on_dead=ANSWER_UNDELIVERED,
        args={
            "message": sent.message_id,
            "send": sent.send_id,
            "case": consultation.id,
            "curator": callback.from_user.id,
            "language": current_language(),
        },
    )


ANSWER_DELIVERED = "curator_assist.answer_delivered"
ANSWER_UNDELIVERED = "curator_assist.answer_undelivered"


@hook(ANSWER_DELIVERED)
async def _answer_delivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    sent = curator_assist.Sent(args["message"], args["send"])
    if delivery.message_id is not None:
        await curator_assist.delivered(session, sent, delivery.chat_id, delivery.message_id)
    if ctx.planner is not None:
        ctx.planner.cancel_reply_timer(args["case"])


@hook(ANSWER_UNDELIVERED)
async def _answer_undelivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    blocked = (delivery.error or "").startswith("chat gone")
    log.warning("assist answer in %s not delivered: %s", args["case"], delivery.error)
    await curator_assist.undo_send(
        session, curator_assist.Sent(args["message"], args["send"]), blocked=blocked
    )
    with ctx.i18n.context(), ctx.i18n.use_locale(args.get("language") or "kk"):
        text = not_delivered(blocked)
    await enqueue(session, SendMessage(chat_id=args["curator"], text=text))


def create_router() -> Router:
    router = Router(name="curator_assist")
    router.callback_query.register(show, AssistShow.filter(), HasRole(CURATOR))
    router.callback_query.register(send, AssistSend.filter(), HasRole(CURATOR))
    router.callback_query.register(refuse_non_curator, AssistShow.filter())
    router.callback_query.register(refuse_non_curator, AssistSend.filter())
    return router
