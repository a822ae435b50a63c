"""The bot's command menus: everyone's, per language, and the staff's extra commands in their
own chats."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.handlers.texts import N_
from bot.services.roles import ADMIN, CURATOR, RoleDirectory
from bot.services.users import person_language

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "menu",
    "consult",
    "events",
    "learn",
    "quiz",
    "progress",
    "groups",
    "buddy",
    "my",
    "me",
    "faculty",
    "lang",
    "privacy",
    "help",
)
DESCRIPTIONS = {
    "start": N_("Start and choose language"),
    "menu": N_("Main menu"),
    "consult": N_("Contact a curator"),
    "events": N_("Events"),
    "learn": N_("Learning materials"),
    "quiz": N_("Self-check quizzes"),
    "progress": N_("My learning progress"),
    "groups": N_("Interest groups and clubs"),
    "buddy": N_("Buddy programme for newcomers"),
    "my": N_("My requests"),
    "me": N_("My cabinet: reminders, notifications, my data"),
    "help": N_("What the bot can do"),
    "faculty": N_("My faculty and course (optional)"),
    "lang": N_("Change language"),
    "privacy": N_("My data and consent"),
}
STAFF_DESCRIPTIONS = {
    "queue": N_("Consultations waiting for a curator"),
    "mine": N_("My consultations"),
    "stats": N_("Consultation statistics"),
    "new_event": N_("Publish an event"),
    "announce": N_("Send an announcement to students"),
    "kb": N_("Edit the knowledge base"),
    "unanswered": N_("Questions the bot could not answer"),
    "kb_stats": N_("How the answers perform"),
    "kb_export": N_("Download the knowledge base as YAML"),
    "kb_review": N_("Check that answers are still true"),
    "staff": N_("Admins and curators"),
    "quiz_edit": N_("Write and change self-check quizzes"),
    "attendance": N_("Mark who came to an event"),
    "new_group": N_("Publish an interest group"),
    "pulse": N_("Anonymous pulse surveys of students"),
}
CURATOR_MENU = ("queue", "mine", "attendance")
ADMIN_MENU = (
    "stats",
    "kb",
    "unanswered",
    "kb_stats",
    "kb_export",
    "kb_review",
    "new_event",
    "announce",
    "pulse",
    "staff",
    "quiz_edit",
    "new_group",
)


def bot_commands(i18n: I18n, language: str) -> list[BotCommand]:
    return [
        BotCommand(command=c, description=i18n.gettext(DESCRIPTIONS[c], locale=language))
        for c in COMMANDS
    ]


async def register_commands(bot: Bot, i18n: I18n, default_language: str) -> None:
    """Register commands per language; a Bot API server without setMyCommands is not fatal."""
    for language in ("kk", "ru", None):
        try:
            await bot.set_my_commands(
                bot_commands(i18n, language or default_language), language_code=language
            )
        except TelegramAPIError as exc:
            log.warning("setMyCommands is not available (%s); continuing without it", exc)
            return


async def register_staff_commands(
    bot: Bot, session: AsyncSession, i18n: I18n, settings: Settings, roles: RoleDirectory
) -> int:
    """Show curators /queue and /mine (and admins their tools) in their own chats' command menus.

    Best effort: a person who never opened the bot, or a Bot API server without the method,
    is skipped. Returns how many menus were set.
    """
    admins = set(roles.members(ADMIN))
    done = 0
    for person in sorted(set(roles.members(CURATOR)) | admins):
        language = await person_language(session, person, settings.default_language)
        names = CURATOR_MENU + (ADMIN_MENU if person in admins else ())
        commands = bot_commands(i18n, language) + [
            BotCommand(
                command=name, description=i18n.gettext(STAFF_DESCRIPTIONS[name], locale=language)
            )
            for name in names
        ]
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=person))
        except TelegramAPIError as exc:
            log.debug("no command menu for %s: %s", person, exc)
            continue
        done += 1
    return done
