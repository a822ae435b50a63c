"""What the scheduled jobs of this process use, set when the planner starts.

APScheduler stores a job as "module:function" plus pickled ids, so a job can reach the Bot,
the store and the notices only through something importable: this module.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.scheduler.port import Notices
from bot.scheduler.sending import Pacer
from bot.services.consultations import OpenCases
from bot.services.roles import RoleDirectory

if TYPE_CHECKING:
    from bot.scheduler.planner import Planner

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What scheduled jobs of this process use; set when the planner starts."""

    bot: Bot
    session_factory: async_sessionmaker[AsyncSession]
    i18n: I18n
    settings: Settings
    roles: RoleDirectory
    cases: OpenCases
    planner: Planner
    pacer: Pacer
    notices: Notices


_context: JobContext | None = None


def set_context(context: JobContext | None) -> None:
    global _context
    _context = context


def clear_context(planner: Planner) -> None:
    """Forget the context if `planner` set it (a stopped planner runs nothing)."""
    if _context is not None and _context.planner is planner:
        set_context(None)


def job_context() -> JobContext | None:
    """The running process's context; None (logged) when no planner was started."""
    if _context is None:
        log.error("a scheduled job ran without a started planner; it will be skipped")
    return _context


P = ParamSpec("P")


def scheduled_job(
    body: Callable[Concatenate[JobContext, P], Awaitable[None]],
) -> Callable[P, Awaitable[None]]:
    """A job function: `body` runs with this process's context, and is skipped (logged) in a
    process whose planner did not start. The job keeps the body's module and name, which is
    what APScheduler stores, and takes the body's arguments without the context."""

    @functools.wraps(body)
    async def job(*args: P.args, **kwargs: P.kwargs) -> None:
        ctx = job_context()
        if ctx is not None:
            await body(ctx, *args, **kwargs)

    return job
