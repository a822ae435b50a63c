"""Students and consultations: the request form, the urgent path after an incident, /my, the
student's messages while a consultation is open, and the follow-up survey."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware
from bot.config import Settings
from bot.consultation_delivery import (
    announce,
    message_content,
    notify,
    refresh_cards,
    relay_to_curator,
)
from bot.consultation_keyboards import (
    ConsultConsent,
    ConsultStep,
    StudentCase,
    SurveyRate,
    SurveyResolved,
    SurveySkipComment,
    UrgentHelp,
    anonymity_keyboard,
    areas_keyboard,
    cancel_confirm_keyboard,
    confirm_keyboard,
    consent_first_keyboard,
    open_case_keyboard,
    resolved_keyboard,
    skip_comment_keyboard,
    skip_keyboard,
    urgent_anonymity_keyboard,
)
from bot.consultation_texts import (
    area_label,
    case_number,
    local_time,
    question_text,
    status_label,
    summary_text,
)
from bot.db.models import Consultation, utcnow
from bot.db.unit_of_work import after_commit
from bot.filters import PrivateChat
from bot.handlers.common import out_of_date, stale_button
from bot.keyboards import curator_offer_keyboard
from bot.routers import curator, stats
from bot.routers.onboarding import consent_text
from bot.scheduler import Planner
from bot.services import consultations, curator_assist, surveys
from bot.services.consultations import (
    AREAS,
    QUESTIONNAIRES,
    URGENT_AREA,
    ConsultationRefused,
    Draft,
    OpenCases,
    Refusal,
)
from bot.services.knowledge import KnowledgeBase
from bot.services.roles import ADMIN, CURATOR, RoleDirectory
from bot.services.users import Profile, ProfileCache, give_consent
from bot.texts import help_numbers

log = logging.getLogger(__name__)

FORM_KEY = "consult_form"
INCIDENT_KEY = "incident_text"
SURVEY_KEY = "survey_comment"


class ConsultForm(StatesGroup):
    answering = State()
    message = State()
    anonymity = State()
    confirming = State()


class SurveyForm(StatesGroup):
    comment = State()


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


async def _tell_already_open(message: Message, case: int, status: str) -> None:
    await message.answer(
        _(
            "You already have an open request {case} ({status}). Just write here: your "
            "messages are added to it. Or cancel it."
        ).format(case=case_number(case), status=status_label(status)),
        reply_markup=open_case_keyboard(case),
    )


async def remember_incident(state: FSMContext, message: Message) -> None:
    """Keep the student's incident report, to start an urgent consultation with it."""
    if message.text and message.from_user is not None and not message.from_user.is_bot:
        await state.update_data({INCIDENT_KEY: message.text[:1000]})


async def show_my_requests(message: Message, session: AsyncSession, user_id: int) -> None:
    """/my: the student's consultations with their status; an open one can be added to or
    cancelled."""
    rows = await consultations.student_consultations(session, user_id)
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


# ----- the request form -----


