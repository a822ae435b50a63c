"""A student's request: the area, the area's questionnaire, the first message, anonymity and
confirmation; the urgent path after an incident. Nothing is stored until the student confirms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware
from bot.db.models import utcnow
from bot.db.unit_of_work import after_commit
from bot.handlers.common import drop_buttons, stale_button
from bot.handlers.consultation.notices import (
    announce,
    refresh_cards,
)
from bot.handlers.consultation.texts import (
    area_label,
    case_number,
    question_text,
    status_label,
    summary_text,
)
from bot.handlers.consultation.ui import (
    ConsultStep,
    UrgentHelp,
    anonymity_keyboard,
    confirm_keyboard,
    consent_first_keyboard,
    open_case_keyboard,
    skip_keyboard,
    urgent_anonymity_keyboard,
)
from bot.handlers.context import Ctx
from bot.handlers.onboarding.router import consent_text
from bot.handlers.texts import help_numbers
from bot.scheduler.sending import notify
from bot.services import consultations, curator_assist
from bot.services.consultations import (
    AREAS,
    QUESTIONNAIRES,
    URGENT_AREA,
    ConsultationRefused,
    Draft,
)
from bot.services.roles import ADMIN, CURATOR
from bot.services.users import Profile

FORM_KEY = "consult_form"
INCIDENT_KEY = "incident_text"


class ConsultForm(StatesGroup):
    answering = State()
    message = State()
    anonymity = State()
    confirming = State()


async def _tell_already_open(message: Message, case: int, status: str) -> None:
    await message.answer(
        _(
            "You already have an open request {case} ({status}). Just write here: your "
            "messages are added to it. Or cancel it."
        ).format(case=case_number(case), status=status_label(status)),
        reply_markup=open_case_keyboard(case),
    )


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


async def _form_button(callback: CallbackQuery, ctx: Ctx) -> tuple[Message, dict[str, Any]] | None:
    """The form's message and what it holds so far, its buttons taken off; None (and the
    stale-button answer) when the button no longer belongs to a form in progress."""
    form = await _form(ctx.state)
    if not isinstance(callback.message, Message) or not form:
        await stale_button(callback)
        return None
    await callback.answer()
    await drop_buttons(callback.message)
    return callback.message, form


async def cancel_form(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    await _clear_form(ctx.state)
    if isinstance(callback.message, Message):
        await drop_buttons(callback.message)
        await callback.message.answer(
            _("Cancelled: nothing was sent. You can start again with /consult.")
        )


async def area_chosen(callback: CallbackQuery, callback_data: ConsultStep, ctx: Ctx) -> None:
    if not isinstance(callback.message, Message) or callback_data.area not in AREAS:
        await stale_button(callback)
        return
    await callback.answer()
    await drop_buttons(callback.message)
    form = {"area": callback_data.area, "answers": []}
    await callback.message.answer(
        _("Area: {area}. A few short questions — answer in your own words or press «Skip».").format(
            area=area_label(callback_data.area)
        )
    )
    await _ask_question(callback.message, ctx.state, form)


async def skip_question(callback: CallbackQuery, ctx: Ctx) -> None:
    if found := await _form_button(callback, ctx):
        message, form = found
        keys = QUESTIONNAIRES[form["area"]]
        form["answers"].append({"q": keys[len(form["answers"])], "a": None})
        await _ask_question(message, ctx.state, form)


async def skip_message(callback: CallbackQuery, ctx: Ctx) -> None:
    if found := await _form_button(callback, ctx):
        message, form = found
        await _ask_anonymity(message, ctx.state, form)


async def anonymity_chosen(callback: CallbackQuery, callback_data: ConsultStep, ctx: Ctx) -> None:
    if found := await _form_button(callback, ctx):
        message, form = found
        form["anonymous"] = callback_data.action == "anonymous"
        await ctx.state.set_state(ConsultForm.confirming)
        await ctx.state.update_data({FORM_KEY: form})
        await message.answer(summary_text(form), reply_markup=confirm_keyboard())


async def send_request(callback: CallbackQuery, ctx: Ctx) -> None:
    if ctx.profile is None:
        await stale_button(callback)
        return
    if found := await _form_button(callback, ctx):
        message, form = found
        draft = Draft(
            area=form["area"],
            language=ctx.profile.language,
            answers=form["answers"],
            anonymous=bool(form.get("anonymous", True)),
            first_message=form.get("message"),
        )
        await _clear_form(ctx.state)
        await _open(message, callback, draft, ctx)


async def _open(message: Message, callback: CallbackQuery, draft: Draft, ctx: Ctx) -> None:
    session, roles, cases, planner = ctx.session, ctx.roles, ctx.cases, ctx.planner
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
            await _announce_urgent_again(ctx, case)
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
    # The open-cases cache and what leaves the process follow the commit, not the attempt.
    after_commit(session, lambda: cases.add(user.id, consultation.id))
    await roles.refresh()
    # Curators see the card, and the SLA timer starts, only once the request is stored.
    assist = await curator_assist.suggestions(session, ctx.kb, consultation)
    await announce(session, ctx.i18n, ctx.settings, roles, consultation, assist=assist)
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


async def _announce_urgent_again(ctx: Ctx, case: int) -> None:
    session, i18n, settings, roles = ctx.session, ctx.i18n, ctx.settings, ctx.roles
    consultation = await consultations.get(session, case)
    if consultation is None:
        return
    people = set(roles.members(CURATOR)) | set(roles.members(ADMIN))
    if consultation.curator_id is not None:
        people = {consultation.curator_id} | set(roles.members(ADMIN))
    await notify(
        session,
        i18n,
        settings,
        sorted(people),
        lambda: _(
            "🚨 The student of consultation {case} reports an incident: it is now urgent."
        ).format(case=case_number(case)),
    )
    await refresh_cards(session, i18n, settings, consultation)


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


async def urgent_cancelled(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await drop_buttons(callback.message)
        await callback.message.answer(
            _("All right. If you change your mind, press /consult.") + "\n\n" + help_numbers()
        )


async def _consented(callback: CallbackQuery, ctx: Ctx) -> Message | None:
    """The urgent offer's message when the student has consented; else asks for consent."""
    if not isinstance(callback.message, Message):
        await stale_button(callback)
        return None
    await callback.answer()
    if ctx.profile is None or not ctx.profile.consent_current:
        await callback.message.answer(
            _("To connect you with a curator, I need your consent first.")
            + "\n\n"
            + consent_text(),
            reply_markup=consent_first_keyboard("urgent"),
        )
        return None
    return callback.message


