"""Versions of knowledge-base entries and the revision counter every change bumps.

Each change of an entry stores the whole entry as it is afterwards, with who made the change,
when, and which fields changed, so any earlier version can be shown and restored. The revision
counter lets other bot replicas notice a change with one cheap query and reload their index.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqEntry, FaqEntryVersion, KbRevision, utcnow
from knowledge_base.schema import LANGUAGES, FaqItem

# What happened in a version.
CREATED = "created"
EDITED = "edited"
PUBLISHED = "published"
UNPUBLISHED = "unpublished"
DELETED = "deleted"
UNDELETED = "undeleted"
RESTORED = "restored"  # an earlier version brought back
IMPORTED = "imported"
REVIEWED = "reviewed"  # an admin confirmed the entry is still true

# The fields an admin edits one at a time, in the order they are shown.
FIELDS = (
    "category",
    "question_kk",
    "question_ru",
    "alternatives_kk",
    "alternatives_ru",
    "answer_kk",
    "answer_ru",
    "links",
    "published",
    "source",
    "tags",
    "reviewed",
    "review_every",
)


def field_values(item: FaqItem) -> dict[str, object]:
    """The item flattened to the editable fields."""
    values: dict[str, object] = {"category": item.category}
    for lang in LANGUAGES:
        values[f"question_{lang}"] = item.question.get(lang, "")
        values[f"alternatives_{lang}"] = tuple(item.alternatives.get(lang, ()))
        values[f"answer_{lang}"] = item.answer.get(lang, "")
    values["links"] = tuple(item.links)
    values["published"] = item.published
    values["source"] = item.source or ""
    values["tags"] = tuple(item.tags)
    values["reviewed"] = item.reviewed
    values["review_every"] = item.review_every
    return values


def changed_fields(old: FaqItem | None, new: FaqItem) -> list[str]:
    """Fields that differ between two versions (all of them for a new entry)."""
    after = field_values(new)
    if old is None:
        return [name for name in FIELDS if after[name] not in ("", (), None)]
    before = field_values(old)
    return [name for name in FIELDS if before[name] != after[name]]


def item_data(item: FaqItem) -> dict[str, Any]:
    """The item as stored in a version: the YAML shape, `published` always present."""
    data = item.to_dict()
    data["published"] = item.published
    if item.reviewed is not None:
        data["reviewed"] = item.reviewed.isoformat()  # JSON has no dates
    return data


def item_from_data(data: dict[str, Any]) -> FaqItem:
    """Rebuild an item stored by `item_data` (stored versions were valid when written)."""
    return FaqItem(
        id=str(data["id"]),
        category=str(data["category"]),
        question=dict(data["question"]),
        answer=dict(data["answer"]),
        alternatives={k: tuple(v) for k, v in (data.get("alternatives") or {}).items() if v},
        links=tuple(data.get("links") or ()),
        published=bool(data.get("published", True)),
        tags=tuple(data.get("tags") or ()),
        source=data.get("source") or None,
        reviewed=date.fromisoformat(data["reviewed"]) if data.get("reviewed") else None,
        review_every=data.get("review_every"),
    )


def add_version(
    session: AsyncSession,
    row: FaqEntry,
    item: FaqItem,
    action: str,
    changed: list[str],
    author_id: int | None,
) -> None:
    """Record `row` at its current version number (the row must have its pk)."""
    session.add(
        FaqEntryVersion(
            entry_pk=row.pk,
            version=row.version,
            action=action,
            changed=changed,
            data=item_data(item),
            author_id=author_id,
            created_at=utcnow(),
        )
    )


async def versions(session: AsyncSession, entry_pk: int) -> list[FaqEntryVersion]:
    """An entry's versions, newest first."""
    rows = await session.scalars(
        select(FaqEntryVersion)
        .where(FaqEntryVersion.entry_pk == entry_pk)
        .order_by(FaqEntryVersion.version.desc())
    )
    return list(rows.all())


async def get_version(session: AsyncSession, entry_pk: int, version: int) -> FaqEntryVersion | None:
    return await session.scalar(
        select(FaqEntryVersion).where(
            FaqEntryVersion.entry_pk == entry_pk, FaqEntryVersion.version == version
        )
    )


async def bump_revision(session: AsyncSession) -> None:
    """Count one more change of the knowledge base."""
    result = await session.execute(
        update(KbRevision)
        .where(KbRevision.id == 1)
        .values(revision=KbRevision.revision + 1, updated_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(KbRevision(id=1, revision=1, updated_at=utcnow()))
    await session.flush()


async def current_revision(session: AsyncSession) -> int:
    return int(await session.scalar(select(KbRevision.revision).where(KbRevision.id == 1)) or 0)