async def _clear_form(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({FORM_KEY: None})


async def _form(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(FORM_KEY) or {})


async def _ask_question(message: Message, state: FSMContext, form: dict[str, Any]) -> None:
    keys = QUESTIONNAIRES[form["area"]]
    step = len(form["answers"])
    if step < len(keys):
        await state.set_state(ConsultForm.answering)
        await state.update_data({FORM_KEY: form})
        await message.answer(
            _("Question {n} of {total}:").format(n=step + 1, total=len(keys))
            + " "
            + question_text(form["area"], keys[step]),
            reply_markup=skip_keyboard(),
        )
        return
    await state.set_state(ConsultForm.message)
    await state.update_data({FORM_KEY: form})
    await message.answer(
        _(
            "Now write your message to the curator: what would you like to ask or tell? "
            "You can add more later."
        ),
        reply_markup=skip_keyboard(),
    )


async def _ask_anonymity(message: Message, state: FSMContext, form: dict[str, Any]) -> None:
    await state.set_state(ConsultForm.anonymity)
    await state.update_data({FORM_KEY: form})
    await message.answer(
        _(
            "Should the curator know who you are? Anonymously, the curator sees only a case "
            "number; with your name, they see your name and username."
        ),
        reply_markup=anonymity_keyboard(),
    )


async def form_step(
    callback: CallbackQuery,
    callback_data: ConsultStep,
    state: FSMContext,
    raw_state: str | None,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    cases: OpenCases,
    planner: Planner,
    profile: Profile | None,
    kb: KnowledgeBase,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await stale_button(callback)
        return
    action = callback_data.action
    form = await _form(state)
    if action == "cancel":
        await callback.answer()
        await _clear_form(state)
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(_("Cancelled: nothing was sent. You can start again with /consult."))
        return
    if action == "area" and callback_data.area in AREAS and raw_state is None:
        await callback.answer()
        await message.edit_reply_markup(reply_markup=None)
        form = {"area": callback_data.area, "answers": []}
        await message.answer(
            _(
                "Area: {area}. A few short questions — answer in your own words or press «Skip»."
            ).format(area=area_label(callback_data.area))
        )
        await _ask_question(message, state, form)
        return
    if action == "skip" and raw_state == ConsultForm.answering.state and form:
        await callback.answer()
        await message.edit_reply_markup(reply_markup=None)
        keys = QUESTIONNAIRES[form["area"]]
        form["answers"].append({"q": keys[len(form["answers"])], "a": None})
        await _ask_question(message, state, form)
        return
    if action == "skip" and raw_state == ConsultForm.message.state and form:
        await callback.answer()
        await message.edit_reply_markup(reply_markup=None)
        await _ask_anonymity(message, state, form)
        return
    if action in ("anonymous", "named") and raw_state == ConsultForm.anonymity.state and form:
        await callback.answer()
        await message.edit_reply_markup(reply_markup=None)
        form["anonymous"] = action == "anonymous"
        await state.set_state(ConsultForm.confirming)
        await state.update_data({FORM_KEY: form})
        await message.answer(summary_text(form), reply_markup=confirm_keyboard())
        return
    if action == "send" and raw_state == ConsultForm.confirming.state and form and profile:
        await callback.answer()
        await message.edit_reply_markup(reply_markup=None)
        draft = Draft(
            area=form["area"],
            language=profile.language,
            answers=form["answers"],
            anonymous=bool(form.get("anonymous", True)),
            first_message=form.get("message"),
        )
        await _clear_form(state)
        await _open(
            message, callback, draft, session, bot, i18n, settings, roles, cases, planner, kb
        )
        return
    await stale_button(callback)


async def _open(
    message: Message,
    callback: CallbackQuery,
    draft: Draft,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    cases: OpenCases,
    planner: Planner,
    kb: KnowledgeBase,
) -> None:
    user = callback.from_user
    try:
        consultation = await consultations.open_consultation(
            session, user.id, draft, name=user.full_name, username=user.username
        )
    except ConsultationRefused as refusal:
        existing = refusal.consultation
        if existing is None:
            raise
        if draft.urgent and await consultations.make_urgent(session, existing.id):
            existing = await consultations.get(session, existing.id) or existing
            case = existing.id
            after_commit(
                session,
                lambda: _announce_urgent_again(bot, session, i18n, settings, roles, case),
            )
            await message.answer(
                _(
                    "Your open request {case} is now marked urgent, and every curator has been "
                    "told. Write here what happened — it goes to the curator."
                ).format(case=case_number(existing.id))
                + "\n\n"
                + help_numbers()
            )
            return
        await _tell_already_open(message, existing.id, existing.status)
        return
    cases.add(user.id, consultation.id)
    await roles.refresh()
    # Curators see the card, and the SLA timer starts, only once the request is stored.
    assist = await curator_assist.suggestions(session, kb, consultation)
    after_commit(
        session,
        lambda: announce(bot, session, i18n, settings, roles, consultation, assist=assist),
    )
    opened_at = aware(consultation.created_at) or utcnow()
    after_commit(session, lambda: planner.unclaimed(consultation.id, opened_at))
    if draft.urgent:
        await message.answer(
            _(
                "Your urgent request {case} has been sent to every curator at once. A curator "
                "will answer here, in this chat. Write here anything you want to add."
            ).format(case=case_number(consultation.id))
            + "\n\n"
            + help_numbers()
        )
        return
    await message.answer(
        _(
            "Sent! Your request {case} is in the curators' queue. A curator will answer here, "
            "in this chat. Until then, anything you write here is added to your request. "
            "/my shows its status."
        ).format(case=case_number(consultation.id))
    )


async def _announce_urgent_again(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    case: int,
) -> None:
    consultation = await consultations.get(session, case)
    if consultation is None:
        return
    people = set(roles.members(CURATOR)) | set(roles.members(ADMIN))
    if consultation.curator_id is not None:
        people = {consultation.curator_id} | set(roles.members(ADMIN))
    await notify(
        bot,
        session,
        i18n,
        settings,
        sorted(people),
        lambda: _(
            "🚨 The student of consultation {case} reports an incident: it is now urgent."
        ).format(case=case_number(case)),
    )
    await refresh_cards(bot, session, i18n, settings, consultation)


async def form_answer(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    if not form:
        await _clear_form(state)
        raise SkipHandler()
    if not message.text or message.text.startswith("/"):
        await message.answer(_("Please answer in words, or press «Skip»."))
        return
    keys = QUESTIONNAIRES[form["area"]]
    form["answers"].append({"q": keys[len(form["answers"])], "a": message.text.strip()[:1000]})
    await _ask_question(message, state, form)


async def form_message(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    if not form:
        await _clear_form(state)
        raise SkipHandler()
    if not message.text or message.text.startswith("/"):
        await message.answer(
            _(
                "Please write your message in words, or press «Skip». Photos and documents "
                "can be sent once the request is open."
            )
        )
        return
    form["message"] = message.text.strip()[:4096]
    await _ask_anonymity(message, state, form)


async def form_waiting_for_button(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or press «Cancel»."))


# ----- the urgent path -----


async def _ask_urgent_anonymity(message: Message, session: AsyncSession, profile: Profile) -> None:
    await message.answer(
        _(
            "I will mark your request urgent and tell every curator at once. Should the "
            "curator know your name, or only a case number?"
        ),
        reply_markup=urgent_anonymity_keyboard(),
    )


async def urgent_step(
    callback: CallbackQuery,
    callback_data: UrgentHelp,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    cases: OpenCases,
    planner: Planner,
    profile: Profile | None,
    kb: KnowledgeBase,
) -> None:
    message = callback.message
    if not isinstance(message, Message) or callback_data.action not in (
        "start",
        "anonymous",
        "named",
        "cancel",
    ):
        await stale_button(callback)
        return
    await callback.answer()
    if callback_data.action == "cancel":
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            _("All right. If you change your mind, press /consult.") + "\n\n" + help_numbers()
        )
        return
    if profile is None or not profile.consent_current:
        await message.answer(
            _("To connect you with a curator, I need your consent first.")
            + "\n\n"
            + consent_text(),
            reply_markup=consent_first_keyboard("urgent"),
        )
        return
    if callback_data.action == "start":
        await _ask_urgent_anonymity(message, session, profile)
        return
    await message.edit_reply_markup(reply_markup=None)
    data = await state.get_data()
    draft = Draft(
        area=URGENT_AREA,
        language=profile.language,
        anonymous=callback_data.action == "anonymous",
        urgent=True,
        first_message=data.get(INCIDENT_KEY),
    )
    await state.update_data({INCIDENT_KEY: None})
    await _open(message, callback, draft, session, bot, i18n, settings, roles, cases, planner, kb)


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
    stored, starts_wait = await consultations.add_student_message(
        session, consultation.id, kind, text, file_id
    )
    if consultation.status == consultations.Status.ACTIVE and consultation.curator_id:
        curator_id = consultation.curator_id
        if starts_wait:
            after_commit(session, lambda: planner.reply_timer(consultation.id, stored.created_at))

        async def relay() -> None:
            if await relay_to_curator(bot, session, consultation, stored, curator_id):
                return
            await message.answer(
                _(
                    "Your message is saved in request {case}, but the curator could not be "
                    "reached right now; they will see it in the history."
                ).format(case=case_number(consultation.id))
            )

        after_commit(session, relay)
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
        after_commit(session, lambda: _tell_cancelled(bot, session, i18n, settings, cancelled))
    else:
        await stale_button(callback)


async def _tell_cancelled(
    bot: Bot, session: AsyncSession, i18n: I18n, settings: Settings, cancelled: Consultation
) -> None:
    if cancelled.curator_id is not None:
        await notify(
            bot,
            session,
            i18n,
            settings,
            [cancelled.curator_id],
            lambda: _("The student cancelled consultation {case}.").format(
                case=case_number(cancelled.id)
            ),
        )
    await refresh_cards(bot, session, i18n, settings, cancelled)


# ----- the follow-up survey -----


async def survey_rate(
    callback: CallbackQuery,
    callback_data: SurveyRate,
    session: AsyncSession,
    planner: Planner,
) -> None:
    message = callback.message
    outcome = await surveys.rate(
        session, callback_data.survey, callback.from_user.id, callback_data.rating
    )
    if outcome == surveys.Answer.ALREADY:
        await callback.answer(_("You have already rated this consultation. Thank you!"))
        return
    if outcome == surveys.Answer.EXPIRED:
        await callback.answer(_("This survey has expired. Thank you anyway!"), show_alert=True)
        if isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
        return
    if outcome != surveys.Answer.SAVED or not isinstance(message, Message):
        await stale_button(callback)
        return
    survey_id = callback_data.survey
    after_commit(session, lambda: planner.cancel_survey(survey_id))
    await callback.answer(_("Thank you for the rating!"))
    await message.edit_text(
        _("Your rating: {rating} ⭐. Was your question resolved?").format(
            rating=callback_data.rating
        ),
        reply_markup=resolved_keyboard(callback_data.survey),
    )


async def survey_resolved(
    callback: CallbackQuery,
    callback_data: SurveyResolved,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    message = callback.message
    outcome = await surveys.set_resolved(
        session, callback_data.survey, callback.from_user.id, callback_data.resolved
    )
    if outcome == surveys.Answer.ALREADY:
        await callback.answer(_("You have already answered. Thank you!"))
        return
    if outcome == surveys.Answer.EXPIRED:
        await callback.answer(_("This survey has expired. Thank you anyway!"), show_alert=True)
        return
    if outcome != surveys.Answer.SAVED or not isinstance(message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    await state.set_state(SurveyForm.comment)
    await state.update_data({SURVEY_KEY: callback_data.survey})
    await message.edit_text(
        _(
            "Thank you! Would you like to add a comment for the team? Write it in one message, "
            "or press «Skip»."
        ),
        reply_markup=skip_comment_keyboard(callback_data.survey),
    )


async def survey_skip_comment(
    callback: CallbackQuery, callback_data: SurveySkipComment, state: FSMContext
) -> None:
    await callback.answer()
    if await state.get_state() == SurveyForm.comment.state:
        await state.set_state(None)
        await state.update_data({SURVEY_KEY: None})
    if isinstance(callback.message, Message):
        await callback.message.edit_text(_("Thank you for your answers! 🙏"))


async def survey_comment(message: Message, state: FSMContext, session: AsyncSession) -> None:
    survey_id = (await state.get_data()).get(SURVEY_KEY)
    if not message.text or message.text.startswith("/"):
        await message.answer(_("Please write your comment in words, or press «Skip»."))
        return
    await state.set_state(None)
    await state.update_data({SURVEY_KEY: None})
    if survey_id is None or message.from_user is None:
        raise SkipHandler()
    await surveys.set_comment(session, int(survey_id), message.from_user.id, message.text)
    await message.answer(_("Thank you! Your comment has been saved. 🙏"))


def create_router() -> Router:
    """Students', curators' and admins' consultation handlers in one router behind one cheap
    gate: each router costs every update a traversal, and this one sits on the FAQ path."""
    router = Router(name="consultation")
    router.message.filter(PrivateChat(), ConsultationTraffic())
    router.edited_message.filter(PrivateChat(), ConsultationTraffic())
    stats.register(router)
    curator.register_commands(router)
    router.callback_query.register(consent_chosen, ConsultConsent.filter())
    router.callback_query.register(form_step, ConsultStep.filter())
    router.callback_query.register(urgent_step, UrgentHelp.filter())
    router.callback_query.register(my_case_action, StudentCase.filter())
    router.callback_query.register(survey_rate, SurveyRate.filter())
    router.callback_query.register(survey_resolved, SurveyResolved.filter())
    router.callback_query.register(survey_skip_comment, SurveySkipComment.filter())
    router.message.register(form_answer, StateFilter(ConsultForm.answering))
    router.message.register(form_message, StateFilter(ConsultForm.message))
    router.message.register(
        form_waiting_for_button, StateFilter(ConsultForm.anonymity, ConsultForm.confirming)
    )
    router.message.register(survey_comment, StateFilter(SurveyForm.comment))
    router.message.register(relay_from_student, InOpenConsultation())
    # An edit in an open consultation reaches the other side as "✏️ edited: ...".
    router.edited_message.register(relay_from_student, InOpenConsultation())
    curator.register_relay(router)
    return router
