"""Admins run the knowledge base from Telegram: /kb (search, browse, view, add, edit, publish,
delete, history and restore) and /kb_stats. Everyone else is refused in their language.

Dialogs keep their draft in FSM data and save nothing until the admin confirms; a dialog left
alone for `DIALOG_TIMEOUT` seconds is discarded at the admin's next message or button.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.handlers.common import stale_button
from bot.handlers.kb_admin.dialog import (
    DialogExpired,
    KbStates,
    action_name,
    apply_change,
    author_name,
    changed_meanwhile,
    end_dialog,
    expired,
    fit_lines,
    send_preview,
    set_dialog,
    show_entry,
    version_card,
    when,
)
from bot.handlers.kb_admin.editing import (
    add_button,
    add_dialog_button,
    add_pick_category,
    add_text,
    edit_field,
    edit_text,
)
from bot.handlers.kb_admin.ui import (
    KbAct,
    KbAttach,
    KbCategory,
    KbDialog,
    KbField,
    KbImport,
    KbNav,
    KbOpen,
    KbPickCategory,
    KbVersion,
    categories_keyboard,
    confirm_delete_keyboard,
    dialog_keyboard,
    entry_list_keyboard,
    field_label,
    fields_keyboard,
    history_keyboard,
    kb_menu_keyboard,
    version_keyboard,
)
from bot.services import kb_admin, kb_history
from bot.services.kb_admin import (
    RESTORE_DAYS,
    AdminEntry,
    EntryChanged,
    EntryGone,
)
from bot.services.knowledge import KnowledgeBase

# --- menu, search, browse, view -------------------------------------------------------------------


async def show_menu(message: Message, state: FSMContext) -> None:
    await message.answer(
        _(
            "<b>Knowledge base</b>\nSearch, browse and edit entries; changes reach students "
            "at once. Upload a .yml file to import. /kb_stats — statistics, /unanswered — "
            "questions without an answer, /kb_export — everything as YAML."
        ),
        reply_markup=kb_menu_keyboard(),
    )


async def kb_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    language: str,
) -> None:
    await end_dialog(state)
    if command.args and command.args.strip():
        await show_search_results(message, session, command.args.strip(), language)
        return
    await show_menu(message, state)


async def menu_button(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await end_dialog(state)
    if isinstance(callback.message, Message):
        await show_menu(callback.message, state)


async def ask_search(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await set_dialog(state, KbStates.search)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Write words from the question or answer, or the entry's id."),
            reply_markup=dialog_keyboard("cancel"),
        )


async def search_text(
    message: Message, state: FSMContext, session: AsyncSession, language: str
) -> None:
    await end_dialog(state)
    await show_search_results(message, session, (message.text or "").strip(), language)


async def show_search_results(
    message: Message, session: AsyncSession, query: str, language: str
) -> None:
    found = await kb_admin.search_entries(session, query[:300])
    if not found:
        await message.answer(
            _("Nothing found for «{query}». Try other words, or /kb for the menu.").format(
                query=html.escape(query[:100])
            )
        )
        return
    await message.answer(
        _("Found for «{query}»:").format(query=html.escape(query[:100])),
        reply_markup=entry_list_keyboard(found, language),
    )


async def show_categories(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    found = await kb_admin.categories(session)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Categories (entries in each):") if found else _("The knowledge base is empty."),
            reply_markup=categories_keyboard(found),
        )


async def show_category(
    callback: CallbackQuery, callback_data: KbCategory, session: AsyncSession, language: str
) -> None:
    found = await kb_admin.categories(session)
    if callback_data.index >= len(found) or not isinstance(callback.message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    name = found[callback_data.index][0]
    entries = await kb_admin.entries_in_category(session, name)
    await callback.message.answer(
        _("Category <b>{name}</b>: {count} entries. 🚫 — not published.").format(
            name=html.escape(name), count=len(entries)
        ),
        reply_markup=entry_list_keyboard(entries[:40], language),
    )


async def open_entry(
    callback: CallbackQuery,
    callback_data: KbOpen,
    state: FSMContext,
    session: AsyncSession,
    language: str,
) -> None:
    entry = await kb_admin.get_entry(session, callback_data.pk)
    if entry is None or not isinstance(callback.message, Message):
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    await callback.answer()
    await end_dialog(state)
    await show_entry(callback.message, entry, language)


async def show_trash(callback: CallbackQuery, session: AsyncSession, language: str) -> None:
    await callback.answer()
    entries = await kb_admin.deleted_entries(session)
    if not isinstance(callback.message, Message):
        return
    if not entries:
        await callback.message.answer(_("No deleted entries."))
        return
    await callback.message.answer(
        _("Deleted entries; each can be restored for {days} days after deletion:").format(
            days=RESTORE_DAYS
        ),
        reply_markup=entry_list_keyboard(entries[:40], language),
    )


# --- entry actions ---------------------------------------------------------------------------------


async def entry_action(
    callback: CallbackQuery,
    callback_data: KbAct,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    language: str,
) -> None:
    message = callback.message
    entry = await kb_admin.get_entry(session, callback_data.pk)
    if entry is None or not isinstance(message, Message):
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    act = callback_data.act
    author = callback.from_user.id
    if act == "history":
        await callback.answer()
        await show_history(message, session, entry, language)
        return
    if act == "undelete":
        await callback.answer()
        restored = await kb_admin.undelete_entry(session, entry.pk, author)
        await apply_change(session, kb, session_factory)
        await show_entry(message, restored, language, _("♻️ Restored."))
        return
    if entry.version != callback_data.v:
        await callback.answer()
        await changed_meanwhile(message, entry, language)
        return
    if act == "preview":
        await callback.answer()
        await send_preview(message, entry.item, ("kk", "ru"))
        return
    if act == "edit":
        await callback.answer()
        await end_dialog(state)
        await message.answer(
            _("Which field of «{question}» do you want to change?").format(
                question=html.escape(entry.item.question[language])
            ),
            reply_markup=fields_keyboard(entry),
        )
        return
    if act == "delete":
        await callback.answer()
        await message.answer(
            _(
                "Delete «{question}»? Students will no longer get it. You can restore it "
                "for {days} days from /kb → Deleted entries."
            ).format(question=html.escape(entry.item.question[language]), days=RESTORE_DAYS),
            reply_markup=confirm_delete_keyboard(entry),
        )
        return
    try:
        if act == "confirm_delete":
            changed = await kb_admin.delete_entry(session, entry.pk, entry.version, author)
            notice = _("🗑 Deleted. Students no longer get this answer.")
        elif act in ("publish", "unpublish"):
            changed = await kb_admin.set_published(
                session, entry.pk, entry.version, act == "publish", author
            )
            notice = (
                _("✅ Published: students get this answer now.")
                if act == "publish"
                else _("🚫 Unpublished: students no longer get this answer.")
            )
        else:
            await stale_button(callback)
            return
    except EntryChanged as error:
        await callback.answer()
        await changed_meanwhile(message, error.current, language)
        return
    except EntryGone:
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    await apply_change(session, kb, session_factory)
    await callback.answer()
    await show_entry(message, changed, language, notice)


async def show_history(
    message: Message, session: AsyncSession, entry: AdminEntry, language: str
) -> None:
    versions = await kb_history.versions(session, entry.pk)
    lines = [_("<b>History of {id}</b> (newest first):").format(id=html.escape(entry.slug))]
    for version in versions[:20]:
        changed = ", ".join(field_label(f) for f in version.changed)
        lines.append(
            _("v{version} · {date} · {author} · {action}").format(
                version=version.version,
                date=when(version.created_at, language),
                author=author_name(version.author_id),
                action=action_name(version.action),
            )
            + (f": {html.escape(changed)}" if changed else "")
        )
    await message.answer(
        fit_lines(lines),
        reply_markup=history_keyboard(entry.pk, [v.version for v in versions[:12]], entry.version),
    )


async def version_action(
    callback: CallbackQuery,
    callback_data: KbVersion,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    language: str,
) -> None:
    message = callback.message
    version = await kb_history.get_version(session, callback_data.pk, callback_data.ver)
    if version is None or not isinstance(message, Message):
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    await callback.answer()
    if callback_data.act == "show":
        await message.answer(
            version_card(version, language),
            reply_markup=version_keyboard(callback_data.pk, callback_data.ver),
            disable_web_page_preview=True,
        )
        return
    restored = await kb_admin.restore_version(
        session, callback_data.pk, callback_data.ver, callback.from_user.id
    )
    await apply_change(session, kb, session_factory)
    await show_entry(
        message,
        restored,
        language,
        _("♻️ Version {version} restored as version {new}.").format(
            version=callback_data.ver, new=restored.version
        ),
    )


# --- statistics ---------------------------------------------------------------------------------------


async def show_stats(message: Message, session: AsyncSession, language: str) -> None:
    stats = await kb_admin.kb_stats(session)
    lines = [
        _("<b>Knowledge base statistics</b>"),
        _("Answers shown: {shown} · 👍 {helpful} · 👎 {not_helpful}").format(
            shown=stats.total_shown,
            helpful=stats.total_helpful,
            not_helpful=stats.total_not_helpful,
        ),
        "",
        _("<b>Most shown</b>"),
    ]
    if not stats.most_shown:
        lines.append(_("No answers shown yet."))
    for number, entry in enumerate(stats.most_shown, start=1):
        lines.append(
            f"{number}. {html.escape(entry.item.question[language])} — "
            + _("{shown} times").format(shown=entry.shown)
        )
    lines += ["", _("<b>Least helpful</b> (by votes)")]
    if not stats.least_helpful:
        lines.append(_("No votes yet."))
    for number, entry in enumerate(stats.least_helpful, start=1):
        lines.append(
            f"{number}. {html.escape(entry.item.question[language])} — 👍 {entry.helpful} · "
            f"👎 {entry.not_helpful}"
        )
    await message.answer(fit_lines(lines))


async def stats_command(message: Message, session: AsyncSession, language: str) -> None:
    await show_stats(message, session, language)


async def stats_button(callback: CallbackQuery, session: AsyncSession, language: str) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_stats(callback.message, session, language)


# --- router --------------------------------------------------------------------------------------------


async def confirm_hint(message: Message) -> None:
    await message.answer(_("Please use the buttons above to save or cancel, or send /cancel."))


async def cancel_command(message: Message, state: FSMContext) -> None:
    await end_dialog(state)
    await message.answer(_("Cancelled. Nothing was saved."))


def create_router() -> Router:
    """Mounted under `bot.handlers.kb_admin.router`, which lets only admins in."""
    router = Router(name="kb_admin")
    states = StateFilter(KbStates)
    router.message.register(kb_command, Command("kb"))
    router.message.register(stats_command, Command("kb_stats"))
    router.message.register(expired, states, DialogExpired())
    # Only the dialog's own buttons expire with it; opening an entry from a list still works.
    dialog_buttons = or_f(
        KbDialog.filter(), KbPickCategory.filter(), KbImport.filter(), KbAttach.filter()
    )
    router.callback_query.register(expired, states, dialog_buttons, DialogExpired())
    router.message.register(cancel_command, Command("cancel"), states)
    router.message.register(search_text, StateFilter(KbStates.search), F.text)
    router.message.register(add_text, StateFilter(KbStates.add))
    # A new text while the preview waits for «Save» replaces the pending value.
    router.message.register(edit_text, StateFilter(KbStates.edit_value, KbStates.edit_confirm))
    router.message.register(confirm_hint, StateFilter(KbStates.confirm, KbStates.import_confirm))
    router.callback_query.register(menu_button, KbNav.filter(F.to == "menu"))
    router.callback_query.register(ask_search, KbNav.filter(F.to == "search"))
    router.callback_query.register(show_categories, KbNav.filter(F.to == "categories"))
    router.callback_query.register(add_button, KbNav.filter(F.to == "add"))
    router.callback_query.register(show_trash, KbNav.filter(F.to == "trash"))
    router.callback_query.register(stats_button, KbNav.filter(F.to == "stats"))
    router.callback_query.register(show_category, KbCategory.filter())
    router.callback_query.register(open_entry, KbOpen.filter())
    router.callback_query.register(entry_action, KbAct.filter())
    router.callback_query.register(version_action, KbVersion.filter())
    router.callback_query.register(edit_field, KbField.filter())
    router.callback_query.register(add_pick_category, KbPickCategory.filter())
    router.callback_query.register(add_dialog_button, KbDialog.filter())
    return router
