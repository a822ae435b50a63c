"""Adding and editing a knowledge-base entry: one field at a time, each value checked and
previewed, nothing saved until the admin confirms."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.common import out_of_date, stale_button
from bot.handlers.context import Ctx
from bot.handlers.kb_admin.dialog import (
    ADD_STEPS,
    CLEARABLE_FIELDS,
    LIST_FIELDS,
    OPTIONAL_FIELDS,
    KbStates,
    apply_change,
    changed_meanwhile,
    dialog,
    end_dialog,
    entry_gone,
    html_problem_text,
    quote_cut,
    send_preview,
    set_dialog,
    show_entry,
)
from bot.handlers.kb_admin.ui import (
    KbDialog,
    KbField,
    KbPickCategory,
    dialog_keyboard,
    field_label,
    pick_category_keyboard,
)
from bot.handlers.kb_review import ui as provenance
from bot.services import kb_admin, kb_curation, kb_history
from bot.services.kb_admin import (
    MAX_CATEGORY_LENGTH,
    MAX_LINKS,
    MAX_PARAPHRASES,
    MAX_QUESTION_LENGTH,
    TELEGRAM_LIMIT,
    EntryChanged,
    EntryGone,
)
from knowledge_base.schema import MAX_ANSWER_LENGTH, FaqItem, is_slug

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


async def ask_step(message: Message, ctx: Ctx, data: dict[str, Any]) -> None:
    step = data["step"]
    await set_dialog(ctx.state, KbStates.add, **data)
    text = step_prompt(step)
    if step == "category":
        names = [name for name, _count in await kb_admin.categories(ctx.session)]
        data["categories"] = names
        await set_dialog(ctx.state, KbStates.add, **data)
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


async def start_add(message: Message, ctx: Ctx, prefill: dict[str, Any] | None = None) -> None:
    await end_dialog(ctx.state)
    await ask_step(message, ctx, {"step": "category", "draft": {}, "prefill": prefill})


async def add_button(callback: CallbackQuery, ctx: Ctx) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await start_add(callback.message, ctx)


async def take_step_value(message: Message, ctx: Ctx, value: Any) -> None:
    data = await dialog(ctx.state)
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
        await ask_step(message, ctx, data)
        return
    await set_dialog(ctx.state, KbStates.confirm, **data)
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


async def add_text(message: Message, ctx: Ctx) -> None:
    data = await dialog(ctx.state)
    step = data.get("step")
    if step not in ADD_STEPS:
        await end_dialog(ctx.state)
        return
    if await not_text(message) or not message.text:
        return
    value, error = parse_field(step, message.text)
    if error is not None:
        await message.answer(error)
        return
    await take_step_value(message, ctx, value)


async def add_pick_category(
    callback: CallbackQuery, callback_data: KbPickCategory, ctx: Ctx
) -> None:
    data = await dialog(ctx.state)
    names = data.get("categories") or []
    if data.get("step") != "category" or callback_data.index >= len(names):
        await stale_button(callback)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await take_step_value(callback.message, ctx, names[callback_data.index])


async def _dialog_message(callback: CallbackQuery) -> Message | None:
    """The message a dialog button is on; the press is answered."""
    await callback.answer()
    return callback.message if isinstance(callback.message, Message) else None


async def cancel_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _dialog_message(callback):
        await end_dialog(ctx.state)
        await message.answer(_("Cancelled. Nothing was saved."))


async def step_kept(callback: CallbackQuery, callback_data: KbDialog, ctx: Ctx) -> None:
    """«Skip» an optional step, or «keep» the students' words offered for it."""
    data = await dialog(ctx.state)
    step, prefill = data.get("step"), data.get("prefill") or {}
    if callback_data.act == "skip" and step in OPTIONAL_FIELDS:
        value: Any = []
    elif callback_data.act == "keep" and prefill.get("field") == step:
        value = prefill["text"]
    else:
        await stale_button(callback)
        return
    if message := await _dialog_message(callback):
        await take_step_value(message, ctx, value)


async def save_pressed(callback: CallbackQuery, callback_data: KbDialog, ctx: Ctx) -> None:
    """«Save» publishes the new entry, «draft» keeps it unpublished."""
    if not (message := await _dialog_message(callback)):
        return
    data = await dialog(ctx.state)
    draft = dict(data.get("draft") or {})
    draft["published"] = callback_data.act == "save"
    prefill = data.get("prefill") or {}
    entry = await kb_curation.add_entry(
        ctx.session, draft_item(draft), ctx.user_id, answering=int(prefill.get("row") or 0)
    )
    apply_change(ctx)
    await end_dialog(ctx.state)
    notice = (
        _("✅ Saved and published: students get this answer now.")
        if entry.item.published
        else _("📝 Saved, not published yet.")
    )
    await show_entry(message, entry, ctx.language, notice)


