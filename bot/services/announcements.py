"""Announcements from admins to all students or to one event kind's subscribers.

Every recipient gets a delivery row when the admin confirms. The sender claims rows in
small batches (pending -> claimed) before sending them and records each outcome after, so a
restart resumes with the rows still pending and never repeats a claimed one: at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Announcement,
    AnnouncementDelivery,
    EventKindSubscription,
    NotificationSettings,
    User,
    utcnow,
)
from bot.services.events import KINDS
from bot.services.notifications import CONSENT_WITHDRAWN

ALL = "all"
PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
SKIPPED = "skipped"
BLOCKED = "blocked"
FAILED = "failed"
SENDING = "sending"
DONE = "done"
# Claimed together; a crash (not a stop) can leave at most this many unsent.
BATCH = 10
TEXT_MAX = 3500


def audience_ok(audience: str) -> bool:
    return audience == ALL or audience in KINDS


async def audience_size(session: AsyncSession, audience: str) -> int:
    """How many students the announcement would be addressed to (before preferences)."""
    return int(
        await session.scalar(select(func.count()).select_from(_audience(audience).subquery())) or 0
    )


def _audience(audience: str) -> Select[int]:
    query = select(User.id).where(User.consent_version != CONSENT_WITHDRAWN)
    if audience != ALL:
        subscribed = select(EventKindSubscription.user_id).where(
            EventKindSubscription.kind == audience
        )
        query = query.where(User.id.in_(subscribed))
    return query


async def create(
    session: AsyncSession, author_id: int, audience: str, text_kk: str, text_ru: str
) -> tuple[int, int]:
    """Store the announcement and a pending delivery per recipient; (id, recipients)."""
    if not audience_ok(audience):
        raise ValueError(f"unknown audience {audience!r}")
    if not text_kk.strip() or not text_ru.strip():
        raise ValueError("both languages are required")
    announcement = Announcement(
        author_id=author_id, audience=audience, text_kk=text_kk, text_ru=text_ru, status=SENDING
    )
    session.add(announcement)
    await session.flush()
    source = _audience(audience).subquery()
    result = await session.execute(
        insert(AnnouncementDelivery).from_select(
            ["announcement_id", "user_id", "status"],
            select(literal(announcement.id), source.c.id, literal(PENDING)),
        )
    )
    await session.flush()
    return announcement.id, int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Item:
    user_id: int
    language: str
    skip: str | None  # "skipped" (announcements off or consent withdrawn), "blocked", or None


@dataclass(slots=True)
class Batch:
    text_kk: str
    text_ru: str
    items: list[Item] = field(default_factory=list)


async def claim_batch(
    session: AsyncSession, announcement_id: int, size: int = BATCH
) -> Batch | None:
    """Claim the next pending recipients; None when the announcement is done or unknown,
    an empty batch when nothing is left to send."""
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None or announcement.status != SENDING:
        return None
    ids = (
        await session.scalars(
            select(AnnouncementDelivery.user_id)
            .where(
                AnnouncementDelivery.announcement_id == announcement_id,
                AnnouncementDelivery.status == PENDING,
            )
            .order_by(AnnouncementDelivery.user_id)
            .limit(size)
            # PostgreSQL: a second sender takes the next rows instead of waiting on these
            # (SQLite ignores it; its single writer already serialises the claims).
            .with_for_update(skip_locked=True)
        )
    ).all()
    batch = Batch(announcement.text_kk, announcement.text_ru)
    if not ids:
        return batch
    claimed = (
        await session.scalars(
            update(AnnouncementDelivery)
            .where(
                AnnouncementDelivery.announcement_id == announcement_id,
                AnnouncementDelivery.user_id.in_(ids),
                AnnouncementDelivery.status == PENDING,
            )
            .values(status=CLAIMED)
            .returning(AnnouncementDelivery.user_id)
        )
    ).all()
    rows = await session.execute(
        select(
            User.id,
            User.language,
            User.consent_version,
            User.blocked_bot,
            func.coalesce(NotificationSettings.announcements, True),
        )
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(User.id.in_(claimed))
    )
    found = set()
    for user_id, language, consent, blocked, wanted in rows:
        found.add(user_id)
        skip = None
        if consent == CONSENT_WITHDRAWN or not wanted:
            skip = SKIPPED
        elif blocked:
            skip = BLOCKED
        batch.items.append(Item(user_id, language, skip))
    # Students who deleted their data since the announcement was confirmed.
    batch.items += [Item(user_id, "kk", SKIPPED) for user_id in claimed if user_id not in found]
    return batch


async def record_outcomes(
    session: AsyncSession, announcement_id: int, outcomes: dict[int, str]
) -> None:
    """Write what happened to each claimed recipient, in one statement."""
    if not outcomes:
        return
    await session.execute(
        update(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.announcement_id == announcement_id,
            AnnouncementDelivery.user_id.in_(outcomes),
        )
        .values(status=case(outcomes, value=AnnouncementDelivery.user_id))
    )
    sent = [user_id for user_id, status in outcomes.items() if status == SENT]
    if sent:
        await session.execute(
            update(AnnouncementDelivery)
            .where(
                AnnouncementDelivery.announcement_id == announcement_id,
                AnnouncementDelivery.user_id.in_(sent),
            )
            .values(sent_at=utcnow())
        )


async def release(session: AsyncSession, announcement_id: int, user_ids: list[int]) -> None:
    """Put claimed recipients that were not sent to back to pending (after a stop)."""
    if not user_ids:
        return
    await session.execute(
        update(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.announcement_id == announcement_id,
            AnnouncementDelivery.user_id.in_(user_ids),
            AnnouncementDelivery.status == CLAIMED,
        )
        .values(status=PENDING)
    )


async def unfinished(session: AsyncSession) -> list[int]:
    """Announcements still being delivered."""
    return list(
        (await session.scalars(select(Announcement.id).where(Announcement.status == SENDING))).all()
    )


@dataclass(frozen=True, slots=True)
class Summary:
    announcement_id: int
    author_id: int
    audience: str
    delivered: int
    skipped: int
    blocked: int
    failed: int
    interrupted: int


async def counts(session: AsyncSession, announcement_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(AnnouncementDelivery.status, func.count())
        .where(AnnouncementDelivery.announcement_id == announcement_id)
        .group_by(AnnouncementDelivery.status)
    )
    return {status: int(n) for status, n in rows}


async def finish(session: AsyncSession, announcement_id: int) -> Summary | None:
    """Mark the announcement done and sum up; None if another run already finished it."""
    result = await session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id, Announcement.status == SENDING)
        .values(status=DONE, finished_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    announcement = await session.get(Announcement, announcement_id)
    assert announcement is not None
    by_status = await counts(session, announcement_id)
    return Summary(
        announcement_id,
        announcement.author_id,
        announcement.audience,
        delivered=by_status.get(SENT, 0),
        skipped=by_status.get(SKIPPED, 0),
        blocked=by_status.get(BLOCKED, 0),
        failed=by_status.get(FAILED, 0),
        # claimed but never recorded: the bot stopped while sending them
        interrupted=by_status.get(CLAIMED, 0),
    )
