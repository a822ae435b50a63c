"""Admins manage curators and other admins: /staff, /add_curator, /remove_curator, /add_admin,
/remove_admin. Everyone else gets a clear refusal."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.db.unit_of_work import after_commit
from bot.handlers.common import refuse_non_admin
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, HasRole, PrivateChat
from bot.services import roles
from bot.services.roles import ADMIN, CURATOR

log = logging.getLogger(__name__)

STAFF_COMMANDS = ("staff", "add_curator", "remove_curator", "add_admin", "remove_admin")


def role_name(role: str) -> str:
    return _("admin") if role == ADMIN else _("curator")


async def show_staff(message: Message, ctx: Ctx) -> None:
    lines = [_("<b>Admins and curators</b>")]
    for entry in ctx.roles.entries():
        mark = " " + _("(from settings)") if entry.configured else ""
        lines.append(f"• <code>{entry.user_id}</code> — {role_name(entry.role)}{mark}")
    lines.append("")
    lines.append(
        _("Add or remove: /add_curator ID, /remove_curator ID, /add_admin ID, /remove_admin ID")
    )
    await message.answer("\n".join(lines))


def _target(command: CommandObject) -> int | None:
    """A Telegram user id: ASCII digits within the store's 64-bit range, else None."""
    arg = (command.args or "").strip()
    if not arg.isascii() or not arg.isdigit() or len(arg) > 19:
        return None
    value = int(arg)
    return value if 0 < value < 2**63 else None


def outcome_text(outcome: str, user_id: int, role: str) -> str:
    texts = {
        roles.GRANTED: _("Done: {user_id} is now a {role}."),
        roles.ALREADY: _("{user_id} is already a {role}."),
        roles.NOT_YOURSELF: _("You cannot remove yourself; ask another admin."),
        roles.REVOKED: _("Done: {user_id} is no longer a {role}."),
        roles.BY_SETTINGS: _(
            "{user_id} is a {role} by the bot's settings (ADMIN_IDS / CURATOR_IDS); change them there."
        ),
        roles.NOT_A_MEMBER: _("{user_id} is not a {role}."),
    }
    return texts[outcome].format(user_id=user_id, role=role_name(role))


async def change_role(message: Message, command: CommandObject, ctx: Ctx) -> None:
    action, _sep, role = command.command.partition("_")
    user_id = _target(command)
    if user_id is None:
        await message.answer(
            _("Give the person's Telegram id as a number, e.g. /{command} 123456789").format(
                command=command.command
            )
        )
        return
    outcome = await roles.change_role(
        ctx.roles, ctx.session, message.chat.id, user_id, role, add=action == "add"
    )
    await message.answer(outcome_text(outcome, user_id, role))
    if outcome == roles.GRANTED:
        bot = ctx.bot
        after_commit(ctx.session, lambda: _notify(bot, user_id, role))


async def _notify(bot: Bot, user_id: int, role: str) -> None:
    text = (
        _("You have been made a Kelisim curator. New consultations will reach you here.")
        if role == CURATOR
        else _("You have been made a Kelisim admin. Send /help to see what you can do.")
    )
    try:
        await bot.send_message(user_id, text)
    except TelegramAPIError as exc:  # they may never have opened the bot
        log.info("could not tell %s about the new role: %s", user_id, exc)


def create_router() -> Router:
    router = Router(name="staff")
    # Only commands reach these handlers: one cheap check instead of one per command.
    router.message.filter(PrivateChat(), CommandText())
    router.message.register(show_staff, Command("staff"), HasRole(ADMIN))
    router.message.register(change_role, Command(*STAFF_COMMANDS[1:]), HasRole(ADMIN))
    router.message.register(refuse_non_admin, Command(*STAFF_COMMANDS))
    return router
