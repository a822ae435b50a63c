"""Measuring the FAQ search on labelled queries, and fitting its thresholds on them.

A labelled set is a TSV file, one query per line: ``expected<TAB>lang<TAB>variant<TAB>query``,
where ``expected`` is an entry id or ``NONE`` (nothing in the knowledge base answers it).
Lines starting with ``#`` and blank lines are skipped. The project's own set lives in
``knowledge_base/eval/``: a tuning half (thresholds are fitted on it) and a test half (the
figures in docs/ come from it).

Each query ends in one of three outcomes, as the student sees it: an answer, "did you mean"
buttons, or no answer. For an answerable query the answer is right or wrong, and the buttons
hold the right entry or not; for a NONE query anything but no answer is a false hit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from knowledge_base.schema import LANGUAGES
from knowledge_base.search import Match, SearchResult, Thresholds

__all__ = [
    "NONE",
    "EvalReport",
    "LabelledQuery",
    "Outcome",
    "QueryFileError",
    "evaluate",
    "fit_thresholds",
    "outcome_of",
    "parse_queries",
    "read_queries",
]

NONE = "NONE"
# The whole labelled set is ranked once with this many candidates, then thresholds are tried.
_RANKED = 4


class QueryFileError(ValueError):
    """A labelled-query file with malformed lines; the message lists each with its number."""


@dataclass(frozen=True)
class LabelledQuery:
    """One query of the labelled set."""

    expected: str  # an entry id, or NONE
    lang: str
    variant: str
    text: str

    @property
    def answerable(self) -> bool:
        """Whether some entry answers it."""
        return self.expected != NONE


@dataclass(frozen=True)
class Outcome:
    """What the student gets: an answer, "did you mean" buttons, or nothing."""

    kind: str  # "answer" | "buttons" | "none"
    ids: tuple[str, ...] = ()  # the answer, or the buttons in order


def outcome_of(result: SearchResult) -> Outcome:
    """The outcome a search result shows the student."""
    if result.confident and result.best is not None:
        return Outcome("answer", (result.best.id,))
    if result.matches:
        return Outcome("buttons", tuple(match.id for match in result.matches[:3]))
    return Outcome("none")


def parse_queries(text: str, source: str = "queries.tsv") -> list[LabelledQuery]:
    """The labelled queries of a TSV text; raises :class:`QueryFileError` listing bad lines."""
    queries: list[LabelledQuery] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            problems.append(f"{source}:{number}: expected 4 tab-separated fields, got {len(parts)}")
            continue
        expected, lang, variant, query = (part.strip() for part in parts)
        if lang not in LANGUAGES:
            problems.append(f"{source}:{number}: language must be one of {', '.join(LANGUAGES)}")
            continue
        if not expected or not query:
            problems.append(f"{source}:{number}: the expected id and the query must not be empty")
            continue
        queries.append(LabelledQuery(expected, lang, variant or "-", query))
    if problems:
        raise QueryFileError("\n".join(problems))
    return queries


def read_queries(path: str | Path) -> list[LabelledQuery]:
    """The labelled queries of the TSV file at ``path``."""
    path = Path(path)
    return parse_queries(path.read_text(encoding="utf-8"), source=str(path))


@dataclass
class Tally:
    """Counts of outcomes for one slice of the labelled set."""

    answerable: int = 0
    correct: int = 0
    wrong: int = 0
    in_buttons: int = 0
    buttons_without: int = 0
    abstained: int = 0
    off_topic: int = 0
    off_topic_abstained: int = 0
    off_topic_buttons: int = 0
    off_topic_answered: int = 0

    def add(self, query: LabelledQuery, outcome: Outcome) -> str:
        """Count ``outcome`` for ``query``; returns its verdict."""
        if not query.answerable:
            self.off_topic += 1
            if outcome.kind == "none":
                self.off_topic_abstained += 1
                return "abstained"
            if outcome.kind == "buttons":
                # Not answered: the student is asked, not told. Counted apart all the same.
                self.off_topic_abstained += 1
                self.off_topic_buttons += 1
                return "off_topic_buttons"
            self.off_topic_answered += 1
            return "off_topic_answered"
        self.answerable += 1
        if outcome.kind == "answer":
            if outcome.ids[0] == query.expected:
                self.correct += 1
                return "correct"
            self.wrong += 1
            return "wrong"
        if outcome.kind == "buttons":
            if query.expected in outcome.ids:
                self.in_buttons += 1
                return "in_buttons"
            self.buttons_without += 1
            return "buttons_without"
        self.abstained += 1
        return "abstained"

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rates: rates of answerable queries, and of off-topic ones."""

        def rate(part: int, whole: int) -> float:
            return round(part / whole, 3) if whole else 0.0

        return {
            "answerable": self.answerable,
            "answered_correct": self.correct,
            "answered_wrong": self.wrong,
            "in_buttons": self.in_buttons,
            "buttons_without_right": self.buttons_without,
            "abstained": self.abstained,
            "answered_correct_rate": rate(self.correct, self.answerable),
            "answered_wrong_rate": rate(self.wrong, self.answerable),
            "found_rate": rate(self.correct + self.in_buttons, self.answerable),
            "off_topic": self.off_topic,
            "off_topic_abstained": self.off_topic_abstained,
            "off_topic_buttons": self.off_topic_buttons,
            "off_topic_answered": self.off_topic_answered,
            "off_topic_abstained_rate": rate(self.off_topic_abstained, self.off_topic),
        }


