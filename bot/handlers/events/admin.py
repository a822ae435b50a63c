"""Admins' event dialogs: /new_event (field by field, a preview, publish), and editing or
cancelling a published event; followers are told and reminders re-armed once it commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.db.models import Event, utcnow
from bot.db.unit_of_work import after_commit
from bot.handlers.common import drop_buttons, stale_button
from bot.handlers.context import Ctx
from bot.handlers.events.ui import (
    TIME_EXAMPLE,
    DraftAct,
    EventAdmin,
    EventDialog,
    event_card,
    kind_label,
    stale_event,
)
from bot.scheduler.outreach import (
    schedule_event,
    tell_followers,
    tell_kind_subscribers,
    unschedule_event,
)
from bot.services import events
from bot.services.events import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    KINDS,
    PLACE_MAX,
    TITLE_MAX,
    EventDraft,
    EventTimeError,
    Reply,
    TimeProblem,
)

# ----- admins: creating -----


def _dialog_keyboard(*extra: tuple[str, DraftAct]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, data in extra:
        builder.button(text=label, callback_data=data)
    builder.button(text=_("✖️ Cancel"), callback_data=DraftAct(action="discard"))
    builder.adjust(1)
    return builder.as_markup()


async def new_event(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(EventDialog.kind)
    builder = InlineKeyboardBuilder()
    for kind in KINDS:
        builder.button(text=kind_label(kind), callback_data=DraftAct(action="kind", value=kind))
    builder.button(text=_("✖️ Cancel"), callback_data=DraftAct(action="discard"))
    builder.adjust(1)
    await message.answer(
        _("<b>New event.</b> What kind of event is it?"), reply_markup=builder.as_markup()
    )


PROMPTS = {
    "title_kk": lambda: _("Title in Kazakh (up to {n} characters):").format(n=TITLE_MAX),
    "title_ru": lambda: _("Title in Russian (up to {n} characters):").format(n=TITLE_MAX),
    "description_kk": lambda: _("Description in Kazakh (up to {n} characters):").format(
        n=DESCRIPTION_MAX
    ),
    "description_ru": lambda: _("Description in Russian (up to {n} characters):").format(
        n=DESCRIPTION_MAX
    ),
    "starts_at": lambda: _(
        "Start time, in Almaty time, as DD.MM.YYYY HH:MM (for example {example}):"
    ).format(example=TIME_EXAMPLE),
    "place": lambda: _("Place (address or room) or a link for an online event:"),
    "capacity": lambda: _("How many places? Write a number, or press «No limit»."),
}
LIMITS = {
    "title_kk": TITLE_MAX,
    "title_ru": TITLE_MAX,
    "description_kk": DESCRIPTION_MAX,
    "description_ru": DESCRIPTION_MAX,
    "place": PLACE_MAX,
}
ORDER = (
    "title_kk",
    "title_ru",
    "description_kk",
    "description_ru",
    "starts_at",
    "place",
    "capacity",
)


async def _ask(message: Message, state: FSMContext, field: str) -> None:
    await state.set_state(getattr(EventDialog, field))
    extra: tuple[tuple[str, DraftAct], ...] = ()
    if field == "capacity":
        extra = ((_("∞ No limit"), DraftAct(action="nocap")),)
    await message.answer(PROMPTS[field](), reply_markup=_dialog_keyboard(*extra))


async def discard_draft(callback: CallbackQuery, ctx: Ctx) -> None:
    await ctx.state.clear()
    await callback.answer(_("Cancelled; nothing was saved."))
    if isinstance(callback.message, Message):
        await drop_buttons(callback.message)


async def kind_chosen(callback: CallbackQuery, callback_data: DraftAct, ctx: Ctx) -> None:
    if not isinstance(callback.message, Message) or callback_data.value not in KINDS:
        await stale_button(callback)
        return
    await ctx.state.update_data(kind=callback_data.value)
    await callback.answer()
    await _ask(callback.message, ctx.state, "title_kk")


async def no_capacity(callback: CallbackQuery, ctx: Ctx) -> None:
    if not isinstance(callback.message, Message):
        await stale_button(callback)
        return
    await callback.answer()
    await ctx.state.update_data(capacity=None)
    await _preview(callback.message, ctx.state)


async def publish_draft(callback: CallbackQuery, ctx: Ctx) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await stale_button(callback)
        return
    draft = _draft(await ctx.state.get_data())
    await ctx.state.clear()
    if draft.starts_at <= utcnow():
        await callback.answer()
        await message.answer(
            _("The start time has passed while you were writing. Start again: /new_event")
        )
        return
    event = await events.create_event(ctx.session, draft, ctx.user_id)
    # After the commit: the jobs read the event from their own sessions.
    event_id, starts_at, planner = event.id, event.starts_at, ctx.planner
    after_commit(ctx.session, lambda: schedule_event(planner, event_id, starts_at))
    after_commit(ctx.session, lambda: tell_kind_subscribers(planner, event_id))
    await callback.answer(_("Published."))
    await drop_buttons(message)
    await message.answer(
        _(
            "✅ Published: event #{id}. Students subscribed to this kind are being told. "
            "Open /events to see it."
        ).format(id=event.id)
    )


def _draft(data: dict[str, Any]) -> EventDraft:
    """The event the create dialog has collected in the FSM data."""
    return EventDraft(
        kind=data["kind"],
        title_kk=data["title_kk"],
        title_ru=data["title_ru"],
        description_kk=data["description_kk"],
        description_ru=data["description_ru"],
        starts_at=events.aware(_from_iso(data["starts_at"])),
        place=data["place"],
        capacity=data.get("capacity"),
    )


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def time_problem_text(problem: TimeProblem) -> str:
    if problem == TimeProblem.PAST:
        return _("This time has already passed. Enter a time in the future, in Almaty time.")
    return _(
        "I could not read this time. Write it as DD.MM.YYYY HH:MM, for example {example}."
    ).format(example=TIME_EXAMPLE)


def _value_problem(field: str, text: str) -> str | None:
    if not text:
        return _("Please write it as text.")
    if field in LIMITS and len(text) > LIMITS[field]:
        return _("This is too long: {length} characters, at most {limit}.").format(
            length=len(text), limit=LIMITS[field]
        )
    return None


def _capacity(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= CAPACITY_MAX else None


async def dialog_input(message: Message, state: FSMContext) -> None:
    """A typed answer in the create dialog: checked, stored, then the next question."""
    current = await state.get_state()
    field = next((f for f in ORDER if getattr(EventDialog, f).state == current), None)
    if field is None:
        await message.answer(_("Please use the buttons above, or ✖️ Cancel."))
        return
    text = (message.text or "").strip()
    if (problem := _value_problem(field, text)) is not None:
        await message.answer(problem)
        return
    if field == "starts_at":
        try:
            moment = events.parse_local_time(text)
        except EventTimeError as exc:
            await message.answer(time_problem_text(exc.problem))
            return
        await state.update_data(starts_at=moment.isoformat())
    elif field == "capacity":
        capacity = _capacity(text)
        if capacity is None:
            await message.answer(
                _("Write the number of places (1 to {max}), or press «No limit».").format(
                    max=CAPACITY_MAX
                )
            )
            return
        await state.update_data(capacity=capacity)
        await _preview(message, state)
        return
    else:
        await state.update_data({field: text})
    await _ask(message, state, ORDER[ORDER.index(field) + 1])


async def _preview(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    draft = Event(
        id=0,
        kind=data["kind"],
        title_kk=data["title_kk"],
        title_ru=data["title_ru"],
        description_kk=data["description_kk"],
        description_ru=data["description_ru"],
        starts_at=_from_iso(data["starts_at"]),
        place=data["place"],
        capacity=data.get("capacity"),
    )
    await state.set_state(EventDialog.confirm)
    await message.answer(
        _("<b>Preview.</b> Students will see it like this:")
        + "\n\n🇰🇿\n"
        + event_card(draft, "kk")
        + "\n\n🇷🇺\n"
        + event_card(draft, "ru"),
        reply_markup=_dialog_keyboard((_("✅ Publish"), DraftAct(action="publish"))),
        disable_web_page_preview=True,
    )


# ----- admins: editing and cancelling -----

FIELD_LABELS = {
    "starts_at": lambda: _("🕒 Time"),
    "place": lambda: _("📍 Place"),
    "capacity": lambda: _("👥 Places"),
    "title_kk": lambda: _("Title (kk)"),
    "title_ru": lambda: _("Title (ru)"),
    "description_kk": lambda: _("Description (kk)"),
    "description_ru": lambda: _("Description (ru)"),
}


async def _open_event(callback: CallbackQuery, event_id: int, ctx: Ctx) -> Event | None:
    """The event a staff button acts on, while it is open; else the stale-event answer."""
    event = await events.get(ctx.session, event_id)
    if not events.is_open(event) or not isinstance(callback.message, Message):
        cancelled = event is not None and event.status == events.CANCELLED
        await stale_event(callback, Reply.CANCELLED if cancelled else Reply.GONE)
        return None
    return event


async def edit_menu(callback: CallbackQuery, callback_data: EventAdmin, ctx: Ctx) -> None:
    if not (event := await _open_event(callback, callback_data.id, ctx)):
        return
    await callback.answer()
    builder = InlineKeyboardBuilder()
    for field in events.EDITABLE:
        builder.button(
            text=FIELD_LABELS[field](),
            callback_data=EventAdmin(action="field", id=event.id, field=field),
        )
    builder.adjust(3, 2, 2)
    assert isinstance(callback.message, Message)
    await callback.message.answer(
        _("What do you want to change in «{title}»?").format(
            title=html.quote(events.title(event, ctx.language))
        ),
        reply_markup=builder.as_markup(),
    )


async def edit_field(callback: CallbackQuery, callback_data: EventAdmin, ctx: Ctx) -> None:
    field = callback_data.field
    if field not in events.EDITABLE:
        await stale_button(callback)
        return
    if not (event := await _open_event(callback, callback_data.id, ctx)):
        return
    await callback.answer()
    await ctx.state.set_state(EventDialog.edit_value)
    await ctx.state.update_data(event_id=event.id, field=field)
    current = {
        "starts_at": events.local_input(event.starts_at),
        "capacity": str(event.capacity) if event.capacity else "—",
    }.get(field) or str(getattr(event, field))
    prompt = PROMPTS[field]()
    if field == "capacity":
        prompt = _("How many places? Write a number, or 0 for no limit.")
    assert isinstance(callback.message, Message)
    await callback.message.answer(
        prompt + "\n\n" + _("Now: {value}").format(value=html.quote(current)),
        reply_markup=_dialog_keyboard(),
    )


async def cancel_ask(callback: CallbackQuery, callback_data: EventAdmin, ctx: Ctx) -> None:
    if not (event := await _open_event(callback, callback_data.id, ctx)):
        return
    await callback.answer()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✖️ Yes, cancel the event"),
        callback_data=EventAdmin(action="cancel_yes", id=event.id),
    )
    builder.button(text=_("Keep it"), callback_data=DraftAct(action="discard"))
    builder.adjust(1)
    assert isinstance(callback.message, Message)
    await callback.message.answer(
        _("Cancel «{title}»? Its reminders are removed and everyone following it is told.").format(
            title=html.quote(events.title(event, ctx.language))
        ),
        reply_markup=builder.as_markup(),
    )


async def cancel_confirmed(callback: CallbackQuery, callback_data: EventAdmin, ctx: Ctx) -> None:
    if not (event := await _open_event(callback, callback_data.id, ctx)):
        return
    if await events.cancel_event(ctx.session, event.id) is None:
        await stale_event(callback, Reply.CANCELLED)
        return
    # After the commit: the job that tells followers reads the cancellation.
    event_id, planner = event.id, ctx.planner
    after_commit(ctx.session, lambda: unschedule_event(planner, event_id))
    after_commit(ctx.session, lambda: tell_followers(planner, event_id, "cancelled"))
    await callback.answer(_("Cancelled."))
    assert isinstance(callback.message, Message)
    await drop_buttons(callback.message)
    await callback.message.answer(
        _("✖️ Event #{id} is cancelled; its followers are being told.").format(id=event.id)
    )


def _edited_value(field: str, text: str) -> tuple[Any, str | None]:
    """The new value of `field` typed as `text`, or what is wrong with it."""
    if (problem := _value_problem(field, text)) is not None:
        return None, problem
    if field == "starts_at":
        try:
            return events.parse_local_time(text), None
        except EventTimeError as exc:
            return None, time_problem_text(exc.problem)
    if field == "capacity":
        if text == "0":
            return None, None
        if (capacity := _capacity(text)) is None:
            return None, _("Write the number of places (1 to {max}), or 0 for no limit.").format(
                max=CAPACITY_MAX
            )
        return capacity, None
    return text, None


async def edit_input(message: Message, ctx: Ctx) -> None:
    data = await ctx.state.get_data()
    field, event_id = data.get("field", ""), int(data.get("event_id", 0))
    value, problem = _edited_value(field, (message.text or "").strip())
    if problem is not None:
        await message.answer(problem)
        return
    event = await events.edit_event(ctx.session, event_id, field, value)
    await ctx.state.clear()
    if event is None:
        await message.answer(
            _("This event can no longer be edited: it has passed or was cancelled.")
        )
        return
    if field != "starts_at":
        await message.answer(_("✅ Saved."))
        return
    # After the commit: the jobs read the new time.
    event_id, starts_at, planner = event.id, event.starts_at, ctx.planner
    after_commit(ctx.session, lambda: schedule_event(planner, event_id, starts_at))
    after_commit(ctx.session, lambda: tell_followers(planner, event_id, "moved"))
    await message.answer(
        _("✅ Saved. The reminders are moved and everyone following the event is told.")
    )
