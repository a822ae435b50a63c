"""What the curator's handlers share: FSM keys and states, the curator's private FSM context,
refusal texts, and the filter that routes a curator's message to the student."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.handlers.consultation.texts import (
    case_number,
)
from bot.services import consultation_messages
from bot.services.consultations import ConsultationRefused, Refusal

FOCUS_KEY = "curator_case"
PENDING_KEY = "curator_pending_case"
CURATOR_COMMANDS = ("queue", "mine")


class CuratorForm(StatesGroup):
    note = State()
    closing = State()


def refusal_text(refusal: ConsultationRefused) -> str:
    consultation = refusal.consultation
    case = case_number(consultation.id) if consultation else ""
    match refusal.reason:
        case Refusal.TAKEN:
            return _("Consultation {case} has already been taken by {name}.").format(
                case=case, name=(consultation.curator_name if consultation else None) or "—"
            )
        case Refusal.CLOSED:
            return _("Consultation {case} is already closed.").format(case=case)
        case Refusal.NOT_OWNER:
            return _("Consultation {case} is not yours: take it first.").format(case=case)
        case Refusal.SAME_CURATOR:
            return _("You already have this consultation.")
    return _("This consultation no longer exists.")


class CuratorTarget(Filter):
    """A curator's message meant for a student: a reply to a relayed message or card, or any
    message while they are writing to a consultation. Passes `case` to the handler."""

    async def __call__(
        self, message: Message, state: FSMContext, session: AsyncSession, bot: Bot
    ) -> bool | dict[str, int]:
        if message.text is not None and message.text.startswith("/"):
            return False  # commands keep their meaning; an unknown one is not for the student
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            case = await consultation_messages.case_for_relayed(
                session, message.chat.id, replied.message_id
            )
            if case is not None:
                return {"case": case}
        focus = (await state.get_data()).get(FOCUS_KEY)
        return {"case": int(focus)} if focus else False


async def _mark_blocked(session: AsyncSession, student_id: int) -> None:
    await session.execute(update(User).where(User.id == student_id).values(blocked_bot=True))
