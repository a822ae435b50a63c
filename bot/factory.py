"""Factories: the Bot, the Dispatcher with its middlewares and app-wide services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.fsm import FsmFlushMiddleware, StoreStorage
from bot.handlers import outreach
from bot.handlers.buddy import router as buddy
from bot.handlers.consultation import router as consultation
from bot.handlers.context import ContextMiddleware
from bot.handlers.curator_assist.router import create_router as create_curator_assist_router
from bot.handlers.dialogue import router as dialogue
from bot.handlers.digest.notices import schedule_weekly_digest
from bot.handlers.fallback import router as fallback
from bot.handlers.groups import router as groups
from bot.handlers.kb_admin import router as kb
from bot.handlers.kb_review.notices import schedule_review_reminder
from bot.handlers.membership import router as membership
from bot.handlers.menu import router as menu
from bot.handlers.notices import TelegramNotices
from bot.handlers.onboarding import router as onboarding
from bot.handlers.privacy import router as privacy
from bot.handlers.progress import router as progress
from bot.handlers.pulse import router as pulse
from bot.handlers.pulse.notices import schedule_pulse_dispatch
from bot.handlers.quiz import router as quiz
from bot.handlers.staff import router as staff
from bot.i18n import create_i18n
from bot.mail.jobs import schedule_mail_poll
from bot.middlewares.callback_guard import CallbackGuardMiddleware
from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.locale import LocaleMiddleware, language_from_code
from bot.middlewares.ordering import ChatOrderMiddleware
from bot.middlewares.outage import StoreOutageMiddleware, UpdateSpool
from bot.middlewares.roles import RolesMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.outbox.hooks import HookContext
from bot.outbox.sender import OutboxSender, Pacing
from bot.scheduler import Planner
from bot.scheduler.outreach import resume_outreach
from bot.services.consultations import OpenCases
from bot.services.knowledge import KnowledgeBase
from bot.services.nlu_training import ModelTrainer
from bot.services.questions import QuestionRecorder
from bot.services.roles import RoleDirectory
from bot.services.users import ProfileCache
from bot.shared_state import HandledOnce, SharedState, publish_changes_after_commit
from bot.telegram.errors import describe, is_benign
from bot.telegram.session import TelegramLimits, TelegramRetry
from nlu.client import NluClient

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything one bot process shares between updates."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    i18n: I18n
    nlu: NluClient
    kb: KnowledgeBase
    recorder: QuestionRecorder
    roles: RoleDirectory
    profiles: ProfileCache = field(default_factory=ProfileCache)
    trainer: ModelTrainer = field(default_factory=ModelTrainer)
    cases: OpenCases | None = None
    planner: Planner | None = None
    outbox: OutboxSender | None = None
    shared: SharedState | None = None

    def __post_init__(self) -> None:
        if self.cases is None:
            self.cases = OpenCases(self.session_factory)
        if self.planner is None:
            self.planner = Planner(self.settings)
        if self.outbox is None:
            self.outbox = create_outbox(self.settings, self.session_factory)
        self.outbox.make_context = self.outbox_context

    def outbox_context(self, bot: Bot) -> HookContext:
        """What the outbox's delivery hooks may use, with `bot`."""
        return HookContext(bot=bot, i18n=self.i18n, settings=self.settings, planner=self.planner)

    def start_outbox(self, bot: Bot) -> None:
        """Send what the outbox owes (left from before a restart, too) in the background."""
        assert self.outbox is not None
        self.outbox.start(self.outbox_context(bot))

    def start_scheduler(self, bot: Bot) -> None:
        """Run scheduled work (surveys, reminders, SLA nudges) with `bot`, and the outbox that
        delivers what it writes."""
        assert self.planner is not None and self.cases is not None
        self.start_outbox(bot)
        self.planner.start(
            bot,
            session_factory=self.session_factory,
            i18n=self.i18n,
            roles=self.roles,
            cases=self.cases,
            notices=TelegramNotices(),
        )
        # Announcements a stop interrupted continue.
        resume_outreach(self.planner)
        schedule_review_reminder(self.planner)
        schedule_weekly_digest(self.planner)
        schedule_pulse_dispatch(self.planner)
        schedule_mail_poll(self.planner)
        # Buddy-programme notices written while the bot was down (retention, say) go out.
        self.planner.buddy_notices()

    async def apply_changes(self, topics: dict[str, list[int]]) -> None:
        """Another replica committed changes: refresh the copies they made stale."""
        if "kb" in topics:
            await self.kb.refresh(self.session_factory)
        if "roles" in topics:
            await self.roles.refresh(force=True)
        if "cases" in topics and self.cases is not None:
            await self.cases.refresh(force=True)
        for user_id in topics.get("profiles", []):
            if user_id == -1:
                self.profiles.clear()
                break
            self.profiles.forget(user_id)

    async def aclose(self) -> None:
        if self.outbox is not None:
            await self.outbox.stop()
        if self.planner is not None:
            await self.planner.aclose()
        await self.recorder.aclose()
        await self.nlu.aclose()
        await self.engine.dispose()
        if self.shared is not None:
            await self.shared.aclose()


