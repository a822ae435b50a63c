"""/unanswered: what students asked that the bot could not answer confidently, grouped, most
frequent first. From a group an admin creates an entry, attaches the question to an existing
entry as a paraphrase, or dismisses it; each action takes the group off the list."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.db.unit_of_work import after_commit
from bot.handlers.common import stale_button
from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import KbStates, apply_change, dialog, end_dialog, set_dialog
from bot.handlers.kb_admin.editing import not_text, start_add
from bot.handlers.kb_admin.ui import (
    KbAttach,
    KbNav,
    KbQuestion,
    attach_keyboard,
    question_group_keyboard,
)
from bot.services import kb_admin, kb_curation, unanswered
from bot.services.kb_admin import AdminEntry
from bot.services.kb_curation import QUESTION_CUT
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


async def show_unanswered(message: Message, ctx: Ctx) -> None:
    # Questions this process still holds in its buffer are shown too.
    await ctx.recorder.flush()
    groups = await unanswered.unanswered_groups(ctx.session)
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


async def unanswered_command(message: Message, ctx: Ctx) -> None:
    await end_dialog(ctx.state)
    await show_unanswered(message, ctx)


async def unanswered_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_unanswered(callback.message, ctx)


async def _group_pressed(
    callback: CallbackQuery, callback_data: KbQuestion, ctx: Ctx
) -> tuple[Message, QuestionGroup] | None:
    group = await unanswered.find_group(ctx.session, callback_data.row)
    if group is None or not isinstance(callback.message, Message):
        await dealt_with(callback)
        return None
    await callback.answer()
    return callback.message, group


async def dealt_with(callback: CallbackQuery) -> None:
    await callback.answer(_("This question has already been dealt with."), show_alert=True)


async def dismiss_pressed(callback: CallbackQuery, callback_data: KbQuestion, ctx: Ctx) -> None:
    if found := await _group_pressed(callback, callback_data, ctx):
        message, group = found
        await unanswered.resolve_group(ctx.session, group, unanswered.DISMISSED)
        await message.edit_text(
            _("✖️ Dismissed: «{question}» ({count}).").format(
                question=html.escape(group.text[:QUESTION_CUT]), count=group.count
            )
        )


async def new_entry_pressed(callback: CallbackQuery, callback_data: KbQuestion, ctx: Ctx) -> None:
    if found := await _group_pressed(callback, callback_data, ctx):
        message, group = found
        field = f"question_{group_language(group)}"
        prefill = {"field": field, "text": group.text[:QUESTION_CUT], "row": group.row_id}
        await start_add(message, ctx, prefill=prefill)


async def attach_pressed(callback: CallbackQuery, callback_data: KbQuestion, ctx: Ctx) -> None:
    """Offer the entries the question is closest to, or a search."""
    if found := await _group_pressed(callback, callback_data, ctx):
        message, group = found
        await set_dialog(ctx.state, KbStates.attach_search, row=group.row_id)
        candidates = await kb_admin.search_entries(ctx.session, group.text, limit=6)
        await message.answer(
            _(
                "Add «{question}» as another way of asking which entry? Choose, or write words "
                "to find another entry."
            ).format(question=html.escape(group.text[:QUESTION_CUT])),
            reply_markup=attach_keyboard(group.row_id, candidates, ctx.language),
        )


async def attach_search(message: Message, ctx: Ctx) -> None:
    if await not_text(message) or not message.text:
        return
    data = await dialog(ctx.state)
    row = int(data.get("row") or 0)
    found = await kb_admin.search_entries(ctx.session, message.text[:300], limit=8)
    await set_dialog(ctx.state, KbStates.attach_search, row=row)
    if not found:
        await message.answer(_("Nothing found. Try other words."))
        return
    await message.answer(
        _("Choose the entry:"), reply_markup=attach_keyboard(row, found, ctx.language)
    )


async def attach(callback: CallbackQuery, callback_data: KbAttach, ctx: Ctx) -> None:
    message = callback.message
    attached = None
    if isinstance(message, Message):
        attached = await kb_curation.attach_question(
            ctx.session, callback_data.row, callback_data.pk, ctx.user_id
        )
    if attached is None or not isinstance(message, Message):
        await dealt_with(callback)
        return
    entry = attached.entry
    if entry is None:
        await callback.answer(
            _("This entry no longer exists. Choose another one or create a new entry."),
            show_alert=True,
        )
        return
    await callback.answer()
    apply_change(ctx)
    await end_dialog(ctx.state)
    await message.edit_text(
        _("🔗 «{question}» is now a way of asking «{entry}»; search finds it from now on.").format(
            question=html.escape(attached.group.text[:QUESTION_CUT]),
            entry=html.escape(entry.item.question[ctx.language]),
        )
    )
    after_commit(ctx.session, lambda: report_answered_now(message, ctx, entry))


async def report_answered_now(message: Message, ctx: Ctx, entry: AdminEntry) -> None:
    """After the commit and the index reload that `apply_change` scheduled before this."""
    async with ctx.session_factory() as other, other.begin():
        also = await unanswered.answered_now(other, ctx.kb, entry.slug)
    await message.answer(answered_now_text(also))


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
    router.callback_query.register(dismiss_pressed, KbQuestion.filter(F.act == "dismiss"))
    router.callback_query.register(new_entry_pressed, KbQuestion.filter(F.act == "new"))
    router.callback_query.register(attach_pressed, KbQuestion.filter(F.act == "attach"))
    router.callback_query.register(stale_button, KbQuestion.filter())
    router.callback_query.register(attach, KbAttach.filter())
    return router
