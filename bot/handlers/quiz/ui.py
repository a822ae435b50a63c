"""What a student sees of a quiz: the list, a question with its option buttons, the feedback
after each answer and the result. Inline buttons rather than Telegram quiz polls: polls allow
one right option only, cannot show a link button with the explanation, and a poll answer
arrives as a separate update type without the chat, so attempts could not be resumed,
counted once or shown in the console."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.db.models import LearningMaterial
from bot.db.quiz_models import Quiz
from bot.handlers.callbacks import MenuItem, ShowEntry
from bot.services import learning, quizzes
from bot.services.quizzes import Answer, QuizCard
from knowledge_base.quizzes import (
    EXPLANATION_MAX,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MIN_OPTIONS,
    OPTION_MAX,
    QUESTION_MAX,
    Question,
)

LETTERS = "ABCDEFGH"
BUTTON_TEXT_MAX = 40


class QuizOpen(CallbackData, prefix="qz"):
    """Start (or restart) the quiz with this id; 0 lists all quizzes."""

    quiz: int


class QuizPick(CallbackData, prefix="qa"):
    """An option of the question at `q` in attempt `attempt`; -1 checks ticked options."""

    attempt: int
    q: int
    option: int


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_TEXT_MAX else text[: BUTTON_TEXT_MAX - 1] + "…"


def score_line(card: QuizCard) -> str:
    if card.score is None:
        return _("not taken yet")
    mark = "✅" if card.score.passed else "🔸"
    return _("{mark} best {best}%, last {last}%, attempts: {attempts}").format(
        mark=mark,
        best=card.score.best_percent,
        last=card.score.last_percent,
        attempts=card.score.attempts,
    )


def list_text(cards: list[QuizCard], language: str) -> str:
    if not cards:
        return _("There are no self-check quizzes yet. The learning materials are in /learn.")
    lines = [
        _("<b>Self-check quizzes</b>"),
        _(
            "Check what you learned from the materials. Take a quiz as often as you like: "
            "your best and last scores are kept."
        ),
        "",
    ]
    for card in cards:
        lines.append(
            _("📝 <b>{title}</b> — questions: {count}, pass mark {percent}%; {score}").format(
                title=html.quote(learning.title(card.material, language)),
                count=card.questions,
                percent=card.pass_percent,
                score=score_line(card),
            )
        )
    return "\n".join(lines)


def list_keyboard(cards: list[QuizCard], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for card in cards:
        builder.button(
            text=f"📝 {_short(learning.title(card.material, language))}",
            callback_data=QuizOpen(quiz=card.quiz_id),
        )
    builder.button(text=_("📚 Learning materials"), callback_data=MenuItem(item="learn"))
    builder.adjust(1)
    return builder.as_markup()


def _option_text(question: Question, index: int, language: str) -> str:
    return question.options[index].text[language]


def question_text(title: str, question: Question, position: int, total: int, language: str) -> str:
    hint = (
        _("Choose one answer.")
        if question.kind == "single"
        else _("Tick every right answer, then press «Check».")
    )
    options = "\n".join(
        f"{LETTERS[i]}. {html.quote(_option_text(question, i, language))}"
        for i in range(len(question.options))
    )
    return (
        _("📝 {title} — question {number} of {total}").format(
            title=html.quote(title), number=position + 1, total=total
        )
        + f"\n\n<b>{html.quote(question.text[language])}</b>\n\n{options}\n\n<i>{hint}</i>"
    )


def question_keyboard(
    attempt_id: int, position: int, question: Question, selected: set[int], language: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for i in range(len(question.options)):
        label = f"{LETTERS[i]}) {_short(_option_text(question, i, language))}"
        if question.kind == "multiple":
            label = ("☑️ " if i in selected else "⬜ ") + label
        builder.button(text=label, callback_data=QuizPick(attempt=attempt_id, q=position, option=i))
    if question.kind == "multiple":
        builder.button(
            text=_("✅ Check"), callback_data=QuizPick(attempt=attempt_id, q=position, option=-1)
        )
    builder.adjust(1)
    return builder.as_markup()


def answered_text(question_message: str, chosen: frozenset[int]) -> str:
    """The question as it stays in the chat once answered (buttons gone, the choice noted)."""
    letters = ", ".join(LETTERS[i] for i in sorted(chosen))
    return question_message + "\n\n" + _("Your answer: {letters}").format(letters=letters)


def feedback_text(outcome: Answer, language: str) -> str:
    question = outcome.question
    assert question is not None
    right = ", ".join(
        f"{LETTERS[i]}. {html.quote(_option_text(question, i, language))}"
        for i in sorted(question.correct)
    )
    head = (
        _("✅ Right!")
        if outcome.right
        else _("❌ Not quite. The right answer: {right}").format(right=right)
    )
    text = f"{head}\n\n{html.quote(question.explanation[language])}"
    if question.url:
        text += "\n\n" + _("🔗 Read more: {url}").format(url=html.quote(question.url))
    return text


def feedback_keyboard(
    entry_pk: int | None, entry_question: str | None
) -> InlineKeyboardMarkup | None:
    if entry_pk is None or entry_question is None:
        return None
    builder = InlineKeyboardBuilder()
    builder.button(text=f"📖 {_short(entry_question)}", callback_data=ShowEntry(pk=entry_pk))
    return builder.as_markup()


def result_text(outcome: Answer, best: int, attempts: int) -> str:
    attempt = outcome.attempt
    assert attempt is not None
    total = len(attempt.questions)
    verdict = (
        _("Passed 🎉 (pass mark {percent}%).")
        if attempt.passed
        else _("Not passed yet (pass mark {percent}%). Read the material and try again.")
    ).format(percent=attempt.pass_percent)
    lines = [
        _("🏁 <b>Done: {correct} of {total} right ({score}%).</b>").format(
            correct=attempt.correct, total=total, score=attempt.score_percent
        ),
        verdict,
        _("Your best score: {best}%, attempts: {attempts}.").format(best=best, attempts=attempts),
    ]
    if outcome.quiz_changed:
        lines += [
            "",
            _(
                "This quiz was updated while you were taking it; you answered the questions "
                "as you saw them. Try again to see the new version."
            ),
        ]
    return "\n".join(lines)


def result_keyboard(quiz_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔁 Try again"), callback_data=QuizOpen(quiz=quiz_id))
    builder.button(text=_("📝 All quizzes"), callback_data=QuizOpen(quiz=0))
    builder.adjust(2)
    return builder.as_markup()


def needs_consent_text() -> str:
    return _("To keep your quiz scores I need your consent to store data. Send /start to give it.")


# --- /quiz_edit, for admins ------------------------------------------------------------------------


class QuizEdit(CallbackData, prefix="qe"):
    """An admin's action on a material's quiz; `version` is the quiz version it was shown at
    (0: no quiz yet)."""

    material: int
    action: str
    version: int = 0
    q: int = -1


def prompt(step: str, kind: str) -> str:
    prompts = {
        "text_kk": _("Send the question in Kazakh (up to {limit} characters).").format(
            limit=QUESTION_MAX
        ),
        "text_ru": _("Now the question in Russian."),
        "options_kk": _(
            "Send the options in Kazakh, one per line ({low} to {high}, up to {limit} characters "
            "each)."
        ).format(low=MIN_OPTIONS, high=MAX_OPTIONS, limit=OPTION_MAX),
        "options_ru": _("Now the same options in Russian, one per line, in the same order."),
        "correct": _("Which option is right? Send its number.")
        if kind == "single"
        else _("Which options are right? Send their numbers, e.g. 1, 3."),
        "explain_kk": _(
            "Send the explanation in Kazakh that students see after answering (up to {limit} "
            "characters)."
        ).format(limit=EXPLANATION_MAX),
        "explain_ru": _("Now the explanation in Russian."),
        "link": _(
            "Optionally, where to read more: a knowledge-base entry id or an https:// link. "
            "Send - to skip."
        ),
    }
    return prompts[step] + "\n" + _("/cancel stops without saving.")


def quiz_text(material_title: str, quiz: Quiz | None, language: str) -> str:
    lines = [_("📝 <b>{title}</b>").format(title=html.quote(material_title))]
    if quiz is None or not quiz.questions:
        lines.append(_("No quiz yet. Add the first question."))
        return "\n".join(lines)
    lines.append(
        _("Version {version}, pass mark {percent}%, questions: {count}").format(
            version=quiz.version, percent=quiz.pass_percent, count=len(quiz.questions)
        )
    )
    for number, question in enumerate(quizzes.spec_of(quiz).questions, start=1):
        right = ", ".join(LETTERS[i] for i in sorted(question.correct))
        kind = _("one answer") if question.kind == "single" else _("several answers")
        lines.append(
            f"\n{number}. {html.quote(question.text[language])} ({kind}; {right})\n"
            + "\n".join(
                f"   {LETTERS[i]}. {html.quote(o.text[language])}"
                for i, o in enumerate(question.options)
            )
        )
    return "\n".join(lines)


def quiz_keyboard(material_pk: int, quiz: Quiz | None) -> InlineKeyboardMarkup:
    version = quiz.version if quiz is not None else 0
    count = len(quiz.questions) if quiz is not None else 0
    builder = InlineKeyboardBuilder()
    if count < MAX_QUESTIONS:
        builder.button(
            text=_("➕ Add a question"),
            callback_data=QuizEdit(material=material_pk, action="add", version=version),
        )
    for index in range(count):
        builder.button(
            text=_("🗑 Question {number}").format(number=index + 1),
            callback_data=QuizEdit(material=material_pk, action="del", version=version, q=index),
        )
    builder.button(text=_("⬅️ All materials"), callback_data=QuizEdit(material=0, action="list"))
    builder.adjust(1, 3)
    return builder.as_markup()


def materials_keyboard(
    materials: list[LearningMaterial], with_quiz: dict[int, int], language: str
) -> InlineKeyboardMarkup:
    """Each material, marked with its quiz's question count (➕: no quiz yet)."""
    builder = InlineKeyboardBuilder()
    for material in materials:
        count = with_quiz.get(material.pk)
        mark = f"📝{count}" if count else "➕"
        builder.button(
            text=f"{mark} {learning.title(material, language)[:40]}",
            callback_data=QuizEdit(material=material.pk, action="open"),
        )
    builder.adjust(1)
    return builder.as_markup()


