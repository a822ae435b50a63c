"""Inline keyboards; labels are translated at call time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.callbacks import (
    ConsentChoice,
    DeleteData,
    LanguageChoice,
    MenuItem,
    ShowEntry,
    Vote,
)

LANGUAGE_LABELS = {"kk": "🇰🇿 Қазақша", "ru": "🇷🇺 Русский"}


def language_keyboard(preferred: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in sorted(LANGUAGE_LABELS, key=lambda c: c != preferred):
        label = LANGUAGE_LABELS[code] + (" ✓" if code == preferred else "")
        builder.button(text=label, callback_data=LanguageChoice(code=code))
    builder.adjust(2)
    return builder.as_markup()


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=ConsentChoice(accept=True))
    builder.button(text=_("✖️ Not now"), callback_data=ConsentChoice(accept=False))
    builder.adjust(2)
    return builder.as_markup()


def menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    items = [
        ("ask", _("❓ Ask a question")),
        ("consult", _("🧑‍🏫 Contact a curator")),
        ("incident", _("🚨 Report discrimination")),
        ("events", _("📅 Events")),
        ("learn", _("📚 Learning materials")),
        ("requests", _("🗂 My requests")),
        ("language", _("🌐 Language")),
        ("privacy", _("🔒 My data")),
    ]
    for item, label in items:
        builder.button(text=label, callback_data=MenuItem(item=item))
    builder.adjust(2)
    return builder.as_markup()


def answer_keyboard(entry_pk: int, ref: str = "") -> InlineKeyboardMarkup:
    """«Was this helpful?» under an answer; `ref` ties a 👎 to the question it answered.

    Without a question (an entry opened from a list) it is the same for everyone, so cached."""
    if ref:
        return _build_answer_keyboard(entry_pk, get_i18n().current_locale, ref)
    return _answer_keyboard(entry_pk, get_i18n().current_locale)


@lru_cache(maxsize=4096)
def _answer_keyboard(entry_pk: int, locale: str) -> InlineKeyboardMarkup:
    return _build_answer_keyboard(entry_pk, locale, "")


def _build_answer_keyboard(entry_pk: int, locale: str, ref: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("👍 Helpful", locale=locale),
                    callback_data=Vote(pk=entry_pk, helpful=True, ref=ref).pack(),
                ),
                InlineKeyboardButton(
                    text=_("👎 Not helpful", locale=locale),
                    callback_data=Vote(pk=entry_pk, helpful=False, ref=ref).pack(),
                ),
            ]
        ]
    )


def suggestions_keyboard(
    choices: Iterable[tuple[int, str]], *, offer_curator: bool = True, ref: str = ""
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for pk, question in choices:
        label = question if len(question) <= 60 else question[:57].rstrip() + "…"
        builder.button(text=label, callback_data=ShowEntry(pk=pk, ref=ref))
    if offer_curator:
        builder.button(text=_("🧑‍🏫 Ask a curator"), callback_data=MenuItem(item="consult"))
    builder.adjust(1)
    return builder.as_markup()


def curator_offer_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🧑‍🏫 Contact a curator"), callback_data=MenuItem(item="consult"))
    return builder.as_markup()


def delete_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Yes, delete my data"), callback_data=DeleteData(confirm=True))
    builder.button(text=_("Cancel"), callback_data=DeleteData(confirm=False))
    builder.adjust(1)
    return builder.as_markup()


def privacy_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Delete my data"), callback_data=MenuItem(item="delete"))
    return builder.as_markup()


def spoken_languages_keyboard(data: Callable[[str], CallbackData]) -> InlineKeyboardMarkup:
    """Which languages someone speaks (a buddy, a group): `data(value)` is each button's
    callback data, value one of "kk", "ru", "kk,ru", "kk,ru,en"."""
    builder = InlineKeyboardBuilder()
    for value, label in (
        ("kk", _("In Kazakh")),
        ("ru", _("In Russian")),
        ("kk,ru", _("Kazakh and Russian")),
        ("kk,ru,en", _("Kazakh, Russian and English")),
    ):
        builder.button(text=label, callback_data=data(value))
    builder.adjust(2)
    return builder.as_markup()
