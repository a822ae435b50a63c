"""Texts and buttons of interest groups."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.db.group_models import InterestGroup
from bot.db.models import Event
from bot.handlers.keyboards import spoken_languages_keyboard
from bot.services import events, groups


class GroupBrowse(CallbackData, prefix="gb"):
    """The list of groups of one interest ("" all) in one language ("" any)."""

    interest: str = ""
    lang: str = ""


class GroupOpen(CallbackData, prefix="go"):
    id: int


class GroupAct(CallbackData, prefix="ga"):
    """join, leave, events (admin: attach events), event (toggle `event`), hide, show."""

    id: int
    action: str
    event: int = 0


class GroupNew(CallbackData, prefix="gn"):
    """A choice in the admin's new-group dialog."""

    field: str
    value: str


def interest_name(interest: str) -> str:
    names = {
        "language_club": _("🗣 Language clubs"),
        "culture_club": _("🎭 Culture clubs"),
        "debate": _("🎤 Debate"),
        "volunteering": _("🤲 Volunteering"),
        "other": _("✨ Other"),
    }
    return names.get(interest, interest)


def language_name(code: str) -> str:
    """A language a group meets in, as listed on its card."""
    names = {"kk": _("Kazakh language"), "ru": _("Russian language"), "en": _("English language")}
    return names.get(code, code)


def language_filter(code: str) -> str:
    return {"kk": _("In Kazakh"), "ru": _("In Russian"), "en": _("In English")}.get(code, code)


def browse_text(interest: str, lang: str, found: list[InterestGroup], language: str) -> str:
    lines = [_("<b>Interest groups</b>")]
    filters = []
    if interest:
        filters.append(interest_name(interest))
    if lang:
        filters.append(language_filter(lang))
    if filters:
        lines.append(" · ".join(filters))
    if not found:
        lines += ["", _("No group here yet. Try another interest or language.")]
    else:
        lines += ["", _("Choose a group to see what it does and to join it.")]
    return "\n".join(lines)


def browse_keyboard(
    interest: str, lang: str, found: list[InterestGroup], counts: dict[str, int], language: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for group in found:
        name = groups.title(group, language)
        builder.button(
            text=f"👥 {name if len(name) <= 40 else name[:39] + '…'}",
            callback_data=GroupOpen(id=group.id),
        )
    sizes = [1] * len(found)
    interests = 0
    for choice in groups.INTERESTS:
        if counts.get(choice) and choice != interest:
            builder.button(
                text=f"{interest_name(choice)} ({counts[choice]})",
                callback_data=GroupBrowse(interest=choice, lang=lang),
            )
            interests += 1
    if interest:
        builder.button(text=_("All interests"), callback_data=GroupBrowse(interest="", lang=lang))
        interests += 1
    sizes += [2] * ((interests + 1) // 2)
    langs = 0
    for code in ("kk", "ru"):
        mark = "✅ " if code == lang else ""
        builder.button(
            text=mark + language_filter(code),
            callback_data=GroupBrowse(interest=interest, lang="" if code == lang else code),
        )
        langs += 1
    sizes.append(langs)
    builder.adjust(*sizes)
    return builder.as_markup()


def group_text(
    group: InterestGroup, member_count: int, upcoming: list[Event], joined: bool, language: str
) -> str:
    lines = [
        f"👥 <b>{html.quote(groups.title(group, language))}</b>",
        interest_name(group.interest)
        + " · "
        + ", ".join(language_name(code) for code in group.languages),
        "",
        html.quote(groups.description(group, language)),
        "",
        _("Members: {count}").format(count=member_count),
    ]
    if upcoming:
        lines += ["", _("📅 The group's events:")]
        lines += [
            f"• {html.quote(events.title(e, language))} — "
            f"{events.format_when(e.starts_at, language, short=True)}"
            for e in upcoming
        ]
    if group.status != groups.PUBLISHED:
        lines += ["", _("🙈 Hidden from students.")]
    if joined:
        lines += [
            "",
            _("You are a member: the group's events are in your reminders (/me → My events)."),
        ]
    return "\n".join(lines)


def group_keyboard(group: InterestGroup, joined: bool, is_admin: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if joined:
        builder.button(text=_("💬 Open the group chat"), url=group.chat_url)
        builder.button(
            text=_("🚪 Leave the group"), callback_data=GroupAct(id=group.id, action="leave")
        )
    elif group.status == groups.PUBLISHED:
        builder.button(text=_("✅ Join"), callback_data=GroupAct(id=group.id, action="join"))
    if is_admin:
        builder.button(
            text=_("📅 The group's events"), callback_data=GroupAct(id=group.id, action="events")
        )
        if group.status == groups.PUBLISHED:
            builder.button(text=_("🙈 Hide"), callback_data=GroupAct(id=group.id, action="hide"))
        else:
            builder.button(text=_("👁 Publish"), callback_data=GroupAct(id=group.id, action="show"))
    builder.button(text=_("⬅️ All groups"), callback_data=GroupBrowse())
    builder.adjust(1)
    return builder.as_markup()


def events_keyboard(
    group_id: int, found: list[tuple[Event, bool]], language: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event, attached in found:
        name = events.title(event, language)
        builder.button(
            text=("✅ " if attached else "⬜ ") + (name if len(name) <= 36 else name[:35] + "…"),
            callback_data=GroupAct(id=group_id, action="event", event=event.id),
        )
    builder.button(text=_("⬅️ Back to the group"), callback_data=GroupOpen(id=group_id))
    builder.adjust(1)
    return builder.as_markup()


def interests_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in groups.INTERESTS:
        builder.button(
            text=interest_name(choice), callback_data=GroupNew(field="interest", value=choice)
        )
    builder.adjust(2)
    return builder.as_markup()


def languages_keyboard() -> InlineKeyboardMarkup:
    return spoken_languages_keyboard(lambda value: GroupNew(field="languages", value=value))


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📢 Publish"), callback_data=GroupNew(field="confirm", value="yes"))
    builder.button(text=_("✖️ Cancel"), callback_data=GroupNew(field="confirm", value="no"))
    builder.adjust(2)
    return builder.as_markup()


def preview_text(draft: groups.GroupDraft) -> str:
    """The new group as students will see it, in both languages, before it is published."""
    return "\n\n".join(
        [
            _("<b>Preview</b>"),
            f"<b>{html.quote(draft.title_kk)}</b>\n{html.quote(draft.description_kk)}",
            f"<b>{html.quote(draft.title_ru)}</b>\n{html.quote(draft.description_ru)}",
            interest_name(draft.interest)
            + " · "
            + ", ".join(language_name(c) for c in draft.languages)
            + f"\n💬 {html.quote(draft.chat_url)}",
        ]
    )
