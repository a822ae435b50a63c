"""The question log: every free-text question and its outcome, written in batches.

Writing a row per update would halve throughput on SQLite, and the reply does not depend on
it, so records are buffered and flushed every few seconds, at a batch size, and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import QuestionLog, utcnow
from bot.services.entry_stats import add_to_stats

log = logging.getLogger(__name__)

# What the bot did with a question.
ANSWERED = "answered"  # a confident knowledge-base answer
SUGGESTED = "suggested"  # "did you mean" choices
UNMATCHED = "unmatched"  # nothing fitted
ROUTED = "routed"  # handled by another intent (small talk, incident, ...)
CHOSEN = "chosen"  # "did you mean" where the student picked an entry
NOT_HELPFUL = "not_helpful"  # the student voted 👎 on the answer
# What admins see in /unanswered: "did you mean" with nothing chosen (yet), no answer at all,
# and answers the student said did not help.
UNANSWERED_OUTCOMES = (SUGGESTED, UNMATCHED, NOT_HELPFUL)

# A mark for a question still buffered by another replica is retried this long.
_MARK_PATIENCE = 60.0


def new_question_ref() -> str:
    """A random token for the buttons under one reply (fits Telegram's 64-byte callback data)."""
    return secrets.token_urlsafe(9)


@dataclass(slots=True)
class _Mark:
    ref: str
    outcome: str
    from_outcomes: tuple[str, ...]
    entry_pk: int | None
    since: float = field(default_factory=time.monotonic)


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
    ref: str | None = None


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
        self._marks: list[_Mark] = []
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

    def mark(
        self,
        ref: str,
        outcome: str,
        *,
        from_outcomes: tuple[str, ...],
        entry_pk: int | None = None,
    ) -> None:
        """Change the outcome of the question `ref` (a choice, a 👎) if it is in `from_outcomes`.

        A question still in the buffer changes there; otherwise the change is written with the
        next batch, and retried for a while in case another replica has not written it yet.
        """
        for record in self._records:
            if record.ref == ref:
                if record.outcome in from_outcomes:
                    record.outcome = outcome
                    if entry_pk is not None:
                        record.entry_pk = entry_pk
                return
        self._marks.append(_Mark(ref, outcome, from_outcomes, entry_pk))
        self._wakeup.set()

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
            records, shown, marks = self._records, self._shown, self._marks
            if not records and not shown and not marks:
                return 0
            self._records, self._shown, self._marks = [], Counter(), []
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
                                    "ref": r.ref,
                                }
                                for r in records
                            ],
                        )
                    if shown:
                        await _add_shown(session, shown)
                    waiting = await _apply_marks(session, marks)
            except Exception:
                self._records = records + self._records
                self._shown.update(shown)
                self._marks = marks + self._marks
                raise
            now = time.monotonic()
            self._marks = [m for m in waiting if now - m.since < _MARK_PATIENCE] + self._marks
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


async def _apply_marks(session: AsyncSession, marks: list[_Mark]) -> list[_Mark]:
    """Apply the marks whose question is stored; returns those whose question is not (yet)."""
    waiting = []
    for mark in marks:
        values: dict[str, Any] = {"outcome": mark.outcome}
        if mark.entry_pk is not None:
            values["entry_pk"] = mark.entry_pk
        result = await session.execute(
            update(QuestionLog)
            .where(QuestionLog.ref == mark.ref, QuestionLog.outcome.in_(mark.from_outcomes))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            exists = await session.scalar(select(QuestionLog.id).where(QuestionLog.ref == mark.ref))
            if exists is None:
                waiting.append(mark)
    return waiting


async def _add_shown(session: AsyncSession, shown: Counter[int]) -> None:
    await add_to_stats(session, [{"entry_pk": pk, "shown": n} for pk, n in shown.items()])
