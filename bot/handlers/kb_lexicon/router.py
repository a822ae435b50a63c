"""The lexicon in the admins' knowledge-base menu: add a word to a group, or a new group.

Mounted under `bot.handlers.kb_admin.router`, which lets only admins in. Once a change
commits, this process's search index is rebuilt; other processes notice the revision within
seconds."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import apply_change
from bot.handlers.kb_admin.ui import KbNav
from bot.handlers.kb_lexicon import ui
from bot.handlers.kb_lexicon.ui import LexiconAction, LexiconStates
from bot.services import lexicon
from bot.services.lexicon import LexiconRefused
from knowledge_base.lexicon import dump_lexicon

_DATA_KEY = "lexicon_dialog"


async def _end(state: FSMContext) -> None:
    await state.update_data({_DATA_KEY: None})
    if await state.get_state() in LexiconStates.__all_states_names__:
        await state.set_state(None)


async def show_menu(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    await _end(ctx.state)
    groups = await lexicon.load_groups(ctx.session)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            ui.menu_text(len(groups), sum(len(g.words) for g in groups)),
            reply_markup=ui.menu_keyboard(),
        )


async def _button_message(callback: CallbackQuery) -> Message | None:
    await callback.answer()
    return callback.message if isinstance(callback.message, Message) else None


async def add_word_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await ctx.state.set_state(LexiconStates.group)
        await message.answer(ui.ask_group(), reply_markup=ui.cancel_keyboard())


async def new_group_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await ctx.state.set_state(LexiconStates.new_group)
        await message.answer(ui.ask_new_group(), reply_markup=ui.cancel_keyboard())


async def export_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await _end(ctx.state)
        text = dump_lexicon(await lexicon.load_groups(ctx.session))
        await message.answer_document(
            BufferedInputFile(text.encode("utf-8"), filename="lexicon.yml"),
            caption=_("The lexicon as YAML; <code>kelisim kb lexicon import</code> loads it back."),
        )


async def cancel_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await _end(ctx.state)
        await message.answer(_("Cancelled."))


async def _text(message: Message) -> str | None:
    if not message.text or message.text.startswith("/"):
        await message.answer(_("Please write words as text."))
        return None
    return message.text[:2000]


async def choose_group(message: Message, ctx: Ctx) -> None:
    text = await _text(message)
    if text is None:
        return
    group = await lexicon.find_group(ctx.session, text)
    if group is None:
        await message.answer(
            ui.no_such_group(text), reply_markup=ui.cancel_keyboard(offer_new_group=True)
        )
        return
    await ctx.state.update_data({_DATA_KEY: {"group": group.id}})
    await ctx.state.set_state(LexiconStates.word)
    await message.answer(ui.ask_word(group), reply_markup=ui.cancel_keyboard())


async def add_words(message: Message, ctx: Ctx) -> None:
    text = await _text(message)
    if text is None:
        return
    data = (await ctx.state.get_data()).get(_DATA_KEY) or {}
    result = await lexicon.add_words(ctx.session, str(data.get("group", "")), text, ctx.user_id)
    if result.group is not None:
        apply_change(ctx)
        await _end(ctx.state)
        await message.answer(
            ui.added_text(result.group, result.added), reply_markup=ui.menu_keyboard()
        )
    if result.refused:
        # Nothing added: the admin may write another word for the same group.
        await message.answer(
            "\n\n".join(ui.refusal_text(r) for r in result.refused),
            reply_markup=None if result.added else ui.cancel_keyboard(),
        )


async def create_group(message: Message, ctx: Ctx) -> None:
    text = await _text(message)
    if text is None:
        return
    try:
        group = await lexicon.create_group(ctx.session, text, ctx.user_id)
    except LexiconRefused as refusal:
        await message.answer(ui.refusal_text(refusal), reply_markup=ui.cancel_keyboard())
        return
    apply_change(ctx)
    await _end(ctx.state)
    await message.answer(ui.created_text(group), reply_markup=ui.menu_keyboard())


def create_router() -> Router:
    router = Router(name="kb_lexicon")
    router.callback_query.register(show_menu, KbNav.filter(F.to == "lexicon"))
    router.callback_query.register(add_word_pressed, LexiconAction.filter(F.act == "word"))
    router.callback_query.register(new_group_pressed, LexiconAction.filter(F.act == "group"))
    router.callback_query.register(export_pressed, LexiconAction.filter(F.act == "export"))
    router.callback_query.register(cancel_pressed, LexiconAction.filter())
    router.message.register(choose_group, StateFilter(LexiconStates.group))
    router.message.register(add_words, StateFilter(LexiconStates.word))
    router.message.register(create_group, StateFilter(LexiconStates.new_group))
    return router
