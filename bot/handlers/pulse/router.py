"""Pulse surveys in Telegram: students answer with buttons (a double press counts once);
admins compose a survey from a YAML document (/pulse_new), list and send them and see the
results as a chart and CSV (/pulse). Everyone else is refused the admin part."""

from __future__ import annotations

import contextlib
import html
from io import BytesIO

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.handlers.common import drop_buttons, refuse_non_admin, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.pulse import faculty
from bot.handlers.pulse.notices import dispatch_now
from bot.handlers.pulse.ui import (
    PulseAdmin,
    PulseVote,
    compose_help,
    question_keyboard,
    question_text,
    survey_keyboard,
    survey_line,
    thanks_text,
)
from bot.services import pulse, pulse_results
from bot.services.pulse_chart import results_png
from bot.services.roles import ADMIN, CURATOR

MAX_DOCUMENT_BYTES = 64_000


class PulseDialog(StatesGroup):
    document = State()


# ----- students ------------------------------------------------------------------------------


async def vote(
    callback: CallbackQuery, callback_data: PulseVote, session: AsyncSession, language: str
) -> None:
    result = await pulse.answer(
        session, callback_data.s, callback_data.q, callback.from_user.id, callback_data.v
    )
    if result.outcome == pulse.ALREADY:
        await callback.answer(_("Your answer is already counted."))
        return
    if result.outcome != pulse.SAVED:
        await stale_button(callback)
        return
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        if result.next_question is None:
            await message.edit_text(thanks_text())
        else:
            survey = await pulse.get_survey(session, callback_data.s)
            title = (survey.title_kk if language == "kk" else survey.title_ru) if survey else ""
            await message.edit_text(
                question_text(title, result.next_question, language),
                reply_markup=question_keyboard(result.next_question, language),
            )


# ----- admins --------------------------------------------------------------------------------


async def pulse_command(message: Message, session: AsyncSession, language: str) -> None:
    surveys = await pulse.list_surveys(session)
    if not surveys:
        await message.answer(_("No surveys yet.") + "\n" + _("New survey: /pulse_new"))
        return
    await message.answer(_("<b>Pulse surveys</b>") + "\n" + _("New survey: /pulse_new"))
    for info in surveys[:10]:
        await message.answer(survey_line(info, language), reply_markup=survey_keyboard(info))


async def new_survey(message: Message, state: FSMContext) -> None:
    await state.set_state(PulseDialog.document)
    await message.answer(compose_help())


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled."))


async def survey_document(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, language: str
) -> None:
    if message.document is not None:
        if (message.document.file_size or 0) > MAX_DOCUMENT_BYTES:
            await message.answer(_("The file is too large for a survey."))
            return
        buffer = BytesIO()
        await bot.download(message.document, destination=buffer)
        text = buffer.getvalue().decode("utf-8", errors="replace")
    else:
        text = message.text or ""
    try:
        draft = pulse.parse_survey(text)
    except pulse.PulseError as error:
        await message.answer(
            _("The survey has problems; nothing was saved:")
            + "\n"
            + "\n".join(f"• {html.escape(p)}" for p in error.problems[:15])
        )
        return
    await state.clear()
    assert message.from_user is not None
    survey_id = await pulse.create_survey(session, draft, message.from_user.id)
    survey = await pulse.get_survey(session, survey_id)
    assert survey is not None
    info = await pulse.survey_info(session, survey)
    await message.answer(
        _("Saved as a draft:") + "\n" + survey_line(info, language),
        reply_markup=survey_keyboard(info),
    )


async def send_pressed(callback: CallbackQuery, callback_data: PulseAdmin, ctx: Ctx) -> None:
    """«Send» on a survey: queued for every consenting student, staff left out."""
    staff = {*ctx.roles.members(ADMIN), *ctx.roles.members(CURATOR)}
    count = await pulse.queue_send(ctx.session, callback_data.s, staff)
    if count is None:
        await stale_button(callback)
        return
    planner = ctx.planner
    after_commit(ctx.session, lambda: dispatch_now(planner))
    await callback.answer(_("Sending."))
    if isinstance(callback.message, Message):
        await drop_buttons(callback.message)
        await callback.message.answer(
            _("📨 Survey #{id} is being sent to {count} students.").format(
                id=callback_data.s, count=count
            )
        )


async def results_pressed(callback: CallbackQuery, callback_data: PulseAdmin, ctx: Ctx) -> None:
    report = await pulse_results.results(ctx.session, callback_data.s)
    if report is None or not isinstance(callback.message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    await send_results(callback.message, report, ctx.language)


async def send_results(message: Message, report: pulse_results.Results, language: str) -> None:
    """The chart and the CSV of the questions with at least k respondents, or why not."""
    title = report.survey.title.get(language, "")
    if not report.shown:
        await message.answer(
            _(
                "Survey #{id}: fewer than {k} answers to every question so far, so nothing is "
                "shown yet."
            ).format(id=report.survey.id, k=report.k)
        )
        return
    png, _series = results_png(report, language, title, _("% of answers"))
    await message.answer_photo(
        BufferedInputFile(png, f"pulse-{report.survey.id}.png"),
        caption=_("Survey #{id}: {finished} finished of {asked} who received it.").format(
            id=report.survey.id, finished=report.survey.finished, asked=report.survey.asked
        ),
    )
    await message.answer_document(
        BufferedInputFile(
            pulse_results.results_csv(report, language).encode(), f"pulse-{report.survey.id}.csv"
        )
    )


def create_router() -> Router:
    router = Router(name="pulse")
    router.callback_query.register(vote, PulseVote.filter())
    router.include_router(faculty.create_router())
    admin = Router(name="pulse-admin")
    admin.message.filter(PrivateChat())
    admin.message.register(pulse_command, CommandText(), Command("pulse"), HasRole(ADMIN))
    admin.message.register(new_survey, CommandText(), Command("pulse_new"), HasRole(ADMIN))
    admin.message.register(refuse_non_admin, CommandText(), Command("pulse", "pulse_new"))
    admin.message.register(
        cancel, StateFilter(PulseDialog.document), CommandText(), Command("cancel")
    )
    admin.message.register(
        survey_document, StateFilter(PulseDialog.document), HasRole(ADMIN), F.text | F.document
    )
    admin.callback_query.register(send_pressed, PulseAdmin.filter(F.act == "send"), HasRole(ADMIN))
    admin.callback_query.register(
        results_pressed, PulseAdmin.filter(F.act == "results"), HasRole(ADMIN)
    )
    admin.callback_query.register(stale_button, PulseAdmin.filter(), HasRole(ADMIN))
    admin.callback_query.register(refuse_non_admin, PulseAdmin.filter())
    router.include_router(admin)
    return router
