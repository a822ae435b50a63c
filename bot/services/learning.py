"""Curated learning materials in the store: imported from YAML, listed by /learn, matched to
what a student asked about for recommendations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LearningMaterial
from bot.services.quizzes import import_quizzes
from knowledge_base.learning import Material


@dataclass(frozen=True, slots=True)
class ImportSummary:
    added: int
    changed: int
    unchanged: int
    removed: int


def _values(material: Material, position: int) -> dict[str, object]:
    return {
        "kind": material.kind,
        "title_kk": material.title["kk"],
        "title_ru": material.title["ru"],
        "description_kk": material.description["kk"],
        "description_ru": material.description["ru"],
        "url": material.url,
        "topics": list(material.topics),
        "position": position,
    }


async def import_materials(
    session: AsyncSession, materials: Iterable[Material], *, replace: bool = False
) -> ImportSummary:
    """Upsert by id, keeping the file's order; `replace` also deletes materials not given.
    Their self-check quizzes are stored with them."""
    materials = list(materials)
    existing = {m.slug: m for m in (await session.scalars(select(LearningMaterial))).all()}
    added = changed = unchanged = 0
    seen: set[str] = set()
    for position, material in enumerate(materials):
        seen.add(material.id)
        values = _values(material, position)
        row = existing.get(material.id)
        if row is None:
            session.add(LearningMaterial(slug=material.id, **values))
            added += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
        else:
            unchanged += 1
    removed = 0
    if replace:
        gone = [slug for slug in existing if slug not in seen]
        if gone:
            await session.execute(delete(LearningMaterial).where(LearningMaterial.slug.in_(gone)))
        removed = len(gone)
    await session.flush()
    await import_quizzes(session, materials, replace=replace)
    return ImportSummary(added, changed, unchanged, removed)


async def count_materials(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(LearningMaterial)) or 0)


async def materials(session: AsyncSession, kind: str | None = None) -> list[LearningMaterial]:
    """All materials in their curated order (of one kind, if given)."""
    query = select(LearningMaterial).order_by(LearningMaterial.position, LearningMaterial.pk)
    if kind is not None:
        query = query.where(LearningMaterial.kind == kind)
    return list((await session.scalars(query)).all())


def title(material: LearningMaterial, language: str) -> str:
    return material.title_kk if language == "kk" else material.title_ru


def description(material: LearningMaterial, language: str) -> str:
    return material.description_kk if language == "kk" else material.description_ru


def recommend(
    available: Iterable[LearningMaterial], topics: dict[str, int], limit: int = 3
) -> list[LearningMaterial]:
    """Materials whose topics the student asked about most (topic -> how often)."""
    scored = [(sum(topics.get(t, 0) for t in m.topics), -m.position, m) for m in available]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (s[0], s[1]), reverse=True)
    return [m for _score, _pos, m in ranked[:limit]]
