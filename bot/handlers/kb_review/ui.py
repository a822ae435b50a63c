"""Texts and buttons of /kb_review, the provenance fields of the admins' edit dialog, and the
"as of" line under legal answers."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from bot.services.kb_review import ReviewEntry
from knowledge_base.review import ARTICLE, LEGAL, NEVER_REVIEWED, OVERDUE, PHONE, YEAR
from knowledge_base.schema import MAX_REVIEW_MONTHS, MAX_SOURCE_LENGTH, FaqItem, is_slug

# The provenance fields of the edit dialog, in the order its buttons show them.
PROVENANCE_FIELDS = ("source", "tags", "reviewed", "review_every")
# How many entries the summary lists by name; the cards walk through all of them.
LIST_LIMIT = 30


class KbReview(CallbackData, prefix="kbrv"):
    """A button on a review card: `ok` (still true), `edit` or `next`, for the entry the
    admin saw at version `v`, at position `pos` of the review list."""

    act: str
    pk: int
    v: int
    pos: int


def reason_icons(reasons: tuple[str, ...]) -> str:
    icons = {
        OVERDUE: "⏰",
        NEVER_REVIEWED: "❔",
        LEGAL: "⚖️",
        YEAR: "📅",
        ARTICLE: "§",
        PHONE: "☎️",
    }
    return "".join(icons[reason] for reason in reasons if reason in icons)


def reason_text(reason: str) -> str:
    texts = {
        OVERDUE: _("past its review date"),
        NEVER_REVIEWED: _("never reviewed"),
        LEGAL: _("rests on a law"),
        YEAR: _("mentions a year"),
        ARTICLE: _("cites an article number"),
        PHONE: _("mentions a phone number"),
    }
    return texts.get(reason, reason)


def day_text(day: date, language: str) -> str:
    return format_date(day, "long", locale=language)


def summary_text(entries: list[ReviewEntry], language: str) -> str:
    """The review list: counts, a legend, and the entries by name, most urgent first."""
    if not entries:
        return _(
            "Nothing to review: no entry is overdue, legal, or mentions a year, an "
            "article number or a phone number."
        )
    counts = {
        reason: sum(1 for entry in entries if reason in entry.flags.reasons)
        for reason in (OVERDUE, NEVER_REVIEWED, LEGAL, YEAR, ARTICLE, PHONE)
    }
    lines = [
        "<b>" + _("Knowledge-base review") + "</b>",
        _("{count} entries to check.").format(count=len(entries)),
    ]
    for reason, count in counts.items():
        if count:
            lines.append(f"{reason_icons((reason,))} {reason_text(reason)}: {count}")
    lines.append("")
    for entry in entries[:LIST_LIMIT]:
        lines.append(
            f"{reason_icons(entry.flags.reasons)} <code>{html.escape(entry.slug)}</code> — "
            + html.escape(entry.item.question[language])
        )
    if len(entries) > LIST_LIMIT:
        lines.append(_("… and {count} more.").format(count=len(entries) - LIST_LIMIT))
    lines += ["", _("The cards below go through them one by one.")]
    return "\n".join(lines)


def card_text(entry: ReviewEntry, position: int, total: int, language: str) -> str:
    """One entry to check: why it is listed, its provenance and its answer in both languages."""
    item = entry.item
    lines = [
        _("<b>{position} of {total}</b> · <code>{id}</code>").format(
            position=position + 1, total=total, id=html.escape(item.id)
        ),
        reason_icons(entry.flags.reasons)
        + " "
        + ", ".join(reason_text(reason) for reason in entry.flags.reasons),
        provenance_text(item, language),
    ]
    if entry.flags.due is not None:
        lines.append(_("Next review due: {date}").format(date=day_text(entry.flags.due, language)))
    for lang, flag in (("kk", "🇰🇿"), ("ru", "🇷🇺")):
        answer = html.escape(item.answer[lang])
        if len(answer) > 1500:
            answer = answer[:1500] + "…"
        lines += ["", f"{flag} <b>{html.escape(item.question[lang])}</b>", answer]
    return "\n".join(lines)


def provenance_text(item: FaqItem, language: str) -> str:
    """Source, review date and tags in one line (for the admins' entry cards)."""
    source = html.escape(item.source) if item.source else "—"
    reviewed = day_text(item.reviewed, language) if item.reviewed else _("never")
    tags = ", ".join(item.tags) if item.tags else "—"
    return _(
        "📚 Source: {source} · reviewed: {reviewed} (every {months} months) · tags: {tags}"
    ).format(source=source, reviewed=reviewed, months=item.review_months, tags=html.escape(tags))


def card_keyboard(entry: ReviewEntry, position: int, total: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    common = {"pk": entry.pk, "v": entry.version, "pos": position}
    builder.button(text=_("✅ Still true"), callback_data=KbReview(act="ok", **common))
    builder.button(text=_("✏️ Edit"), callback_data=KbReview(act="edit", **common))
    if position + 1 < total:
        builder.button(text=_("⏭ Next"), callback_data=KbReview(act="next", **common))
    builder.adjust(3)
    return builder.as_markup()


def reminder_text(count: int) -> str:
    """The monthly reminder to admins."""
    return _(
        "⏰ {count} knowledge-base entries are past their review date. Students act on these "
        "answers: please check they are still true with /kb_review."
    ).format(count=count)


def as_of_line(item: FaqItem, language: str) -> str:
    """The line under a legal answer saying when it was last checked ("" when never)."""
    if not item.legal or item.reviewed is None:
        return ""
    return _("ℹ️ As of {date}.", locale=language).format(date=day_text(item.reviewed, language))


# --- the provenance fields in the admins' edit dialog ---------------------------------------


def field_label(field: str) -> str | None:
    labels = {
        "source": _("Source"),
        "tags": _("Tags"),
        "reviewed": _("Reviewed on"),
        "review_every": _("Review every (months)"),
    }
    return labels.get(field)


def parse_field(field: str, text: str) -> tuple[Any, str | None]:
    """The value an admin typed for a provenance field, or the error to show them."""
    text = text.strip()
    if field == "source":
        if len(text) > MAX_SOURCE_LENGTH:
            return None, _("The source is too long: at most {limit} characters.").format(
                limit=MAX_SOURCE_LENGTH
            )
        return " ".join(text.split()), None
    if field == "tags":
        tags = [tag.strip().lower() for tag in text.replace(",", " ").split() if tag.strip()]
        if not all(is_slug(tag) for tag in tags):
            return None, _(
                "Tags are short words of Latin letters, digits and hyphens, separated by "
                "spaces, e.g. <code>legal</code>."
            )
        return list(dict.fromkeys(tags)), None
    if field == "reviewed":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, _("Write the date as YYYY-MM-DD, e.g. <code>2026-12-01</code>.")
    if field == "review_every":
        if not text.isdigit() or not 1 <= int(text) <= MAX_REVIEW_MONTHS:
            return None, _("Write a number of months from 1 to {limit}.").format(
                limit=MAX_REVIEW_MONTHS
            )
        return int(text), None
    return None, _("This button is out of date.")


def to_draft(item: FaqItem) -> dict[str, Any]:
    """The provenance of `item` as dialog data (plain values: FSM storage may be JSON)."""
    return {
        "source": item.source or "",
        "tags": list(item.tags),
        "reviewed": item.reviewed.isoformat() if item.reviewed else "",
        "review_every": item.review_every if item.review_every is not None else "",
    }


def from_draft(draft: dict[str, Any]) -> dict[str, Any]:
    """FaqItem keyword arguments from dialog data ("" or [] clear a field)."""
    reviewed = draft.get("reviewed")
    review_every = draft.get("review_every")
    return {
        "source": draft.get("source") or None,
        "tags": tuple(draft.get("tags") or ()),
        "reviewed": date.fromisoformat(reviewed)
        if isinstance(reviewed, str) and reviewed
        else None,
        "review_every": review_every if isinstance(review_every, int) else None,
    }
