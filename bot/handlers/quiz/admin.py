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
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.common import refuse_non_admin, stale_button
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.quiz import ui
from bot.services import learning, quiz_editing, quizzes
from bot.services.knowledge import KnowledgeBase
from bot.services.quiz_editing import STEPS
from bot.services.roles import ADMIN
from knowledge_base.quizzes import (
    EXPLANATION_MAX,
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_MAX,
    QUESTION_MAX,
)
from knowledge_base.schema import is_slug


class QuizEditing(StatesGroup):
    question = State()  # FSM data "step" says which field is asked
    confirm = State()


KINDS = ("kind_single", "kind_multiple")


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
        options = quiz_editing.lines(text)
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
        numbers = quiz_editing.numbers(text)
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


async def show_materials(message: Message, ctx: Ctx) -> None:
    cards = await quizzes.quiz_cards(ctx.session, None)
    materials = await learning.materials(ctx.session)
    with_quiz = {c.material.pk: c.questions for c in cards}
    await message.answer(
        _("Choose a learning material to write or change its quiz:"),
        reply_markup=ui.materials_keyboard(materials, with_quiz, ctx.language),
    )


async def show_quiz(message: Message, ctx: Ctx, material_pk: int, *, edit: bool = False) -> None:
    material = await quizzes.material(ctx.session, material_pk)
    if material is None:
        await message.answer(_("This material no longer exists."))
        return
    quiz = await quizzes.quiz_of_material(ctx.session, material_pk)
    text = ui.quiz_text(learning.title(material, ctx.language), quiz, ctx.language)
    markup = ui.quiz_keyboard(material_pk, quiz)
    if edit:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
            return
    await message.answer(text, reply_markup=markup)


async def quiz_edit_command(message: Message, ctx: Ctx) -> None:
    await show_materials(message, ctx)


async def _button_message(callback: CallbackQuery) -> Message | None:
    if not isinstance(callback.message, Message):
        await callback.answer()
        return None
    return callback.message


async def list_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await callback.answer()
        await show_materials(message, ctx)


async def open_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await callback.answer()
        await show_quiz(message, ctx, callback_data.material)


