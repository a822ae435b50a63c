"""/kb_export sends the knowledge base as YAML; an admin's uploaded YAML is validated as a
whole, summarised, and applied only after confirmation (nothing is ever half-applied)."""

from __future__ import annotations

import html
from datetime import date
from io import BytesIO
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.common import stale_button
from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import KbStates, apply_change, dialog, end_dialog, set_dialog
from bot.handlers.kb_admin.ui import KbImport, KbNav, import_keyboard
from bot.services import kb_admin
from bot.services.knowledge import export_items
from knowledge_base.loader import YAML_SUFFIXES, dump_items
from knowledge_base.schema import KbProblem

IMPORT_MODES = ("merge", "replace")
# Problems listed in one reply; the rest are counted.
MAX_LISTED_PROBLEMS = 40


class YamlDocument(Filter):
    """A document whose name says it is YAML."""

    async def __call__(self, message: Message) -> bool:
        name = (message.document.file_name or "") if message.document else ""
        return name.lower().endswith(YAML_SUFFIXES)


async def send_export(message: Message, ctx: Ctx) -> None:
    items = await export_items(ctx.session)
    document = BufferedInputFile(
        dump_items(items).encode("utf-8"), filename=f"kelisim-kb-{date.today().isoformat()}.yml"
    )
    await message.answer_document(
        document,
        caption=_(
            "The knowledge base: {count} entries. Edit the file and send it back to import it."
        ).format(count=len(items)),
    )


async def export_command(message: Message, ctx: Ctx) -> None:
    await send_export(message, ctx)


async def export_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await send_export(callback.message, ctx)


async def import_command(message: Message, ctx: Ctx) -> None:
    await set_dialog(ctx.state, KbStates.import_wait)
    await message.answer(
        _(
            "Send the knowledge base as a .yml file (the format /kb_export gives, up to 2 MB). "
            "I will check it, show what changes, and import it only when you confirm."
        )
    )


async def upload(message: Message, ctx: Ctx) -> None:
    document = message.document
    if document is None:
        return
    name = document.file_name or "upload"
    if refusal := upload_refusal(name, document.file_size or 0):
        await message.answer(refusal)
        return
    buffer = BytesIO()
    await ctx.bot.download(document, destination=buffer)
    check = kb_admin.check_upload(buffer.getvalue(), name)
    if check.problems:
        await end_dialog(ctx.state)
        await message.answer(problems_text(check.problems))
        return
    merge, replace = await kb_admin.preview_import(ctx.session, check.items)
    items = [item.to_dict() | {"published": item.published} for item in check.items]
    await set_dialog(ctx.state, KbStates.import_confirm, source=name, items=items)
    await message.answer(
        _(
            "«{name}» is valid: {count} entries.\n"
            "➕ new: {added}\n✏️ changed: {changed}\n▫️ unchanged: {unchanged}\n"
            "In replace mode, also deleted (restorable for 30 days): {removed}\n\n"
            "Nothing has changed yet. Import it?"
        ).format(
            name=html.escape(name),
            count=len(check.items),
            added=merge.added,
            changed=merge.changed,
            unchanged=merge.unchanged,
            removed=replace.removed,
        ),
        reply_markup=import_keyboard(replace.removed),
    )


def upload_refusal(name: str, size: int) -> str | None:
    """Why an uploaded file is not even read, if it is not."""
    if not name.lower().endswith(YAML_SUFFIXES):
        return _(
            "«{name}» is not a YAML file. Send the knowledge base as a .yml file, in the "
            "format /kb_export gives."
        ).format(name=html.escape(name))
    if size > kb_admin.MAX_UPLOAD_BYTES:
        return _("The file is larger than 2 MB, so it was not imported. Nothing changed.")
    return None


def problems_text(problems: list[KbProblem]) -> str:
    lines = [
        _("❌ The file was not imported; nothing changed. Problems found ({count}):").format(
            count=len(problems)
        )
    ]
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        where = problem.entry_id or problem.source
        lines.append(f"• <b>{html.escape(str(where))}</b>: {html.escape(problem.message)}")
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines.append(_("… and {count} more.").format(count=len(problems) - MAX_LISTED_PROBLEMS))
    lines.append(_("Fix them and send the whole file again."))
    text = "\n".join(lines)
    return text if len(text) <= 4000 else text[:3990].rsplit("\n", 1)[0] + "\n…"


async def _import_pressed(
    callback: CallbackQuery, ctx: Ctx
) -> tuple[Message, dict[str, Any]] | None:
    """The import the admin confirms or cancels, once (the dialog ends here)."""
    data = await dialog(ctx.state)
    message = callback.message
    if await ctx.state.get_state() != KbStates.import_confirm.state or not isinstance(
        message, Message
    ):
        await stale_button(callback)
        return None
    await callback.answer()
    await end_dialog(ctx.state)
    await message.edit_reply_markup(reply_markup=None)
    return message, data


async def cancel_import(callback: CallbackQuery, ctx: Ctx) -> None:
    if found := await _import_pressed(callback, ctx):
        await found[0].answer(_("Cancelled. Nothing was imported."))


async def confirm_import(callback: CallbackQuery, callback_data: KbImport, ctx: Ctx) -> None:
    if not (found := await _import_pressed(callback, ctx)):
        return
    message, data = found
    summary = await kb_admin.import_checked(
        ctx.session,
        list(data.get("items") or []),
        str(data.get("source")),
        replace=callback_data.act == "replace",
        author_id=ctx.user_id,
    )
    if isinstance(summary, list):
        await message.answer(problems_text(summary))
        return
    apply_change(ctx)
    await message.answer(
        _(
            "✅ Imported: {added} new, {changed} changed, {unchanged} unchanged, {removed} "
            "deleted. Students get the new answers now."
        ).format(
            added=summary.added,
            changed=summary.changed,
            unchanged=summary.unchanged,
            removed=summary.removed,
        )
    )


def create_router() -> Router:
    """Mounted under `bot.handlers.kb_admin.router`, which lets only admins in."""
    router = Router(name="kb_import")
    router.message.register(export_command, Command("kb_export"))
    router.message.register(import_command, Command("kb_import"))
    # Any document right after /kb_import; otherwise only files named .yml or .yaml, so that
    # an admin's other documents (say, in a consultation) are left to their journeys.
    router.message.register(upload, F.document, StateFilter(KbStates.import_wait))
    router.message.register(upload, F.document, YamlDocument())
    router.callback_query.register(export_button, KbNav.filter(F.to == "export"))
    router.callback_query.register(cancel_import, KbImport.filter(F.act == "cancel"))
    router.callback_query.register(confirm_import, KbImport.filter(F.act.in_(IMPORT_MODES)))
    router.callback_query.register(stale_button, KbImport.filter())
    return router
