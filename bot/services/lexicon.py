"""The bilingual lexicon in the store: seeded from knowledge_base/lexicon.yml, imported and
exported as that YAML, extended by admins from the bot.

Every change bumps the knowledge base's revision, so each bot process rebuilds its search
index with the new lexicon within seconds, as after an FAQ import. A change is checked against
the whole lexicon by the same rules as a file (`validate_groups`). The revision row is updated
first, which locks it, so two admins changing the lexicon at once are checked one after the
other and cannot both put one word into two groups.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LexiconGroup, utcnow
from bot.services import kb_history
from knowledge_base.lexicon import ConceptGroup, Lexicon, LexiconError, validate_groups
from knowledge_base.morphology import word_key
from knowledge_base.stopwords import is_stop_word
from nlu.normalize import tokenize

MAX_WORD_LENGTH = 40
MAX_GROUP_WORDS = 60

# Why an admin's change was refused (the bot words each in the admin's language).
NO_GROUP = "no_group"
NOT_ONE_WORD = "not_one_word"
STOP_WORD = "stop_word"
TAKEN = "taken"  # the word is in another group
ALREADY = "already"  # the word is in this group already
ONE_WORD = "one_word"  # a new group needs two words or more
TOO_MANY = "too_many"
INVALID = "invalid"  # anything else validate_groups found; `detail` says what (English)


class LexiconRefused(ValueError):
    """A change the lexicon cannot take: `reason` is one of the codes above."""

    def __init__(self, reason: str, word: str = "", group: str = "", detail: str = "") -> None:
        super().__init__(f"{reason}: {word} {group} {detail}".strip())
        self.reason = reason
        self.word = word
        self.group = group
        self.detail = detail


@dataclass(frozen=True, slots=True)
class LexiconSummary:
    added: int
    changed: int
    unchanged: int
    removed: int


def _group(row: LexiconGroup) -> ConceptGroup:
    return ConceptGroup(row.slug, tuple(row.words), row.incident)


async def load_groups(session: AsyncSession) -> list[ConceptGroup]:
    """The stored groups, in the order they were added."""
    rows = await session.scalars(select(LexiconGroup).order_by(LexiconGroup.pk))
    return [_group(row) for row in rows.all()]


async def stored_lexicon(session: AsyncSession) -> Lexicon | None:
    """The lexicon search uses; None while the store has none (search then uses the shipped
    file)."""
    groups = await load_groups(session)
    return Lexicon.from_groups(groups) if groups else None


async def count_groups(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(LexiconGroup)) or 0)


async def _lock(session: AsyncSession) -> None:
    # Bumping the revision first takes the row's lock until commit: lexicon changes queue up
    # behind each other, and every process reloads once this one commits.
    await kb_history.bump_revision(session)


async def import_groups(
    session: AsyncSession,
    groups: Iterable[ConceptGroup],
    *,
    replace: bool = False,
    author_id: int | None = None,
) -> LexiconSummary:
    """Upsert `groups` by id (with `replace`, stored groups absent from them go). The result
    is checked as a whole; on a problem nothing changes and `LexiconError` lists them all."""
    groups = list(groups)
    await _lock(session)
    rows = {row.slug: row for row in (await session.scalars(select(LexiconGroup))).all()}
    incoming = {group.id: group for group in groups}
    kept = [] if replace else [_group(r) for r in rows.values() if r.slug not in incoming]
    problems = validate_groups(kept + groups)
    if problems:
        raise LexiconError(problems)
    added = changed = unchanged = removed = 0
    for group in groups:
        row = rows.get(group.id)
        if row is None:
            session.add(_new_row(group, author_id))
            added += 1
        elif _group(row) == group:
            unchanged += 1
        else:
            row.words, row.incident = list(group.words), group.incident
            row.updated_at, row.author_id = utcnow(), author_id
            changed += 1
    if replace:
        gone = [slug for slug in rows if slug not in incoming]
        if gone:
            await session.execute(delete(LexiconGroup).where(LexiconGroup.slug.in_(gone)))
        removed = len(gone)
    await session.flush()
    return LexiconSummary(added, changed, unchanged, removed)


async def find_group(session: AsyncSession, text: str) -> ConceptGroup | None:
    """The group whose id is `text`, or that holds the word `text` (in any form or script)."""
    query = text.strip()
    groups = await load_groups(session)
    for group in groups:
        if group.id == query.lower():
            return group
    words = tokenize(query)
    if len(words) != 1:
        return None
    key = word_key(query)
    return next((g for g in groups if any(word_key(w) == key for w in g.words)), None)


def _check_word(word: str, groups: list[ConceptGroup], own: str | None) -> str:
    """The word cleaned, or `LexiconRefused` if it cannot join group `own` (None: a new one)."""
    word = " ".join(word.split())
    if len(tokenize(word)) != 1 or len(word) > MAX_WORD_LENGTH:
        raise LexiconRefused(NOT_ONE_WORD, word=word)
    if is_stop_word(word):
        raise LexiconRefused(STOP_WORD, word=word)
    key = word_key(word)
    for group in groups:
        for other in group.words:
            if word_key(other) == key:
                if group.id == own:
                    raise LexiconRefused(ALREADY, word=word, group=group.id)
                raise LexiconRefused(TAKEN, word=word, group=group.id, detail=other)
    return word


def _checked(groups: list[ConceptGroup]) -> None:
    problems = validate_groups(groups)
    if problems:
        raise LexiconRefused(INVALID, detail="; ".join(problems))


def _new_row(group: ConceptGroup, author_id: int | None) -> LexiconGroup:
    return LexiconGroup(
        slug=group.id,
        incident=group.incident,
        words=list(group.words),
        updated_at=utcnow(),
        author_id=author_id,
    )


async def _save_group(
    session: AsyncSession, group: ConceptGroup, author_id: int | None
) -> ConceptGroup:
    row = await session.scalar(select(LexiconGroup).where(LexiconGroup.slug == group.id))
    if row is None:
        session.add(_new_row(group, author_id))
    else:
        row.words, row.updated_at, row.author_id = list(group.words), utcnow(), author_id
    await session.flush()
    return group


async def add_word(
    session: AsyncSession, group_id: str, word: str, author_id: int | None
) -> ConceptGroup:
    """Add `word` to group `group_id`; refused (`LexiconRefused`) for a stop word, a word of
    another group, or more than one word."""
    await _lock(session)
    groups = await load_groups(session)
    group = next((g for g in groups if g.id == group_id), None)
    if group is None:
        raise LexiconRefused(NO_GROUP, group=group_id)
    if len(group.words) >= MAX_GROUP_WORDS:
        raise LexiconRefused(TOO_MANY, group=group_id)
    word = _check_word(word, groups, group.id)
    changed = ConceptGroup(group.id, (*group.words, word), group.incident)
    _checked([changed if g.id == group.id else g for g in groups])
    return await _save_group(session, changed, author_id)


def split_words(text: str) -> list[str]:
    """Words an admin listed, one per comma, semicolon or line."""
    return [w for w in (" ".join(part.split()) for part in re.split(r"[,;\n]", text)) if w]


_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i i k l m n o p r s t u f h ts ch sh sch - y - e yu ya a g q n o u u h i".split(),
        strict=True,
    )
)


def _slug_for(word: str, taken: set[str]) -> str:
    """A readable id from the group's first word («жатақхана» → «zhataqhana»), not in `taken`."""
    latin = "".join(_LATIN.get(ch, ch) for ch in word.lower()).replace("-", "")
    base = "-".join(re.findall(r"[a-z0-9]+", latin))[:40].strip("-") or "group"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


