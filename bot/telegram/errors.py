"""Which Telegram errors are normal life rather than failures."""

from __future__ import annotations

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

# Double clicks and slow networks produce these all day; they change nothing a user sees.
_BENIGN = (
    "message is not modified",
    "query is too old",
    "query id is invalid",
    "message to edit not found",
    "message to delete not found",
)


def is_benign(error: BaseException) -> bool:
    """True for the errors a double click or a stale button causes."""
    if not isinstance(error, TelegramBadRequest):
        return False
    text = str(error.message).lower()
    return any(marker in text for marker in _BENIGN)


def describe(error: TelegramAPIError) -> str:
    """ "sendMessage to 42: Forbidden: bot was blocked by the user" for a log line."""
    method = error.method
    name = getattr(method, "__api_method__", type(method).__name__)
    chat = getattr(method, "chat_id", None)
    return f"{name} to {chat}: {error.message}"
