"""A pulse survey's results: counts per question and per faculty or course, shown only for
groups of at least `K_ANONYMITY` respondents, and as CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.pulse_models import PulseAnswer, PulseSurvey
from bot.services.pulse import K_ANONYMITY, LIKERT, Question, SurveyInfo, questions, survey_info


@dataclass
class QuestionResult:
    question: Question
    counts: Counter[int] = field(default_factory=Counter)
    # group label ("faculty: X", "course: 2") -> counts; only groups of at least k respondents
    groups: dict[str, Counter[int]] = field(default_factory=dict)
    hidden_groups: int = 0

    @property
    def respondents(self) -> int:
        return sum(self.counts.values())

    def option_label(self, value: int, language: str) -> str:
        if self.question.kind == LIKERT:
            return str(value)
        return self.question.options[value - 1].get(language, str(value))


@dataclass
class Results:
    survey: SurveyInfo
    k: int
    questions: list[QuestionResult]

    @property
    def shown(self) -> list[QuestionResult]:
        """Questions with at least k respondents; the others are not shown at all."""
        return [q for q in self.questions if q.respondents >= self.k]


async def results(session: AsyncSession, survey_id: int, k: int = K_ANONYMITY) -> Results | None:
    survey = await session.get(PulseSurvey, survey_id)
    if survey is None:
        return None
    info = await survey_info(session, survey)
    items = {q.id: QuestionResult(q) for q in await questions(session, survey_id)}
    by_group: dict[tuple[int, str], Counter[int]] = {}
    rows = await session.execute(
        select(
            PulseAnswer.question_id, PulseAnswer.value, PulseAnswer.faculty, PulseAnswer.course
        ).where(PulseAnswer.survey_id == survey_id)
    )
    labels: dict[str, Counter[str]] = {}
    for question_id, value, faculty, course in rows:
        item = items.get(question_id)
        if item is None:
            continue
        item.counts[value] += 1
        keys = []
        if faculty:
            key = "faculty:" + faculty.casefold()
            labels.setdefault(key, Counter())[faculty] += 1
            keys.append(key)
        if course:
            keys.append(f"course:{course}")
        for key in keys:
            by_group.setdefault((question_id, key), Counter())[value] += 1
    for (question_id, key), counts in sorted(by_group.items()):
        item = items[question_id]
        if sum(counts.values()) >= k:
            kind, _, name = key.partition(":")
            shown = labels[key].most_common(1)[0][0] if kind == "faculty" else name
            item.groups[f"{kind}: {shown}"] = counts
        else:
            item.hidden_groups += 1
    return Results(info, k, list(items.values()))


def results_csv(report: Results, language: str = "ru") -> str:
    """One row per shown question × group × value: survey, question, group, value, label,
    count. Groups and questions under k respondents are left out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey", "question", "text", "group", "value", "label", "count"])
    for item in report.shown:
        question = item.question
        series = [("all", item.counts), *item.groups.items()]
        for group, counts in series:
            for value in question.values():
                writer.writerow(
                    [
                        report.survey.id,
                        question.position + 1,
                        question.text.get(language, ""),
                        group,
                        value,
                        item.option_label(value, language),
                        counts.get(value, 0),
                    ]
                )
    return out.getvalue()
