"""Callback data and inline keyboards of consultations, curators' actions and the survey.

Labels are translated at call time. Callback data carries case and survey numbers only, never
a student's Telegram id (curators see these buttons).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.consultation.texts import area_label, case_number
from bot.handlers.curator_assist.ui import AssistShow, assist_button_label
from bot.services.consultations import AREAS

# ----- callback data -----


class ConsultStep(CallbackData, prefix="cst"):
    """A step of the student's request form: area, skip, anonymity, confirm, cancel."""

    action: str  # area | skip | anonymous | named | send | cancel
    area: str = ""


class ConsultConsent(CallbackData, prefix="ccons"):
    accept: bool
    then: str  # consult | urgent


class UrgentHelp(CallbackData, prefix="urg"):
    action: str  # start | anonymous | named | cancel


class StudentCase(CallbackData, prefix="mycase"):
    action: str  # add | cancel | cancel_yes | cancel_no
    case: int


class CaseAction(CallbackData, prefix="case"):
    """A curator's action on a consultation."""

    action: str  # take | write | note | transfer | close | history
    case: int


class TransferTo(CallbackData, prefix="caseto"):
    case: int
    curator: int


class SurveyRate(CallbackData, prefix="srate"):
    survey: int
    rating: int


class SurveyResolved(CallbackData, prefix="sres"):
    survey: int
    resolved: bool


class SurveySkipComment(CallbackData, prefix="sskip"):
    survey: int


# ----- student -----


def consent_first_keyboard(then: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=ConsultConsent(accept=True, then=then))
    builder.button(text=_("✖️ Not now"), callback_data=ConsultConsent(accept=False, then=then))
    builder.adjust(2)
    return builder.as_markup()


def areas_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for area in AREAS:
        builder.button(text=area_label(area), callback_data=ConsultStep(action="area", area=area))
    builder.button(text=_("Cancel"), callback_data=ConsultStep(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def skip_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⏭ Skip"), callback_data=ConsultStep(action="skip"))
    builder.button(text=_("Cancel"), callback_data=ConsultStep(action="cancel"))
    builder.adjust(2)
    return builder.as_markup()


def anonymity_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🕶 Anonymously"), callback_data=ConsultStep(action="anonymous"))
    builder.button(text=_("👤 With my name"), callback_data=ConsultStep(action="named"))
    builder.button(text=_("Cancel"), callback_data=ConsultStep(action="cancel"))
    builder.adjust(2, 1)
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📨 Send to curators"), callback_data=ConsultStep(action="send"))
    builder.button(text=_("Cancel"), callback_data=ConsultStep(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def urgent_offer_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🧑‍🏫 Talk to a curator urgently"), callback_data=UrgentHelp(action="start")
    )
    return builder.as_markup()


def urgent_anonymity_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🕶 Anonymously"), callback_data=UrgentHelp(action="anonymous"))
    builder.button(text=_("👤 With my name"), callback_data=UrgentHelp(action="named"))
    builder.button(text=_("Cancel"), callback_data=UrgentHelp(action="cancel"))
    builder.adjust(2, 1)
    return builder.as_markup()


def open_case_keyboard(case: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("➕ Add to {case}").format(case=case_number(case)),
        callback_data=StudentCase(action="add", case=case),
    )
    builder.button(
        text=_("✖️ Cancel {case}").format(case=case_number(case)),
        callback_data=StudentCase(action="cancel", case=case),
    )
    builder.adjust(2)
    return builder.as_markup()


def cancel_confirm_keyboard(case: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, cancel the request"), callback_data=StudentCase(action="cancel_yes", case=case)
    )
    builder.button(text=_("No, keep it"), callback_data=StudentCase(action="cancel_no", case=case))
    builder.adjust(1)
    return builder.as_markup()


# ----- curators -----


def take_keyboard(case: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✋ Take"), callback_data=CaseAction(action="take", case=case))
    return builder.as_markup()


def queue_keyboard(cases: Iterable[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for case in cases:
        builder.button(
            text=_("✋ Take {case}").format(case=case_number(case)),
            callback_data=CaseAction(action="take", case=case),
        )
    builder.adjust(2)
    return builder.as_markup()


def owner_keyboard(case: int) -> InlineKeyboardMarkup:
    """What the curator who has a consultation can do with it."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Write to the student"), callback_data=CaseAction(action="write", case=case)
    )
    builder.button(text=_("📝 Note"), callback_data=CaseAction(action="note", case=case))
    builder.button(text=_("📜 History"), callback_data=CaseAction(action="history", case=case))
    builder.button(text=_("🔁 Transfer"), callback_data=CaseAction(action="transfer", case=case))
    builder.button(text=_("✅ Close"), callback_data=CaseAction(action="close", case=case))
    builder.button(text=assist_button_label(), callback_data=AssistShow(case=case))
    builder.adjust(1, 2, 2, 1)
    return builder.as_markup()


def mine_keyboard(cases: Iterable[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for case in cases:
        builder.button(
            text=_("✍️ {case}").format(case=case_number(case)),
            callback_data=CaseAction(action="write", case=case),
        )
    builder.adjust(3)
    return builder.as_markup()


def transfer_keyboard(case: int, curators: Iterable[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for curator_id, name in curators:
        builder.button(text=name[:60], callback_data=TransferTo(case=case, curator=curator_id))
    builder.adjust(1)
    return builder.as_markup()


# ----- survey -----


def rating_keyboard(survey: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for rating in range(1, 6):
        builder.button(text=f"{rating} ⭐", callback_data=SurveyRate(survey=survey, rating=rating))
    builder.adjust(5)
    return builder.as_markup()


def resolved_keyboard(survey: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Yes, resolved"), callback_data=SurveyResolved(survey=survey, resolved=True)
    )
    builder.button(
        text=_("❌ No, not resolved"), callback_data=SurveyResolved(survey=survey, resolved=False)
    )
    builder.adjust(2)
    return builder.as_markup()


def skip_comment_keyboard(survey: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⏭ Skip"), callback_data=SurveySkipComment(survey=survey))
    return builder.as_markup()
