"""Entry points shared by commands, menu buttons and recognised intents.

Consultations, events and courses get their own journeys later; until then each entry point
answers from the knowledge base and tells the student how to reach a curator, never a dead end.
"""

from __future__ import annotations

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html

from bot.keyboards import (
    answer_keyboard,
    curator_offer_keyboard,
    menu_keyboard,
    suggestions_keyboard,
)
from bot.services.knowledge import Entry, KnowledgeBase
from bot.texts import help_numbers, how_to_reach_curator

# Knowledge-base categories that answer each entry point.
EVENT_CATEGORIES = ("culture", "events", "club", "holidays")
LEARNING_CATEGORIES = ("learning", "courses")
CURATOR_QUERY = {"kk": "куратормен қалай байланысуға болады", "ru": "как связаться с куратором"}
INCIDENT_QUERY = {
    "kk": "кемсітушілікке тап болсам қайда жүгінемін",
    "ru": "куда обращаться если столкнулся с дискриминацией",
}


def render_entry(entry: Entry, language: str) -> str:
    """An answer as students see it: the question in bold, the answer, then links."""
    text = f"<b>{html.quote(entry.question(language))}</b>\n\n{entry.answer(language)}"
    if entry.item.links:
        text += "\n\n" + "\n".join(html.quote(link) for link in entry.item.links)
    return text


async def send_entry(message: Message, entry: Entry, language: str) -> Message:
    return await message.answer(
        render_entry(entry, language),
        reply_markup=answer_keyboard(entry.pk),
        disable_web_page_preview=True,
    )


def _entry_for(kb: KnowledgeBase, query: dict[str, str], language: str) -> Entry | None:
    best = kb.search(query[language], language).best
    return kb.by_slug(best.id) if best else None


async def consultation(message: Message, kb: KnowledgeBase, language: str) -> None:
    entry = _entry_for(kb, CURATOR_QUERY, language)
    text = how_to_reach_curator()
    if entry is not None:
        text = render_entry(entry, language) + "\n\n" + text
    await message.answer(
        text + "\n\n" + _("If something urgent is happening, call:") + "\n" + help_numbers(),
        disable_web_page_preview=True,
        reply_markup=menu_keyboard(),
    )


async def incident(message: Message, kb: KnowledgeBase, language: str) -> None:
    """Never a bare FAQ answer: help numbers first, then where to turn and a curator."""
    await message.answer(
        _(
            "I am sorry this happened. What you describe is serious, and you are not alone. "
            "Discrimination on grounds of ethnicity, language or religion is prohibited by "
            "the Constitution (Article 14)."
        )
        + "\n\n"
        + help_numbers(),
        reply_markup=curator_offer_keyboard(),
    )
    entry = _entry_for(kb, INCIDENT_QUERY, language)
    if entry is not None:
        await send_entry(message, entry, language)


async def _category_list(
    message: Message, kb: KnowledgeBase, language: str, categories: tuple[str, ...], intro: str
) -> None:
    entries = sorted(kb.in_category(*categories), key=lambda e: e.item.id)[:8]
    if not entries:
        await message.answer(
            intro + "\n\n" + how_to_reach_curator(), reply_markup=curator_offer_keyboard()
        )
        return
    await message.answer(
        intro,
        reply_markup=suggestions_keyboard((e.pk, e.question(language)) for e in entries),
    )


async def events(message: Message, kb: KnowledgeBase, language: str) -> None:
    await _category_list(
        message,
        kb,
        language,
        EVENT_CATEGORIES,
        _(
            "Culture days, excursions and meetings of the «Unity of cultures» club are "
            "announced here and by your curator. Here is what I can tell you now:"
        ),
    )


async def courses(message: Message, kb: KnowledgeBase, language: str) -> None:
    await _category_list(
        message,
        kb,
        language,
        LEARNING_CATEGORIES,
        _("Learning materials on intercultural communication — choose a topic:"),
    )


async def my_requests(message: Message, language: str) -> None:
    await message.answer(
        _("You have no consultations yet.") + "\n\n" + how_to_reach_curator(),
        reply_markup=curator_offer_keyboard(),
    )
