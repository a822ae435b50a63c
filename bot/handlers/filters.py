"""Filters as coroutines: aiogram runs plain callables (magic filters included) in a thread
pool, which costs more than the rest of a typical update, so hot-path filters are async."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message


class PrivateChat(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private"


class FreeText(Filter):
    """A text message that is not a command."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and not message.text.startswith("/")


class CommandText(Filter):
    """Any text starting with '/', known command or not."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text.startswith("/")


class HasRole(Filter):
    """Passes for admins (role "admin") or curators (role "curator"); admins also pass as
    curators, since they supervise the curators' work."""

    def __init__(self, role: str) -> None:
        self.role = role

    async def __call__(
        self, event: object, is_admin: bool = False, is_curator: bool = False
    ) -> bool:
        if self.role == "admin":
            return is_admin
        return is_curator or is_admin
