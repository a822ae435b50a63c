"""The knowledge base at run time: entries live in the store, search runs in memory.

The store is the truth; the in-memory index is rebuilt from it at start-up and after every
import or edit, so changed answers reach students without restarting or retraining anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FaqEntry, FaqFeedback, utcnow
from bot.services import kb_history
from bot.services import lexicon as lexicon_store
from bot.services.entry_stats import add_to_stats
from knowledge_base.lexicon import Lexicon
from knowledge_base.schema import FaqItem
from knowledge_base.search import FaqIndex, SearchResult


@dataclass(frozen=True, slots=True)
class Entry:
    """A published entry as shown to students."""

    pk: int
    item: FaqItem

    def question(self, language: str) -> str:
        return self.item.question[language]

    def answer(self, language: str) -> str:
        return self.item.answer[language]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    added: int
    changed: int
    unchanged: int
    removed: int


def entry_to_item(row: FaqEntry) -> FaqItem:
    return FaqItem(
        id=row.slug,
        category=row.category,
        question={"kk": row.question_kk, "ru": row.question_ru},
        answer={"kk": row.answer_kk, "ru": row.answer_ru},
        alternatives={k: tuple(v) for k, v in (row.alternatives or {}).items() if v},
        links=tuple(row.links or ()),
        published=row.published,
        tags=tuple(row.tags or ()),
        source=row.source,
        reviewed=row.reviewed,
        review_every=row.review_every,
    )


def _apply_item(row: FaqEntry, item: FaqItem) -> None:
    row.category = item.category
    row.question_kk = item.question["kk"]
    row.question_ru = item.question["ru"]
    row.answer_kk = item.answer["kk"]
    row.answer_ru = item.answer["ru"]
    row.alternatives = {k: list(v) for k, v in item.alternatives.items() if v}
    row.links = list(item.links)
    row.published = item.published
    row.tags = list(item.tags)
    row.source = item.source
    row.reviewed = item.reviewed
    row.review_every = item.review_every


class KnowledgeBase:
    """Published entries and their search index, shared by every update of this process."""

    def __init__(self) -> None:
        self._entries: dict[int, Entry] = {}
        self._by_slug: dict[str, Entry] = {}
        self._index = FaqIndex()
        # The store's lexicon (None: the store has none yet, search uses the shipped file).
        self.lexicon: Lexicon | None = None
        # The store's kb_revision this content was loaded at (-1: never loaded).
        self.revision = -1

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, rows: Iterable[tuple[int, FaqItem]], lexicon: Lexicon | None = None) -> None:
        """Replace the content with `rows` (pk, item), searched with `lexicon` (None: the
        shipped one); only published items are kept."""
        entries = {pk: Entry(pk, item) for pk, item in rows if item.published}
        index = FaqIndex((entry.item for entry in entries.values()), lexicon=lexicon)
        self._entries = entries
        self._by_slug = {e.item.id: e for e in entries.values()}
        self._index = index
        self.lexicon = lexicon

    async def reload(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        async with session_factory() as session:
            revision = await kb_history.current_revision(session)
            rows = (
                await session.scalars(select(FaqEntry).where(FaqEntry.deleted_at.is_(None)))
            ).all()
            lexicon = await lexicon_store.stored_lexicon(session)
            self.load(((row.pk, entry_to_item(row)) for row in rows), lexicon)
        self.revision = revision

    async def refresh(self, session_factory: async_sessionmaker[AsyncSession]) -> bool:
        """Reload if the store changed since the last load (one small query otherwise)."""
        async with session_factory() as session:
            revision = await kb_history.current_revision(session)
        if revision == self.revision:
            return False
        await self.reload(session_factory)
        return True

    def get(self, pk: int) -> Entry | None:
        return self._entries.get(pk)

    def by_slug(self, slug: str) -> Entry | None:
        return self._by_slug.get(slug)

    def in_category(self, *categories: str) -> list[Entry]:
        wanted = set(categories)
        return [e for e in self._entries.values() if e.item.category in wanted]

    def search(self, text: str, language: str | None = None, limit: int = 3) -> SearchResult:
        return self._index.search(text, lang=language, limit=limit)


async def import_items(
    session: AsyncSession,
    items: Iterable[FaqItem],
    *,
    replace: bool = False,
    author_id: int | None = None,
) -> ImportSummary:
    """Upsert `items` by id, recording a version of each change; with `replace`, entries absent
    from `items` are deleted (restorable for 30 days, like a deletion from the bot)."""
    items = list(items)
    existing = {row.slug: row for row in (await session.scalars(select(FaqEntry))).all()}
    added = changed = unchanged = 0
    new_rows: list[tuple[FaqEntry, FaqItem]] = []
    for item in items:
        row = existing.get(item.id)
        if row is None:
            row = FaqEntry(slug=item.id, version=1)
            _apply_item(row, item)
            session.add(row)
            new_rows.append((row, item))
            added += 1
        elif row.deleted_at is not None:
            old = entry_to_item(row)
            _apply_item(row, item)
            row.deleted_at = None
            row.version += 1
            kb_history.add_version(
                session,
                row,
                item,
                kb_history.UNDELETED,
                kb_history.changed_fields(old, item),
                author_id,
            )
            added += 1
        elif (old := entry_to_item(row)) == item:
            unchanged += 1
        else:
            _apply_item(row, item)
            row.version += 1
            kb_history.add_version(
                session,
                row,
                item,
                kb_history.IMPORTED,
                kb_history.changed_fields(old, item),
                author_id,
            )
            changed += 1
    removed = 0
    if replace:
        keep = {item.id for item in items}
        now = utcnow()
        for slug, row in existing.items():
            if slug in keep or row.deleted_at is not None:
                continue
            row.deleted_at = now
            row.version += 1
            kb_history.add_version(
                session, row, entry_to_item(row), kb_history.DELETED, [], author_id
            )
            removed += 1
    await session.flush()
    for row, item in new_rows:
        kb_history.add_version(
            session, row, item, kb_history.CREATED, kb_history.changed_fields(None, item), author_id
        )
    if added or changed or removed:
        await kb_history.bump_revision(session)
    await session.flush()
    return ImportSummary(added, changed, unchanged, removed)


async def export_items(session: AsyncSession) -> list[FaqItem]:
    rows = (
        await session.scalars(
            select(FaqEntry)
            .where(FaqEntry.deleted_at.is_(None))
            .order_by(FaqEntry.category, FaqEntry.slug)
        )
    ).all()
    return [entry_to_item(row) for row in rows]


async def count_entries(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(FaqEntry)) or 0)


async def record_feedback_totals(session: AsyncSession, entry_pk: int, helpful: bool) -> None:
    await add_to_stats(
        session, [{"entry_pk": entry_pk, "helpful": int(helpful), "not_helpful": int(not helpful)}]
    )


async def record_vote(
    session: AsyncSession, user_id: int | None, message_id: int, entry_pk: int, helpful: bool
) -> bool:
    """Count a "was this helpful?" vote; False if this user already voted on this message.

    Votes of users who did not consent are counted but not stored with their id.
    """
    if user_id is not None:
        exists = await session.scalar(
            select(FaqFeedback.id).where(
                FaqFeedback.user_id == user_id, FaqFeedback.message_id == message_id
            )
        )
        if exists is not None:
            return False
        session.add(
            FaqFeedback(user_id=user_id, message_id=message_id, entry_pk=entry_pk, helpful=helpful)
        )
    await record_feedback_totals(session, entry_pk, helpful)
    await session.flush()
    return True
