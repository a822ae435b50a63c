"""Buttons of the admins' knowledge-base tools and their typed callback data."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.kb_review.ui import field_label as provenance_label
from bot.services.kb_admin import AdminEntry
from bot.services.kb_history import FIELDS
from bot.services.unanswered import QuestionGroup


class KbNav(CallbackData, prefix="kbn"):
    """Menu destinations: menu, search, categories, add, trash, stats, unanswered, export."""

    to: str


class KbCategory(CallbackData, prefix="kbc"):
    index: int  # in the sorted list of categories (slugs may be too long for callback data)


class KbOpen(CallbackData, prefix="kbo"):
    pk: int


class KbAct(CallbackData, prefix="kba"):
    """An action on an entry the admin saw at version `v`."""

    pk: int
    v: int
    act: str  # edit, publish, unpublish, delete, confirm_delete, history, preview, undelete


class KbField(CallbackData, prefix="kbf"):
    pk: int
    v: int
    field: str


class KbVersion(CallbackData, prefix="kbv"):
    pk: int
    ver: int
    act: str  # show, restore


class KbDialog(CallbackData, prefix="kbd"):
    act: str  # skip, keep, clear, save, draft, cancel


class KbPickCategory(CallbackData, prefix="kbpc"):
    index: int


class KbImport(CallbackData, prefix="kbi"):
    act: str  # merge, replace, cancel


class KbQuestion(CallbackData, prefix="kbq"):
    row: int
    act: str  # new, attach, dismiss


class KbAttach(CallbackData, prefix="kbqa"):
    row: int
    pk: int


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    KbNav,
    KbCategory,
    KbOpen,
    KbAct,
    KbField,
    KbVersion,
    KbDialog,
    KbPickCategory,
    KbImport,
    KbQuestion,
    KbAttach,
)


def short(text: str, limit: int = 60) -> str:
    """A button label: Telegram shows about this much."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def field_label(field: str) -> str:
    labels = {
        "category": _("Category"),
        "question_kk": _("Question (kk)"),
        "question_ru": _("Question (ru)"),
        "alternatives_kk": _("Paraphrases (kk)"),
        "alternatives_ru": _("Paraphrases (ru)"),
        "answer_kk": _("Answer (kk)"),
        "answer_ru": _("Answer (ru)"),
        "links": _("Links"),
        "published": _("Published"),
    }
    return labels.get(field) or provenance_label(field) or field


def kb_menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    items = [
        ("search", _("🔎 Search")),
        ("categories", _("🗂 Categories")),
        ("add", _("➕ Add an entry")),
        ("unanswered", _("❔ Unanswered questions")),
        ("stats", _("📊 Statistics")),
        ("trash", _("🗑 Deleted entries")),
        ("export", _("📤 Export YAML")),
        ("lexicon", _("📖 Lexicon")),
    ]
    for to, label in items:
        builder.button(text=label, callback_data=KbNav(to=to))
    builder.adjust(2)
    return builder.as_markup()


