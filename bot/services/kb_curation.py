"""Answering the students' unanswered questions from the knowledge base: a new entry made from
a question, or the question attached to an existing entry as another way of asking it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import kb_admin, unanswered
from bot.services.kb_admin import AdminEntry, EntryGone
from bot.services.unanswered import QuestionGroup
from knowledge_base.schema import FaqItem

# How much of a question becomes a paraphrase or a prefilled question.
QUESTION_CUT = 300


async def add_entry(
    session: AsyncSession, item: FaqItem, author_id: int, answering: int = 0
) -> AdminEntry:
    """Create the entry; when it was made from the unanswered question with row id
    `answering`, that question's group leaves the list."""
    entry = await kb_admin.create_entry(session, item, author_id)
    if answering:
        group = await unanswered.find_group(session, answering)
        if group is not None:
            await unanswered.resolve_group(session, group, unanswered.ADDED)
    return entry


@dataclass(frozen=True, slots=True)
class Attached:
    """What attaching a question did: `entry` is None when the entry is gone (the question
    stays on the list)."""

    group: QuestionGroup
    entry: AdminEntry | None


async def attach_question(
    session: AsyncSession, row: int, pk: int, author_id: int
) -> Attached | None:
    """Add the question group holding `row` to entry `pk` as a paraphrase; None when the group
    was already dealt with (say, by another admin at the same moment)."""
    group = await unanswered.find_group(session, row)
    if group is None:
        return None
    try:
        async with session.begin_nested():
            # Taking the group off the list first decides between two admins attaching it at
            # once: the second one's update finds nothing left to take.
            if not await unanswered.resolve_group(session, group, unanswered.ATTACHED):
                return None
            entry = await kb_admin.add_paraphrase(
                session, pk, group.question_language, group.text[:QUESTION_CUT], author_id
            )
    except EntryGone:
        return Attached(group, None)
    return Attached(group, entry)
