"""Keeps the role directory fresh and tells handlers whether the user is an admin or curator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services.roles import RoleDirectory


class RolesMiddleware(BaseMiddleware):
    def __init__(self, roles: RoleDirectory) -> None:
        self.roles = roles

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        await self.roles.refresh()
        user: User | None = data.get("event_from_user")
        data["is_admin"] = user is not None and self.roles.is_admin(user.id)
        data["is_curator"] = user is not None and self.roles.is_curator(user.id)
        return await handler(event, data)
