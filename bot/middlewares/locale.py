"""Who is writing and in which language: the stored profile, else the choice made before
consent (kept in FSM data, not in the store), else Telegram's language_code."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n.middleware import I18nMiddleware
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import LANGUAGES
from bot.services.users import Profile, ProfileCache, load_profile, touch

PENDING_LANGUAGE_KEY = "language"


def language_from_code(code: str | None, default: str) -> str:
    """Map Telegram's language_code to kk or ru."""
    if not code:
        return default
    code = code.lower().split("-")[0]
    if code in LANGUAGES:
        return code
    # Students whose Telegram speaks another CIS language usually read Russian.
    if code in ("uk", "be", "ky", "uz", "tg", "az", "hy", "ka"):
        return "ru"
    return default


class LocaleMiddleware(I18nMiddleware):
    """Puts `profile` (or None) and `language` into the handler data and sets the locale."""

    def __init__(self, i18n: I18n, profiles: ProfileCache) -> None:
        super().__init__(i18n)
        self.profiles = profiles

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        profile: Profile | None = None
        if user is not None and not user.is_bot:
            known, profile = self.profiles.get(user.id)
            session: AsyncSession | None = data.get("session")
            if not known and session is not None:
                profile = await load_profile(session, user.id)
                if profile is not None:
                    await touch(session, user.id)
                self.profiles.put(user.id, profile)
        data["profile"] = profile
        if profile is not None:
            language = profile.language
        else:
            language = await self._pending_language(data) or language_from_code(
                user.language_code if user else None, self.i18n.default_locale
            )
        data["language"] = language
        return language

    @staticmethod
    async def _pending_language(data: dict[str, Any]) -> str | None:
        state: FSMContext | None = data.get("state")
        if state is None:
            return None
        value = (await state.get_data()).get(PENDING_LANGUAGE_KEY)
        return value if value in LANGUAGES else None
