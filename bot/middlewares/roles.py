"""Keeps the role directory fresh and tells handlers whether the user is an admin or curator."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.middlewares import Data, Handler
from bot.services.roles import RoleDirectory


class RolesMiddleware(BaseMiddleware):
    def __init__(self, roles: RoleDirectory) -> None:
        self.roles = roles

    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        await self.roles.refresh()
        user: User | None = data.get("event_from_user")
        data["is_admin"] = user is not None and self.roles.is_admin(user.id)
        data["is_curator"] = user is not None and self.roles.is_curator(user.id)
        return await handler(event, data)
