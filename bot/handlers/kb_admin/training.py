"""/kb_retrain: retrain the NLU model from the knowledge base in the background; the admin is
told the evaluation figures when it is done, and the bot switches models only if not worse."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_percent

from bot.handlers.context import Ctx
from bot.services.knowledge import export_items
from bot.services.nlu_training import TrainingReport


def percent(value: float | None, language: str) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%", locale=language)


def report_text(report: TrainingReport, i18n: I18n, language: str) -> str:
    """The result in the admin's language (sent from a background task: the locale is explicit)."""
    if report.error is not None:
        return i18n.gettext(
            "❌ Retraining failed ({error}). Nothing changed: the current model keeps working. "
            "Details are in the bot's log.",
            locale=language,
        ).format(error=report.error[:300])
    figures = i18n.gettext(
        "Accuracy on {examples} test examples: before {before}, after {after}. Knowledge-base "
        "questions used as examples: {faq}.",
        locale=language,
    ).format(
        examples=report.test_examples,
        before=percent(report.accuracy_before, language),
        after=percent(report.accuracy_after, language),
        faq=report.faq_examples,
    )
    if report.swapped:
        headline = i18n.gettext(
            "✅ Retraining done; the bot now uses the new model.", locale=language
        )
    elif report.swap_error is not None:
        headline = i18n.gettext(
            "⚠️ Retraining done and the new model is saved, but the running Rasa server did "
            "not load it ({error}). It will be used when Rasa restarts.",
            locale=language,
        ).format(error=report.swap_error[:300])
    else:
        headline = i18n.gettext(
            "↩️ Retraining done, but the new model is worse, so the bot keeps the current one.",
            locale=language,
        )
    return headline + "\n" + figures


async def retrain(message: Message, ctx: Ctx) -> None:
    if ctx.trainer.running:
        await message.answer(
            _("A retraining is already running; I will write to you when it is done.")
        )
        return
    items = await export_items(ctx.session)
    chat_id, language, i18n, bot = message.chat.id, ctx.language, ctx.i18n, ctx.bot

    async def tell(report: TrainingReport) -> None:
        await bot.send_message(chat_id, report_text(report, i18n, language))

    ctx.trainer.start(items, ctx.settings.rasa_url, ctx.settings.rasa_token, tell)
    await message.answer(
        _(
            "🧠 Retraining started from the knowledge base's questions and paraphrases. It takes "
            "a few minutes; students keep getting answers meanwhile. I will write when it is done."
        )
    )


def create_router() -> Router:
    """Mounted under `bot.handlers.kb_admin.router`, which lets only admins in."""
    router = Router(name="kb_training")
    router.message.register(retrain, Command("kb_retrain"))
    return router
