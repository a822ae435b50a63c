"""The stale-content review: which entries a person should check again, confirming one is
still true, and the monthly reminder to admins that is sent once per month.

The rules of what is stale live in `knowledge_base.review`; this module applies them to the
store. "Today" is Almaty's date, the day admins see on their calendars.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ALMATY
from bot.db.models import FaqEntry, KbReviewReminder, utcnow
from bot.services import kb_admin, kb_history
from bot.services.kb_admin import AdminEntry
from bot.services.knowledge import entry_to_item
from knowledge_base.review import NEVER_REVIEWED, ReviewFlags, review_flags
from knowledge_base.schema import FaqItem


def today(now: datetime | None = None) -> date:
    """The date in Almaty."""
    return (now or utcnow()).astimezone(ALMATY).date()


def month_of(day: date) -> str:
    """The reminder period a day belongs to, such as "2026-12"."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """An entry on the review list with the reasons it is there."""

    pk: int
    version: int
    item: FaqItem
    flags: ReviewFlags

    @property
    def slug(self) -> str:
        return self.item.id


def _order(entry: ReviewEntry) -> tuple[int, date, str]:
    # Overdue first (longest overdue at the top), then never reviewed, then the rest.
    rank = 0 if entry.flags.overdue else 1 if NEVER_REVIEWED in entry.flags.reasons else 2
    return rank, entry.flags.due or date.max, entry.slug


async def review_list(session: AsyncSession, day: date) -> list[ReviewEntry]:
    """Entries (not deleted) worth checking on `day`, most urgent first."""
    rows = (await session.scalars(select(FaqEntry).where(FaqEntry.deleted_at.is_(None)))).all()
    found = []
    for row in rows:
        item = entry_to_item(row)
        flags = review_flags(item, day)
        if flags.reasons:
            found.append(ReviewEntry(row.pk, row.version, item, flags))
    return sorted(found, key=_order)


def review_row(entry: ReviewEntry) -> dict[str, object]:
    """An entry of the review list as plain data (`kelisim kb review --json`)."""
    item = entry.item
    return {
        "id": item.id,
        "overdue": entry.flags.overdue,
        "reasons": list(entry.flags.reasons),
        "reviewed": item.reviewed.isoformat() if item.reviewed else None,
        "due": entry.flags.due.isoformat() if entry.flags.due else None,
        "review_every": item.review_months,
        "source": item.source,
        "tags": list(item.tags),
    }


def overdue(entries: list[ReviewEntry]) -> list[ReviewEntry]:
    return [entry for entry in entries if entry.flags.overdue]


async def mark_reviewed(
    session: AsyncSession, pk: int, expected_version: int, author_id: int | None, day: date
) -> AdminEntry:
    """Record that a person checked entry `pk` on `day` and it is still true (a new version).

    Raises `kb_admin.EntryChanged` when someone changed the entry after the caller read it,
    `kb_admin.EntryGone` when it was deleted.
    """
    row = await kb_admin._locked_row(session, pk, expected_version)
    if row.deleted_at is not None:
        raise kb_admin.EntryGone(pk)
    item = replace(entry_to_item(row), reviewed=day)
    return await kb_admin._save(session, row, item, kb_history.REVIEWED, author_id)


async def card_after(
    session: AsyncSession, reviewed_pk: int, position: int, day: date
) -> tuple[list[ReviewEntry], int]:
    """The review list after entry `reviewed_pk`, seen at `position`, was checked, and where
    the next card now stands: the entry most likely was overdue and moved down the list, so
    what was next is now at `position`."""
    entries = await review_list(session, day)
    if position < len(entries) and entries[position].pk == reviewed_pk:
        position += 1
    return entries, position


async def claim_reminder(session: AsyncSession, period: str, count: int) -> bool:
    """Take the right to send `period`'s reminder; False when it was already sent (by this
    process before a restart, or by another replica)."""
    if await session.get(KbReviewReminder, period) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(KbReviewReminder(period=period, overdue=count, sent_at=utcnow()))
    except IntegrityError:
        return False
    return True
