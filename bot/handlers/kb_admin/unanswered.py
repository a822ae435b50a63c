"""/unanswered: what students asked that the bot could not answer confidently, grouped, most
frequent first. From a group an admin creates an entry, attaches the question to an existing
entry as a paraphrase, or dismisses it; each action takes the group off the list."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.unit_of_work import after_commit
from bot.handlers.kb_admin.dialog import KbStates, apply_change, dialog, end_dialog, set_dialog
from bot.handlers.kb_admin.editing import not_text, start_add
from bot.handlers.kb_admin.ui import (
    KbAttach,
    KbNav,
    KbQuestion,
    attach_keyboard,
    question_group_keyboard,
)
from bot.services import kb_admin, unanswered
from bot.services.kb_admin import EntryGone
from bot.services.knowledge import KnowledgeBase
from bot.services.questions import QuestionRecorder
from bot.services.unanswered import QuestionGroup

# Groups shown at a time; dealing with them brings up the next ones.
SHOWN_GROUPS = 8


def group_language(group: QuestionGroup) -> str:
    """The language the question is written in (students often ask in the other language)."""
    return group.question_language


def group_text(group: QuestionGroup) -> str:
    text = _("«{question}» — asked {count} times").format(
        question=html.escape(group.text[:300]), count=group.count
    )
    text += "\n" + (
        _("🇰🇿 Written in Kazakh") if group_language(group) == "kk" else _("🇷🇺 Written in Russian")
    )
    if group.not_helpful:
        text += "\n" + _("👎 The answer did not help: {count} times").format(
            count=group.not_helpful
        )
    others = [v for v in group.variants if v != group.text]
    if others:
        text += "\n" + _("Also written as: {variants}").format(
            variants="; ".join(f"«{html.escape(v[:100])}»" for v in others)
        )
    return text


async def show_unanswered(
    message: Message, session: AsyncSession, recorder: QuestionRecorder
) -> None:
    # Questions this process still holds in its buffer are shown too.
    await recorder.flush()
    groups = await unanswered.unanswered_groups(session)
    if not groups:
        await message.answer(_("No unanswered questions. 🎉"))
        return
    await message.answer(
        _(
            "<b>Unanswered questions</b>: {groups} groups, {questions} questions in all. "
            "Most frequent first:"
        ).format(groups=len(groups), questions=sum(g.count for g in groups))
    )
    for group in groups[:SHOWN_GROUPS]:
        await message.answer(group_text(group), reply_markup=question_group_keyboard(group))


async def unanswered_command(
    message: Message, state: FSMContext, session: AsyncSession, recorder: QuestionRecorder
) -> None:
    await end_dialog(state)
    await show_unanswered(message, session, recorder)


async def unanswered_button(
    callback: CallbackQuery, session: AsyncSession, recorder: QuestionRecorder
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_unanswered(callback.message, session, recorder)


async def group_action(
    callback: CallbackQuery,
    callback_data: KbQuestion,
    state: FSMContext,
    session: AsyncSession,
    language: str,
) -> None:
    message = callback.message
    group = await unanswered.find_group(session, callback_data.row)
    if group is None or not isinstance(message, Message):
        await callback.answer(_("This question has already been dealt with."), show_alert=True)
        return
    await callback.answer()
    if callback_data.act == "dismiss":
        await unanswered.resolve_group(session, group, unanswered.DISMISSED)
        await message.edit_text(
            _("✖️ Dismissed: «{question}» ({count}).").format(
                question=html.escape(group.text[:300]), count=group.count
            )
        )
        return
    lang = group_language(group)
    if callback_data.act == "new":
        await start_add(
            message,
            state,
            session,
            prefill={"field": f"question_{lang}", "text": group.text[:300], "row": group.row_id},
        )
        return
    # attach: offer the entries the question is closest to, or a search
    await set_dialog(state, KbStates.attach_search, row=group.row_id)
    candidates = await kb_admin.search_entries(session, group.text, limit=6)
    await message.answer(
        _(
            "Add «{question}» as another way of asking which entry? Choose, or write words "
            "to find another entry."
        ).format(question=html.escape(group.text[:300])),
        reply_markup=attach_keyboard(group.row_id, candidates, language),
    )


async def attach_search(
    message: Message, state: FSMContext, session: AsyncSession, language: str
) -> None:
    if await not_text(message) or not message.text:
        return
    data = await dialog(state)
    row = int(data.get("row") or 0)
    found = await kb_admin.search_entries(session, message.text[:300], limit=8)
    await set_dialog(state, KbStates.attach_search, row=row)
    if not found:
        await message.answer(_("Nothing found. Try other words."))
        return
    await message.answer(_("Choose the entry:"), reply_markup=attach_keyboard(row, found, language))


async def attach(
    callback: CallbackQuery,
    callback_data: KbAttach,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    language: str,
) -> None:
    message = callback.message
    group = await unanswered.find_group(session, callback_data.row)
    # Taking the group off the list first decides between two admins attaching it at once:
    # the second one's update finds nothing left to take.
    if (
        group is None
        or not isinstance(message, Message)
        or not await unanswered.resolve_group(session, group, unanswered.ATTACHED)
    ):
        await callback.answer(_("This question has already been dealt with."), show_alert=True)
        return
    try:
        entry = await kb_admin.add_paraphrase(
            session,
            callback_data.pk,
            group_language(group),
            group.text[:300],
            callback.from_user.id,
        )
    except EntryGone:
        await session.rollback()  # the question stays on the list
        await callback.answer(
            _("This entry no longer exists. Choose another one or create a new entry."),
            show_alert=True,
        )
        return
    await callback.answer()
    await apply_change(session, kb, session_factory)
    await end_dialog(state)
    await message.edit_text(
        _("🔗 «{question}» is now a way of asking «{entry}»; search finds it from now on.").format(
            question=html.escape(group.text[:300]),
            entry=html.escape(entry.item.question[language]),
        )
    )

    async def report_answered_now() -> None:
        # After the commit and the index reload that apply_change scheduled before this.
        async with session_factory() as other, other.begin():
            also = await unanswered.answered_now(other, kb, entry.slug)
        await message.answer(answered_now_text(also))

    after_commit(session, report_answered_now)


def answered_now_text(groups: list[QuestionGroup]) -> str:
    if not groups:
        return _("No other waiting question is answered by it yet.")
    return _(
        "It also answers {questions} more waiting questions now ({groups} groups), "
        "taken off the list: {examples}"
    ).format(
        questions=sum(g.count for g in groups),
        groups=len(groups),
        examples="; ".join(f"«{html.escape(g.text[:100])}»" for g in groups[:5]),
    )


def create_router() -> Router:
    """Mounted under `bot.handlers.kb_admin.router`, which lets only admins in."""
    router = Router(name="kb_unanswered")
    router.message.register(unanswered_command, Command("unanswered"))
    router.message.register(attach_search, StateFilter(KbStates.attach_search))
    router.callback_query.register(unanswered_button, KbNav.filter(F.to == "unanswered"))
    router.callback_query.register(group_action, KbQuestion.filter())
    router.callback_query.register(attach, KbAttach.filter())
    return router