def kind_keyboard(material_pk: int, version: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind, label in (
        ("single", _("One right answer")),
        ("multiple", _("Several right answers")),
    ):
        builder.button(
            text=label,
            callback_data=QuizEdit(material=material_pk, action=f"kind_{kind}", version=version),
        )
    builder.adjust(1)
    return builder.as_markup()


def confirm_keyboard(material_pk: int, version: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for action, label in (("save", _("💾 Save")), ("drop", _("✖️ Cancel"))):
        builder.button(
            text=label,
            callback_data=QuizEdit(material=material_pk, action=action, version=version),
        )
    builder.adjust(2)
    return builder.as_markup()


def preview_text(question: Question) -> str:
    lines = [_("<b>Preview</b>")]
    for language in ("kk", "ru"):
        right = ", ".join(LETTERS[i] for i in sorted(question.correct))
        lines += [
            "",
            f"<b>{html.quote(question.text[language])}</b>",
            *(
                f"{LETTERS[i]}. {html.quote(o.text[language])}"
                for i, o in enumerate(question.options)
            ),
            f"✅ {right}",
            f"<i>{html.quote(question.explanation[language])}</i>",
        ]
    if question.faq or question.url:
        lines += ["", f"🔗 {html.quote(question.faq or question.url or '')}"]
    return "\n".join(lines)
