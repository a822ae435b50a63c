"""The lexicon in the admins' knowledge-base menu: add a word to a group, or a new group.

Mounted under `bot.handlers.kb_admin.router`, which lets only admins in. Once a change commits, this
process's search index is rebuilt; other processes notice the revision within seconds."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.unit_of_work import after_commit
from bot.handlers.kb_admin.ui import KbNav
from bot.handlers.kb_lexicon import ui
from bot.handlers.kb_lexicon.ui import LexiconAction, LexiconStates
from bot.services import lexicon
from bot.services.knowledge import KnowledgeBase
from bot.services.lexicon import LexiconRefused
from knowledge_base.lexicon import dump_lexicon

_DATA_KEY = "lexicon_dialog"


async def _apply(
    session: AsyncSession, kb: KnowledgeBase, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Rebuild the search index once the change commits, so the next question uses it."""
    after_commit(session, lambda: kb.reload(session_factory))


async def _end(state: FSMContext) -> None:
    await state.update_data({_DATA_KEY: None})
    if await state.get_state() in LexiconStates.__all_states_names__:
        await state.set_state(None)


async def show_menu(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await callback.answer()
    await _end(state)
    groups = await lexicon.load_groups(session)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            ui.menu_text(len(groups), sum(len(g.words) for g in groups)),
            reply_markup=ui.menu_keyboard(),
        )


async def action(
    callback: CallbackQuery,
    callback_data: LexiconAction,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    match callback_data.act:
        case "word":
            await state.set_state(LexiconStates.group)
            await message.answer(ui.ask_group(), reply_markup=ui.cancel_keyboard())
        case "group":
            await state.set_state(LexiconStates.new_group)
            await message.answer(ui.ask_new_group(), reply_markup=ui.cancel_keyboard())
        case "export":
            await _end(state)
            text = dump_lexicon(await lexicon.load_groups(session))
            await message.answer_document(
                BufferedInputFile(text.encode("utf-8"), filename="lexicon.yml"),
                caption=_(
                    "The lexicon as YAML; <code>kelisim kb lexicon import</code> loads it back."
                ),
            )
        case _:
            await _end(state)
            await message.answer(_("Cancelled."))


def _author(message: Message) -> int | None:
    return message.from_user.id if message.from_user else None


async def _text(message: Message) -> str | None:
    if not message.text or message.text.startswith("/"):
        await message.answer(_("Please write words as text."))
        return None
    return message.text[:2000]


async def choose_group(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = await _text(message)
    if text is None:
        return
    group = await lexicon.find_group(session, text)
    if group is None:
        await message.answer(
            ui.no_such_group(text), reply_markup=ui.cancel_keyboard(offer_new_group=True)
        )
        return
    await state.update_data({_DATA_KEY: {"group": group.id}})
    await state.set_state(LexiconStates.word)
    await message.answer(ui.ask_word(group), reply_markup=ui.cancel_keyboard())


async def add_words(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    text = await _text(message)
    if text is None:
        return
    data = (await state.get_data()).get(_DATA_KEY) or {}
    group_id = str(data.get("group", ""))
    added: list[str] = []
    refusals: list[str] = []
    group = None
    for word in lexicon.split_words(text):
        try:
            group = await lexicon.add_word(session, group_id, word, _author(message))
            added.append(group.words[-1])
        except LexiconRefused as refusal:
            refusals.append(ui.refusal_text(refusal))
            if refusal.reason == lexicon.NO_GROUP:
                break
    if group is not None and added:
        await _apply(session, kb, session_factory)
        await _end(state)
        await message.answer(ui.added_text(group, added), reply_markup=ui.menu_keyboard())
    else:
        await session.rollback()  # nothing changed: no reload anywhere
    if refusals:
        # Nothing added: the admin may write another word for the same group.
        await message.answer(
            "\n\n".join(refusals), reply_markup=None if added else ui.cancel_keyboard()
        )


async def create_group(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    text = await _text(message)
    if text is None:
        return
    try:
        group = await lexicon.add_group(session, lexicon.split_words(text), _author(message))
    except LexiconRefused as refusal:
        await session.rollback()  # nothing changed: no reload anywhere
        await message.answer(ui.refusal_text(refusal), reply_markup=ui.cancel_keyboard())
        return
    await _apply(session, kb, session_factory)
    await _end(state)
    await message.answer(ui.created_text(group), reply_markup=ui.menu_keyboard())


def create_router() -> Router:
    router = Router(name="kb_lexicon")
    router.callback_query.register(show_menu, KbNav.filter(F.to == "lexicon"))
    router.callback_query.register(action, LexiconAction.filter())
    router.message.register(choose_group, StateFilter(LexiconStates.group))
    router.message.register(add_words, StateFilter(LexiconStates.word))
    router.message.register(create_group, StateFilter(LexiconStates.new_group))
    return router
