"""Admins change a material's quiz one question at a time: a question is built from what the
admin typed in the dialog, then added, or an existing one deleted; every save checks the quiz
version the admin saw, so two admins never overwrite each other."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import quizzes
from bot.services.quizzes import Edit
from knowledge_base.quizzes import Question, quiz_from_dict

# The dialog's steps after the kind, in order; the draft keeps each one's value by name.
STEPS = (
    "text_kk",
    "text_ru",
    "options_kk",
    "options_ru",
    "correct",
    "explain_kk",
    "explain_ru",
    "link",
)


def lines(text: str) -> list[str]:
    """The non-empty lines of `text`, spaces squeezed."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def numbers(text: str) -> set[int] | None:
    """Numbers separated by commas or spaces; None if anything else is there."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not all(p.isdigit() for p in parts):
        return None
    return {int(p) for p in parts}


def step_value(step: str, text: str) -> object:
    """What the draft keeps for `step` from the admin's (already checked) text."""
    if step.startswith("options"):
        return lines(text)
    if step == "correct":
        return sorted(numbers(text) or [])
    if step == "link":
        return text
    return " ".join(text.split())


def question_from_draft(data: dict[str, Any]) -> Question | None:
    """The question the dialog's draft describes; None if it does not make a valid one."""
    options_kk = list(data.get("options_kk") or [])
    options_ru = list(data.get("options_ru") or [])
    right = {n - 1 for n in data.get("correct") or []}
    link = str(data.get("link") or "-")
    item: dict[str, object] = {
        "kind": data.get("kind"),
        "text": {"kk": data.get("text_kk"), "ru": data.get("text_ru")},
        "options": [
            {"kk": kk, "ru": ru, **({"correct": True} if i in right else {})}
            for i, (kk, ru) in enumerate(zip(options_kk, options_ru, strict=False))
        ],
        "explanation": {"kk": data.get("explain_kk"), "ru": data.get("explain_ru")},
    }
    if link.startswith("https://"):
        item["url"] = link
    elif link != "-":
        item["faq"] = link
    quiz, _problems = quiz_from_dict({"questions": [item]})
    return quiz.questions[0] if quiz is not None else None


async def add_question(
    session: AsyncSession, material_pk: int, draft: dict[str, Any], admin_id: int
) -> Edit:
    """Add the drafted question at the end of the material's quiz, if nobody saved the quiz
    since the dialog began (the draft's "version"; 0: there was no quiz)."""
    question = question_from_draft(draft)
    if question is None:
        return Edit("gone")
    quiz = await quizzes.quiz_of_material(session, material_pk)
    existing = list(quizzes.spec_of(quiz).questions) if quiz is not None else []
    return await quizzes.save_questions(
        session,
        material_pk,
        [*existing, question],
        expected_version=int(draft["version"]) or None,
        admin_id=admin_id,
    )


async def delete_question(
    session: AsyncSession, material_pk: int, index: int, version: int, admin_id: int
) -> Edit | None:
    """Delete the question at `index` of the quiz the admin saw at `version`; None when there
    is no such question."""
    quiz = await quizzes.quiz_of_material(session, material_pk)
    if quiz is None or not 0 <= index < len(quiz.questions):
        return None
    kept = [q for i, q in enumerate(quizzes.spec_of(quiz).questions) if i != index]
    return await quizzes.save_questions(
        session, material_pk, kept, expected_version=version, admin_id=admin_id
    )