def create_outbox(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> OutboxSender:
    pacing = Pacing(
        rate=settings.outbox_rate,
        chat_rate=settings.outbox_chat_rate,
        chat_burst=settings.outbox_chat_burst,
        group_per_minute=settings.outbox_group_per_minute,
    )
    return OutboxSender(session_factory, pacing=pacing, give_up_after=settings.outbox_give_up_after)


def create_app(settings: Settings, *, nlu: NluClient | None = None) -> App:
    engine = create_engine(settings.database_url)
    shared = None
    if settings.redis_url:
        shared = SharedState(settings.redis_url, settings.redis_prefix)
        # A Session class of this app's own: its listeners publish this app's changes only.
        session_class = type("SharedSession", (Session,), {})
        publish_changes_after_commit(session_class, shared)
        session_factory = create_session_factory(engine, sync_session_class=session_class)
    else:
        session_factory = create_session_factory(engine)
    return App(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        i18n=create_i18n(settings.default_language),
        nlu=nlu or NluClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout),
        kb=KnowledgeBase(),
        recorder=QuestionRecorder(session_factory, flush_interval=settings.log_flush_interval),
        roles=RoleDirectory(session_factory, settings.admin_ids, settings.curator_ids),
        shared=shared,
    )


def create_routers() -> list[Router]:
    """All routers in the order they must see updates; the fallback router comes last."""
    return [
        onboarding.create_router(),
        privacy.create_router(),
        menu.create_router(),
        staff.create_router(),
        pulse.create_router(),
        kb.create_router(),
        kb.create_refusal_router(),
        consultation.create_router(),
        create_curator_assist_router(),
        outreach.create_router(),
        quiz.create_router(),
        progress.create_router(),
        groups.create_router(),
        buddy.create_router(),
        dialogue.create_router(),
        fallback.create_router(),
        membership.create_router(),
    ]


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None and settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    # Outermost first: a long text is split, then each part is retried on its own.
    bot.session.middleware(TelegramLimits())
    bot.session.middleware(TelegramRetry(settings.telegram_retry_budget))
    return bot


def create_dispatcher(app: App, storage: BaseStorage | None = None) -> Dispatcher:
    if storage is None:
        storage = app.shared.storage() if app.shared else StoreStorage(app.session_factory)
    dp = Dispatcher(
        storage=storage,
        events_isolation=app.shared.isolation() if app.shared else None,
        settings=app.settings,
        nlu=app.nlu,
        kb=app.kb,
        recorder=app.recorder,
        profiles=app.profiles,
        roles=app.roles,
        session_factory=app.session_factory,
        trainer=app.trainer,
        cases=app.cases,
        planner=app.planner,
        outbox=app.outbox,
    )
    locale = LocaleMiddleware(app.i18n, app.profiles)
    throttling = ThrottlingMiddleware(
        app.settings.throttle_burst,
        app.settings.throttle_window,
        roles=app.roles,
        cases=app.cases,
        shared=app.shared,
    )
    roles = RolesMiddleware(app.roles)
    context = ContextMiddleware()
    for observer in (dp.message, dp.edited_message, dp.callback_query):
        observer.outer_middleware(DbSessionMiddleware(app.session_factory))
        observer.outer_middleware(locale)
        observer.outer_middleware(throttling)
        observer.outer_middleware(roles)
        observer.outer_middleware(context)
    dp.callback_query.outer_middleware(CallbackGuardMiddleware())
    # One chat's updates in arrival order, so relayed messages keep their order.
    dp.update.outer_middleware(ChatOrderMiddleware())
    if isinstance(dp.storage, StoreStorage):
        dp.update.outer_middleware(FsmFlushMiddleware(dp.storage))
    if app.shared is not None:
        dp.update.outer_middleware(HandledOnce(app.shared))
    _keep_updates_through_store_outages(app, dp)
    dp.include_routers(*create_routers())
    dp.errors.register(_make_error_handler(app))
    return dp


def _keep_updates_through_store_outages(app: App, dp: Dispatcher) -> None:
    spool = UpdateSpool(
        app.settings.spool_file,
        app.engine,
        app.i18n,
        app.settings.default_language,
        retry_every=app.settings.spool_retry_every,
    )
    dp.update.outer_middleware(StoreOutageMiddleware(spool))
    dp["spool"] = spool

    async def start_replaying(bot: Bot, dispatcher: Dispatcher) -> None:
        spool.start(bot, dispatcher)

    dp.startup.register(start_replaying)
    dp.shutdown.register(spool.stop)


def _make_error_handler(app: App) -> Callable[[ErrorEvent, Bot], Awaitable[bool]]:
    async def on_error(event: ErrorEvent, bot: Bot) -> bool:
        """Log the failure and tell the user, in their language, that it did not work."""
        update: Update = event.update
        if is_benign(event.exception):
            log.info("update %s: %s", update.update_id, event.exception)
            return True
        if isinstance(event.exception, TelegramAPIError):
            log.warning("update %s: %s", update.update_id, describe(event.exception))
        else:
            log.error(
                "update %s failed: %r", update.update_id, event.exception, exc_info=event.exception
            )
        user = None
        chat_id = None
        if update.message is not None:
            user, chat_id = update.message.from_user, update.message.chat.id
        elif update.callback_query is not None:
            user = update.callback_query.from_user
            if update.callback_query.message is not None:
                chat_id = update.callback_query.message.chat.id
        if chat_id is None:
            return True
        known, profile = app.profiles.get(user.id) if user else (False, None)
        language = (
            profile.language
            if known and profile
            else language_from_code(
                user.language_code if user else None, app.settings.default_language
            )
        )
        text = app.i18n.gettext(
            "Sorry, something went wrong on my side and your request was not completed. "
            "Please try again in a minute.",
            locale=language,
        )
        try:
            await bot.send_message(chat_id, text)
        except TelegramAPIError:
            log.warning("could not tell chat %s about the failure", chat_id)
        return True

    return on_error
