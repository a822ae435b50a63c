"""/quiz_edit: admins write and change self-check quizzes from Telegram.

A question is added in a short dialog (kind, text in Kazakh and Russian, options in each
language one per line, the right ones by number, the explanation in each language, an optional
FAQ id or link), previewed, then saved. Every save checks the quiz version read when the
dialog started, so two admins never overwrite each other; students already in the quiz finish
the version they started.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.quiz_models import Quiz
from bot.handlers.common import admins_only
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.quiz.ui import LETTERS
from bot.services import learning, quizzes
from bot.services.knowledge import KnowledgeBase
from bot.services.roles import ADMIN
from knowledge_base.quizzes import (
    EXPLANATION_MAX,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MIN_OPTIONS,
    OPTION_MAX,
    QUESTION_MAX,
    Question,
    quiz_from_dict,
)
from knowledge_base.schema import is_slug


class QuizEdit(CallbackData, prefix="qe"):
    """An admin's action on a material's quiz; `version` is the quiz version it was shown at
    (0: no quiz yet)."""

    material: int
    action: str
    version: int = 0
    q: int = -1


class QuizEditing(StatesGroup):
    question = State()  # FSM data "step" says which field is asked
    confirm = State()


STEPS = (
    "text_kk",
    "text_ru",
    "options_kk",
    "options_ru",
    "correct",
    "explain_kk",
    "explain_ru",
    "link",
)


def _prompt(step: str, kind: str) -> str:
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


async def show_materials(message: Message, session: AsyncSession, language: str) -> None:
    builder = InlineKeyboardBuilder()
    with_quiz = {c.material.pk: c.questions for c in await quizzes.quiz_cards(session, None)}
    for material in await learning.materials(session):
        count = with_quiz.get(material.pk)
        mark = f"📝{count}" if count else "➕"
        builder.button(
            text=f"{mark} {learning.title(material, language)[:40]}",
            callback_data=QuizEdit(material=material.pk, action="open"),
        )
    builder.adjust(1)
    await message.answer(
        _("Choose a learning material to write or change its quiz:"),
        reply_markup=builder.as_markup(),
    )


async def show_quiz(
    message: Message, session: AsyncSession, material_pk: int, language: str, *, edit: bool = False
) -> None:
    material = await quizzes.material(session, material_pk)
    if material is None:
        await message.answer(_("This material no longer exists."))
        return
    quiz = await quizzes.quiz_of_material(session, material_pk)
    text = quiz_text(learning.title(material, language), quiz, language)
    markup = quiz_keyboard(material_pk, quiz)
    if edit:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
            return
    await message.answer(text, reply_markup=markup)


async def quiz_edit_command(message: Message, session: AsyncSession, language: str) -> None:
    await show_materials(message, session, language)


async def quiz_edit_button(
    callback: CallbackQuery,
    callback_data: QuizEdit,
    session: AsyncSession,
    state: FSMContext,
    language: str,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    action, material_pk = callback_data.action, callback_data.material
    if action == "list":
        await callback.answer()
        await show_materials(message, session, language)
        return
    if action == "open":
        await callback.answer()
        await show_quiz(message, session, material_pk, language)
        return
    quiz = await quizzes.quiz_of_material(session, material_pk)
    current = quiz.version if quiz is not None else 0
    if current != callback_data.version:
        # A dialog begun on the old version ends: nothing of it is saved.
        if (await state.get_data()).get("material") == material_pk:
            await state.clear()
        await callback.answer(_("The quiz was changed meanwhile; here it is now."), show_alert=True)
        await show_quiz(message, session, material_pk, language)
        return
    if action == "add":
        await callback.answer()
        await state.set_state(QuizEditing.question)
        await state.set_data({"material": material_pk, "version": current, "step": "kind"})
        builder = InlineKeyboardBuilder()
        for kind, label in (
            ("single", _("One right answer")),
            ("multiple", _("Several right answers")),
        ):
            builder.button(
                text=label,
                callback_data=QuizEdit(
                    material=material_pk, action=f"kind_{kind}", version=current
                ),
            )
        builder.adjust(1)
        await message.answer(
            _("A new question. How many answers are right?")
            + "\n"
            + _("/cancel stops without saving."),
            reply_markup=builder.as_markup(),
        )
        return
    if action.startswith("kind_"):
        data = await state.get_data()
        if data.get("material") != material_pk or data.get("step") != "kind":
            await callback.answer(_("This button is out of date."), show_alert=True)
            return
        kind = action.removeprefix("kind_")
        await state.update_data(kind=kind, step="text_kk")
        await callback.answer()
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        await message.answer(_prompt("text_kk", kind))
        return
    if action == "del" and quiz is not None and 0 <= callback_data.q < len(quiz.questions):
        spec = quizzes.spec_of(quiz)
        kept = [q for i, q in enumerate(spec.questions) if i != callback_data.q]
        result = await quizzes.save_questions(
            session,
            material_pk,
            kept,
            expected_version=current,
            admin_id=callback.from_user.id,
        )
        if result.status != "ok":
            await callback.answer(
                _("The quiz was changed meanwhile; here it is now."), show_alert=True
            )
        else:
            await callback.answer(
                _("Question {number} deleted.").format(number=callback_data.q + 1)
            )
        await show_quiz(message, session, material_pk, language, edit=True)
        return
    if action in ("save", "drop"):
        await _finish(callback, message, session, state, language, save=action == "save")
        return
    await callback.answer(_("This button is out of date."), show_alert=True)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _check_step(step: str, text: str, data: dict[str, object], kb: KnowledgeBase) -> str | None:
    """What is wrong with the value for `step`, in the admin's language; None when it is fine."""
    if step in ("text_kk", "text_ru"):
        return (
            _("That is longer than {limit} characters.").format(limit=QUESTION_MAX)
            if len(text) > QUESTION_MAX
            else None
        )
    if step in ("explain_kk", "explain_ru"):
        return (
            _("That is longer than {limit} characters.").format(limit=EXPLANATION_MAX)
            if len(text) > EXPLANATION_MAX
            else None
        )
    if step in ("options_kk", "options_ru"):
        options = _lines(text)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            return _("Send {low} to {high} options, one per line.").format(
                low=MIN_OPTIONS, high=MAX_OPTIONS
            )
        if any(len(o) > OPTION_MAX for o in options):
            return _("Each option must be at most {limit} characters.").format(limit=OPTION_MAX)
        kk = data.get("options_kk")
        if step == "options_ru" and isinstance(kk, list) and len(kk) != len(options):
            return _(
                "There are {count} options in Kazakh; send the same number in Russian."
            ).format(count=len(kk))
        return None
    if step == "correct":
        count = len(data.get("options_kk") or [])  # type: ignore[arg-type]
        numbers = _numbers(text)
        if numbers is None or not numbers or any(not 1 <= n <= count for n in numbers):
            return _("Send option numbers from 1 to {count}.").format(count=count)
        if data.get("kind") == "single" and len(numbers) != 1:
            return _("This question has one right answer: send one number.")
        return None
    if step == "link" and text != "-":
        if text.startswith("https://"):
            return None
        if is_slug(text) and kb.by_slug(text) is not None:
            return None
        return _("Send a knowledge-base entry id, an https:// link, or - to skip.")
    return None


