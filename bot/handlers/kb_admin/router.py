"""The admins' knowledge-base tools as one router subtree, closed to everyone else.

One admin check at the top keeps the students' free-text path as short as it was: their
updates skip the whole subtree after a single filter. Non-admins who use a knowledge-base
command or button get a refusal, in their language, from `create_refusal_router()`.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData

from bot.handlers.common import refuse_non_admin
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.handlers.kb_admin import entries as kb_admin
from bot.handlers.kb_admin import importing as kb_import
from bot.handlers.kb_admin import training as kb_training
from bot.handlers.kb_admin import unanswered as kb_unanswered
from bot.handlers.kb_admin.ui import ALL_CALLBACKS
from bot.handlers.kb_lexicon import router as kb_lexicon
from bot.handlers.kb_review import router as kb_review
from bot.handlers.kb_review.ui import KbReview
from bot.services.roles import ADMIN

KB_COMMANDS = (
    "kb",
    "kb_stats",
    "kb_export",
    "kb_import",
    "unanswered",
    "kb_retrain",
    "kb_review",
)


def create_router() -> Router:
    router = Router(name="kb")
    router.message.filter(PrivateChat(), HasRole(ADMIN))
    router.callback_query.filter(HasRole(ADMIN))
    router.include_routers(
        kb_admin.create_router(),
        kb_import.create_router(),
        kb_unanswered.create_router(),
        kb_training.create_router(),
        kb_lexicon.create_router(),
        kb_review.create_router(),
    )
    return router


def create_refusal_router() -> Router:
    """What the admin subtree did not take: refused."""
    router = Router(name="kb_refusals")
    router.message.filter(PrivateChat(), CommandText())
    router.message.register(refuse_non_admin, Command(*KB_COMMANDS))
    factories: tuple[type[CallbackData], ...] = (*ALL_CALLBACKS, KbReview)
    for factory in factories:
        router.callback_query.register(refuse_non_admin, factory.filter())
    return router
