"""Side effects after commit.

A use case records what must leave the process — a message to someone other than the sender,
a scheduled job, a cancelled job — with `after_commit(session, effect)`. The effects run, in
order, only once the session's transaction has committed, and are dropped when it rolls back:
a consultation that is not stored never reaches a curator and leaves no SLA job.

Each effect runs in a copy of the context it was recorded in, so the locale and the i18n
context of the update are those it would have had inline. An effect may use the session: its
writes (a card's message id, a delivery mark) are committed right after it, and an effect that
fails is logged and rolled back without stopping the next one.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

_KEY = "kelisim.after_commit"

Effect = Callable[[], Any]


def after_commit(session: AsyncSession, effect: Effect) -> None:
    """Run `effect` (a plain or async callable) once `session` commits; dropped on rollback."""
    session.info.setdefault(_KEY, []).append((effect, contextvars.copy_context()))


def pending_effects(session: AsyncSession) -> int:
    """How many effects wait for the commit (for tests and diagnostics)."""
    return len(session.info.get(_KEY, ()))


def discard(session: AsyncSession) -> None:
    """Forget the recorded effects: the transaction rolled back."""
    session.info.pop(_KEY, None)


async def _call(effect: Effect) -> None:
    result = effect()
    if inspect.isawaitable(result):
        await result


async def run_after_commit(session: AsyncSession) -> None:
    """Carry out the recorded effects; call only after a successful commit."""
    while effects := session.info.pop(_KEY, None):
        for effect, context in effects:
            try:
                await asyncio.create_task(_call(effect), context=context.copy())
                if session.in_transaction():
                    await session.commit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("a side effect after commit failed: %r", effect)
                if session.in_transaction():
                    await session.rollback()


@asynccontextmanager
async def unit_of_work(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A transaction outside an update (jobs, the CLI) whose effects run after it commits."""
    async with session_factory() as session:
        try:
            async with session.begin():
                yield session
        except BaseException:
            discard(session)
            raise
        await run_after_commit(session)
