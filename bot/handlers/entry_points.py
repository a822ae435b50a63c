"""Entry points shared by commands, menu buttons and recognised intents.

Consultations live in bot/handlers/consultation/, events in bot/handlers/events/; learning
materials come from the store, and until they are imported /learn answers from the knowledge
base, never a dead end.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.consultation.router import remember_incident, show_my_requests, start_consultation
from bot.handlers.consultation.ui import urgent_offer_keyboard
from bot.handlers.events.router import show_events
from bot.handlers.kb_review.ui import as_of_line
from bot.handlers.keyboards import (
    answer_keyboard,
    curator_offer_keyboard,
    suggestions_keyboard,
)
from bot.handlers.learning.ui import show_learning
from bot.handlers.texts import help_numbers, how_to_reach_curator
from bot.services.knowledge import Entry, KnowledgeBase
from bot.services.users import Profile

# Knowledge-base categories that answer each entry point.
LEARNING_CATEGORIES = ("learning", "courses")
INCIDENT_QUERY = {
    "kk": "кемсітушілікке тап болсам қайда жүгінемін",
    "ru": "куда обращаться если столкнулся с дискриминацией",
}


def render_entry(entry: Entry, language: str) -> str:
    """An answer as students see it: the question in bold, the answer, for legal entries the
    date it was last checked, then links."""
    text = f"<b>{html.quote(entry.question(language))}</b>\n\n{entry.answer(language)}"
    as_of = as_of_line(entry.item, language)
    if as_of:
        text += "\n\n<i>" + as_of + "</i>"
    if entry.item.links:
        text += "\n\n" + "\n".join(html.quote(link) for link in entry.item.links)
    return text


async def send_entry(message: Message, entry: Entry, language: str, ref: str = "") -> Message:
    """The entry with «was this helpful?»; `ref` is the question it answers, if any."""
    return await message.answer(
        render_entry(entry, language),
        reply_markup=answer_keyboard(entry.pk, ref),
        disable_web_page_preview=True,
    )


def _entry_for(kb: KnowledgeBase, query: dict[str, str], language: str) -> Entry | None:
    best = kb.search(query[language], language).best
    return kb.by_slug(best.id) if best else None


async def consultation(
    message: Message, state: FSMContext, profile: Profile | None, session: AsyncSession
) -> None:
    """A request to a curator: area, questionnaire, anonymity, confirmation (consent first)."""
    await start_consultation(message, state, profile, session)


async def incident(message: Message, kb: KnowledgeBase, language: str, state: FSMContext) -> None:
    """Never a bare FAQ answer: help numbers first with an urgent curator offer, then where
    to turn."""
    await remember_incident(state, message)
    await message.answer(
        _(
            "I am sorry this happened. What you describe is serious, and you are not alone. "
            "Discrimination on grounds of ethnicity, language or religion is prohibited by "
            "the Constitution."
        )
        + "\n\n"
        + help_numbers(),
        reply_markup=urgent_offer_keyboard(),
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


async def events(
    message: Message,
    session: AsyncSession,
    language: str,
    *,
    text: str | None = None,
    is_admin: bool = False,
) -> None:
    """Upcoming events with filters; a question that names an event gets its card."""
    await show_events(message, session, language, text=text, is_admin=is_admin)


async def courses(
    message: Message, session: AsyncSession, kb: KnowledgeBase, language: str
) -> None:
    """The curated learning materials; the knowledge base's learning answers until imported."""
    if await show_learning(message, session, language):
        return
    await _category_list(
        message,
        kb,
        language,
        LEARNING_CATEGORIES,
        _("Learning materials on intercultural communication — choose a topic:"),
    )


async def my_requests(message: Message, session: AsyncSession, user_id: int) -> None:
    """/my: the student's consultations with their status."""
    await show_my_requests(message, session, user_id)
