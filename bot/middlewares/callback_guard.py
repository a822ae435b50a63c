"""Button data is untrusted input: numbers Telegram's clients never send are refused early.

Every button the bot makes carries ids that fit the store's 64-bit integers. Callback data is
chosen by the client, though, so a forged button can carry ``9223372036854775808`` or a
hundred digits; binding that to a query raises deep inside a handler. Such a press gets the
usual "out of date" answer here, and nothing else runs.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.middlewares import Data, Handler

_NUMBER = re.compile(r"-?\d+")
_INT64 = 2**63


def has_forged_number(data: str | None) -> bool:
    """True when a ``:``-separated field is an integer outside the signed 64-bit range."""
    if not data:
        return False
    return any(
        _NUMBER.fullmatch(field) is not None and not -_INT64 <= int(field) < _INT64
        for field in data.split(":")
    )


class CallbackGuardMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        if isinstance(event, CallbackQuery) and has_forged_number(event.data):
            await event.answer(_("This button is out of date."), show_alert=True)
            return None
        return await handler(event, data)
