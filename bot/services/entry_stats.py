"""Per-entry counters (shown, helpful, not helpful), added to in SQL so that concurrent
writers — the question log's batches and students' votes — never lose or clash over a row."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqEntry, FaqEntryStats

COUNTERS = ("shown", "helpful", "not_helpful")


async def add_to_stats(session: AsyncSession, increments: Iterable[dict[str, int]]) -> None:
    """Add each `{"entry_pk", "shown", "helpful", "not_helpful"}` to its entry's counters.

    One upsert executed for all rows; entries deleted meanwhile are skipped.
    """
    rows = [{"pk": r["entry_pk"], **{c: r.get(c, 0) for c in COUNTERS}} for r in increments]
    if not rows:
        return
    connection = await session.connection()
    insert_fn = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table: Table = FaqEntryStats.__table__  # type: ignore[assignment]
    source = select(FaqEntry.pk, *(bindparam(c, type_=Integer) for c in COUNTERS)).where(
        FaqEntry.pk == bindparam("pk", type_=Integer)
    )
    statement = insert_fn(table).from_select(["entry_pk", *COUNTERS], source)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.entry_pk],
        set_={c: table.c[c] + statement.excluded[c] for c in COUNTERS},
    )
    await connection.execute(statement, rows)
