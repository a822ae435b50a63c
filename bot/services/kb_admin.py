"""Admins editing the knowledge base: find, view, add, edit, publish, delete, restore.

Every change is a new version of the entry (see `kb_history`) and bumps the store's revision,
so every bot replica reloads its search index. Edits are optimistic: the caller says which
version it edited, and a change made meanwhile by someone else is refused with `EntryChanged`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FaqEntry, FaqEntryStats, utcnow
from bot.services import kb_history
from bot.services.faq_text import MAX_QUESTION_LENGTH as MAX_QUESTION_LENGTH
from bot.services.faq_text import TELEGRAM_LIMIT as TELEGRAM_LIMIT
from bot.services.faq_text import HtmlProblem as HtmlProblem
from bot.services.faq_text import clean_html as clean_html
from bot.services.faq_text import item_problems, make_slug, with_clean_html
from bot.services.faq_text import rendered_length as rendered_length
from bot.services.faq_text import telegram_length as telegram_length
from bot.services.knowledge import (
    ImportSummary,
    KnowledgeBase,
    _apply_item,
    entry_to_item,
    import_items,
)
from knowledge_base.loader import parse_document
from knowledge_base.schema import FaqItem, KbProblem, is_slug, item_from_dict
from knowledge_base.search import FaqIndex

log = logging.getLogger(__name__)

# Telegram refuses a message longer than this (in UTF-16 code units).
MAX_PARAPHRASES = 30
MAX_LINKS = 10
MAX_CATEGORY_LENGTH = 40
RESTORE_DAYS = 30
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class EntryGone(LookupError):
    """The entry does not exist (any more)."""


class EntryChanged(RuntimeError):
    """Someone changed the entry after the caller read it; `current` is how it is now."""

    def __init__(self, current: AdminEntry) -> None:
        super().__init__(f"entry {current.slug} is at version {current.version}")
        self.current = current


@dataclass(frozen=True, slots=True)
class AdminEntry:
    """An entry as admins see it: published or not, deleted or not, with its counters."""

    pk: int
    item: FaqItem
    version: int
    updated_at: datetime
    deleted_at: datetime | None = None
    shown: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def slug(self) -> str:
        return self.item.id

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


# --- reading -------------------------------------------------------------------------------------


def _admin_entry(row: FaqEntry, stats: FaqEntryStats | None = None) -> AdminEntry:
    return AdminEntry(
        pk=row.pk,
        item=entry_to_item(row),
        version=row.version,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        shown=stats.shown if stats else 0,
        helpful=stats.helpful if stats else 0,
        not_helpful=stats.not_helpful if stats else 0,
    )


async def get_entry(session: AsyncSession, pk: int) -> AdminEntry | None:
    """The entry with its counters, deleted or not."""
    row = await session.get(FaqEntry, pk, populate_existing=True)
    if row is None:
        return None
    return _admin_entry(row, await session.get(FaqEntryStats, pk, populate_existing=True))


async def categories(session: AsyncSession) -> list[tuple[str, int]]:
    """Categories of the entries not deleted, with how many entries each has."""
    rows = await session.execute(
        select(FaqEntry.category, func.count())
        .where(FaqEntry.deleted_at.is_(None))
        .group_by(FaqEntry.category)
        .order_by(FaqEntry.category)
    )
    return [(category, int(count)) for category, count in rows.all()]


async def entries_in_category(session: AsyncSession, category: str) -> list[AdminEntry]:
    rows = await session.scalars(
        select(FaqEntry)
        .where(FaqEntry.category == category, FaqEntry.deleted_at.is_(None))
        .order_by(FaqEntry.slug)
    )
    return [_admin_entry(row) for row in rows.all()]


async def category_at(session: AsyncSession, index: int) -> tuple[str, list[AdminEntry]] | None:
    """The `index`-th category in the sorted list and its entries (None once it is gone)."""
    found = await categories(session)
    if index >= len(found):
        return None
    name = found[index][0]
    return name, await entries_in_category(session, name)


async def search_entries(session: AsyncSession, text: str, limit: int = 10) -> list[AdminEntry]:
    """Entries (published or not) matching an id, or words as students would write them."""
    rows = {
        row.slug: row
        for row in (
            await session.scalars(select(FaqEntry).where(FaqEntry.deleted_at.is_(None)))
        ).all()
    }
    query = text.strip()
    found: list[FaqEntry] = []
    if query.lower() in rows:
        found.append(rows[query.lower()])
    index = FaqIndex(entry_to_item(row) for row in rows.values())
    for match in index.search(query, limit=limit).matches:
        if rows[match.id] not in found:
            found.append(rows[match.id])
    if len(found) < limit:
        # Plain substring search too: admins look for a phrase they remember from an answer.
        needle = query.casefold()
        for row in rows.values():
            haystack = " ".join(
                (row.slug, row.question_kk, row.question_ru, row.answer_kk, row.answer_ru)
            ).casefold()
            if needle and needle in haystack and row not in found:
                found.append(row)
    return [_admin_entry(row) for row in found[:limit]]


async def deleted_entries(session: AsyncSession) -> list[AdminEntry]:
    """Entries deleted within the last `RESTORE_DAYS` days, most recent first."""
    rows = await session.scalars(
        select(FaqEntry)
        .where(FaqEntry.deleted_at.is_not(None))
        .order_by(FaqEntry.deleted_at.desc())
    )
    return [_admin_entry(row) for row in rows.all()]


async def all_slugs(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(FaqEntry.slug))).all())


# --- changing ------------------------------------------------------------------------------------


async def _locked_row(session: AsyncSession, pk: int, expected_version: int | None) -> FaqEntry:
    row = await session.get(FaqEntry, pk, populate_existing=True, with_for_update=True)
    if row is None:
        raise EntryGone(pk)
    if expected_version is not None and row.version != expected_version:
        raise EntryChanged(_admin_entry(row, await session.get(FaqEntryStats, pk)))
    return row


async def _save(
    session: AsyncSession,
    row: FaqEntry,
    item: FaqItem,
    action: str,
    author_id: int | None,
    *,
    deleted_at: datetime | None = None,
) -> AdminEntry:
    old = entry_to_item(row)
    expected = row.version
    values = {
        "category": item.category,
        "question_kk": item.question["kk"],
        "question_ru": item.question["ru"],
        "answer_kk": item.answer["kk"],
        "answer_ru": item.answer["ru"],
        "alternatives": {k: list(v) for k, v in item.alternatives.items() if v},
        "links": list(item.links),
        "published": item.published,
        "tags": list(item.tags),
        "source": item.source,
        "reviewed": item.reviewed,
        "review_every": item.review_every,
        "deleted_at": deleted_at,
        "version": expected + 1,
        "updated_at": utcnow(),
    }
    # The version in the WHERE clause makes two simultaneous saves of one entry safe: the
    # second matches no row and is told the entry changed.
    result = await session.execute(
        update(FaqEntry)
        .where(FaqEntry.pk == row.pk, FaqEntry.version == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = await get_entry(session, row.pk)
        if current is None:
            raise EntryGone(row.pk)
        raise EntryChanged(current)
    await session.refresh(row)
    kb_history.add_version(
        session, row, item, action, kb_history.changed_fields(old, item), author_id
    )
    await kb_history.bump_revision(session)
    entry = await get_entry(session, row.pk)
    assert entry is not None
    return entry


async def create_entry(session: AsyncSession, item: FaqItem, author_id: int) -> AdminEntry:
    """Add a new entry; without a free id of its own, one is made from the Russian question."""
    taken = await all_slugs(session)
    if not item.id or item.id in taken or not is_slug(item.id):
        item = replace(item, id=make_slug(item.question["ru"], taken))
    item = with_clean_html(item)
    row = FaqEntry(slug=item.id, version=1)
    _apply_item(row, item)
    session.add(row)
    await session.flush()
    kb_history.add_version(
        session, row, item, kb_history.CREATED, kb_history.changed_fields(None, item), author_id
    )
    await kb_history.bump_revision(session)
    entry = await get_entry(session, row.pk)
    assert entry is not None
    return entry


async def update_entry(
    session: AsyncSession, pk: int, expected_version: int, item: FaqItem, author_id: int
) -> AdminEntry:
    """Replace the content of entry `pk`, which the caller saw at `expected_version`."""
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = with_clean_html(replace(item, id=row.slug))
    return await _save(session, row, item, kb_history.EDITED, author_id)


async def set_published(
    session: AsyncSession, pk: int, expected_version: int, published: bool, author_id: int
) -> AdminEntry:
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = replace(entry_to_item(row), published=published)
    action = kb_history.PUBLISHED if published else kb_history.UNPUBLISHED
    return await _save(session, row, item, action, author_id)


async def delete_entry(
    session: AsyncSession, pk: int, expected_version: int, author_id: int
) -> AdminEntry:
    """Hide the entry from students and lists; restorable for `RESTORE_DAYS` days."""
    row = await _locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    return await _save(
        session, row, entry_to_item(row), kb_history.DELETED, author_id, deleted_at=utcnow()
    )


async def undelete_entry(session: AsyncSession, pk: int, author_id: int) -> AdminEntry:
    row = await _locked_row(session, pk, None)
    if row.deleted_at is None:
        return _admin_entry(row, await session.get(FaqEntryStats, pk))
    return await _save(session, row, entry_to_item(row), kb_history.UNDELETED, author_id)


async def restore_version(
    session: AsyncSession, pk: int, version: int, author_id: int
) -> AdminEntry:
    """Make an earlier version current again (a new version); a deleted entry comes back."""
    stored = await kb_history.get_version(session, pk, version)
    if stored is None:
        raise EntryGone(pk)
    row = await _locked_row(session, pk, None)
    item = replace(kb_history.item_from_data(stored.data), id=row.slug)
    return await _save(session, row, item, kb_history.RESTORED, author_id)


async def add_paraphrase(
    session: AsyncSession, pk: int, language: str, text: str, author_id: int
) -> AdminEntry:
    """Add `text` to the entry's paraphrases in `language` (nothing if it is there already)."""
    row = await _locked_row(session, pk, None)
    if row.deleted_at is not None:
        raise EntryGone(pk)
    item = entry_to_item(row)
    current = tuple(item.alternatives.get(language, ()))
    if text.strip().casefold() in {t.casefold() for t in current} | {
        item.question[language].casefold()
    }:
        return _admin_entry(row, await session.get(FaqEntryStats, pk))
    alternatives = dict(item.alternatives)
    alternatives[language] = (*current, text.strip())
    return await _save(
        session, row, replace(item, alternatives=alternatives), kb_history.EDITED, author_id
    )


