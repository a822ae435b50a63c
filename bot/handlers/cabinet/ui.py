"""The personal cabinet's texts, keyboards and callback data."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.handlers.events.ui import EventOpen, KindToggle, kind_plural
from bot.handlers.progress.ui import ProgressShow
from bot.handlers.texts import language_name
from bot.services import cabinet, events
from bot.services.notifications import PREFERENCES


class CabinetAct(CallbackData, prefix="me"):
    action: str
    arg: str = ""


def _button(builder: InlineKeyboardBuilder, text: str, action: str, arg: str = "") -> None:
    builder.button(text=text, callback_data=CabinetAct(action=action, arg=arg))


def cabinet_keyboard(withdrawn: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not withdrawn:
        _button(builder, _("🌐 Language"), "lang")
        _button(builder, _("🗂 My consultations"), "my")
        _button(builder, _("📅 My events"), "follows")
        _button(builder, _("🔔 Notifications"), "prefs")
        _button(builder, _("⭐ Recommended for me"), "recommend")
        builder.button(text=_("🏅 My progress"), callback_data=ProgressShow())
        _button(builder, _("↩️ Withdraw consent"), "withdraw")
    _button(builder, _("📦 Export my data"), "export")
    _button(builder, _("🗑 Delete my data"), "delete")
    builder.adjust(2)
    return builder.as_markup()


def cabinet_text(data: cabinet.Cabinet) -> str:
    if data.withdrawn:
        return _(
            "<b>My cabinet</b>\n\nYou have withdrawn your consent, so I no longer process your "
            "data: no reminders, announcements or surveys. What was stored is kept until you "
            "delete it, or until it is deleted after a long time without activity. You can "
            "export or delete it below, or give consent again with /start."
        )
    lines = [
        _("<b>My cabinet</b>"),
        "",
        _("🌐 Language: {language}").format(language=language_name(data.language)),
        _("🔒 Consent: given (version {version}, {date})").format(
            version=data.consent_version,
            date=events.format_when(data.consent_at, data.language, short=True)
            if data.consent_at
            else "—",
        ),
        _("🗂 Consultations: {total}, open: {open}").format(
            total=data.consultations, open=data.open_consultations
        ),
        _("📅 Events I follow: {count}").format(count=len(data.following)),
        _("🔔 Kinds I am subscribed to: {kinds}").format(
            kinds=", ".join(kind_plural(k) for k in sorted(data.kinds)) or "—"
        ),
    ]
    return "\n".join(lines)


def follows_keyboard(following: list[events.Following], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in following:
        name = events.title(item.event, language)
        short = name if len(name) <= 30 else name[:29] + "…"
        builder.button(text=f"📅 {short}", callback_data=EventOpen(id=item.event.id))
        if item.reminder:
            _button(builder, _("✖️ 🔔 {title}").format(title=short), "unremind", str(item.event.id))
        if item.going:
            _button(builder, _("✖️ ✋ {title}").format(title=short), "ungo", str(item.event.id))
    builder.button(text=_("🔔 Kinds of events"), callback_data=KindToggle(kind="menu"))
    builder.adjust(1)
    return builder.as_markup()


def follows_text(following: list[events.Following], language: str) -> str:
    if not following:
        return _(
            "You do not follow any upcoming event yet. Open /events and press «Remind me» or "
            "«I'm going»."
        )
    lines = [_("<b>My events</b> (✖️ removes a reminder or a registration):")]
    for item in following:
        marks = ("🔔" if item.reminder else "") + ("✋" if item.going else "")
        lines.append(
            f"{marks} {html.quote(events.title(item.event, language))} — "
            f"{events.format_when(item.event.starts_at, language, short=True)}"
        )
    return "\n".join(lines)


def prefs_keyboard(prefs: dict[str, bool]) -> InlineKeyboardMarkup:
    labels = {
        "events": _("Event reminders and news"),
        "announcements": _("Announcements"),
        "surveys": _("Surveys after consultations"),
    }
    builder = InlineKeyboardBuilder()
    for name in PREFERENCES:
        mark = "✅" if prefs[name] else "🚫"
        _button(builder, f"{mark} {labels[name]}", "pref", name)
    builder.adjust(1)
    return builder.as_markup()


def withdraw_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, _("↩️ Yes, withdraw my consent"), "withdraw_yes")
    _button(builder, _("Cancel"), "keep")
    builder.adjust(1)
    return builder.as_markup()


def after_withdrawal_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, _("🗑 Delete my data"), "delete")
    _button(builder, _("📦 Export my data"), "export")
    builder.adjust(1)
    return builder.as_markup()