async def urgent_started(callback: CallbackQuery, ctx: Ctx) -> None:
    if (message := await _consented(callback, ctx)) and ctx.profile is not None:
        await _ask_urgent_anonymity(message, ctx.session, ctx.profile)


async def urgent_anonymity_chosen(
    callback: CallbackQuery, callback_data: UrgentHelp, ctx: Ctx
) -> None:
    if not (message := await _consented(callback, ctx)) or ctx.profile is None:
        return
    await drop_buttons(message)
    data = await ctx.state.get_data()
    draft = Draft(
        area=URGENT_AREA,
        language=ctx.profile.language,
        anonymous=callback_data.action == "anonymous",
        urgent=True,
        first_message=data.get(INCIDENT_KEY),
    )
    await ctx.state.update_data({INCIDENT_KEY: None})
    await _open(message, callback, draft, ctx)


def register(router: Router) -> None:
    """The form's and the urgent path's buttons; each step only in the state it belongs to."""
    steps: tuple[tuple[Callable[..., Awaitable[None]], tuple[str, ...], StateFilter], ...] = (
        (area_chosen, ("area",), StateFilter(None)),
        (skip_question, ("skip",), StateFilter(ConsultForm.answering)),
        (skip_message, ("skip",), StateFilter(ConsultForm.message)),
        (anonymity_chosen, ("anonymous", "named"), StateFilter(ConsultForm.anonymity)),
        (send_request, ("send",), StateFilter(ConsultForm.confirming)),
    )
    router.callback_query.register(cancel_form, ConsultStep.filter(F.action == "cancel"))
    for step, actions, in_state in steps:
        router.callback_query.register(step, ConsultStep.filter(F.action.in_(actions)), in_state)
    router.callback_query.register(stale_button, ConsultStep.filter())
    urgent = (
        (urgent_cancelled, ("cancel",)),
        (urgent_started, ("start",)),
        (urgent_anonymity_chosen, ("anonymous", "named")),
    )
    for handler, actions in urgent:
        router.callback_query.register(handler, UrgentHelp.filter(F.action.in_(actions)))
    router.callback_query.register(stale_button, UrgentHelp.filter())
