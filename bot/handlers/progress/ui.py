"""Texts and buttons of progress, material cards and attendance."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.db.models import Event, LearningMaterial
from bot.handlers.callbacks import MenuItem
from bot.handlers.quiz.ui import QuizOpen
from bot.services import events, learning
from bot.services.progress import Attendee, Progress
from bot.services.progress_card import CardText


class ProgressShow(CallbackData, prefix="pg"):
    pass


class MaterialOpen(CallbackData, prefix="mo"):
    pk: int


class AttendanceAct(CallbackData, prefix="at"):
    """`user` 0 opens the event's list; otherwise toggles that student's mark."""

    event: int
    user: int = 0


def metric_name(metric: str, count: int) -> str:
    names = {
        "materials": _("materials opened: {count}"),
        "quizzes": _("quizzes passed: {count}"),
        "events": _("events attended: {count}"),
    }
    return names[metric].format(count=count)


def progress_text(state: Progress, language: str) -> str:
    lines = [
        _("🏅 <b>My progress</b>"),
        "",
        _("{emoji} Level {number} of {total}: <b>{title}</b>").format(
            emoji=state.level.emoji,
            number=state.level_number,
            total=state.levels,
            title=html.quote(state.level.title[language]),
        ),
        _("📚 Materials opened: {count}").format(count=state.materials),
        _("📝 Quizzes passed: {passed} (taken: {taken})").format(
            passed=state.quizzes_passed, taken=state.quizzes_taken
        ),
        _("🤝 Events attended: {count}").format(count=state.events_attended),
        "",
    ]
    if state.next_level is None:
        lines.append(_("You are at the top of the ladder. Thank you for taking part!"))
    else:
        needed = ", ".join(metric_name(m, n) for m, n in state.missing.items())
        lines.append(
            _("Next: {emoji} {title} — still needed: {needed}.").format(
                emoji=state.next_level.emoji,
                title=html.quote(state.next_level.title[language]),
                needed=needed,
            )
        )
    lines.append(
        _(
            "Materials count when you open them in /learn, quizzes when you pass them in /quiz, "
            "events when a curator marks you present."
        )
    )
    return "\n".join(lines)


def progress_card(state: Progress, language: str) -> CardText:
    counts = state.counts
    if state.next_level is None:
        fraction, following = 1.0, _("The top of the ladder")
    else:
        wanted = sum(state.next_level.requires.values()) or 1
        have = sum(min(counts[m], n) for m, n in state.next_level.requires.items())
        fraction = have / wanted
        following = _("Next: {title}").format(title=state.next_level.title[language])
    return CardText(
        heading=_("Kelisim — my progress"),
        level=state.level.title[language],
        step=_("Level {number} of {total}").format(number=state.level_number, total=state.levels),
        rows=(
            (_("materials"), state.materials),
            (_("quizzes passed"), state.quizzes_passed),
            (_("events"), state.events_attended),
        ),
        next_step=following,
        fraction=fraction,
    )


def progress_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📚 Learning materials"), callback_data=MenuItem(item="learn"))
    builder.button(text=_("📝 Self-check quizzes"), callback_data=QuizOpen(quiz=0))
    builder.button(text=_("📅 Events"), callback_data=MenuItem(item="events"))
    builder.adjust(1)
    return builder.as_markup()


def material_buttons(
    builder: InlineKeyboardBuilder, materials: list[LearningMaterial], language: str
) -> None:
    for material in materials:
        name = learning.title(material, language)
        builder.button(
            text="📖 " + (name if len(name) <= 40 else name[:39] + "…"),
            callback_data=MaterialOpen(pk=material.pk),
        )


def material_keyboard(quiz_id: int | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if quiz_id is not None:
        builder.button(text=_("📝 Check yourself"), callback_data=QuizOpen(quiz=quiz_id))
    builder.button(text=_("📚 All materials"), callback_data=MenuItem(item="learn"))
    builder.adjust(1)
    return builder.as_markup()


def attendance_events_keyboard(found: list[Event], language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event in found:
        name = events.title(event, language)
        when = events.format_when(event.starts_at, language, short=True)
        builder.button(
            text=f"{when} · {name if len(name) <= 30 else name[:29] + '…'}",
            callback_data=AttendanceAct(event=event.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def attendance_text(event: Event, people: list[Attendee], language: str) -> str:
    head = _("✔️ <b>Attendance</b>: {title}, {when}").format(
        title=html.quote(events.title(event, language)),
        when=events.format_when(event.starts_at, language, short=True),
    )
    if not people:
        return head + "\n\n" + _("Nobody registered for this event or asked to be reminded.")
    present = sum(1 for p in people if p.present)
    return (
        head
        + "\n\n"
        + _(
            "Press a name to mark the student present (✅) or not. Marked: {present} of {total}."
        ).format(present=present, total=len(people))
        + "\n"
        + _("✋ registered, 🔔 asked to be reminded.")
    )


def attendance_keyboard(event_id: int, people: list[Attendee]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for person in people:
        mark = "✅" if person.present else "⬜"
        kind = "✋" if person.registered else "🔔"
        builder.button(
            text=f"{mark} {kind} {person.name[:40]}",
            callback_data=AttendanceAct(event=event_id, user=person.user_id),
        )
    builder.adjust(1)
    return builder.as_markup()
