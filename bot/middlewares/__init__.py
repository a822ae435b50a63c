"""Outer middlewares: a database session per update, the user's profile and locale, flood control."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject

# What an outer middleware gets: the rest of the chain, and the data handed along it.
Data = dict[str, Any]
Handler = Callable[[TelegramObject, Data], Awaitable[Any]]
