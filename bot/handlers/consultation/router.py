"""Students and consultations: the request form, the urgent path after an incident, /my, the
student's messages while a consultation is open, and the follow-up survey."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Consultation
from bot.db.unit_of_work import after_commit
from bot.handlers.common import out_of_date, stale_button
from bot.handlers.consultation import form
from bot.handlers.consultation.delivery import relay_student_message
from bot.handlers.consultation.form import (
    INCIDENT_KEY,
    ConsultForm,
    _ask_urgent_anonymity,
    _clear_form,
    _tell_already_open,
    form_answer,
    form_message,
    form_waiting_for_button,
)
from bot.handlers.consultation.notices import (
    message_content,
    refresh_cards,
)
from bot.handlers.consultation.texts import (
    area_label,
    case_number,
    local_time,
    status_label,
)
from bot.handlers.consultation.ui import (
    ConsultConsent,
    StudentCase,
    areas_keyboard,
    cancel_confirm_keyboard,
    consent_first_keyboard,
    open_case_keyboard,
)
from bot.handlers.curator import router as curator
from bot.handlers.filters import PrivateChat
from bot.handlers.keyboards import curator_offer_keyboard
from bot.handlers.onboarding.router import consent_text
from bot.handlers.stats import router as stats
from bot.handlers.surveys import router as surveys_journey
from bot.handlers.surveys.router import SurveyForm
from bot.handlers.texts import help_numbers
from bot.scheduler import Planner
from bot.scheduler.sending import notify
from bot.services import consultation_messages, consultations
from bot.services.consultations import (
    ConsultationRefused,
    OpenCases,
    Refusal,
)
from bot.services.users import Profile, ProfileCache, give_consent

log = logging.getLogger(__name__)


FORM_STATES = frozenset(
    state.state for state in (*ConsultForm.__all_states__, *SurveyForm.__all_states__)
)


class ConsultationTraffic(Filter):
    """The one gate of this router's messages, evaluated on every update, so it answers from
    memory: a command, a form being filled in here, a curator or admin, or a student with an
    open consultation. A student's ordinary question fails it at once."""

    async def __call__(
        self,
        message: Message,
        cases: OpenCases,
        raw_state: str | None = None,
        is_admin: bool = False,
        is_curator: bool = False,
    ) -> bool:
        if is_curator or is_admin or raw_state in FORM_STATES:
            return True
        if message.text is not None and message.text.startswith("/"):
            return True
        await cases.refresh()
        user = message.from_user
        return user is not None and user.id in cases


class InOpenConsultation(Filter):
    """The writer has an open consultation (answered from memory, no query per update)."""

    async def __call__(self, message: Message, cases: OpenCases) -> bool:
        await cases.refresh()
        user = message.from_user
        return user is not None and user.id in cases


def refusal_for_student(refusal: ConsultationRefused) -> str:
    if refusal.reason == Refusal.CLOSED:
        return _("This request is already closed.")
    return out_of_date()


# ----- entry points (called by /consult, the menu, intents and the incident offer) -----


async def start_consultation(
    message: Message, state: FSMContext, profile: Profile | None, session: AsyncSession
) -> None:
    """Begin a request to a curator: consent first, then the area."""
    if profile is None or not profile.consent_current:
        await message.answer(
            _("To connect you with a curator, I need your consent first.")
            + "\n\n"
            + consent_text(),
            reply_markup=consent_first_keyboard("consult"),
        )
        return
    existing = await consultations.open_for_student(session, profile.id)
    if existing is not None:
        await _tell_already_open(message, existing.id, existing.status)
        return
    await _clear_form(state)
    await message.answer(
        _("What would you like to talk to a curator about? Choose the area:"),
        reply_markup=areas_keyboard(),
    )


async def remember_incident(state: FSMContext, message: Message) -> None:
    """Keep the student's incident report, to start an urgent consultation with it."""
    if message.text and message.from_user is not None and not message.from_user.is_bot:
        await state.update_data({INCIDENT_KEY: message.text[:1000]})


async def show_my_requests(message: Message, session: AsyncSession, user_id: int) -> None:
    """/my: the student's consultations with their status; an open one can be added to or
    cancelled."""
    rows = await consultation_messages.student_consultations(session, user_id)
    if not rows:
        await message.answer(
            _(
                "You have no consultations yet. A curator can help with conflicts, "
                "discrimination, adaptation, language and culture questions."
            ),
            reply_markup=curator_offer_keyboard(),
        )
        return
    language = rows[0].language
    lines = ["<b>" + _("Your requests to curators") + "</b>"]
    open_case: int | None = None
    for row in rows:
        mark = "🚨 " if row.urgent else ""
        lines.append(
            f"{mark}<b>{case_number(row.id)}</b> · {area_label(row.area)} · "
            f"{status_label(row.status)} · {local_time(row.created_at, language)}"
        )
        if consultations.is_open(row) and open_case is None:
            open_case = row.id
    if open_case is not None:
        lines += ["", _("While a request is open, everything you write here goes to it.")]
    await message.answer(
        "\n".join(lines),
        reply_markup=open_case_keyboard(open_case)
        if open_case is not None
        else curator_offer_keyboard(),
    )


# ----- consent before a consultation -----


