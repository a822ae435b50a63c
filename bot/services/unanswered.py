"""Questions the bot could not answer confidently, grouped for admins.

Students write the same question in several scripts ("наурыз қашан", "nauryz qashan",
"наурыз кашан") and with small differences, so questions are compared by their normalised
words (`nlu.normalize`, which folds every script to one alphabet), cut to a short stem so that
Kazakh suffixes and Russian endings do not split a group, and near-duplicates are merged.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import QuestionLog
from bot.services.knowledge import KnowledgeBase
from bot.services.questions import NOT_HELPFUL, UNANSWERED_OUTCOMES
from nlu.normalize import detect_script, tokenize

# What an admin did with a group.
ADDED = "added"
ATTACHED = "attached"
DISMISSED = "dismissed"
# Taken off the list because an admin's change made the bot answer it outright.
ANSWERED_NOW = "answered_now"

_STEM = 5
# Two questions whose word stems overlap this much (Jaccard) are one question.
_SIMILAR = 0.6
# Only this many of the newest open questions are grouped: enough for weeks of a busy bot.
_MAX_ROWS = 5000


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions that are the same question; `row_id` identifies the group in buttons."""

    row_id: int
    text: str
    language: str
    count: int
    variants: tuple[str, ...]
    row_ids: tuple[int, ...]
    # How many of the questions got an answer the student voted 👎 on.
    not_helpful: int = 0

    @property
    def question_language(self) -> str:
        """The language the question is written in (students often ask in the other one)."""
        return "kk" if detect_script(self.text) == "kk_cyrillic" else self.language


def question_key(text: str) -> frozenset[str]:
    """The stems of a question's normalised words: equal for script variants of one question."""
    return frozenset(word[:_STEM] for word in tokenize(text) if len(word) >= 2)


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= _SIMILAR


def _wording(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def group_questions(rows: list[tuple[int, str, str]]) -> list[QuestionGroup]:
    """Group `(id, text, language)` rows; most frequent group first, then the most recent."""
    by_key: dict[frozenset[str], list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows:
        key = question_key(row[1]) or frozenset({row[1].strip().casefold()})
        by_key[key].append(row)
    # Biggest exact groups first, so that a near-duplicate joins the common wording.
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), -max(r[0] for r in by_key[k])))
    clusters: list[tuple[frozenset[str], list[tuple[int, str, str]]]] = []
    # Only clusters sharing a stem can be similar: an inverted index keeps this near-linear.
    by_stem: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        candidates = sorted({index for stem in key for index in by_stem.get(stem, ())})
        for index in candidates:
            if _similar(key, clusters[index][0]):
                clusters[index][1].extend(by_key[key])
                break
        else:
            for stem in key:
                by_stem[stem].append(len(clusters))
            clusters.append((key, list(by_key[key])))
    groups = []
    for _key, members in clusters:
        # Texts differing only in case and punctuation are one wording; the newest spelling
        # of each wording is shown.
        texts = Counter(_wording(text) for _id, text, _lang in members)
        newest = {_wording(text): (row_id, text.strip()) for row_id, text, _lang in sorted(members)}
        ranked = sorted(texts, key=lambda t: (-texts[t], -newest[t][0]))
        representative, top = newest[ranked[0]]
        language = next(lang for row_id, _text, lang in members if row_id == representative)
        groups.append(
            QuestionGroup(
                row_id=representative,
                text=top,
                language=language,
                count=len(members),
                variants=tuple(newest[w][1] for w in ranked[:4]),
                row_ids=tuple(sorted(row_id for row_id, _t, _l in members)),
            )
        )
    groups.sort(key=lambda g: (-g.count, -max(g.row_ids)))
    return groups


async def unanswered_groups(session: AsyncSession) -> list[QuestionGroup]:
    """Open questions without an answer: nothing matched, a "did you mean" where nothing was
    chosen, an answer voted 👎; grouped."""
    rows = (
        await session.execute(
            select(QuestionLog.id, QuestionLog.text, QuestionLog.language, QuestionLog.outcome)
            .where(QuestionLog.outcome.in_(UNANSWERED_OUTCOMES), QuestionLog.resolution.is_(None))
            .order_by(QuestionLog.id.desc())
            .limit(_MAX_ROWS)
        )
    ).all()
    disliked = {int(i) for i, _t, _l, outcome in rows if outcome == NOT_HELPFUL}
    groups = group_questions([(int(i), str(t), str(lang)) for i, t, lang, _o in rows])
    if not disliked:
        return groups
    return [
        replace(group, not_helpful=sum(1 for i in group.row_ids if i in disliked))
        for group in groups
    ]


async def find_group(session: AsyncSession, row_id: int) -> QuestionGroup | None:
    """The current group holding question `row_id`, or None if it was dealt with."""
    for group in await unanswered_groups(session):
        if row_id in group.row_ids:
            return group
    return None


async def resolve_group(session: AsyncSession, group: QuestionGroup, resolution: str) -> int:
    """Take the group's questions off the list; returns how many were marked."""
    result = await session.execute(
        update(QuestionLog)
        .where(QuestionLog.id.in_(group.row_ids), QuestionLog.resolution.is_(None))
        .values(resolution=resolution)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def answered_now(
    session: AsyncSession, kb: KnowledgeBase, entry_id: str
) -> list[QuestionGroup]:
    """Take off the list the open groups that `kb` now answers outright with entry `entry_id`
    (after an admin attached a question to it); returns them."""
    groups = []
    for group in await unanswered_groups(session):
        result = kb.search(group.text, group.question_language)
        if result.confident and result.best is not None and result.best.id == entry_id:
            if await resolve_group(session, group, ANSWERED_NOW):
                groups.append(group)
    return groups
