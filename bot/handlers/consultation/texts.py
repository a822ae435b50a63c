"""Texts of consultations and surveys; each function translates at call time, in whatever
locale is current (the student's, a curator's, or the curators' group's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from babel.dates import format_datetime

from bot.clock import ALMATY, aware
from bot.db.models import Consultation, ConsultationMessage
from bot.handlers.texts import N_, language_name

AREA_LABELS = {
    "conflict": N_("🤝 Interethnic conflict"),
    "discrimination": N_("⚖️ Discrimination"),
    "adaptation": N_("🏙 Adaptation to a new city or university"),
    "language": N_("🗣 Language"),
    "culture": N_("🎭 Culture and traditions"),
    "psychological": N_("💬 Psychological support"),
    "other": N_("📌 Other"),
}

QUESTION_TEXTS = {
    ("conflict", "what"): N_("Briefly, what happened?"),
    ("conflict", "who"): N_("Who is involved: classmates, roommates, teachers, someone else?"),
    ("conflict", "ongoing"): N_("Is it still going on? Is anyone in danger right now?"),
    ("discrimination", "what"): N_("What happened, and where: university, dormitory, city?"),
    ("discrimination", "when"): N_("When did it happen?"),
    ("discrimination", "before"): N_("Has it happened to you before?"),
    ("adaptation", "where"): N_(
        "Which city and university are you adapting to, and how long have you been there?"
    ),
    ("adaptation", "hardest"): N_(
        "What is hardest for you now: housing, studies, people, language, something else?"
    ),
    ("language", "which"): N_("Which language is it about: Kazakh, Russian or another?"),
    ("language", "need"): N_("What exactly would you like help with?"),
    ("culture", "topic"): N_("Which culture, holiday or tradition is it about?"),
    ("culture", "want"): N_("What would you like to know or do?"),
    ("psychological", "feeling"): N_("How are you feeling now, in a few words?"),
    ("psychological", "how_long"): N_("How long has this been going on?"),
    ("psychological", "support"): N_("Is there someone near you whom you can talk to?"),
    ("other", "about"): N_("What is your question about?"),
    ("other", "know"): N_("Is there anything the curator should know in advance?"),
}

STATUS_LABELS = {
    "waiting": N_("🟡 waiting for a curator"),
    "active": N_("🟢 with a curator"),
    "closed": N_("✅ closed"),
    "cancelled": N_("✖️ cancelled"),
}


def area_label(area: str) -> str:
    return _(AREA_LABELS.get(area, AREA_LABELS["other"]))


def question_text(area: str, key: str) -> str:
    return _(QUESTION_TEXTS.get((area, key), "…"))


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, STATUS_LABELS["waiting"]))


def case_number(consultation_id: int) -> str:
    return f"#{consultation_id}"


def local_time(moment: datetime | None, locale: str) -> str:
    """A moment in Asia/Almaty, formatted for the reader's locale."""
    if moment is None:
        return "—"
    return format_datetime(
        aware(moment), "d MMM, HH:mm", tzinfo=ALMATY, locale="kk" if locale == "kk" else "ru"
    )


def student_label(consultation: Consultation) -> str:
    """How curators see the student: only the case number when anonymous or deleted (an
    e-mail consultation has no Telegram id, only the sender's name and address)."""
    if consultation.anonymous or (
        consultation.student_id is None and consultation.student_name is None
    ):
        return _("anonymous, case {case}").format(case=case_number(consultation.id))
    name = html.quote(consultation.student_name or _("no name"))
    if consultation.student_username:
        name += f" (@{html.quote(consultation.student_username)})"
    return name


def answers_block(consultation: Consultation) -> str:
    lines = []
    for item in consultation.answers or []:
        answer = item.get("a")
        shown = html.quote(str(answer)) if answer else "<i>" + _("skipped") + "</i>"
        lines.append(f"• {question_text(consultation.area, str(item.get('q')))}\n  {shown}")
    return "\n".join(lines)


