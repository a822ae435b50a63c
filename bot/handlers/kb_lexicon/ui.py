"""Texts and keyboards of the lexicon tools in the admins' knowledge-base menu."""

from __future__ import annotations

import html

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.kb_admin.ui import KbNav
from bot.services import lexicon
from bot.services.lexicon import LexiconRefused
from knowledge_base.lexicon import ConceptGroup

# Shown in full up to this many words; longer groups are cut with "…".
_SHOWN_WORDS = 30


class LexiconAction(CallbackData, prefix="kblx"):
    """word: add a word to a group; group: a new group; export; cancel."""

    act: str


class LexiconStates(StatesGroup):
    group = State()  # which group a word goes to
    word = State()  # the word(s) for the chosen group
    new_group = State()  # the words of a new group


def menu_text(groups: int, words: int) -> str:
    return _(
        "📖 <b>Lexicon</b>: {groups} groups, {words} words.\n"
        "Words of one group are one word for the search, in both languages and every "
        "spelling (жатақхана · общежитие · общага). A change reaches students within seconds."
    ).format(groups=groups, words=words)


def menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Add a word to a group"), callback_data=LexiconAction(act="word"))
    builder.button(text=_("🆕 New group"), callback_data=LexiconAction(act="group"))
    builder.button(text=_("📤 Export YAML"), callback_data=LexiconAction(act="export"))
    builder.button(text=_("⬅️ Menu"), callback_data=KbNav(to="menu"))
    builder.adjust(1)
    return builder.as_markup()


def cancel_keyboard(*, offer_new_group: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if offer_new_group:
        builder.button(text=_("🆕 New group"), callback_data=LexiconAction(act="group"))
    builder.button(text=_("✖️ Cancel"), callback_data=LexiconAction(act="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def words_text(group: ConceptGroup) -> str:
    words = " · ".join(html.escape(w) for w in group.words[:_SHOWN_WORDS])
    if len(group.words) > _SHOWN_WORDS:
        words += " · …"
    return words


def ask_group() -> str:
    return _("Which group? Write a word that is already in it, or the group's id.")


def no_such_group(text: str) -> str:
    return _(
        "No group has «{word}». Write another word of the group, or create a new group."
    ).format(word=html.escape(text[:100]))


def ask_word(group: ConceptGroup) -> str:
    return _(
        "Group «{group}»: {words}\n\nWrite the word to add. Several words: separate them "
        "with commas."
    ).format(group=html.escape(group.id), words=words_text(group))


def ask_new_group() -> str:
    return _(
        "Write the words of the new group, separated by commas: two or more words that mean "
        "the same thing, in Kazakh and Russian (for example: жатақхана, общежитие, общага)."
    )


def added_text(group: ConceptGroup, words: list[str]) -> str:
    return _("✅ Added to «{group}»: {added}. The search uses it now.\n{words}").format(
        group=html.escape(group.id),
        added=", ".join(f"«{html.escape(w)}»" for w in words),
        words=words_text(group),
    )


def created_text(group: ConceptGroup) -> str:
    return _("✅ New group «{group}»: {words}. The search uses it now.").format(
        group=html.escape(group.id), words=words_text(group)
    )


def refusal_text(refusal: LexiconRefused) -> str:
    """Why a change was refused, in the admin's language."""
    word = html.escape(refusal.word[:100])
    group = html.escape(refusal.group)
    match refusal.reason:
        case lexicon.NO_GROUP:
            return _("The group «{group}» no longer exists.").format(group=group)
        case lexicon.NOT_ONE_WORD:
            return _(
                "«{word}» is not one word. Add words one at a time; separate several with commas."
            ).format(word=word)
        case lexicon.STOP_WORD:
            return _(
                "«{word}» is a stop word (like «и», «және», «как»): it says nothing about a "
                "question and would join unrelated ones. Not added."
            ).format(word=word)
        case lexicon.TAKEN:
            return _(
                "«{word}» already belongs to the group «{group}» (as «{other}»). A word may be "
                "in one group only, or it would join unrelated words. Not added."
            ).format(word=word, group=group, other=html.escape(refusal.detail[:100]))
        case lexicon.ALREADY:
            return _("«{word}» is already in this group.").format(word=word)
        case lexicon.ONE_WORD:
            return _(
                "A group needs at least two different words: a group of one joins nothing. "
                "Write two or more, separated by commas."
            )
        case lexicon.TOO_MANY:
            return _("This group is full ({count} words). Make a new group instead.").format(
                count=lexicon.MAX_GROUP_WORDS
            )
    return _("The lexicon would not be valid: {problem}").format(
        problem=html.escape(refusal.detail[:500])
    )