async def add_group(
    session: AsyncSession, words: Iterable[str], author_id: int | None
) -> ConceptGroup:
    """A new group of `words` (two or more, none in another group, no stop words); its id is
    made from the first word."""
    await _lock(session)
    groups = await load_groups(session)
    cleaned: list[str] = []
    keys: set[str] = set()
    for word in words:
        word = _check_word(word, groups, None)
        if word_key(word) not in keys:  # two forms of one word are one word
            keys.add(word_key(word))
            cleaned.append(word)
    if len(cleaned) < 2:
        raise LexiconRefused(ONE_WORD, word=cleaned[0] if cleaned else "")
    if len(cleaned) > MAX_GROUP_WORDS:
        raise LexiconRefused(TOO_MANY)
    group = ConceptGroup(_slug_for(cleaned[0], {g.id for g in groups}), tuple(cleaned))
    _checked([*groups, group])
    return await _save_group(session, group, author_id)


@dataclass(frozen=True, slots=True)
class WordsAdded:
    """What adding an admin's words to a group did: the group as it is now (None when nothing
    was added), the words added, and why the others were refused."""

    group: ConceptGroup | None
    added: list[str]
    refused: list[LexiconRefused]


async def add_words(
    session: AsyncSession, group_id: str, text: str, author_id: int | None
) -> WordsAdded:
    """Add each word of `text` to group `group_id`, refusing the ones that cannot join; when
    none is added, nothing changes (no revision, so no process reloads)."""
    added: list[str] = []
    refused: list[LexiconRefused] = []
    group = None
    savepoint = await session.begin_nested()
    for word in split_words(text):
        try:
            group = await add_word(session, group_id, word, author_id)
            added.append(group.words[-1])
        except LexiconRefused as refusal:
            refused.append(refusal)
            if refusal.reason == NO_GROUP:
                break
    if group is None or not added:
        await savepoint.rollback()
        return WordsAdded(None, [], refused)
    await savepoint.commit()
    return WordsAdded(group, added, refused)


async def create_group(session: AsyncSession, text: str, author_id: int | None) -> ConceptGroup:
    """A new group of the words in `text` (see `add_group`); when refused, nothing changes (no
    revision, so no process reloads)."""
    async with session.begin_nested():
        return await add_group(session, split_words(text), author_id)
