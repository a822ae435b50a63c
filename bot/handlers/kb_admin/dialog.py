"""The admins' knowledge-base dialogs share this: their states and FSM data, how an entry
and its versions are shown, and applying a change once it commits."""

from __future__ import annotations

import html
import time
from datetime import datetime, timedelta
from typing import Any

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from bot.clock import ALMATY
from bot.db.unit_of_work import after_commit
from bot.handlers.context import Ctx
from bot.handlers.entry_points import render_entry
from bot.handlers.kb_admin.ui import entry_keyboard, fields_keyboard
from bot.handlers.kb_review import ui as provenance
from bot.services import kb_admin, kb_history
from bot.services.kb_admin import (
    RESTORE_DAYS,
    TELEGRAM_LIMIT,
    AdminEntry,
    HtmlProblem,
)
from bot.services.knowledge import Entry
from knowledge_base.schema import FaqItem

# An unfinished dialog is dropped after this many seconds without a message or a button.
DIALOG_TIMEOUT = 30 * 60
DATA_KEY = "kb"
# The add dialog asks the entry's fields in the order the edit dialog shows them, up to
# «published» (saving asks that).
ADD_STEPS = kb_history.FIELDS[: kb_history.FIELDS.index("published")]
OPTIONAL_FIELDS = ("alternatives_kk", "alternatives_ru", "links")
LIST_FIELDS = ("alternatives_kk", "alternatives_ru", "links", "tags")
# Fields that may be emptied with the «clear» button.
CLEARABLE_FIELDS = (*LIST_FIELDS, *provenance.PROVENANCE_FIELDS)


class KbStates(StatesGroup):
    search = State()
    add = State()  # FSM data "step" says which field is asked
    confirm = State()
    edit_value = State()
    edit_confirm = State()
    attach_search = State()
    import_confirm = State()
    import_wait = State()


# --- dialog data ---------------------------------------------------------------------------------


async def dialog(state: FSMContext) -> dict[str, Any]:
    data = (await state.get_data()).get(DATA_KEY)
    return dict(data) if isinstance(data, dict) else {}


async def set_dialog(state: FSMContext, new_state: State | None, **values: Any) -> None:
    """Store the dialog's data (other FSM keys, such as a pending language, are kept)."""
    values["touched"] = time.time()
    await state.update_data({DATA_KEY: values})
    await state.set_state(new_state)


async def end_dialog(state: FSMContext) -> None:
    """Forget the knowledge-base dialog; another journey's state is left alone."""
    await state.update_data({DATA_KEY: None})
    if await state.get_state() in KbStates.__all_states_names__:
        await state.set_state(None)


class DialogExpired(Filter):
    """The admin's dialog has been left alone longer than `DIALOG_TIMEOUT`."""

    async def __call__(self, event: object, state: FSMContext) -> bool:
        touched = (await dialog(state)).get("touched")
        return isinstance(touched, int | float) and time.time() - touched > DIALOG_TIMEOUT