def card_text(
    consultation: Consultation, first_message: str | None, locale: str, owner_line: str
) -> str:
    """The card curators get for a consultation (no student identity when anonymous)."""
    head = ("🚨 " + _("URGENT") + " · " if consultation.urgent else "") + _(
        "Consultation {case}"
    ).format(case=case_number(consultation.id))
    lines = [
        f"<b>{head}</b>",
        _("Area: {area}").format(area=area_label(consultation.area)),
        _("Student: {student}").format(student=student_label(consultation)),
        _("Language: {language}").format(language=language_name(consultation.language)),
        _("Opened: {time}").format(time=local_time(consultation.created_at, locale)),
    ]
    answers = answers_block(consultation)
    if answers:
        lines += ["", "<b>" + _("Questionnaire") + "</b>", answers]
    if first_message:
        lines += ["", "<b>" + _("First message") + "</b>", html.quote(first_message[:1500])]
    lines += ["", owner_line]
    return "\n".join(lines)


def owner_line(consultation: Consultation) -> str:
    """The card's last line: who has it now."""
    if consultation.status == "waiting":
        return _("⏳ Waiting for a curator. Press «Take» to answer.")
    name = html.quote(consultation.curator_name or "—")
    if consultation.status == "active":
        return _("✋ Taken by {name}.").format(name=name)
    if consultation.status == "closed":
        return _("✅ Closed by {name}.").format(name=name)
    return _("✖️ Cancelled by the student.")


def queue_line(consultation: Consultation, locale: str) -> str:
    mark = "🚨 " if consultation.urgent else ""
    return f"{mark}<b>{case_number(consultation.id)}</b> · {area_label(consultation.area)} · " + _(
        "since {time}"
    ).format(time=local_time(consultation.created_at, locale))


def relay_header(consultation: Consultation) -> str:
    """What precedes a student's message in the curator's chat."""
    return f"💬 <b>{case_number(consultation.id)}</b> · {student_label(consultation)}"


def curator_header(consultation: Consultation) -> str:
    """What precedes a curator's message in the student's chat."""
    return "🧑‍🏫 " + _("Curator, consultation {case}:").format(case=case_number(consultation.id))


def history_text(consultation: Consultation, messages: Sequence[ConsultationMessage]) -> str:
    lines = [
        "<b>"
        + _("History of consultation {case}").format(case=case_number(consultation.id))
        + "</b>"
    ]
    labels = {
        "student": _("Student"),
        "curator": _("Curator"),
        "note": "📝 " + _("Note (students never see it)"),
    }
    for message in messages[-30:]:
        body = html.quote(message.text) if message.text else "[" + media_label(message.kind) + "]"
        lines.append(f"<b>{labels.get(message.sender, '?')}:</b> {body[:500]}")
    if consultation.resolution:
        lines.append("<b>" + _("Resolution") + ":</b> " + html.quote(consultation.resolution))
    if len(lines) == 1:
        lines.append(_("No messages yet."))
    return "\n".join(lines)


def media_label(kind: str) -> str:
    return {
        "photo": _("photo"),
        "document": _("document"),
        "voice": _("voice message"),
    }.get(kind, _("message"))


def summary_text(data: dict[str, Any]) -> str:
    """What the student confirms before the consultation is sent."""
    area = str(data.get("area", "other"))
    lines = [
        "<b>" + _("Your request to a curator") + "</b>",
        _("Area: {area}").format(area=area_label(area)),
    ]
    for item in data.get("answers", []):
        answer = item.get("a")
        shown = html.quote(str(answer)) if answer else "<i>" + _("skipped") + "</i>"
        lines.append(f"• {question_text(area, str(item.get('q')))}\n  {shown}")
    if data.get("message"):
        lines.append(_("Message: {text}").format(text=html.quote(str(data["message"])[:1500])))
    lines.append(
        _("The curator will see only the case number, not your name.")
        if data.get("anonymous", True)
        else _("The curator will see your name and username.")
    )
    lines += ["", _("Send it to the curators?")]
    return "\n".join(lines)


def survey_text(consultation_id: int) -> str:
    return _(
        "Your consultation {case} with a curator has ended. How would you rate the help you "
        "got? 1 — poor, 5 — excellent."
    ).format(case=case_number(consultation_id))


def survey_reminder_text(consultation_id: int) -> str:
    return _(
        "A reminder: please rate your consultation {case} — it takes a few seconds and helps "
        "curators work better. 1 — poor, 5 — excellent."
    ).format(case=case_number(consultation_id))


def duration_text(seconds: float, locale: str) -> str:
    from datetime import timedelta

    from babel.dates import format_timedelta

    return format_timedelta(
        timedelta(seconds=max(seconds, 1)), locale="kk" if locale == "kk" else "ru"
    )
