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

from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import apply_change, ask_field, entry_gone
from bot.handlers.kb_review.ui import (
    KbReview,
    card_keyboard,
    card_text,
    day_text,
    summary_text,
)
from bot.services import kb_admin, kb_review
from bot.services.kb_admin import EntryChanged, EntryGone
from knowledge_base.review import due_date


async def send_card(
    message: Message, entries: list[kb_review.ReviewEntry], position: int, language: str
) -> None:
    """The card at `position`, or that the list is done."""
    if position >= len(entries):
        await message.answer(_("That was the last entry to review."))
        return
    entry = entries[position]
    await message.answer(
        card_text(entry, position, len(entries), language),
        reply_markup=card_keyboard(entry, position, len(entries)),
        disable_web_page_preview=True,
    )


async def review_command(message: Message, ctx: Ctx) -> None:
    entries = await kb_review.review_list(ctx.session, kb_review.today())
    await message.answer(summary_text(entries, ctx.language))
    if entries:
        await send_card(message, entries, 0, ctx.language)


async def next_card(callback: CallbackQuery, callback_data: KbReview, ctx: Ctx) -> None:
    await callback.answer()
    entries = await kb_review.review_list(ctx.session, kb_review.today())
    if isinstance(callback.message, Message):
        await send_card(callback.message, entries, callback_data.pos + 1, ctx.language)


async def still_true(callback: CallbackQuery, callback_data: KbReview, ctx: Ctx) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    today = kb_review.today()
    try:
        entry = await kb_review.mark_reviewed(
            ctx.session, callback_data.pk, callback_data.v, ctx.user_id, today
        )
    except EntryChanged:
        await callback.answer(
            _("Someone changed this entry meanwhile. Send /kb_review for the current list."),
            show_alert=True,
        )
        return
    except EntryGone:
        await entry_gone(callback)
        return
    # Once committed, reload the index: students' "as of" line shows the new date at once.
    apply_change(ctx)
    await callback.answer(_("✅ Marked as still true."))
    due = due_date(entry.item)
    await message.answer(
        _("✅ «{id}» checked today; next review by {date}.").format(
            id=html.escape(entry.slug), date=day_text(due, ctx.language) if due else "—"
        )
    )
    entries, position = await kb_review.card_after(ctx.session, entry.pk, callback_data.pos, today)
    await send_card(message, entries, position, ctx.language)


async def edit_entry(callback: CallbackQuery, callback_data: KbReview, ctx: Ctx) -> None:
    entry = await kb_admin.get_entry(ctx.session, callback_data.pk)
    if entry is None or entry.deleted or not isinstance(callback.message, Message):
        await entry_gone(callback)
        return
    await callback.answer()
    await ask_field(callback.message, entry, ctx.language)


def create_router() -> Router:
    router = Router(name="kb_review")
    router.message.register(review_command, Command("kb_review"))
    router.callback_query.register(still_true, KbReview.filter(F.act == "ok"))
    router.callback_query.register(edit_entry, KbReview.filter(F.act == "edit"))
    router.callback_query.register(next_card, KbReview.filter(F.act == "next"))
    return router
