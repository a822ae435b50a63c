"""The question log: every free-text question and its outcome, written in batches.

Writing a row per update would halve throughput on SQLite, and the reply does not depend on
it, so records are buffered and flushed every few seconds, at a batch size, and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import QuestionLog, utcnow
from bot.services.entry_stats import add_to_stats

log = logging.getLogger(__name__)

# What the bot did with a question.
ANSWERED = "answered"  # a confident knowledge-base answer
SUGGESTED = "suggested"  # "did you mean" choices
UNMATCHED = "unmatched"  # nothing fitted
ROUTED = "routed"  # handled by another intent (small talk, incident, ...)
UNANSWERED_OUTCOMES = (SUGGESTED, UNMATCHED)


@dataclass(slots=True)
class QuestionRecord:
    text: str
    language: str
    intent: str
    intent_confidence: float
    outcome: str
    user_id: int | None = None
    entry_pk: int | None = None
    score: float | None = None
    degraded: bool = False
    details: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=utcnow)


class QuestionRecorder:
    """Buffers question records and "shown" counters and writes them in one transaction."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        flush_interval: float = 2.0,
        batch_size: int = 200,
    ) -> None:
        self._session_factory = session_factory
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._records: list[QuestionRecord] = []
        self._shown: Counter[int] = Counter()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()

    def record(self, record: QuestionRecord) -> None:
        self._records.append(record)
        if record.entry_pk is not None and record.outcome == ANSWERED:
            self._shown[record.entry_pk] += 1
        if len(self._records) >= self._batch_size:
            self._wakeup.set()

    def count_shown(self, entry_pk: int) -> None:
        self._shown[entry_pk] += 1

    async def forget_user(self, user_id: int) -> None:
        """Drop buffered records of a user who deleted their data.

        Waits for a write in progress, so that nothing of the user's lands after deletion.
        """
        async with self._lock:
            self._records = [r for r in self._records if r.user_id != user_id]

    @property
    def pending(self) -> int:
        return len(self._records)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="question-recorder")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._flush_interval)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception:  # keep the records and try again on the next round
                log.exception("could not write the question log; will retry")

    async def flush(self) -> int:
        """Write everything buffered; on failure the records stay buffered."""
        async with self._lock:
            records, shown = self._records, self._shown
            if not records and not shown:
                return 0
            self._records, self._shown = [], Counter()
            try:
                async with self._session_factory() as session, session.begin():
                    if records:
                        # Core executemany: the ORM's bulk path costs far more per row.
                        await session.execute(
                            insert(QuestionLog.__table__),  # type: ignore[arg-type]
                            [
                                {
                                    "created_at": r.created_at,
                                    "user_id": r.user_id,
                                    "text": r.text,
                                    "language": r.language,
                                    "intent": r.intent,
                                    "intent_confidence": r.intent_confidence,
                                    "entry_pk": r.entry_pk,
                                    "score": r.score,
                                    "outcome": r.outcome,
                                    "degraded": r.degraded,
                                    "details": r.details,
                                }
                                for r in records
                            ],
                        )
                    if shown:
                        await _add_shown(session, shown)
            except Exception:
                self._records = records + self._records
                self._shown.update(shown)
                raise
            return len(records)

    async def aclose(self) -> None:
        """Stop the background task and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()
        except Exception:
            # Last resort, so that no question is lost: the records go to the log.
            log.exception("could not write %d question-log records at shutdown", len(self._records))
            for record in self._records:
                log.error("unsaved question-log record: %r", record)


async def _add_shown(session: AsyncSession, shown: Counter[int]) -> None:
    await add_to_stats(session, [{"entry_pk": pk, "shown": n} for pk, n in shown.items()])
