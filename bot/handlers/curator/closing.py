"""A curator's internal note and the closing of a consultation: the resolution, the follow-up
survey planned, the cards and the student told once it commits."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Consultation, utcnow
from bot.db.unit_of_work import after_commit
from bot.handlers.consultation.notices import (
    refresh_cards,
)
from bot.handlers.consultation.texts import (
    case_number,
    duration_text,
)
from bot.handlers.curator.context import FOCUS_KEY, PENDING_KEY, refusal_text
from bot.outbox.queue import enqueue
from bot.scheduler import Planner
from bot.services import consultation_messages, consultations, surveys
from bot.services.consultations import ConsultationRefused, OpenCases

log = logging.getLogger(__name__)


async def write_note(
    message: Message, state: FSMContext, session: AsyncSession, is_admin: bool
) -> None:
    assert message.from_user is not None
    case = (await state.get_data()).get(PENDING_KEY)
    await state.set_state(None)
    if not message.text or case is None:
        await message.answer(_("A note must be text. Press «Note» again to retry."))
        return
    try:
        consultation = await consultations.owned(
            session, int(case), message.from_user.id, override=is_admin
        )
    except ConsultationRefused as refusal:
        await message.answer(html.quote(refusal_text(refusal)))
        return
    await consultation_messages.add_note(
        session, consultation.id, message.from_user.id, message.text
    )
    await message.answer(
        _("📝 Note saved to {case}. The student does not see it.").format(
            case=case_number(consultation.id)
        )
    )


async def write_resolution(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    cases: OpenCases,
    planner: Planner,
    language: str,
    is_admin: bool,
) -> None:
    assert message.from_user is not None
    case = (await state.get_data()).get(PENDING_KEY)
    await state.set_state(None)
    if not message.text or message.text.startswith("/") or case is None:
        await message.answer(_("The resolution must be text. Press «Close» again to retry."))
        return
    try:
        consultation = await consultations.close(
            session, int(case), message.from_user.id, message.text, override=is_admin
        )
    except ConsultationRefused as refusal:
        await message.answer(html.quote(refusal_text(refusal)))
        return
    await _after_close(
        message, state, session, bot, i18n, settings, cases, planner, language, consultation
    )


async def _after_close(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    cases: OpenCases,
    planner: Planner,
    language: str,
    consultation: Consultation,
) -> None:
    after_commit(session, lambda: planner.cancel_consultation(consultation.id))
    cases.discard(consultation.student_id)
    if (await state.get_data()).get(FOCUS_KEY) == consultation.id:
        await state.update_data({FOCUS_KEY: None})
    survey = await surveys.create_survey(session, consultation, settings.survey_delay)
    if survey is not None:
        survey_id, due = survey.id, utcnow() + timedelta(seconds=settings.survey_delay)
        after_commit(session, lambda: planner.survey(survey_id, due))
    await message.answer(
        _("✅ Consultation {case} is closed. The student gets a short survey in {time}.").format(
            case=case_number(consultation.id),
            time=duration_text(settings.survey_delay, language),
        )
    )
    await _tell_closed(session, i18n, settings, consultation)


async def _tell_closed(
    session: AsyncSession, i18n: I18n, settings: Settings, consultation: Consultation
) -> None:
    """With a close: the cards show it, and the student is told."""
    await refresh_cards(session, i18n, settings, consultation)
    if consultation.student_id is not None:
        with i18n.use_locale(consultation.language):
            text = _(
                "Your consultation {case} is closed by the curator. Thank you for reaching out! "
                "Later I will ask you how it went. If you need help again, press /consult."
            ).format(case=case_number(consultation.id))
        await enqueue(session, SendMessage(chat_id=consultation.student_id, text=text))
