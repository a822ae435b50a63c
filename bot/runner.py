"""Running the bot: prepare the store, then long polling or a webhook server."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.commands import register_commands, register_staff_commands
from bot.config import KNOWLEDGE_BASE_DIR, Settings
from bot.db.migrate import upgrade
from bot.factory import App, create_app, create_bot, create_dispatcher
from bot.services.kb_admin import watch_store
from bot.services.knowledge import count_entries, import_items
from bot.services.users import forget_old_mail_senders, purge_inactive
from knowledge_base.loader import load_paths

log = logging.getLogger(__name__)


async def prepare_store(app: App, *, seed: bool = True) -> None:
    """Apply migrations, seed an empty knowledge base from the YAML, load the search index."""
    await asyncio.to_thread(upgrade, app.settings.database_url)
    if seed:
        async with app.session_factory() as session, session.begin():
            if await count_entries(session) == 0:
                result = load_paths([KNOWLEDGE_BASE_DIR])
                if result.problems:
                    for problem in result.problems:
                        log.error("knowledge base: %s", problem)
                summary = await import_items(session, result.items)
                log.info("knowledge base seeded with %d entries", summary.added)
    if seed:
        await seed_learning(app)
        await seed_lexicon(app)
    await app.kb.reload(app.session_factory)
    log.info("knowledge base: %d published entries", len(app.kb))
    from bot.services.progress import ladder

    ladder()  # a broken knowledge_base/levels.yml stops the start, naming file and line


async def seed_lexicon(app: App) -> None:
    """Load knowledge_base/lexicon.yml into an empty lexicon table."""
    from bot.services.lexicon import count_groups, import_groups
    from knowledge_base.lexicon import DEFAULT_LEXICON_PATH, LexiconError, load_lexicon_file

    async with app.session_factory() as session, session.begin():
        if await count_groups(session) == 0:
            try:
                groups = load_lexicon_file(DEFAULT_LEXICON_PATH)
            except (OSError, LexiconError) as error:
                log.error("lexicon not seeded: %s", error)
                return
            summary = await import_groups(session, groups)
            log.info("lexicon seeded with %d groups", summary.added)


async def seed_learning(app: App) -> None:
    """Load knowledge_base/learning into an empty learning-materials table."""
    from bot.services.learning import count_materials, import_materials
    from knowledge_base.learning import load_materials

    async with app.session_factory() as session, session.begin():
        if await count_materials(session) == 0:
            result = load_materials()
            for problem in result.problems:
                log.error("learning materials: %s", problem)
            summary = await import_materials(session, result.items)
            log.info("learning materials seeded with %d entries", summary.added)


async def _report_nlu(app: App) -> None:
    if await app.nlu.is_available():
        log.info("NLU service at %s is available", app.settings.rasa_url)
    else:
        log.warning(
            "NLU service at %s is not reachable: answering in degraded mode "
            "(knowledge-base search and simple rules) until it is back",
            app.settings.rasa_url,
        )


# A plain loop rather than a job in the persistent store: purging is idempotent and each
# start runs it at once, so persistence would add nothing.
RETENTION_CHECK_EVERY = 6 * 3600


async def enforce_retention(app: App) -> None:
    """Delete students inactive for RETENTION_DAYS, and the senders of e-mail consultations
    finished that long ago, now and every few hours."""
    while True:
        try:
            async with app.session_factory() as session, session.begin():
                deleted = await purge_inactive(session, app.settings.retention_days)
                senders = await forget_old_mail_senders(session, app.settings.retention_days)
            if deleted:
                log.info("retention: deleted the data of %d inactive users", deleted)
            if senders:
                log.info("retention: removed the sender of %d old e-mail consultations", senders)
        except Exception:
            log.exception("retention check failed; will retry")
        await asyncio.sleep(RETENTION_CHECK_EVERY)


async def run(settings: Settings) -> None:
    """Run the bot until interrupted."""
    if not settings.bot_token.get_secret_value():
        raise SystemExit("BOT_TOKEN is not set: put it in .env or the environment (see README).")
    app = create_app(settings)
    bot = create_bot(settings)
    background: list[asyncio.Task[None]] = []
    try:
        await prepare_store(app)
        await _report_nlu(app)
        app.recorder.start()
        if app.cases is not None:
            await app.cases.refresh(force=True)
        # Messages owed from before a stop go out (in each chat's order) as the outbox starts;
        # surveys, nudges and reminders that came due while the bot was down are sent now, once.
        # Replicas leave this to the one `kelisim worker` (SCHEDULER=off).
        if settings.scheduler:
            app.start_scheduler(bot)
            background.append(asyncio.create_task(enforce_retention(app), name="retention"))
        background.append(
            asyncio.create_task(watch_store(app.kb, app.session_factory), name="kb-watch")
        )
        if app.shared is not None:
            background.append(
                asyncio.create_task(app.shared.listen(app.apply_changes), name="changes")
            )
        dp = create_dispatcher(app)
        await register_commands(bot, app.i18n, settings.default_language)
        await _register_staff_commands(app, bot)
        if settings.webhook_url:
            await _run_webhook(bot, dp, settings)
        else:
            await refuse_polling_over_a_webhook(bot)
            await dp.start_polling(bot, handle_signals=True)
    finally:
        for task in background:
            task.cancel()
        await app.aclose()
        await bot.session.close()


async def run_worker(settings: Settings) -> None:
    """Scheduled work and the outbox for every replica (which run with SCHEDULER=off)."""
    if not settings.bot_token.get_secret_value():
        raise SystemExit("BOT_TOKEN is not set: put it in .env or the environment (see README).")
    app = create_app(settings)
    bot = create_bot(settings)
    background: list[asyncio.Task[None]] = []
    try:
        await prepare_store(app)
        if app.cases is not None:
            await app.cases.refresh(force=True)
        await app.roles.refresh(force=True)
        app.start_scheduler(bot)
        background.append(asyncio.create_task(enforce_retention(app), name="retention"))
        if app.shared is not None:
            background.append(
                asyncio.create_task(app.shared.listen(app.apply_changes), name="changes")
            )
        log.info("worker: scheduler and outbox running")
        await asyncio.Event().wait()
    finally:
        for task in background:
            task.cancel()
        await app.aclose()
        await bot.session.close()


async def _register_staff_commands(app: App, bot: Bot) -> None:
    await app.roles.refresh(force=True)
    async with app.session_factory() as session:
        await register_staff_commands(bot, session, app.i18n, app.settings, app.roles)


async def _run_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    from bot.webhook import WEBHOOK_PATH, create_web_app

    await bot.set_webhook(
        (settings.webhook_url or "").rstrip("/") + WEBHOOK_PATH,
        secret_token=settings.webhook_secret,
        drop_pending_updates=False,
    )
    runner = web.AppRunner(create_web_app(bot, dp, settings.webhook_secret))
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info(
        "webhook server on %s:%s%s", settings.webhook_host, settings.webhook_port, WEBHOOK_PATH
    )
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def refuse_polling_over_a_webhook(bot: Bot) -> None:
    """Polling would steal updates from (or fight with) a webhook someone else set."""
    try:
        info = await bot.get_webhook_info()
    except Exception as exc:
        log.warning("getWebhookInfo failed (%s); polling anyway", exc)
        return
    url = getattr(info, "url", None)
    if isinstance(url, str) and url:
        raise SystemExit(
            f"A webhook is active for this bot ({url}): Telegram sends updates there, so polling "
            "would get none. Run with WEBHOOK_URL set (webhook mode), or remove the webhook "
            "first (Bot API deleteWebhook) if that deployment is gone."
        )
