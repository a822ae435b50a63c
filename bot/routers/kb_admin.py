"""Admins run the knowledge base from Telegram: /kb (search, browse, view, add, edit, publish,
delete, history and restore) and /kb_stats. Everyone else is refused in their language.

Dialogs keep their draft in FSM data and save nothing until the admin confirms; a dialog left
alone for `DIALOG_TIMEOUT` seconds is discarded at the admin's next message or button.
"""

from __future__ import annotations

import html
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ALMATY
from bot.db.unit_of_work import after_commit
from bot.handlers.common import out_of_date, stale_button
from bot.handlers.kb_review import ui as provenance
from bot.journeys import render_entry
from bot.kb_admin_keyboards import (
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
    entry_keyboard,
    entry_list_keyboard,
    field_label,
    fields_keyboard,
    history_keyboard,
    kb_menu_keyboard,
    pick_category_keyboard,
    version_keyboard,
)
from bot.services import kb_admin, kb_history, unanswered
from bot.services.kb_admin import (
    MAX_CATEGORY_LENGTH,
    MAX_LINKS,
    MAX_PARAPHRASES,
    MAX_QUESTION_LENGTH,
    RESTORE_DAYS,
    TELEGRAM_LIMIT,
    AdminEntry,
    EntryChanged,
    EntryGone,
    HtmlProblem,
)
from bot.services.knowledge import Entry, KnowledgeBase
from knowledge_base.schema import MAX_ANSWER_LENGTH, FaqItem, is_slug

# An unfinished dialog is dropped after this many seconds without a message or a button.
DIALOG_TIMEOUT = 30 * 60
DATA_KEY = "kb"
ADD_STEPS = (
    "category",
    "question_kk",
    "question_ru",
    "alternatives_kk",
    "alternatives_ru",
    "answer_kk",
    "answer_ru",
    "links",
)
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