def _numbers(text: str) -> set[int] | None:
    parts = [p for p in text.replace(",", " ").split() if p]
    if not all(p.isdigit() for p in parts):
        return None
    return {int(p) for p in parts}


def _question_from(data: dict[str, object]) -> Question | None:
    options_kk = list(data.get("options_kk") or [])  # type: ignore[call-overload]
    options_ru = list(data.get("options_ru") or [])  # type: ignore[call-overload]
    right = {n - 1 for n in data.get("correct") or []}  # type: ignore[attr-defined]
    link = str(data.get("link") or "-")
    item: dict[str, object] = {
        "kind": data.get("kind"),
        "text": {"kk": data.get("text_kk"), "ru": data.get("text_ru")},
        "options": [
            {"kk": kk, "ru": ru, **({"correct": True} if i in right else {})}
            for i, (kk, ru) in enumerate(zip(options_kk, options_ru, strict=False))
        ],
        "explanation": {"kk": data.get("explain_kk"), "ru": data.get("explain_ru")},
    }
    if link.startswith("https://"):
        item["url"] = link
    elif link != "-":
        item["faq"] = link
    quiz, _problems = quiz_from_dict({"questions": [item]})
    return quiz.questions[0] if quiz is not None else None


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


async def question_text_step(
    message: Message, state: FSMContext, kb: KnowledgeBase, language: str
) -> None:
    data = await state.get_data()
    step = str(data.get("step"))
    text = (message.text or "").strip()
    if step not in STEPS or not text:
        await message.answer(_("Please send text, use the buttons above, or send /cancel."))
        return
    problem = _check_step(step, text, data, kb)
    if problem is not None:
        await message.answer(problem + "\n" + _prompt(step, str(data.get("kind"))))
        return
    value: object = text if not step.startswith("options") else _lines(text)
    if step == "correct":
        value = sorted(_numbers(text) or [])
    elif step not in ("link",) and not step.startswith("options"):
        value = " ".join(text.split())
    data[step] = value
    following = STEPS.index(step) + 1
    if following < len(STEPS):
        data["step"] = STEPS[following]
        await state.set_data(data)
        await message.answer(_prompt(STEPS[following], str(data.get("kind"))))
        return
    question = _question_from(data)
    if question is None:
        await state.clear()
        await message.answer(_("This question could not be built; nothing was saved. Try again."))
        return
    await state.set_state(QuizEditing.confirm)
    await state.set_data(data)
    material = int(data["material"])
    version = int(data["version"])
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("💾 Save"), callback_data=QuizEdit(material=material, action="save", version=version)
    )
    builder.button(
        text=_("✖️ Cancel"),
        callback_data=QuizEdit(material=material, action="drop", version=version),
    )
    builder.adjust(2)
    await message.answer(preview_text(question), reply_markup=builder.as_markup())


