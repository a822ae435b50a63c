"""What a handler gets besides its update: one `Ctx` with the update's unit of work, the person
who sent it, and the services the process shares.

Handlers take `(event, ctx)` — plus `callback_data` for a button — instead of a growing list of
injected names, so adding a service to a journey changes one function, not its signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.middlewares import Data, Handler
from bot.services.users import Profile, ProfileCache

if TYPE_CHECKING:
    from bot.scheduler import Planner
    from bot.services.consultations import OpenCases
    from bot.services.knowledge import KnowledgeBase
    from bot.services.nlu_training import ModelTrainer
    from bot.services.questions import QuestionRecorder
    from bot.services.roles import RoleDirectory
    from nlu.client import NluClient


@dataclass(frozen=True, slots=True)
class Ctx:
    """One update's context: its unit of work and person, and the process's services."""

    # The update: its unit of work (committed by the middleware, never by a handler) and person.
    session: AsyncSession
    state: FSMContext
    storage: BaseStorage
    bot: Bot
    user: User | None
    profile: Profile | None
    language: str
    is_admin: bool
    is_curator: bool
    # The process.
    settings: Settings
    i18n: I18n
    session_factory: async_sessionmaker[AsyncSession]
    profiles: ProfileCache
    recorder: QuestionRecorder
    roles: RoleDirectory
    kb: KnowledgeBase
    nlu: NluClient
    trainer: ModelTrainer
    cases: OpenCases
    planner: Planner

    @property
    def user_id(self) -> int:
        """The sender's Telegram id (every handler with a `Ctx` has a sender)."""
        assert self.user is not None
        return self.user.id

    @property
    def is_staff(self) -> bool:
        return self.is_admin or self.is_curator

    def state_of(self, user_id: int) -> FSMContext:
        """Another person's private-chat state (a curator's focus set from a button)."""
        return FSMContext(self.storage, StorageKey(self.bot.id, user_id, user_id))


def _user_state(data: Data) -> FSMContext:
    """The sender's own state where the update has no chat (a button on an inline message)."""
    bot: Bot = data["bot"]
    user: User | None = data.get("event_from_user")
    user_id = user.id if user is not None else 0
    return FSMContext(data["fsm_storage"], StorageKey(bot.id, user_id, user_id))


class ContextMiddleware(BaseMiddleware):
    """Builds the `ctx` handed to handlers from what the outer middlewares have put in `data`.

    Registered last, after the session, locale and roles middlewares."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        data["ctx"] = Ctx(
            session=data["session"],
            state=data.get("state") or _user_state(data),
            storage=data["fsm_storage"],
            bot=data["bot"],
            user=data.get("event_from_user"),
            profile=data.get("profile"),
            language=data["language"],
            is_admin=data.get("is_admin", False),
            is_curator=data.get("is_curator", False),
            settings=data["settings"],
            i18n=data["i18n"],
            session_factory=data["session_factory"],
            profiles=data["profiles"],
            recorder=data["recorder"],
            roles=data["roles"],
            kb=data["kb"],
            nlu=data["nlu"],
            trainer=data["trainer"],
            cases=data["cases"],
            planner=data["planner"],
        )
        return await handler(event, data)