async def apply_change(
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Reload the search index once the change commits, so students get it with their next
    question (other replicas notice the revision counter)."""
    after_commit(session, lambda: kb.reload(session_factory))


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


async def show_entry(message: Message, entry: AdminEntry, language: str, title: str = "") -> None:
    await message.answer(
        entry_card(entry, language, title=title or None),
        reply_markup=entry_keyboard(entry),
        disable_web_page_preview=True,
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


async def changed_meanwhile(message: Message, current: AdminEntry, language: str) -> None:
    await message.answer(
        _(
            "⚠️ Another admin changed this entry while you were working on it (it is now "
            "version {version}). Nothing was saved. Here is the current version:"
        ).format(version=current.version)
    )
    await show_entry(message, current, language)


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


# --- field input ---------------------------------------------------------------------------------


def parse_field(field: str, text: str) -> tuple[Any, str | None]:
    """The value an admin typed for `field`, or an error message to show them."""
    text = text.strip()
    if field in provenance.PROVENANCE_FIELDS:
        return provenance.parse_field(field, text)
    if field == "category":
        slug = "-".join(text.lower().replace("_", "-").split())
        if not is_slug(slug) or len(slug) > MAX_CATEGORY_LENGTH:
            return None, _(
                "A category is one short word of Latin letters, digits and hyphens, "
                "e.g. <code>university</code>. Try again."
            )
        return slug, None
    if field.startswith("question_"):
        if not text:
            return None, _("The question is empty. Write it in words.")
        if len(text) > MAX_QUESTION_LENGTH:
            return None, _(
                "The question is {length} characters long; keep it under {limit}."
            ).format(length=len(text), limit=MAX_QUESTION_LENGTH)
        return text, None
    if field.startswith("alternatives_"):
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_PARAPHRASES or any(len(line) > MAX_QUESTION_LENGTH for line in lines):
            return None, _(
                "Up to {count} paraphrases, one per line, each under {limit} characters."
            ).format(count=MAX_PARAPHRASES, limit=MAX_QUESTION_LENGTH)
        return lines, None
    if field.startswith("answer_"):
        if not text:
            return None, _("The answer is empty. Write it in words.")
        if len(text) > MAX_ANSWER_LENGTH:
            return None, _(
                "The answer is {length} characters long; a Telegram message allows about "
                "{limit}. Shorten it or put details behind a link."
            ).format(length=len(text), limit=MAX_ANSWER_LENGTH)
        cleaned, problem = kb_admin.clean_html(text)
        if problem is not None:
            return None, html_problem_text(problem) + "\n" + _(
                "Fix it and send the answer again. To show < or > as text, write &lt; or &gt;."
            )
        return cleaned, None
    if field == "links":
        links = [line.strip() for line in text.split() if line.strip()]
        bad = [link for link in links if not _is_web_url(link)]
        if bad or len(links) > MAX_LINKS:
            return None, _(
                "Links must start with http:// or https://, one per line, at most {count}."
            ).format(count=MAX_LINKS)
        return links, None
    return None, out_of_date()


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def draft_item(draft: dict[str, Any], slug: str = "") -> FaqItem:
    return FaqItem(
        id=slug,
        category=draft.get("category") or "general",
        question={"kk": draft.get("question_kk", ""), "ru": draft.get("question_ru", "")},
        answer={"kk": draft.get("answer_kk", ""), "ru": draft.get("answer_ru", "")},
        alternatives={
            lang: tuple(draft.get(f"alternatives_{lang}") or ())
            for lang in ("kk", "ru")
            if draft.get(f"alternatives_{lang}")
        },
        links=tuple(draft.get("links") or ()),
        published=bool(draft.get("published", True)),
        **provenance.from_draft(draft),
    )


def item_draft(item: FaqItem) -> dict[str, Any]:
    values = kb_history.field_values(item)
    draft = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    return draft | provenance.to_draft(item)


def too_long(item: FaqItem, languages: tuple[str, ...]) -> str | None:
    for lang in languages:
        if item.question.get(lang) and item.answer.get(lang):
            if kb_admin.rendered_length(item, lang) > TELEGRAM_LIMIT - 100:
                return _(
                    "With its question and links the answer would not fit in one Telegram "
                    "message ({limit} characters). Shorten it."
                ).format(limit=TELEGRAM_LIMIT)
    return None


def field_languages(field: str) -> tuple[str, ...]:
    if field.endswith("_kk"):
        return ("kk",)
    if field.endswith("_ru"):
        return ("ru",)
    return ("kk", "ru")


# --- the add dialog ----------------------------------------------------------------------------------


def step_prompt(step: str) -> str:
    prompts = {
        "category": _(
            "New entry, step 1 of 8: the category. Choose one or write a new one "
            "(Latin letters, e.g. <code>university</code>)."
        ),
        "question_kk": _("Step 2 of 8: the question in Kazakh, as students would ask it."),
        "question_ru": _("Step 3 of 8: the question in Russian."),
        "alternatives_kk": _(
            "Step 4 of 8: other ways students ask it in Kazakh, one per line — also without "
            "Kazakh letters or in Latin script. Search uses them. Or skip."
        ),
        "alternatives_ru": _(
            "Step 5 of 8: other ways to ask it in Russian, one per line. Or skip."
        ),
        "answer_kk": _(
            "Step 6 of 8: the answer in Kazakh. You may use <b>bold</b> and <i>italic</i> "
            "(Telegram HTML)."
        ),
        "answer_ru": _("Step 7 of 8: the answer in Russian."),
        "links": _("Step 8 of 8: useful links (https://...), one per line. Or skip."),
    }
    return prompts[step]


async def ask_step(
    message: Message, state: FSMContext, session: AsyncSession, data: dict[str, Any]
) -> None:
    step = data["step"]
    await set_dialog(state, KbStates.add, **data)
    text = step_prompt(step)
    if step == "category":
        names = [name for name, _count in await kb_admin.categories(session)]
        data["categories"] = names
        await set_dialog(state, KbStates.add, **data)
        await message.answer(text, reply_markup=pick_category_keyboard(names))
        return
    acts: list[str] = []
    prefill = data.get("prefill") or {}
    if prefill.get("field") == step:
        text += "\n\n" + _("From the students' question: «{text}»").format(
            text=html.escape(prefill["text"])
        )
        acts.append("keep")
    if step in OPTIONAL_FIELDS:
        acts.append("skip")
    acts.append("cancel")
    await message.answer(text, reply_markup=dialog_keyboard(*acts))


async def start_add(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    prefill: dict[str, Any] | None = None,
) -> None:
    await end_dialog(state)
    await ask_step(message, state, session, {"step": "category", "draft": {}, "prefill": prefill})


async def add_button(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await start_add(callback.message, state, session)


async def take_step_value(
    message: Message, state: FSMContext, session: AsyncSession, value: Any
) -> None:
    data = await dialog(state)
    step = data["step"]
    draft = dict(data.get("draft") or {})
    draft[step] = value
    if step.startswith("answer_") or step == "links":
        problem = too_long(draft_item(draft), field_languages(step))
        if problem is not None:
            await message.answer(problem)
            return
    data["draft"] = draft
    following = ADD_STEPS.index(step) + 1
    if following < len(ADD_STEPS):
        data["step"] = ADD_STEPS[following]
        await ask_step(message, state, session, data)
        return
    await set_dialog(state, KbStates.confirm, **data)
    item = draft_item(draft)
    await send_preview(message, item, ("kk", "ru"))
    await message.answer(
        _("This is how students will see the entry. Save it?"),
        reply_markup=dialog_keyboard("save", "draft", "cancel"),
    )


async def not_text(message: Message) -> bool:
    """Tell the admin what the dialog expects when the message is not usable text."""
    if not message.text:
        await message.answer(_("Please send text."))
        return True
    if message.text.startswith("/"):
        await message.answer(_("You are in the middle of a dialog: send the text, or /cancel."))
        return True
    return False


async def add_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await dialog(state)
    step = data.get("step")
    if step not in ADD_STEPS:
        await end_dialog(state)
        return
    if await not_text(message) or not message.text:
        return
    value, error = parse_field(step, message.text)
    if error is not None:
        await message.answer(error)
        return
    await take_step_value(message, state, session, value)


async def add_pick_category(
    callback: CallbackQuery,
    callback_data: KbPickCategory,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    data = await dialog(state)
    names = data.get("categories") or []
    if data.get("step") != "category" or callback_data.index >= len(names):
        await stale_button(callback)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await take_step_value(callback.message, state, session, names[callback_data.index])


async def add_dialog_button(
    callback: CallbackQuery,
    callback_data: KbDialog,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    language: str,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    data = await dialog(state)
    current = await state.get_state()
    act = callback_data.act
    if act == "cancel":
        await callback.answer()
        await end_dialog(state)
        await message.answer(_("Cancelled. Nothing was saved."))
        return
    if current == KbStates.add.state and act in ("skip", "keep"):
        step = data.get("step")
        prefill = data.get("prefill") or {}
        if act == "skip" and step in OPTIONAL_FIELDS:
            await callback.answer()
            await take_step_value(message, state, session, [])
            return
        if act == "keep" and prefill.get("field") == step:
            await callback.answer()
            await take_step_value(message, state, session, prefill["text"])
            return
    if current == KbStates.confirm.state and act in ("save", "draft"):
        await callback.answer()
        draft = dict(data.get("draft") or {})
        draft["published"] = act == "save"
        item = draft_item(draft)
        entry = await kb_admin.create_entry(session, item, callback.from_user.id)
        prefill = data.get("prefill") or {}
        if prefill.get("row"):
            group = await unanswered.find_group(session, int(prefill["row"]))
            if group is not None:
                await unanswered.resolve_group(session, group, unanswered.ADDED)
        await apply_change(session, kb, session_factory)
        await end_dialog(state)
        notice = (
            _("✅ Saved and published: students get this answer now.")
            if entry.item.published
            else _("📝 Saved, not published yet.")
        )
        await show_entry(message, entry, language, notice)
        return
    if current == KbStates.edit_value.state and act in ("clear", "skip"):
        await callback.answer()
        await take_edit_value(message, state, session, data, [])
        return
    if current == KbStates.edit_confirm.state and act == "apply":
        await callback.answer()
        await save_edit(message, state, session, kb, session_factory, data, callback, language)
        return
    await stale_button(callback)


# --- the edit dialog ---------------------------------------------------------------------------------


async def edit_field(
    callback: CallbackQuery,
    callback_data: KbField,
    state: FSMContext,
    session: AsyncSession,
    language: str,
) -> None:
    message = callback.message
    entry = await kb_admin.get_entry(session, callback_data.pk)
    if entry is None or entry.deleted or not isinstance(message, Message):
        await callback.answer(_("This entry no longer exists."), show_alert=True)
        return
    await callback.answer()
    if entry.version != callback_data.v:
        await changed_meanwhile(message, entry, language)
        return
    field = callback_data.field
    if field not in ADD_STEPS and field not in provenance.PROVENANCE_FIELDS:
        return
    await set_dialog(state, KbStates.edit_value, pk=entry.pk, v=entry.version, field=field)
    current = item_draft(entry.item)[field]
    shown = "\n".join(current) if isinstance(current, list) else str(current)
    text = _("<b>{field}</b> now:").format(field=field_label(field))
    text += "\n<code>" + (quote_cut(shown, 3000) or "—") + "</code>\n\n"
    text += _("Send the new text.")
    if field in LIST_FIELDS:
        text += " " + _("One per line.")
    acts = ("clear", "cancel") if field in CLEARABLE_FIELDS else ("cancel",)
    await message.answer(text, reply_markup=dialog_keyboard(*acts))


async def edit_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await dialog(state)
    if await not_text(message) or not message.text:
        return
    value, error = parse_field(str(data.get("field")), message.text)
    if error is not None:
        await message.answer(error)
        return
    await take_edit_value(message, state, session, data, value)


async def take_edit_value(
    message: Message, state: FSMContext, session: AsyncSession, data: dict[str, Any], value: Any
) -> None:
    entry = await kb_admin.get_entry(session, int(data["pk"]))
    if entry is None or entry.deleted:
        await end_dialog(state)
        await message.answer(_("This entry no longer exists."))
        return
    field = str(data["field"])
    draft = item_draft(entry.item)
    draft[field] = value
    item = draft_item(draft, entry.slug)
    problem = too_long(item, field_languages(field))
    if problem is not None:
        await message.answer(problem)
        return
    data["value"] = value
    await set_dialog(state, KbStates.edit_confirm, **data)
    await send_preview(message, item, field_languages(field))
    await message.answer(
        _("Save the new {field}?").format(field=field_label(field)),
        reply_markup=dialog_keyboard("apply", "cancel"),
    )


async def save_edit(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    data: dict[str, Any],
    callback: CallbackQuery,
    language: str,
) -> None:
    pk, expected, field = int(data["pk"]), int(data["v"]), str(data["field"])
    await end_dialog(state)
    entry = await kb_admin.get_entry(session, pk)
    if entry is None or entry.deleted:
        await message.answer(_("This entry no longer exists."))
        return
    draft = item_draft(entry.item)
    draft[field] = data.get("value")
    try:
        saved = await kb_admin.update_entry(
            session, pk, expected, draft_item(draft, entry.slug), callback.from_user.id
        )
    except EntryChanged as error:
        await changed_meanwhile(message, error.current, language)
        return
    except EntryGone:
        await message.answer(_("This entry no longer exists."))
        return
    await apply_change(session, kb, session_factory)
    await show_entry(message, saved, language, _("✅ Saved: students get the new version now."))


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
    """Mounted under `bot.routers.kb`, which lets only admins in."""
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
