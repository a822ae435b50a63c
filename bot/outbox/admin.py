"""What an operator sees and does with the outbox (`kelisim outbox`): counts by status, the
rows still owed or given up, and putting rows back to be sent again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware
from bot.db.models import utcnow
from bot.outbox.model import DEAD, FAILED, PENDING, SENDING, STATUSES, OutboxMessage

SHOWN = (PENDING, SENDING, FAILED, DEAD)


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many rows are in each status (every status listed, zeros included)."""
    found = dict(
        (
            await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
        ).all()
    )
    return {status: int(found.get(status, 0)) for status in STATUSES}


async def rows(
    session: AsyncSession, statuses: Iterable[str] = SHOWN, limit: int = 50
) -> Sequence[OutboxMessage]:
    """Rows in `statuses`, oldest first."""
    return (
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(tuple(statuses)))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ).all()


def describe(row: OutboxMessage) -> dict[str, Any]:
    """A row as plain values (no message text: it may be personal)."""
    return {
        "id": row.id,
        "status": row.status,
        "chat_id": row.chat_id,
        "method": row.method,
        "attempts": row.attempts,
        "created_at": aware(row.created_at).isoformat(),
        "next_attempt": aware(row.not_before).isoformat() if row.status == FAILED else None,
        "last_error": row.last_error,
    }


async def retry(session: AsyncSession, ids: Iterable[int] = (), *, dead: bool = False) -> int:
    """Put failed or dead rows (`ids`, or every dead one) back to be sent now."""
    ids = tuple(ids)
    condition = (
        OutboxMessage.status == DEAD
        if dead and not ids
        else OutboxMessage.id.in_(ids) & OutboxMessage.status.in_((FAILED, DEAD))
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(condition)
        .values(status=PENDING, not_before=utcnow(), lease_until=None, created_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
