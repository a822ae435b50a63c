"""Relaying consultation messages through the outbox, both ways, and what follows a delivery:
the store learns where the message landed (so a reply to it finds the case), the curator
gets a receipt, and a message that cannot be delivered is reported to its author."""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage, SetMessageReaction
from aiogram.types import ReactionTypeEmoji, ReplyParameters
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Consultation, ConsultationMessage
from bot.handlers.consultation.notices import content_method
from bot.handlers.consultation.texts import case_number, relay_header
from bot.outbox.hooks import Delivery, HookContext, hook
from bot.outbox.queue import enqueue
from bot.services import consultation_messages

STUDENT_DELIVERED = "consultation.student_message_delivered"
STUDENT_UNDELIVERED = "consultation.student_message_undelivered"
CURATOR_DELIVERED = "consultation.curator_reply_delivered"
CURATOR_UNDELIVERED = "consultation.curator_reply_undelivered"
RECEIPT_REFUSED = "consultation.receipt_refused"


def message_key(stored_id: int) -> str:
    """One consultation message is relayed once, whatever happens."""
    return f"consultation-message:{stored_id}"


async def relay_student_message(
    session: AsyncSession,
    consultation: Consultation,
    stored: ConsultationMessage,
    curator_id: int,
    student_language: str,
) -> None:
    """Owe the student's message to the curator (sent after commit, in order)."""
    method = content_method(
        curator_id, stored.kind, stored.text, stored.file_id, relay_header(consultation)
    )
    await enqueue(
        session,
        method,
        key=message_key(stored.id),
        on_sent=STUDENT_DELIVERED,
        on_dead=STUDENT_UNDELIVERED,
        args={
            "stored": stored.id,
            "case": consultation.id,
            "student": consultation.student_id,
            "language": student_language,
        },
    )


async def relay_curator_message(
    session: AsyncSession,
    consultation: Consultation,
    stored_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
    header: str,
    *,
    curator_chat: int,
    curator_message: int,
    curator_language: str,
) -> None:
    """Owe the curator's message to the student; the receipt follows its delivery."""
    assert consultation.student_id is not None
    await enqueue(
        session,
        content_method(consultation.student_id, kind, text, file_id, header),
        key=message_key(stored_id),
        on_sent=CURATOR_DELIVERED,
        on_dead=CURATOR_UNDELIVERED,
        args={
            "stored": stored_id,
            "case": consultation.id,
            "curator_chat": curator_chat,
            "curator_message": curator_message,
            "language": curator_language,
        },
    )


async def deliver_backlog(
    session: AsyncSession, consultation: Consultation, curator_id: int
) -> int:
    """Everything the student wrote while waiting, in order, owed to the curator who took it."""
    waiting = await consultation_messages.undelivered_student_messages(session, consultation.id)
    for stored in waiting:
        await relay_student_message(
            session, consultation, stored, curator_id, consultation.language
        )
    return len(waiting)


@hook(STUDENT_DELIVERED)
async def _student_delivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    await consultation_messages.mark_delivered(
        session, args["stored"], delivery.chat_id, delivery.message_id
    )


@hook(STUDENT_UNDELIVERED)
async def _student_undelivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    student = args.get("student")
    if not student:
        return
    with ctx.i18n.context(), ctx.i18n.use_locale(args.get("language") or "kk"):
        text = _(
            "Your message is saved in request {case}, but the curator could not be "
            "reached right now; they will see it in the history."
        ).format(case=case_number(args["case"]))
    await enqueue(session, SendMessage(chat_id=student, text=text))


@hook(CURATOR_DELIVERED)
async def _curator_delivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    await consultation_messages.mark_delivered(
        session, args["stored"], delivery.chat_id, delivery.message_id
    )
    if ctx.planner is not None:
        ctx.planner.cancel_reply_timer(args["case"])
    await enqueue(
        session,
        SetMessageReaction(
            chat_id=args["curator_chat"],
            message_id=args["curator_message"],
            reaction=[ReactionTypeEmoji(emoji="👌")],
        ),
        on_dead=RECEIPT_REFUSED,
        args=args,
    )


@hook(RECEIPT_REFUSED)
async def _receipt_refused(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    # Reactions are a nicety; a Bot API server without them gets a text receipt.
    with ctx.i18n.context(), ctx.i18n.use_locale(args.get("language") or "kk"):
        text = _("✓ Delivered.")
    await enqueue(session, _reply(args, text))


@hook(CURATOR_UNDELIVERED)
async def _curator_undelivered(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    gone = (delivery.error or "").startswith("chat gone")
    with ctx.i18n.context(), ctx.i18n.use_locale(args.get("language") or "kk"):
        text = (
            _("⚠️ Not delivered: the student has blocked the bot.")
            if gone
            else _("⚠️ Not delivered, Telegram refused it. Please try again.")
        )
    await enqueue(session, _reply(args, text))


def _reply(args: dict[str, Any], text: str) -> SendMessage:
    return SendMessage(
        chat_id=args["curator_chat"],
        text=text,
        reply_parameters=ReplyParameters(
            message_id=args["curator_message"], allow_sending_without_reply=True
        ),
    )
