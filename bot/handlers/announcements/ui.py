"""Announcements as admins see them: the audience buttons, the preview and the final report."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.events.ui import kind_plural
from bot.services.announcements import ALL, Summary
from bot.services.events import KINDS


class AnnounceAct(CallbackData, prefix="ann"):
    action: str  # audience | send | cancel
    value: str = ""


def audience_name(audience: str) -> str:
    if audience == ALL:
        return _("all students")
    return _("subscribers of «{kind}»").format(kind=kind_plural(audience))


def audience_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📣 All students"), callback_data=AnnounceAct(action="audience", value=ALL)
    )
    for kind in KINDS:
        builder.button(
            text="🔔 " + kind_plural(kind), callback_data=AnnounceAct(action="audience", value=kind)
        )
    builder.button(text=_("✖️ Cancel"), callback_data=AnnounceAct(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖️ Cancel"), callback_data=AnnounceAct(action="cancel"))
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📨 Send"), callback_data=AnnounceAct(action="send"))
    builder.button(text=_("✖️ Cancel"), callback_data=AnnounceAct(action="cancel"))
    builder.adjust(2)
    return builder.as_markup()


def announcement_report(summary: Summary) -> str:
    """What the admin is told when delivery ends."""
    text = _(
        "📣 Announcement #{id} to {audience} is delivered.\n"
        "Delivered: {delivered}\n"
        "Skipped (announcements turned off or consent withdrawn): {skipped}\n"
        "Blocked the bot: {blocked}\n"
        "Not delivered because of an error: {failed}"
    ).format(
        id=summary.announcement_id,
        audience=audience_name(summary.audience),
        delivered=summary.delivered,
        skipped=summary.skipped,
        blocked=summary.blocked,
        failed=summary.failed,
    )
    if summary.interrupted:
        text += "\n" + _("Interrupted by a crash (may or may not have arrived): {count}").format(
            count=summary.interrupted
        )
    return text