async def consent_chosen(
    callback: CallbackQuery,
    callback_data: ConsultConsent,
    session: AsyncSession,
    state: FSMContext,
    language: str,
    profiles: ProfileCache,
) -> None:
    message = callback.message
    if not isinstance(message, Message) or callback_data.then not in ("consult", "urgent"):
        await stale_button(callback)
        return
    await callback.answer()
    await message.edit_reply_markup(reply_markup=None)
    if not callback_data.accept:
        await message.answer(
            _(
                "Understood: I keep nothing about you. Without consent I cannot connect you "
                "with a curator, but you can still ask me questions."
            )
            + "\n\n"
            + help_numbers()
        )
        return
    user = callback.from_user
    profile = await give_consent(session, user.id, language, user.first_name, user.username)
    profiles.put(user.id, profile)
    await message.answer(_("Thank you! Consent saved."))
    if callback_data.then == "urgent":
        await _ask_urgent_anonymity(message, session, profile)
    else:
        await start_consultation(message, state, profile, session)


# ----- while a consultation is open -----


async def relay_from_student(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    cases: OpenCases,
    planner: Planner,
) -> None:
    """Everything the student writes goes into their open consultation: to the curator if
    one has it, or kept until one takes it."""
    user = message.from_user
    assert user is not None
    case = cases.get(user.id)
    consultation = await consultations.get(session, case) if case is not None else None
    if (
        consultation is None
        or consultation.student_id != user.id
        or not consultations.is_open(consultation)
    ):
        cases.discard(user.id)
        raise SkipHandler()
    content = message_content(message)
    if content is None:
        await message.answer(
            _(
                "I can pass text, photos, documents and voice messages to the curator; "
                "please send it as one of those."
            )
        )
        return
    kind, text, file_id = content
    if text is not None and text.startswith("/"):
        raise SkipHandler()  # a command the bot does not know is not meant for the curator
    stored, starts_wait = await consultation_messages.add_student_message(
        session, consultation.id, kind, text, file_id
    )
    if consultation.status == consultations.Status.ACTIVE and consultation.curator_id:
        if starts_wait:
            after_commit(session, lambda: planner.reply_timer(consultation.id, stored.created_at))
        await relay_student_message(
            session, consultation, stored, consultation.curator_id, consultation.language
        )
        return
    await message.answer(
        _(
            "Added to your request {case}. A curator will see it as soon as they take the request."
        ).format(case=case_number(consultation.id))
    )


async def my_case_action(
    callback: CallbackQuery,
    callback_data: StudentCase,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    cases: OpenCases,
    planner: Planner,
) -> None:
    message = callback.message
    user_id = callback.from_user.id
    consultation = await consultations.get(session, callback_data.case)
    if (
        not isinstance(message, Message)
        or consultation is None
        or consultation.student_id != user_id
    ):
        await stale_button(callback)
        return
    action = callback_data.action
    if action == "cancel_no":
        await callback.answer(_("Your request stays open."))
        await message.edit_reply_markup(reply_markup=None)
        return
    if not consultations.is_open(consultation):
        await callback.answer(_("This request is already closed."), show_alert=True)
        return
    await callback.answer()
    if action == "add":
        await message.answer(
            _("Write your message: it will be added to request {case}.").format(
                case=case_number(consultation.id)
            )
        )
    elif action == "cancel":
        await message.answer(
            _("Cancel request {case}? The curators will no longer see it.").format(
                case=case_number(consultation.id)
            ),
            reply_markup=cancel_confirm_keyboard(consultation.id),
        )
    elif action == "cancel_yes":
        try:
            cancelled = await consultations.cancel(session, consultation.id, user_id)
        except ConsultationRefused as refusal:
            await message.answer(refusal_for_student(refusal))
            return
        cases.discard(user_id)
        after_commit(session, lambda: planner.cancel_consultation(cancelled.id))
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _("Request {case} is cancelled. If you need help again, press /consult.").format(
                case=case_number(cancelled.id)
            )
        )
        await _tell_cancelled(session, i18n, settings, cancelled)
    else:
        await stale_button(callback)


async def _tell_cancelled(
    session: AsyncSession, i18n: I18n, settings: Settings, cancelled: Consultation
) -> None:
    if cancelled.curator_id is not None:
        await notify(
            session,
            i18n,
            settings,
            [cancelled.curator_id],
            lambda: _("The student cancelled consultation {case}.").format(
                case=case_number(cancelled.id)
            ),
        )
    await refresh_cards(session, i18n, settings, cancelled)


def create_router() -> Router:
    """Students', curators' and admins' consultation handlers in one router behind one cheap
    gate: each router costs every update a traversal, and this one sits on the FAQ path."""
    router = Router(name="consultation")
    router.message.filter(PrivateChat(), ConsultationTraffic())
    router.edited_message.filter(PrivateChat(), ConsultationTraffic())
    stats.register(router)
    curator.register_commands(router)
    router.callback_query.register(consent_chosen, ConsultConsent.filter())
    form.register(router)
    router.callback_query.register(my_case_action, StudentCase.filter())
    router.message.register(form_answer, StateFilter(ConsultForm.answering))
    router.message.register(form_message, StateFilter(ConsultForm.message))
    router.message.register(
        form_waiting_for_button, StateFilter(ConsultForm.anonymity, ConsultForm.confirming)
    )
    surveys_journey.register(router)
    router.message.register(relay_from_student, InOpenConsultation())
    # An edit in an open consultation reaches the other side as "✏️ edited: ...".
    router.edited_message.register(relay_from_student, InOpenConsultation())
    curator.register_relay(router)
    return router
