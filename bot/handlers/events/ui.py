"""Events as students and admins see them: callback data, keyboards, cards and notices.

Texts use the current gettext locale, so scheduled jobs wrap them in ``i18n.use_locale``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.db.models import Event
from bot.services.events import KINDS, Reply, description, format_when, title


class EventOpen(CallbackData, prefix="ev"):
    id: int


class EventAct(CallbackData, prefix="eva"):
    action: str  # remind | going
    id: int


class EventFilter(CallbackData, prefix="evk"):
    kind: str  # "all" or one of KINDS


class KindToggle(CallbackData, prefix="evs"):
    kind: str  # one of KINDS, or "menu" to show the toggles


class EventAdmin(CallbackData, prefix="eadm"):
    action: str  # new | show | edit | field | cancel | cancel_yes | list
    id: int = 0
    field: str = ""


class DraftAct(CallbackData, prefix="edraft"):
    action: str  # kind | nocap | publish | discard
    value: str = ""


def kind_label(kind: str) -> str:
    labels = {
        "culture_day": _("🎭 Culture day"),
        "excursion": _("🚌 Excursion"),
        "club_meeting": _("🤝 «Unity of cultures» club meeting"),
        "webinar": _("💻 Webinar"),
        "other": _("📌 Other event"),
    }
    return labels.get(kind, labels["other"])


def kind_plural(kind: str) -> str:
    labels = {
        "culture_day": _("Culture days"),
        "excursion": _("Excursions"),
        "club_meeting": _("Club meetings"),
        "webinar": _("Webinars"),
        "other": _("Other events"),
    }
    return labels.get(kind, labels["other"])


def places_line(event: Event, going: int) -> str:
    if event.capacity is None:
        return ""
    left = max(event.capacity - going, 0)
    if left == 0:
        return _("Places: all {capacity} taken").format(capacity=event.capacity)
    return _("Places: {left} of {capacity} left").format(left=left, capacity=event.capacity)


def event_card(event: Event, language: str, going: int = 0) -> str:
    """The full card: kind, title, time in Asia/Almaty, place, places left, description."""
    lines = [
        kind_label(event.kind),
        f"<b>{html.quote(title(event, language))}</b>",
        "",
        _("🕒 {when} (Almaty time)").format(when=format_when(event.starts_at, language)),
        _("📍 {place}").format(place=html.quote(event.place)),
    ]
    if places := places_line(event, going):
        lines.append("👥 " + places)
    lines += ["", html.quote(description(event, language))]
    return "\n".join(lines)


def event_card_keyboard(event: Event, *, admin: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔔 Remind me"), callback_data=EventAct(action="remind", id=event.id))
    if event.capacity is not None:
        builder.button(text=_("✋ I'm going"), callback_data=EventAct(action="going", id=event.id))
    if admin:
        builder.button(text=_("✏️ Edit"), callback_data=EventAdmin(action="edit", id=event.id))
        builder.button(
            text=_("✖️ Cancel the event"), callback_data=EventAdmin(action="cancel", id=event.id)
        )
    builder.adjust(2)
    return builder.as_markup()


def event_list_keyboard(events: Sequence[Event], language: str) -> InlineKeyboardMarkup:
    """One button per event, then the kind filter and the subscriptions."""
    builder = InlineKeyboardBuilder()
    for event in events:
        label = f"{format_when(event.starts_at, language, short=True)} · {title(event, language)}"
        builder.button(
            text=label if len(label) <= 60 else label[:57] + "…",
            callback_data=EventOpen(id=event.id),
        )
    sizes = [1] * len(events)
    builder.button(text=_("All"), callback_data=EventFilter(kind="all"))
    for kind in KINDS:
        builder.button(text=kind_plural(kind), callback_data=EventFilter(kind=kind))
    sizes += [3, 3]
    builder.button(text=_("🔔 Subscribe to a kind of event"), callback_data=KindToggle(kind="menu"))
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()


def kinds_keyboard(subscribed: set[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in KINDS:
        mark = "✅ " if kind in subscribed else "▫️ "
        builder.button(text=mark + kind_plural(kind), callback_data=KindToggle(kind=kind))
    builder.adjust(1)
    return builder.as_markup()


def reminder_text(event: Event, language: str, which: str) -> str:
    head = (_("🔔 Tomorrow: {title}") if which == "day" else _("🔔 In an hour: {title}")).format(
        title=f"<b>{html.quote(title(event, language))}</b>"
    )
    return (
        head
        + "\n"
        + _("🕒 {when} (Almaty time)").format(when=format_when(event.starts_at, language))
        + "\n"
        + _("📍 {place}").format(place=html.quote(event.place))
    )


def moved_text(event: Event, language: str) -> str:
    return _(
        "📅 The time of «{title}» has changed. New time: {when} (Almaty time). "
        "Your reminders have been moved."
    ).format(title=html.quote(title(event, language)), when=format_when(event.starts_at, language))


def cancelled_text(event: Event, language: str) -> str:
    return _("✖️ «{title}» on {when} has been cancelled. We are sorry.").format(
        title=html.quote(title(event, language)), when=format_when(event.starts_at, language)
    )


def new_event_text(event: Event, language: str) -> str:
    return _("🆕 A new event you follow:") + "\n\n" + event_card(event, language)


TIME_EXAMPLE = "05.12.2026 18:00"


class EventDialog(StatesGroup):
    kind = State()
    title_kk = State()
    title_ru = State()
    description_kk = State()
    description_ru = State()
    starts_at = State()
    place = State()
    capacity = State()
    confirm = State()
    edit_value = State()


async def stale_event(callback: CallbackQuery, reply: Reply) -> None:
    if reply == Reply.CANCELLED:
        await callback.answer(_("This event has been cancelled."), show_alert=True)
    else:
        await callback.answer(
            _("This event is no longer available: it has passed or was removed."),
            show_alert=True,
        )