async def _seen(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> Message | None:
    """The button's message when the quiz is still the version the admin saw; else the current
    quiz is shown and a dialog begun on the old version ends (nothing of it is saved)."""
    if not (message := await _button_message(callback)):
        return None
    material_pk = callback_data.material
    quiz = await quizzes.quiz_of_material(ctx.session, material_pk)
    if (quiz.version if quiz is not None else 0) == callback_data.version:
        return message
    if (await ctx.state.get_data()).get("material") == material_pk:
        await ctx.state.clear()
    await callback.answer(_("The quiz was changed meanwhile; here it is now."), show_alert=True)
    await show_quiz(message, ctx, material_pk)
    return None


async def add_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if message := await _seen(callback, callback_data, ctx):
        await callback.answer()
        material_pk, version = callback_data.material, callback_data.version
        await ctx.state.set_state(QuizEditing.question)
        await ctx.state.set_data({"material": material_pk, "version": version, "step": "kind"})
        await message.answer(
            _("A new question. How many answers are right?")
            + "\n"
            + _("/cancel stops without saving."),
            reply_markup=ui.kind_keyboard(material_pk, version),
        )


async def kind_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if not (message := await _seen(callback, callback_data, ctx)):
        return
    data = await ctx.state.get_data()
    if data.get("material") != callback_data.material or data.get("step") != "kind":
        await stale_button(callback)
        return
    kind = callback_data.action.removeprefix("kind_")
    await ctx.state.update_data(kind=kind, step="text_kk")
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    await message.answer(ui.prompt("text_kk", kind))


async def delete_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if not (message := await _seen(callback, callback_data, ctx)):
        return
    material_pk, index = callback_data.material, callback_data.q
    result = await quiz_editing.delete_question(
        ctx.session, material_pk, index, callback_data.version, ctx.user_id
    )
    if result is None:
        await stale_button(callback)
        return
    if result.status != "ok":
        await callback.answer(_("The quiz was changed meanwhile; here it is now."), show_alert=True)
    else:
        await callback.answer(_("Question {number} deleted.").format(number=index + 1))
    await show_quiz(message, ctx, material_pk, edit=True)


async def question_text_step(message: Message, ctx: Ctx) -> None:
    data = await ctx.state.get_data()
    step = str(data.get("step"))
    text = (message.text or "").strip()
    if step not in STEPS or not text:
        await message.answer(_("Please send text, use the buttons above, or send /cancel."))
        return
    problem = _check_step(step, text, data, ctx.kb)
    if problem is not None:
        await message.answer(problem + "\n" + ui.prompt(step, str(data.get("kind"))))
        return
    data[step] = quiz_editing.step_value(step, text)
    following = STEPS.index(step) + 1
    if following < len(STEPS):
        data["step"] = STEPS[following]
        await ctx.state.set_data(data)
        await message.answer(ui.prompt(STEPS[following], str(data.get("kind"))))
        return
    question = quiz_editing.question_from_draft(data)
    if question is None:
        await ctx.state.clear()
        await message.answer(_("This question could not be built; nothing was saved. Try again."))
        return
    await ctx.state.set_state(QuizEditing.confirm)
    await ctx.state.set_data(data)
    await message.answer(
        ui.preview_text(question),
        reply_markup=ui.confirm_keyboard(int(data["material"]), int(data["version"])),
    )


async def _confirmed(
    callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx
) -> Message | None:
    """The preview's message when the dialog waits for «Save» or «Cancel»; the dialog ends."""
    if not (message := await _seen(callback, callback_data, ctx)):
        return None
    if await ctx.state.get_state() != QuizEditing.confirm.state or not await ctx.state.get_data():
        await stale_button(callback)
        return None
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    return message


async def drop_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if message := await _confirmed(callback, callback_data, ctx):
        await ctx.state.clear()
        await callback.answer()
        await message.answer(_("Cancelled. Nothing was saved."))


async def save_pressed(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    if not (message := await _confirmed(callback, callback_data, ctx)):
        return
    data = await ctx.state.get_data()
    await ctx.state.clear()
    material = int(data["material"])
    result = await quiz_editing.add_question(ctx.session, material, data, ctx.user_id)
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
    await show_quiz(message, ctx, material)


async def cancel_command(message: Message, ctx: Ctx) -> None:
    await ctx.state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def confirm_hint(message: Message) -> None:
    await message.answer(_("Please use the buttons above to save or cancel, or send /cancel."))


async def stale_after_check(callback: CallbackQuery, callback_data: ui.QuizEdit, ctx: Ctx) -> None:
    """An unknown action: the quiz's version is checked first, as for every change."""
    if await _seen(callback, callback_data, ctx):
        await stale_button(callback)


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
    buttons = admins.callback_query
    buttons.register(list_pressed, ui.QuizEdit.filter(F.action == "list"))
    buttons.register(open_pressed, ui.QuizEdit.filter(F.action == "open"))
    buttons.register(add_pressed, ui.QuizEdit.filter(F.action == "add"))
    buttons.register(kind_pressed, ui.QuizEdit.filter(F.action.in_(KINDS)))
    buttons.register(delete_pressed, ui.QuizEdit.filter(F.action == "del"))
    buttons.register(save_pressed, ui.QuizEdit.filter(F.action == "save"))
    buttons.register(drop_pressed, ui.QuizEdit.filter(F.action == "drop"))
    buttons.register(stale_after_check, ui.QuizEdit.filter())
    # A router's own handlers run before its sub-routers': the refusal is a sibling after.
    refusals = Router(name="quiz_admin_refusals")
    refusals.message.register(refuse_non_admin, PrivateChat(), CommandText(), Command("quiz_edit"))
    refusals.callback_query.register(refuse_non_admin, ui.QuizEdit.filter())
    router.include_routers(admins, refusals)
    return router