@dataclass
class EvalReport:
    """Outcomes of a labelled set: overall, by language, by variant, and every miss."""

    total: Tally = field(default_factory=Tally)
    by_lang: dict[str, Tally] = field(default_factory=dict)
    by_variant: dict[str, Tally] = field(default_factory=dict)
    misses: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready data."""
        return {
            "total": self.total.as_dict(),
            "by_lang": {k: v.as_dict() for k, v in sorted(self.by_lang.items())},
            "by_variant": {k: v.as_dict() for k, v in sorted(self.by_variant.items())},
            "misses": self.misses,
        }

    def render(self) -> str:
        """The report as a plain-text table followed by the misses."""
        header = (
            f"{'slice':<16}{'n':>5}{'correct':>9}{'wrong':>7}{'buttons':>9}{'found':>7}"
            f"{'abstain':>9}{'off-topic ok':>14}"
        )
        lines = [header]

        def row(name: str, tally: Tally) -> str:
            d = tally.as_dict()
            off = (
                f"{tally.off_topic_abstained}/{tally.off_topic} ({d['off_topic_abstained_rate']})"
                if tally.off_topic
                else "-"
            )
            return (
                f"{name:<16}{tally.answerable:>5}{d['answered_correct_rate']:>9}"
                f"{d['answered_wrong_rate']:>7}{rate(tally.in_buttons, tally.answerable):>9}"
                f"{d['found_rate']:>7}{rate(tally.abstained, tally.answerable):>9}{off:>14}"
            )

        def rate(part: int, whole: int) -> float:
            return round(part / whole, 3) if whole else 0.0

        lines.append(row("all", self.total))
        lines += [row(f"lang {k}", v) for k, v in sorted(self.by_lang.items())]
        lines += [row(k, v) for k, v in sorted(self.by_variant.items())]
        if self.misses:
            lines.append("")
            lines.append(f"misses ({len(self.misses)}):")
            for miss in self.misses:
                got = ",".join(str(i) for i in miss["got"]) or "-"  # type: ignore[attr-defined]
                lines.append(
                    f"  {miss['verdict']:<20} expected {miss['expected']:<34} got {got:<40} "
                    f"[{miss['lang']}/{miss['variant']}] {miss['query']}"
                )
        return "\n".join(lines)


def evaluate(
    queries: Iterable[LabelledQuery], outcome: Callable[[LabelledQuery], Outcome]
) -> EvalReport:
    """Run every query through ``outcome`` and tally the verdicts."""
    report = EvalReport()
    for query in queries:
        result = outcome(query)
        verdict = report.total.add(query, result)
        report.by_lang.setdefault(query.lang, Tally()).add(query, result)
        report.by_variant.setdefault(query.variant, Tally()).add(query, result)
        if verdict not in ("correct", "abstained") or (query.answerable and verdict == "abstained"):
            report.misses.append(
                {
                    "expected": query.expected,
                    "lang": query.lang,
                    "variant": query.variant,
                    "query": query.text,
                    "verdict": verdict,
                    "outcome": result.kind,
                    "got": list(result.ids),
                }
            )
    return report


# --- calibration ------------------------------------------------------------------------------


def _grid(start: float, stop: float, step: float) -> list[float]:
    count = round((stop - start) / step)
    return [round(start + i * step, 3) for i in range(count + 1)]


def fit_thresholds(
    ranked: Sequence[tuple[LabelledQuery, Sequence[Match]]],
    *,
    max_wrong: float = 0.02,
    min_off_topic_abstained: float = 0.9,
    off_topic_button_cost: float = 0.5,
) -> tuple[Thresholds, dict[str, object]]:
    """Thresholds that answer as many queries right as possible without wrong answers.

    ``ranked`` holds each labelled query with its raw ranked matches
    (:meth:`knowledge_base.search.FaqIndex.rank`). The answer thresholds come first: the most
    right answers with wrong answers at most ``max_wrong`` of the answerable queries and
    off-topic queries answered at most ``1 - min_off_topic_abstained`` of the time (ties go to
    fewer wrong answers, then to the stricter thresholds). Then the "did you mean" thresholds:
    the most right entries among the buttons, each off-topic query shown buttons costing
    ``off_topic_button_cost`` of a found one.
    """
    answerable = [(q, m) for q, m in ranked if q.answerable]
    off_topic = [m for q, m in ranked if not q.answerable]
    n = max(len(answerable), 1)

    def answered(matches: Sequence[Match], rule: Thresholds) -> bool:
        if not matches:
            return False
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        return rule.confident(matches[0].score, runner_up)

    def best_rule(rules: Iterable[Thresholds]) -> Thresholds | None:
        best: tuple[tuple[float, ...], Thresholds] | None = None
        for rule in rules:
            correct = wrong = 0
            for query, matches in answerable:
                if answered(matches, rule):
                    if matches[0].id == query.expected:
                        correct += 1
                    else:
                        wrong += 1
            off_answered = sum(1 for matches in off_topic if answered(matches, rule))
            if wrong > max_wrong * n:
                continue
            if off_topic and off_answered > (1 - min_off_topic_abstained) * len(off_topic):
                continue
            # Ties go to fewer wrong answers, then to the stricter thresholds.
            key: tuple[float, ...] = (
                correct,
                -wrong,
                -off_answered,
                rule.confident_score,
                rule.confident_margin,
                rule.lead_score,
                rule.lead_margin,
            )
            if best is None or key > best[0]:
                best = (key, rule)
        return None if best is None else best[1]

    # First the main rule (strong enough and ahead), then the second one (weaker but far
    # ahead), which may only add answers on top of the first.
    main = best_rule(
        Thresholds(confident_score=score, confident_margin=margin)
        for score, margin in itertools.product(_grid(0.2, 0.9, 0.01), _grid(0.0, 0.25, 0.01))
    )
    if main is None:  # nothing meets the bounds: answer nothing outright
        main = Thresholds(confident_score=1.01, confident_margin=0.0)
    lead_rules = [main] + [
        replace(main, lead_score=score, lead_margin=margin)
        for score, margin in itertools.product(_grid(0.2, 0.9, 0.02), _grid(0.1, 0.4, 0.02))
        if score < main.confident_score and margin > main.confident_margin
    ]
    rule = best_rule(lead_rules) or main
    confident_score = rule.confident_score

    best_buttons: tuple[tuple[float, ...], float, float] | None = None
    for min_score, relative in itertools.product(_grid(0.1, 0.6, 0.01), _grid(0.4, 0.95, 0.05)):
        if min_score > confident_score:
            break
        found = 0
        for query, matches in answerable:
            if answered(matches, rule):
                continue
            shown = [
                m.id
                for m in matches[:3]
                if m.score >= min_score and m.score >= matches[0].score * relative
            ]
            if query.expected in shown:
                found += 1
        noisy = sum(
            1
            for matches in off_topic
            if matches and matches[0].score >= min_score and not answered(matches, rule)
        )
        key = (float(found - off_topic_button_cost * noisy), -noisy, min_score, relative)
        if best_buttons is None or key > best_buttons[0]:
            best_buttons = (key, min_score, relative)
    if best_buttons is None:
        min_score, relative = confident_score, 0.95
    else:
        _, min_score, relative = best_buttons

    thresholds = replace(rule, min_score=min_score, relative_to_best=relative)
    return thresholds, {"queries": len(ranked), "answerable": len(answerable)}
