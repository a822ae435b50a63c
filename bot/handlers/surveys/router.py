"""The follow-up survey a student gets after a consultation closes (sent by the scheduler):
the 1–5 rating, whether it was resolved, and an optional comment. Registered on the
consultation router, behind its gate."""

from __future__ import annotations

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.unit_of_work import after_commit
from bot.handlers.common import stale_button
from bot.handlers.consultation.ui import (
    SurveyRate,
    SurveyResolved,
    SurveySkipComment,
    resolved_keyboard,
    skip_comment_keyboard,
)
from bot.scheduler import Planner
from bot.services import surveys

SURVEY_KEY = "survey_comment"


class SurveyForm(StatesGroup):
    comment = State()


async def _not_saved(
    callback: CallbackQuery, outcome: surveys.Answer, already: str, *, drop_buttons: bool
) -> bool:
    """One answer for a survey button that saved nothing: given before, expired, or stale."""
    message = callback.message
    if outcome == surveys.Answer.ALREADY:
        await callback.answer(already)
    elif outcome == surveys.Answer.EXPIRED:
        await callback.answer(_("This survey has expired. Thank you anyway!"), show_alert=True)
        if drop_buttons and isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
    elif outcome != surveys.Answer.SAVED or not isinstance(message, Message):
        await stale_button(callback)
    else:
        return False
    return True


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
    already = _("You have already rated this consultation. Thank you!")
    if await _not_saved(callback, outcome, already, drop_buttons=True):
        return
    assert isinstance(message, Message)
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
    already = _("You have already answered. Thank you!")
    if await _not_saved(callback, outcome, already, drop_buttons=False):
        return
    assert isinstance(message, Message)
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


def register(router: Router) -> None:
    """The survey's buttons and its comment step."""
    router.callback_query.register(survey_rate, SurveyRate.filter())
    router.callback_query.register(survey_resolved, SurveyResolved.filter())
    router.callback_query.register(survey_skip_comment, SurveySkipComment.filter())
    router.message.register(survey_comment, StateFilter(SurveyForm.comment))
