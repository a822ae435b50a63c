"""Free text: NLU, then the knowledge base, small talk or one of the journeys."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers import entry_points as journeys
from bot.handlers.callbacks import ShowEntry, Vote
from bot.handlers.common import stale_button, switch_language
from bot.handlers.context import Ctx
from bot.handlers.filters import FreeText, PrivateChat
from bot.handlers.keyboards import (
    curator_offer_keyboard,
    delete_keyboard,
    language_keyboard,
    menu_keyboard,
    suggestions_keyboard,
)
from bot.handlers.texts import capabilities, language_name
from bot.services.dialogue import Action, Decision, decide
from bot.services.knowledge import record_vote
from bot.services.questions import (
    ANSWERED,
    CHOSEN,
    NOT_HELPFUL,
    ROUTED,
    SUGGESTED,
    UNMATCHED,
    QuestionRecord,
    new_question_ref,
)
from nlu.client import NluResult

log = logging.getLogger(__name__)

# Longer messages are read only this far: enough for any question, and Rasa stays fast.
MAX_QUESTION_CHARS = 1_000


def small_talk_reply(intent: str) -> str:
    replies = {
        "greet": _(
            "Hello! 👋 Ask me anything about interethnic accord, your rights, holidays or student life."
        ),
        "goodbye": _("Goodbye! Come back any time — I am here day and night."),
        "thanks": _("You are welcome! Is there anything else I can help with?"),
        "help": capabilities(),
        "bot_challenge": _(
            "I am a bot, Kelisim. I answer from a knowledge base checked by people. "
            "If you want to talk to a person, I will connect you with a curator."
        ),
        "affirm": _("Good! Write your question, or open the /menu."),
        "deny": _("All right. If you need anything, just write."),
    }
    return replies.get(intent, capabilities())


async def handle_text(message: Message, ctx: Ctx) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(_("Your message is empty. Write your question in words."))
        return
    if len(text) > MAX_QUESTION_CHARS:
        await message.answer(
            _(
                "Your message is very long, so I read its beginning. To tell a whole story, "
                "a curator is better than me."
            ),
            reply_markup=curator_offer_keyboard(),
        )
        text = text[:MAX_QUESTION_CHARS]
    parsed = await ctx.nlu.parse(text)
    search = ctx.kb.search(text, ctx.language)
    decision = decide(text, parsed, search, ctx.settings.intent_threshold)
    ref = new_question_ref()
    outcome = await _act(message, decision, ctx, ref)
    _record(ctx, text, parsed, decision, outcome, ref)


def _record(
    ctx: Ctx, text: str, parsed: NluResult, decision: Decision, outcome: str, ref: str
) -> None:
    """The question goes to the question log (batched), with what the bot did with it."""
    entry = ctx.kb.by_slug(decision.entry_id) if decision.entry_id else None
    details: dict[str, object] = {"action": decision.action.value}
    if decision.suggestions:
        details["suggestions"] = decision.suggestions
    ctx.recorder.record(
        QuestionRecord(
            text=text,
            language=ctx.language,
            intent=parsed.intent,
            intent_confidence=parsed.confidence,
            outcome=outcome,
            user_id=ctx.profile.id if ctx.profile else None,
            entry_pk=entry.pk if entry else None,
            score=decision.score,
            degraded=parsed.degraded,
            details=details,
            ref=ref,
        )
    )


async def _act(message: Message, decision: Decision, ctx: Ctx, ref: str) -> str:
    """Carry out `decision`; returns the question-log outcome. The buttons carry `ref`."""
    kb, language = ctx.kb, ctx.language
    match decision.action:
        case Action.ANSWER:
            entry = kb.by_slug(decision.entry_id or "")
            if entry is not None:
                await journeys.send_entry(message, entry, language, ref)
                return ANSWERED
            return await _unmatched(message)
        case Action.SUGGEST:
            entries = [e for e in (kb.by_slug(s) for s in decision.suggestions) if e is not None]
            if not entries:
                return await _unmatched(message)
            await message.answer(
                _("I am not sure I understood. Did you mean:"),
                reply_markup=suggestions_keyboard(
                    ((e.pk, e.question(language)) for e in entries), ref=ref
                ),
            )
            return SUGGESTED
        case Action.UNMATCHED:
            return await _unmatched(message)
        case Action.OUT_OF_SCOPE:
            await message.answer(
                _(
                    "This is outside what I can help with. I answer questions about interethnic "
                    "accord, rights and non-discrimination, languages, holidays, student life and "
                    "adaptation, and I can connect you with a curator."
                ),
                reply_markup=menu_keyboard(),
            )
            return UNMATCHED
        case Action.SMALL_TALK:
            await message.answer(small_talk_reply(decision.intent))
            return ROUTED
        case Action.INCIDENT:
            await journeys.incident(message, kb, language, ctx.state)
            return ROUTED
        case Action.INTENT:
            await _routed_intent(message, decision, ctx)
            return ROUTED
    return ROUTED


async def _unmatched(message: Message) -> str:
    await message.answer(
        _(
            "I don't have an answer to this yet. I have saved your question so that the team "
            "can add an answer. A curator can help you right away:"
        ),
        reply_markup=curator_offer_keyboard(),
    )
    return UNMATCHED


async def _routed_intent(message: Message, decision: Decision, ctx: Ctx) -> None:
    session, language = ctx.session, ctx.language
    match decision.intent:
        case "request_consultation":
            await journeys.consultation(message, ctx.state, ctx.profile, session)
        case "events":
            await journeys.events(message, session, language, text=message.text)
        case "courses":
            await journeys.courses(message, session, ctx.kb, language)
        case "my_requests":
            await journeys.my_requests(message, session, ctx.user_id)
        case "delete_my_data":
            await message.answer(
                _(
                    "Delete all your data? Your profile, questions and consultation history "
                    "will be erased and cannot be restored."
                ),
                reply_markup=delete_keyboard(),
            )
        case "feedback":
            await message.answer(
                _(
                    "Thank you for wanting to share your opinion! Write it in one message and "
                    "a curator will read it — or rate my answers with 👍/👎 under them."
                ),
                reply_markup=curator_offer_keyboard(),
            )
        case "change_language":
            target = decision.language or ("ru" if language == "kk" else "kk")
            if target == language and decision.language is not None:
                await message.answer(
                    _("Choose your language:"), reply_markup=language_keyboard(language)
                )
                return
            await switch_language(ctx, target)
            with ctx.i18n.use_locale(target):
                await message.answer(
                    _("Done: I will speak {language}.").format(language=language_name(target)),
                    reply_markup=menu_keyboard(),
                )


async def show_entry(callback: CallbackQuery, callback_data: ShowEntry, ctx: Ctx) -> None:
    entry, recorder = ctx.kb.get(callback_data.pk), ctx.recorder
    if entry is None or not isinstance(callback.message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    recorder.count_shown(entry.pk)
    if callback_data.ref:
        # A "did you mean" choice: the question is answered, no longer one for /unanswered.
        recorder.mark(callback_data.ref, CHOSEN, from_outcomes=(SUGGESTED,), entry_pk=entry.pk)
    await journeys.send_entry(callback.message, entry, ctx.language, callback_data.ref)


async def vote(callback: CallbackQuery, callback_data: Vote, ctx: Ctx) -> None:
    entry, profile, recorder = ctx.kb.get(callback_data.pk), ctx.profile, ctx.recorder
    message = callback.message
    if entry is None or not isinstance(message, Message):
        await stale_button(callback)
        return
    counted = await record_vote(
        ctx.session,
        profile.id if profile else None,
        message.message_id,
        entry.pk,
        callback_data.helpful,
    )
    if not counted:
        await callback.answer(_("You have already rated this answer."))
        return
    await callback.answer(_("Thank you for the rating!"))
    await message.edit_reply_markup(reply_markup=None)
    if not callback_data.helpful:
        if callback_data.ref:
            # The question goes to /unanswered: the answer it got did not help.
            recorder.mark(callback_data.ref, NOT_HELPFUL, from_outcomes=(ANSWERED, CHOSEN))
        await message.answer(
            _("Sorry the answer did not help. Try asking in other words, or ask a curator:"),
            reply_markup=curator_offer_keyboard(),
        )


def create_router() -> Router:
    router = Router(name="dialogue")
    router.message.filter(PrivateChat())
    router.message.register(handle_text, FreeText())
    router.callback_query.register(show_entry, ShowEntry.filter())
    router.callback_query.register(vote, Vote.filter())
    return router