async def purge_deleted(session: AsyncSession, now: datetime | None = None) -> int:
    """Remove for good the entries deleted more than `RESTORE_DAYS` days ago."""
    cutoff = (now or utcnow()) - timedelta(days=RESTORE_DAYS)
    result = await session.execute(
        delete(FaqEntry).where(FaqEntry.deleted_at.is_not(None), FaqEntry.deleted_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def watch_store(
    kb: KnowledgeBase,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    interval: float = 10.0,
    purge_every: float = 3600.0,
) -> None:
    """Reload the search index when the store changed elsewhere (another replica, the CLI),
    and purge entries deleted more than `RESTORE_DAYS` days ago. Runs until cancelled."""
    last_purge = float("-inf")
    while True:
        await asyncio.sleep(interval)
        try:
            if await kb.refresh(session_factory):
                log.info("knowledge base changed in the store: %d published entries", len(kb))
            if time.monotonic() - last_purge >= purge_every:
                async with session_factory() as session, session.begin():
                    purged = await purge_deleted(session)
                last_purge = time.monotonic()
                if purged:
                    log.info("purged %d knowledge-base entries deleted long ago", purged)
        except Exception:  # the store may be briefly unavailable; try again next round
            log.exception("could not check the knowledge base for changes")


# --- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KbStats:
    most_shown: list[AdminEntry]
    least_helpful: list[AdminEntry]
    total_shown: int
    total_helpful: int
    total_not_helpful: int


async def kb_stats(session: AsyncSession, limit: int = 10) -> KbStats:
    """The most shown entries, and those students judged least helpful (with any vote)."""
    rows = (
        await session.execute(
            select(FaqEntry, FaqEntryStats)
            .join(FaqEntryStats, FaqEntryStats.entry_pk == FaqEntry.pk)
            .where(FaqEntry.deleted_at.is_(None))
        )
    ).all()
    entries = [_admin_entry(row, stats) for row, stats in rows]
    most_shown = sorted((e for e in entries if e.shown), key=lambda e: (-e.shown, e.slug))[:limit]
    voted = [e for e in entries if e.helpful + e.not_helpful]
    least_helpful = sorted(
        voted,
        key=lambda e: (e.helpful / (e.helpful + e.not_helpful), -e.not_helpful, e.slug),
    )[:limit]
    return KbStats(
        most_shown,
        least_helpful,
        sum(e.shown for e in entries),
        sum(e.helpful for e in entries),
        sum(e.not_helpful for e in entries),
    )


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """A validated upload: its items, or every problem found (then nothing may be applied)."""

    items: list[FaqItem]
    problems: list[KbProblem]


def check_upload(content: bytes, source: str) -> UploadCheck:
    """Validate an uploaded knowledge-base document as a whole."""
    if len(content) > MAX_UPLOAD_BYTES:
        return UploadCheck([], [KbProblem(source, None, "is larger than 2 MB")])
    result = parse_document(content, source)
    items = result.items
    if result.problems and all(p.entry_id is not None for p in result.problems):
        # The document is a readable list with bad entries: also check the good ones for what
        # Telegram would refuse, so the admin gets every problem in one reply.
        raw = yaml.safe_load(content)
        items = [
            item
            for index, entry in enumerate(raw)
            if (item := item_from_dict(entry, source, index)[0]) is not None
        ]
    problems = list(result.problems) + [
        KbProblem(source, item.id, message) for item in items for message in item_problems(item)
    ]
    if problems:
        return UploadCheck([], problems)
    if not result.items:
        return UploadCheck([], [KbProblem(source, None, "holds no entries")])
    return UploadCheck([with_clean_html(item) for item in result.items], [])


async def preview_import(
    session: AsyncSession, items: list[FaqItem]
) -> tuple[ImportSummary, ImportSummary]:
    """What importing `items` would do: (upsert only, replace mode), without changing anything."""
    existing = {
        row.slug: (entry_to_item(row), row.deleted_at is not None)
        for row in (await session.scalars(select(FaqEntry))).all()
    }
    added = changed = unchanged = 0
    for item in items:
        current = existing.get(item.id)
        if current is None or current[1]:
            added += 1
        elif current[0] == item:
            unchanged += 1
        else:
            changed += 1
    keep = {item.id for item in items}
    removed = sum(1 for slug, (_item, gone) in existing.items() if not gone and slug not in keep)
    return (
        ImportSummary(added, changed, unchanged, 0),
        ImportSummary(added, changed, unchanged, removed),
    )


async def import_checked(
    session: AsyncSession,
    raw_items: list[dict[str, Any]],
    source: str,
    *,
    replace: bool,
    author_id: int,
) -> ImportSummary | list[KbProblem]:
    """Import the entries an admin confirmed (checked when uploaded, checked again now); the
    problems instead when one no longer passes, and then nothing is imported."""
    items = []
    for index, raw in enumerate(raw_items):
        item, problems = item_from_dict(raw, source, index)
        if item is None:  # it was valid a moment ago; refuse rather than half-apply
            return problems
        items.append(item)
    return await import_items(session, items, replace=replace, author_id=author_id)
