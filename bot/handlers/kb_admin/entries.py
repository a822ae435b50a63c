"""Admins run the knowledge base from Telegram: /kb (search, browse, view, add, edit, publish,
delete, history and restore) and /kb_stats. Everyone else is refused in their language.

Dialogs keep their draft in FSM data and save nothing until the admin confirms; a dialog left
alone for `DIALOG_TIMEOUT` seconds is discarded at the admin's next message or button.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter, or_f
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.common import stale_button
from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import (
    DialogExpired,
    KbStates,
    action_name,
    apply_change,
    ask_field,
    author_name,
    changed_meanwhile,
    end_dialog,
    entry_gone,
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
    add_pick_category,
    add_text,
    edit_field,
    edit_text,
    register_dialog_buttons,
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

# --- menu, search, browse, view -------------------------------------------------------------------


async def show_menu(message: Message) -> None:
    await message.answer(
        _(
            "<b>Knowledge base</b>\nSearch, browse and edit entries; changes reach students "
            "at once. Upload a .yml file to import. /kb_stats — statistics, /unanswered — "
            "questions without an answer, /kb_export — everything as YAML."
        ),
        reply_markup=kb_menu_keyboard(),
    )


async def kb_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    await end_dialog(ctx.state)
    if command.args and command.args.strip():
        await show_search_results(message, ctx, command.args.strip())
        return
    await show_menu(message)


async def menu_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    await end_dialog(ctx.state)
    if isinstance(callback.message, Message):
        await show_menu(callback.message)


async def ask_search(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    await set_dialog(ctx.state, KbStates.search)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Write words from the question or answer, or the entry's id."),
            reply_markup=dialog_keyboard("cancel"),
        )


async def search_text(message: Message, ctx: Ctx) -> None:
    await end_dialog(ctx.state)
    await show_search_results(message, ctx, (message.text or "").strip())


async def show_search_results(message: Message, ctx: Ctx, query: str) -> None:
    found = await kb_admin.search_entries(ctx.session, query[:300])
    if not found:
        await message.answer(
            _("Nothing found for «{query}». Try other words, or /kb for the menu.").format(
                query=html.escape(query[:100])
            )
        )
        return
    await message.answer(
        _("Found for «{query}»:").format(query=html.escape(query[:100])),
        reply_markup=entry_list_keyboard(found, ctx.language),
    )


async def show_categories(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    found = await kb_admin.categories(ctx.session)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Categories (entries in each):") if found else _("The knowledge base is empty."),
            reply_markup=categories_keyboard(found),
        )


async def show_category(callback: CallbackQuery, callback_data: KbCategory, ctx: Ctx) -> None:
    found = await kb_admin.category_at(ctx.session, callback_data.index)
    if found is None or not isinstance(callback.message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    name, entries = found
    await callback.message.answer(
        _("Category <b>{name}</b>: {count} entries. 🚫 — not published.").format(
            name=html.escape(name), count=len(entries)
        ),
        reply_markup=entry_list_keyboard(entries[:40], ctx.language),
    )


async def open_entry(callback: CallbackQuery, callback_data: KbOpen, ctx: Ctx) -> None:
    entry = await kb_admin.get_entry(ctx.session, callback_data.pk)
    if entry is None or not isinstance(callback.message, Message):
        await entry_gone(callback)
        return
    await callback.answer()
    await end_dialog(ctx.state)
    await show_entry(callback.message, entry, ctx.language)


async def show_trash(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    entries = await kb_admin.deleted_entries(ctx.session)
    if not isinstance(callback.message, Message):
        return
    if not entries:
        await callback.message.answer(_("No deleted entries."))
        return
    await callback.message.answer(
        _("Deleted entries; each can be restored for {days} days after deletion:").format(
            days=RESTORE_DAYS
        ),
        reply_markup=entry_list_keyboard(entries[:40], ctx.language),
    )


# --- entry actions ---------------------------------------------------------------------------------


async def _pressed_on(
    callback: CallbackQuery,
    callback_data: KbAct,
    ctx: Ctx,
    *,
    seen: bool = True,
    answer: bool = True,
) -> tuple[Message, AdminEntry] | None:
    """The entry a button acts on, with the message it is on; else says why not. With `seen`,
    the entry must still be the version the admin saw (else the current one is shown)."""
    entry = await kb_admin.get_entry(ctx.session, callback_data.pk)
    if entry is None or not isinstance(callback.message, Message):
        await entry_gone(callback)
        return None
    if seen and entry.version != callback_data.v:
        await callback.answer()
        await changed_meanwhile(callback.message, entry, ctx.language)
        return None
    if answer:
        await callback.answer()
    return callback.message, entry


async def history_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx, seen=False):
        await show_history(found[0], ctx, found[1])


async def undelete_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx, seen=False):
        restored = await kb_admin.undelete_entry(ctx.session, found[1].pk, ctx.user_id)
        apply_change(ctx)
        await show_entry(found[0], restored, ctx.language, _("♻️ Restored."))


async def preview_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx):
        await send_preview(found[0], found[1].item, ("kk", "ru"))


async def edit_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx):
        await end_dialog(ctx.state)
        await ask_field(found[0], found[1], ctx.language)


async def delete_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx):
        message, entry = found
        await message.answer(
            _(
                "Delete «{question}»? Students will no longer get it. You can restore it "
                "for {days} days from /kb → Deleted entries."
            ).format(question=html.escape(entry.item.question[ctx.language]), days=RESTORE_DAYS),
            reply_markup=confirm_delete_keyboard(entry),
        )


async def _change(
    callback: CallbackQuery, ctx: Ctx, change: Awaitable[AdminEntry], notice: str
) -> None:
    """Save a change to the entry shown with the button, or say why it was not saved."""
    assert isinstance(callback.message, Message)
    try:
        changed = await change
    except EntryChanged as error:
        await callback.answer()
        await changed_meanwhile(callback.message, error.current, ctx.language)
        return
    except EntryGone:
        await entry_gone(callback)
        return
    apply_change(ctx)
    await callback.answer()
    await show_entry(callback.message, changed, ctx.language, notice)


async def confirm_delete_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx, answer=False):
        entry = found[1]
        change = kb_admin.delete_entry(ctx.session, entry.pk, entry.version, ctx.user_id)
        await _change(callback, ctx, change, _("🗑 Deleted. Students no longer get this answer."))


async def publish_pressed(callback: CallbackQuery, callback_data: KbAct, ctx: Ctx) -> None:
    if found := await _pressed_on(callback, callback_data, ctx, answer=False):
        entry = found[1]
        publish = callback_data.act == "publish"
        change = kb_admin.set_published(ctx.session, entry.pk, entry.version, publish, ctx.user_id)
        notice = (
            _("✅ Published: students get this answer now.")
            if publish
            else _("🚫 Unpublished: students no longer get this answer.")
        )
        await _change(callback, ctx, change, notice)


async def show_history(message: Message, ctx: Ctx, entry: AdminEntry) -> None:
    versions = await kb_history.versions(ctx.session, entry.pk)
    lines = [_("<b>History of {id}</b> (newest first):").format(id=html.escape(entry.slug))]
    for version in versions[:20]:
        changed = ", ".join(field_label(f) for f in version.changed)
        lines.append(
            _("v{version} · {date} · {author} · {action}").format(
                version=version.version,
                date=when(version.created_at, ctx.language),
                author=author_name(version.author_id),
                action=action_name(version.action),
            )
            + (f": {html.escape(changed)}" if changed else "")
        )
    await message.answer(
        fit_lines(lines),
        reply_markup=history_keyboard(entry.pk, [v.version for v in versions[:12]], entry.version),
    )


async def _version_pressed(
    callback: CallbackQuery, callback_data: KbVersion, ctx: Ctx
) -> tuple[Message, kb_history.FaqEntryVersion] | None:
    version = await kb_history.get_version(ctx.session, callback_data.pk, callback_data.ver)
    if version is None or not isinstance(callback.message, Message):
        await entry_gone(callback)
        return None
    await callback.answer()
    return callback.message, version


async def show_version(callback: CallbackQuery, callback_data: KbVersion, ctx: Ctx) -> None:
    if found := await _version_pressed(callback, callback_data, ctx):
        await found[0].answer(
            version_card(found[1], ctx.language),
            reply_markup=version_keyboard(callback_data.pk, callback_data.ver),
            disable_web_page_preview=True,
        )


async def restore_version(callback: CallbackQuery, callback_data: KbVersion, ctx: Ctx) -> None:
    if found := await _version_pressed(callback, callback_data, ctx):
        restored = await kb_admin.restore_version(
            ctx.session, callback_data.pk, callback_data.ver, ctx.user_id
        )
        apply_change(ctx)
        await show_entry(
            found[0],
            restored,
            ctx.language,
            _("♻️ Version {version} restored as version {new}.").format(
                version=callback_data.ver, new=restored.version
            ),
        )


# --- statistics ---------------------------------------------------------------------------------------


async def show_stats(message: Message, ctx: Ctx) -> None:
    language = ctx.language
    stats = await kb_admin.kb_stats(ctx.session)
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


async def stats_command(message: Message, ctx: Ctx) -> None:
    await show_stats(message, ctx)


async def stats_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_stats(callback.message, ctx)


# --- router --------------------------------------------------------------------------------------------


async def confirm_hint(message: Message) -> None:
    await message.answer(_("Please use the buttons above to save or cancel, or send /cancel."))


async def cancel_command(message: Message, ctx: Ctx) -> None:
    await end_dialog(ctx.state)
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
    entry_actions: dict[Callable[..., Awaitable[None]], tuple[str, ...]] = {
        history_pressed: ("history",),
        undelete_pressed: ("undelete",),
        preview_pressed: ("preview",),
        edit_pressed: ("edit",),
        delete_pressed: ("delete",),
        confirm_delete_pressed: ("confirm_delete",),
        publish_pressed: ("publish", "unpublish"),
    }
    for handler, names in entry_actions.items():
        router.callback_query.register(handler, KbAct.filter(F.act.in_(names)))
    router.callback_query.register(stale_button, KbAct.filter())
    router.callback_query.register(show_version, KbVersion.filter(F.act == "show"))
    router.callback_query.register(restore_version, KbVersion.filter(F.act == "restore"))
    router.callback_query.register(stale_button, KbVersion.filter())
    router.callback_query.register(edit_field, KbField.filter())
    router.callback_query.register(add_pick_category, KbPickCategory.filter())
    register_dialog_buttons(router)
    return router