async def clear_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _dialog_message(callback):
        await take_edit_value(message, ctx, await dialog(ctx.state), [])


async def apply_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _dialog_message(callback):
        await save_edit(message, ctx, await dialog(ctx.state))


def register_dialog_buttons(router: Router) -> None:
    """Each dialog button in the step it belongs to; anything else is out of date."""
    buttons = router.callback_query
    buttons.register(cancel_pressed, KbDialog.filter(F.act == "cancel"))
    buttons.register(
        step_kept, KbDialog.filter(F.act.in_(("skip", "keep"))), StateFilter(KbStates.add)
    )
    buttons.register(
        save_pressed, KbDialog.filter(F.act.in_(("save", "draft"))), StateFilter(KbStates.confirm)
    )
    buttons.register(
        clear_pressed,
        KbDialog.filter(F.act.in_(("clear", "skip"))),
        StateFilter(KbStates.edit_value),
    )
    buttons.register(
        apply_pressed, KbDialog.filter(F.act == "apply"), StateFilter(KbStates.edit_confirm)
    )
    buttons.register(stale_button, KbDialog.filter())


# --- the edit dialog ---------------------------------------------------------------------------------


async def edit_field(callback: CallbackQuery, callback_data: KbField, ctx: Ctx) -> None:
    message = callback.message
    entry = await kb_admin.get_entry(ctx.session, callback_data.pk)
    if entry is None or entry.deleted or not isinstance(message, Message):
        await entry_gone(callback)
        return
    await callback.answer()
    if entry.version != callback_data.v:
        await changed_meanwhile(message, entry, ctx.language)
        return
    field = callback_data.field
    if field not in ADD_STEPS and field not in provenance.PROVENANCE_FIELDS:
        return
    await set_dialog(ctx.state, KbStates.edit_value, pk=entry.pk, v=entry.version, field=field)
    current = item_draft(entry.item)[field]
    shown = "\n".join(current) if isinstance(current, list) else str(current)
    text = _("<b>{field}</b> now:").format(field=field_label(field))
    text += "\n<code>" + (quote_cut(shown, 3000) or "—") + "</code>\n\n"
    text += _("Send the new text.")
    if field in LIST_FIELDS:
        text += " " + _("One per line.")
    acts = ("clear", "cancel") if field in CLEARABLE_FIELDS else ("cancel",)
    await message.answer(text, reply_markup=dialog_keyboard(*acts))


async def edit_text(message: Message, ctx: Ctx) -> None:
    data = await dialog(ctx.state)
    if await not_text(message) or not message.text:
        return
    value, error = parse_field(str(data.get("field")), message.text)
    if error is not None:
        await message.answer(error)
        return
    await take_edit_value(message, ctx, data, value)


async def take_edit_value(message: Message, ctx: Ctx, data: dict[str, Any], value: Any) -> None:
    entry = await kb_admin.get_entry(ctx.session, int(data["pk"]))
    if entry is None or entry.deleted:
        await end_dialog(ctx.state)
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
    await set_dialog(ctx.state, KbStates.edit_confirm, **data)
    await send_preview(message, item, field_languages(field))
    await message.answer(
        _("Save the new {field}?").format(field=field_label(field)),
        reply_markup=dialog_keyboard("apply", "cancel"),
    )


async def save_edit(message: Message, ctx: Ctx, data: dict[str, Any]) -> None:
    pk, expected, field = int(data["pk"]), int(data["v"]), str(data["field"])
    await end_dialog(ctx.state)
    entry = await kb_admin.get_entry(ctx.session, pk)
    if entry is None or entry.deleted:
        await message.answer(_("This entry no longer exists."))
        return
    draft = item_draft(entry.item)
    draft[field] = data.get("value")
    try:
        saved = await kb_admin.update_entry(
            ctx.session, pk, expected, draft_item(draft, entry.slug), ctx.user_id
        )
    except EntryChanged as error:
        await changed_meanwhile(message, error.current, ctx.language)
        return
    except EntryGone:
        await message.answer(_("This entry no longer exists."))
        return
    apply_change(ctx)
    await show_entry(message, saved, ctx.language, _("✅ Saved: students get the new version now."))