async def _finish(
    callback: CallbackQuery,
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    language: str,
    *,
    save: bool,
) -> None:
    data = await state.get_data()
    if await state.get_state() != QuizEditing.confirm.state or not data:
        await callback.answer(_("This button is out of date."), show_alert=True)
        return
    await state.clear()
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    material = int(data["material"])
    if not save:
        await callback.answer()
        await message.answer(_("Cancelled. Nothing was saved."))
        return
    question = _question_from(data)
    quiz = await quizzes.quiz_of_material(session, material)
    expected = int(data["version"]) or None
    existing = list(quizzes.spec_of(quiz).questions) if quiz is not None else []
    result = (
        await quizzes.save_questions(
            session,
            material,
            [*existing, question],
            expected_version=expected,
            admin_id=callback.from_user.id,
        )
        if question is not None
        else quizzes.Edit("gone")
    )
    if result.status == "ok":
        await callback.answer(_("Saved."))
        await message.answer(_("The question is saved; students see it in their next attempt."))
    elif result.status == "conflict":
        await callback.answer()
        await message.answer(
            _("Someone changed this quiz while you were writing; nothing of yours was saved.")
        )
    else:
        await callback.answer()
        await message.answer(_("This material no longer exists."))
        return
    await show_quiz(message, session, material, language)


async def cancel_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def confirm_hint(message: Message) -> None:
    await message.answer(_("Please use the buttons above to save or cancel, or send /cancel."))


async def refuse_command(message: Message) -> None:
    await message.answer(admins_only())


async def refuse_button(callback: CallbackQuery) -> None:
    await callback.answer(admins_only(), show_alert=True)


def create_router() -> Router:
    """Admins only; everyone else who tries is refused in their language."""
    router = Router(name="quiz_admin")
    admins = Router(name="quiz_admin_only")
    admins.message.filter(PrivateChat(), HasRole(ADMIN))
    admins.callback_query.filter(HasRole(ADMIN))
    states = StateFilter(QuizEditing)
    admins.message.register(quiz_edit_command, CommandText(), Command("quiz_edit"))
    admins.message.register(cancel_command, Command("cancel"), states)
    admins.message.register(question_text_step, StateFilter(QuizEditing.question), F.text)
    admins.message.register(confirm_hint, StateFilter(QuizEditing.confirm))
    admins.callback_query.register(quiz_edit_button, QuizEdit.filter())
    # A router's own handlers run before its sub-routers': the refusal is a sibling after.
    refusals = Router(name="quiz_admin_refusals")
    refusals.message.register(refuse_command, PrivateChat(), CommandText(), Command("quiz_edit"))
    refusals.callback_query.register(refuse_button, QuizEdit.filter())
    router.include_routers(admins, refusals)
    return router