def entry_list_keyboard(entries: Iterable[AdminEntry], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in entries:
        mark = "🗑 " if entry.deleted else ("" if entry.item.published else "🚫 ")
        builder.button(
            text=short(mark + entry.item.question[language]), callback_data=KbOpen(pk=entry.pk)
        )
    builder.button(text=_("⬅️ Menu"), callback_data=KbNav(to="menu"))
    builder.adjust(1)
    return builder.as_markup()


def categories_keyboard(categories: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, (name, count) in enumerate(categories):
        builder.button(text=f"{name} ({count})", callback_data=KbCategory(index=index))
    builder.button(text=_("⬅️ Menu"), callback_data=KbNav(to="menu"))
    builder.adjust(2)
    return builder.as_markup()


def entry_keyboard(entry: AdminEntry) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    pk, v = entry.pk, entry.version
    if entry.deleted:
        builder.button(text=_("♻️ Restore"), callback_data=KbAct(pk=pk, v=v, act="undelete"))
        builder.button(text=_("🕘 History"), callback_data=KbAct(pk=pk, v=v, act="history"))
        builder.button(text=_("⬅️ Menu"), callback_data=KbNav(to="menu"))
        builder.adjust(2)
        return builder.as_markup()
    builder.button(text=_("✏️ Edit"), callback_data=KbAct(pk=pk, v=v, act="edit"))
    builder.button(text=_("👁 Preview"), callback_data=KbAct(pk=pk, v=v, act="preview"))
    if entry.item.published:
        builder.button(text=_("🚫 Unpublish"), callback_data=KbAct(pk=pk, v=v, act="unpublish"))
    else:
        builder.button(text=_("✅ Publish"), callback_data=KbAct(pk=pk, v=v, act="publish"))
    builder.button(text=_("🗑 Delete"), callback_data=KbAct(pk=pk, v=v, act="delete"))
    builder.button(text=_("🕘 History"), callback_data=KbAct(pk=pk, v=v, act="history"))
    builder.button(text=_("⬅️ Menu"), callback_data=KbNav(to="menu"))
    builder.adjust(2)
    return builder.as_markup()


def confirm_delete_keyboard(entry: AdminEntry) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🗑 Yes, delete"),
        callback_data=KbAct(pk=entry.pk, v=entry.version, act="confirm_delete"),
    )
    builder.button(text=_("Cancel"), callback_data=KbOpen(pk=entry.pk))
    builder.adjust(2)
    return builder.as_markup()


def fields_keyboard(entry: AdminEntry) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in FIELDS:
        if field == "published":
            continue
        builder.button(
            text=field_label(field),
            callback_data=KbField(pk=entry.pk, v=entry.version, field=field),
        )
    builder.button(text=_("⬅️ Back"), callback_data=KbOpen(pk=entry.pk))
    builder.adjust(2)
    return builder.as_markup()


def history_keyboard(pk: int, versions: Iterable[int], current: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for version in versions:
        if version != current:
            builder.button(
                text=_("v{version}: show").format(version=version),
                callback_data=KbVersion(pk=pk, ver=version, act="show"),
            )
    builder.button(text=_("⬅️ Back"), callback_data=KbOpen(pk=pk))
    builder.adjust(3)
    return builder.as_markup()


def version_keyboard(pk: int, version: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("♻️ Restore this version"), callback_data=KbVersion(pk=pk, ver=version, act="restore")
    )
    builder.button(text=_("⬅️ Back"), callback_data=KbOpen(pk=pk))
    builder.adjust(1)
    return builder.as_markup()


def dialog_keyboard(*acts: str) -> InlineKeyboardMarkup:
    labels = {
        "skip": _("⏭ Skip"),
        "keep": _("✅ Use this text"),
        "clear": _("🧹 Clear"),
        "save": _("💾 Save and publish"),
        "draft": _("📝 Save unpublished"),
        "apply": _("💾 Save"),
        "cancel": _("✖️ Cancel"),
    }
    builder = InlineKeyboardBuilder()
    for act in acts:
        builder.button(text=labels[act], callback_data=KbDialog(act=act))
    builder.adjust(2)
    return builder.as_markup()


def pick_category_keyboard(categories: list[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(categories):
        builder.button(text=name, callback_data=KbPickCategory(index=index))
    builder.button(text=_("✖️ Cancel"), callback_data=KbDialog(act="cancel"))
    builder.adjust(3)
    return builder.as_markup()


def import_keyboard(removed: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Apply: add and update"), callback_data=KbImport(act="merge"))
    builder.button(
        text=_("♻️ Replace: also delete {count} not in the file").format(count=removed),
        callback_data=KbImport(act="replace"),
    )
    builder.button(text=_("✖️ Cancel"), callback_data=KbImport(act="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def question_group_keyboard(group: QuestionGroup) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ New entry"), callback_data=KbQuestion(row=group.row_id, act="new"))
    builder.button(
        text=_("🔗 Add to an entry"), callback_data=KbQuestion(row=group.row_id, act="attach")
    )
    builder.button(text=_("✖️ Dismiss"), callback_data=KbQuestion(row=group.row_id, act="dismiss"))
    builder.adjust(3)
    return builder.as_markup()


def attach_keyboard(row: int, entries: Iterable[AdminEntry], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in entries:
        builder.button(
            text=short(entry.item.question[language]), callback_data=KbAttach(row=row, pk=entry.pk)
        )
    builder.button(text=_("✖️ Cancel"), callback_data=KbDialog(act="cancel"))
    builder.adjust(1)
    return builder.as_markup()