async def expired(event: Message | CallbackQuery, state: FSMContext) -> None:
    await end_dialog(state)
    text = _(
        "Your unfinished knowledge-base dialog was closed after {minutes} minutes without "
        "activity. Nothing was saved. Send /kb to start again."
    ).format(minutes=DIALOG_TIMEOUT // 60)
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            await event.message.answer(text)
    else:
        await event.answer(text)


# --- rendering -----------------------------------------------------------------------------------


def when(moment: datetime, language: str) -> str:
    """A date and time in Almaty, the way the admin's language writes it."""
    return format_datetime(moment, "d MMM y, HH:mm", tzinfo=ALMATY, locale=language)


def quote_cut(text: str, budget: int) -> str:
    """`text` escaped for HTML and cut to `budget` characters (the cut marked with …)."""
    escaped = html.escape(text, quote=False)
    if len(escaped) <= budget:
        return escaped
    if budget < 2:
        return "…"
    cut = text[: max(budget - 1, 0)]
    while len(html.escape(cut, quote=False)) > budget - 1:
        # An escaped character takes up to five ("&amp;"): shrink by at least the overshoot / 5.
        cut = cut[: -max(1, (len(html.escape(cut, quote=False)) - budget + 1) // 5)]
    return html.escape(cut, quote=False) + "…"


def fit_lines(lines: list[str], limit: int = TELEGRAM_LIMIT - 50) -> str:
    """Whole lines up to what one message holds (cutting inside a tag would break the HTML)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > limit:
            kept.append("…")
            break
        kept.append(line)
    return "\n".join(kept)


def status_line(entry: AdminEntry, language: str) -> str:
    if entry.deleted_at is not None:
        until = entry.deleted_at + timedelta(days=RESTORE_DAYS)
        return _("🗑 Deleted {date}; can be restored until {until}.").format(
            date=when(entry.deleted_at, language), until=when(until, language)
        )
    if entry.item.published:
        return _("✅ Published: students see it.")
    return _("🚫 Not published: students do not see it.")


def entry_card(entry: AdminEntry, language: str, title: str | None = None) -> str:
    """Both languages one under the other; answers shown as written (HTML tags visible)."""
    item = entry.item
    head = [
        title or "",
        f"<b>{html.escape(item.id)}</b> · {html.escape(item.category)} · v{entry.version}",
        status_line(entry, language),
        _("Shown {shown} times · 👍 {helpful} · 👎 {not_helpful}").format(
            shown=entry.shown, helpful=entry.helpful, not_helpful=entry.not_helpful
        ),
        provenance.provenance_text(item, language),
    ]
    blocks = []
    for lang, flag in (("kk", "🇰🇿 <b>Қазақша</b>"), ("ru", "🇷🇺 <b>Русский</b>")):
        lines = [flag, "❓ " + html.escape(item.question[lang])]
        paraphrases = item.alternatives.get(lang, ())
        if paraphrases:
            lines.append("🔁 " + quote_cut(" | ".join(paraphrases), 600))
        blocks.append(lines)
    links = "🔗 " + "\n".join(html.escape(link) for link in item.links) if item.links else ""
    fixed = "\n".join(filter(None, head)) + "".join("\n".join(b) for b in blocks) + links
    budget = max((TELEGRAM_LIMIT - 100 - len(fixed)) // 2, 0)
    for lines, lang in zip(blocks, ("kk", "ru"), strict=True):
        lines.append("💬 " + quote_cut(item.answer[lang], budget))
    parts = ["\n".join(filter(None, head))] + ["\n".join(b) for b in blocks]
    if links:
        parts.append(links)
    return "\n\n".join(parts)


def version_card(version: kb_history.FaqEntryVersion, language: str) -> str:
    item = kb_history.item_from_data(version.data)
    entry = AdminEntry(
        pk=version.entry_pk, item=item, version=version.version, updated_at=version.created_at
    )
    title = _("Version {version} of {date}").format(
        version=version.version, date=when(version.created_at, language)
    )
    return entry_card(entry, language, title=f"<i>{title}</i>")


def action_name(action: str) -> str:
    names = {
        kb_history.CREATED: _("created"),
        kb_history.EDITED: _("edited"),
        kb_history.PUBLISHED: _("published"),
        kb_history.UNPUBLISHED: _("unpublished"),
        kb_history.DELETED: _("deleted"),
        kb_history.UNDELETED: _("restored after deletion"),
        kb_history.RESTORED: _("earlier version restored"),
        kb_history.IMPORTED: _("imported"),
        kb_history.REVIEWED: _("checked: still true"),
    }
    return names.get(action, action)


def author_name(author_id: int | None) -> str:
    return f"<code>{author_id}</code>" if author_id is not None else _("command line")


def html_problem_text(problem: HtmlProblem) -> str:
    messages = {
        "unsupported_tag": _(
            "Telegram does not support the tag <{tag}>. Allowed: <b>, <i>, <u>, <s>, "
            '<a href="...">, <code>, <pre>, <blockquote>.'
        ),
        "bad_attribute": _("The tag <{tag}> has an attribute Telegram does not accept."),
        "unclosed": _("The tag <{tag}> is opened but never closed."),
        "unexpected_close": _("The closing tag </{tag}> does not match an open tag."),
    }
    return html.escape(messages[problem.code].format(tag=problem.tag), quote=False)


async def send_preview(message: Message, item: FaqItem, languages: tuple[str, ...]) -> None:
    """How students will see the entry, one message per language."""
    titles = {"kk": _("👁 Preview in Kazakh:"), "ru": _("👁 Preview in Russian:")}
    for lang in languages:
        rendered = render_entry(Entry(0, item), lang)
        title = f"<i>{titles[lang]}</i>"
        if kb_admin.telegram_length(title + "\n\n" + rendered) <= TELEGRAM_LIMIT:
            await message.answer(title + "\n\n" + rendered, disable_web_page_preview=True)
        else:
            await message.answer(title)
            await message.answer(rendered, disable_web_page_preview=True)


def apply_change(ctx: Ctx) -> None:
    """Reload the search index once the change commits, so students get it with their next
    question (other replicas notice the revision counter)."""
    after_commit(ctx.session, lambda: ctx.kb.reload(ctx.session_factory))


async def ask_field(message: Message, entry: AdminEntry, language: str) -> None:
    """Which field of the entry to change (the buttons start the edit dialog)."""
    await message.answer(
        _("Which field of «{question}» do you want to change?").format(
            question=html.escape(entry.item.question[language])
        ),
        reply_markup=fields_keyboard(entry),
    )


async def entry_gone(callback: CallbackQuery) -> None:
    await callback.answer(_("This entry no longer exists."), show_alert=True)


async def show_entry(message: Message, entry: AdminEntry, language: str, title: str = "") -> None:
    await message.answer(
        entry_card(entry, language, title=title or None),
        reply_markup=entry_keyboard(entry),
        disable_web_page_preview=True,
    )


async def changed_meanwhile(message: Message, current: AdminEntry, language: str) -> None:
    await message.answer(
        _(
            "⚠️ Another admin changed this entry while you were working on it (it is now "
            "version {version}). Nothing was saved. Here is the current version:"
        ).format(version=current.version)
    )
    await show_entry(message, current, language)
