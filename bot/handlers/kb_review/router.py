"""/kb_review for admins: the entries to check again, one card at a time, each with
"still true" (records today's review) and "edit" (the knowledge-base edit dialog).

Mounted in the admins' knowledge-base subtree (bot/handlers/kb_admin/router.py), which lets only admins in.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.unit_of_work import after_commit
from bot.handlers.kb_admin.ui import fields_keyboard
from bot.handlers.kb_review.ui import (
    KbReview,
    card_keyboard,
    card_text,
    day_text,
    summary_text,
)
from bot.services import kb_admin, kb_review
from bot.services.kb_admin import EntryChanged, EntryGone
from bot.services.knowledge import KnowledgeBase
from knowledge_base.review import due_date


async def send_card(
    message: Message, entries: list[kb_review.ReviewEntry], position: int, language: str
) -> None:
    entry = entries[position]
    await message.answer(
        card_text(entry, position, len(entries), language),
        reply_markup=card_keyboard(entry, position, len(entries)),
        disable_web_page_preview=True,
    )


async def review_command(message: Message, session: AsyncSession, language: str) -> None:
    entries = await kb_review.review_list(session, kb_review.today())
    await message.answer(summary_text(entries, language))
    if entries:
        await send_card(message, entries, 0, language)


async def next_card(
    callback: CallbackQuery, callback_data: KbReview, session: AsyncSession, language: str
) -> None:
    await callback.answer()
    entries = await kb_review.review_list(session, kb_review.today())
    position = callback_data.pos + 1
    if isinstance(callback.message, Message):
        if position < len(entries):
            await send_card(callback.message, entries, position, language)
        else:
            await callback.message.answer(_("That was the last entry to review."))


async def still_true(
    callback: CallbackQuery,
    callback_data: KbReview,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    language: str,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    try:
        entry = await kb_review.mark_reviewed(
            session, callback_data.pk, callback_data.v, callback.from_user.id, kb_review.today()
        )
    except EntryChanged:
        await callback.answer(
            _("Someone changed this entry meanwhile. Send /kb_review for the current list."),
            show_alert=True,
        )
        return
    except EntryGone:
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    # Once committed, reload the index: students' "as of" line shows the new date at once.
    after_commit(session, lambda: kb.reload(session_factory))
    await callback.answer(_("✅ Marked as still true."))
    due = due_date(entry.item)
    await message.answer(
        _("✅ «{id}» checked today; next review by {date}.").format(
            id=html.escape(entry.slug), date=day_text(due, language) if due else "—"
        )
    )
    entries = await kb_review.review_list(session, kb_review.today())
    position = callback_data.pos
    # The entry was most likely overdue and moved down the list: what was next is now here.
    if position < len(entries) and entries[position].pk == entry.pk:
        position += 1
    if position < len(entries):
        await send_card(message, entries, position, language)
    else:
        await message.answer(_("That was the last entry to review."))


async def edit_entry(
    callback: CallbackQuery, callback_data: KbReview, session: AsyncSession, language: str
) -> None:
    entry = await kb_admin.get_entry(session, callback_data.pk)
    if entry is None or entry.deleted or not isinstance(callback.message, Message):
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    await callback.answer()
    await callback.message.answer(
        _("Which field of «{question}» do you want to change?").format(
            question=html.escape(entry.item.question[language])
        ),
        reply_markup=fields_keyboard(entry),
    )


def create_router() -> Router:
    router = Router(name="kb_review")
    router.message.register(review_command, Command("kb_review"))
    router.callback_query.register(still_true, KbReview.filter(F.act == "ok"))
    router.callback_query.register(edit_entry, KbReview.filter(F.act == "edit"))
    router.callback_query.register(next_card, KbReview.filter(F.act == "next"))
    return router
