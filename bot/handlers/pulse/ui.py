"""Texts and buttons of pulse surveys: the question a student answers, the admins' list."""

from __future__ import annotations

import html

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.pulse import DRAFT, LIKERT, Question, SurveyInfo


class PulseVote(CallbackData, prefix="pv"):
    """An answer button: survey, question and the value it records."""

    s: int
    q: int
    v: int


class PulseAdmin(CallbackData, prefix="pa"):
    """An admin's button on a survey: `send` or `results`."""

    act: str
    s: int


def question_text(title: str, question: Question, language: str, *, reminder: bool = False) -> str:
    lines = []
    if reminder:
        lines += [_("🔔 A short anonymous survey is still waiting for your answers."), ""]
    lines += [
        f"📋 <b>{html.escape(title)}</b>",
        _("Question {n} of {total}").format(n=question.position + 1, total=question.total),
        "",
        html.escape(question.text.get(language, "")),
    ]
    if question.kind == LIKERT:
        lines += ["", _("1 — strongly disagree … 5 — strongly agree")]
    if question.position == 0:
        lines += [
            "",
            _(
                "<i>Anonymous: answers are stored without your name or id, and shown only "
                "in groups of at least five students.</i>"
            ),
        ]
    return "\n".join(lines)


def question_keyboard(question: Question, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in question.values():
        label = (
            str(value)
            if question.kind == LIKERT
            else question.options[value - 1].get(language, str(value))
        )
        builder.button(
            text=label, callback_data=PulseVote(s=question.survey_id, q=question.id, v=value)
        )
    builder.adjust(5 if question.kind == LIKERT else 1)
    return builder.as_markup()


def thanks_text() -> str:
    return _("Thank you! Your answers are saved anonymously.")


def survey_line(info: SurveyInfo, language: str) -> str:
    status = {
        DRAFT: _("draft"),
        "sending": _("being sent"),
        "sent": _("sent"),
    }.get(info.status, info.status)
    return _(
        "#{id} «{title}» — {status}; {questions} questions, received by {asked}, finished {finished}"
    ).format(
        id=info.id,
        title=html.escape(info.title.get(language, "")),
        status=status,
        questions=info.questions,
        asked=info.asked,
        finished=info.finished,
    )


def survey_keyboard(info: SurveyInfo) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if info.status == DRAFT:
        builder.button(
            text=_("📨 Send #{id}").format(id=info.id),
            callback_data=PulseAdmin(act="send", s=info.id),
        )
    else:
        builder.button(
            text=_("📊 Results #{id}").format(id=info.id),
            callback_data=PulseAdmin(act="results", s=info.id),
        )
    return builder.as_markup()


EXAMPLE = """title: {kk: Кампустағы ахуал, ru: Климат в кампусе}
questions:
  - kind: likert
    text: {kk: Мұнда өзімді қауіпсіз сезінемін, ru: Я чувствую себя здесь в безопасности}
  - kind: likert
    text: {kk: Оқытушылар бәрімізге бірдей қарайды, ru: Преподаватели относятся ко всем одинаково}
  - kind: choice
    text: {kk: "Қай тілде жиі сөйлесесіз?", ru: "На каком языке вы чаще общаетесь?"}
    options:
      - {kk: Қазақша, ru: На казахском}
      - {kk: Орысша, ru: На русском}
      - {kk: Екеуінде де, ru: На обоих}"""


def compose_help() -> str:
    return (
        _("Send the survey as a YAML document (text or a .yml file), for example:")
        + f"\n<pre>{html.escape(EXAMPLE)}</pre>\n"
        + _("3 to 8 questions, each in both languages. /cancel to stop.")
    )
