"""What happens once an outbox row is delivered (or given up): named hooks, looked up here.

A row stores a hook's name and JSON arguments, never a callable, so it survives a restart. The
sender runs the hook in its own transaction, after the delivery, with what Telegram returned
(the message id), so follow-ups count from the moment of delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.utils.i18n import I18n

    from bot.config import Settings
    from bot.scheduler import Planner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One outbox row's outcome, as a hook sees it."""

    row_id: int
    chat_id: int
    message_id: int | None
    at: datetime
    error: str | None = None


@dataclass
class HookContext:
    """The process's services a hook may use (the planner is absent outside the bot)."""

    bot: Bot
    i18n: I18n
    settings: Settings
    planner: Planner | None = None


Hook = Callable[[HookContext, AsyncSession, Delivery, dict[str, Any]], Awaitable[None]]

_HOOKS: dict[str, Hook] = {}


def hook(name: str) -> Callable[[Hook], Hook]:
    """Register `func` under `name` (a stable string: rows keep it across releases)."""

    def register(func: Hook) -> Hook:
        if _HOOKS.get(name, func) is not func:
            raise ValueError(f"outbox hook {name!r} is registered twice")
        _HOOKS[name] = func
        return func

    return register


def find(name: str) -> Hook | None:
    return _HOOKS.get(name)
