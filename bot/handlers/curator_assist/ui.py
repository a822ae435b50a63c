"""Texts and buttons of curator assist, translated in the current locale."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.handlers.consultation.texts import case_number
from bot.handlers.texts import language_name
from bot.services.knowledge import Entry

# Button labels are cut here so that three of them stay readable on a phone.
_LABEL_CHARS = 60


class AssistSend(CallbackData, prefix="asend"):
    """Send entry `entry` (its pk) to the student of consultation `case`."""

    case: int
    entry: int


class AssistShow(CallbackData, prefix="ashow"):
    """Show (again) the entries closest to what the student of `case` wrote."""

    case: int


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def card_block(entries: Sequence[Entry], language: str) -> str:
    """The lines a new case's card ends with: the closest entries' questions."""
    if not entries:
        return ""
    lines = ["", "", "<b>📚 " + _("Closest answers in the knowledge base") + "</b>"]
    lines += [
        f"{n}. {html.quote(_short(entry.question(language), 120))}"
        for n, entry in enumerate(entries, 1)
    ]
    return "\n".join(lines)


def assist_text(case: int, entries: Sequence[Entry], student_language: str) -> str:
    if not entries:
        return _(
            "📚 Nothing in the knowledge base is close to what the student of {case} wrote so far."
        ).format(case=case_number(case))
    return _(
        "📚 Knowledge-base answers closest to what the student of {case} wrote. A tap sends "
        "the answer to the student, in {language}:"
    ).format(case=case_number(case), language=language_name(student_language))


def assist_keyboard(case: int, entries: Sequence[Entry], language: str) -> InlineKeyboardMarkup:
    """One "send" button per entry (its question in the curator's language), then refresh."""
    builder = InlineKeyboardBuilder()
    for n, entry in enumerate(entries, 1):
        builder.button(
            text=f"📤 {n}. {_short(entry.question(language), _LABEL_CHARS)}",
            callback_data=AssistSend(case=case, entry=entry.pk),
        )
    builder.button(text=_("🔄 Look again"), callback_data=AssistShow(case=case))
    builder.adjust(1)
    return builder.as_markup()


def assist_button_label() -> str:
    """The button on the curator's reply screen that shows the suggestions."""
    return _("📚 Answers from the knowledge base")


def sent_notice(entry: Entry, language: str) -> str:
    return _("Sent to the student: {question}").format(
        question=_short(entry.question(language), 150)
    )


def entry_gone() -> str:
    return _("This answer is no longer published. Tap «Look again» for the current ones.")


def answer_for_student(header: str, entry: Entry, language: str) -> str:
    """The entry as the student reads it from their curator: the question, the answer, links."""
    text = f"{header}\n\n<b>{html.quote(entry.question(language))}</b>\n\n{entry.answer(language)}"
    if entry.item.links:
        text += "\n\n" + "\n".join(html.quote(link) for link in entry.item.links)
    return text[:4096]


def assist_stats_block(sends: Sequence[tuple[str, int]], limit: int = 10) -> str:
    """For /stats: the entries curators sent most (slug and count), or nothing."""
    if not sends:
        return ""
    lines = ["", "", "<b>📚 " + _("Knowledge-base answers curators sent") + "</b>"]
    lines += [f"<code>{html.quote(slug)}</code>: {count}" for slug, count in sends[:limit]]
    return "\n".join(lines)


def current_language() -> str:
    """The language of the update (or of the effect recorded during it)."""
    return get_i18n().current_locale


def not_delivered(blocked: bool) -> str:
    if blocked:
        return _("⚠️ Not delivered: the student has blocked the bot.")
    return _("⚠️ Not delivered, Telegram refused it. Please try again.")
