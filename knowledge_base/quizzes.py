"""Self-check quizzes attached to learning materials: schema and validation. Plain Python.

A material in knowledge_base/learning/*.yml may carry a `quiz`:

```yaml
  quiz:
    pass_percent: 60                # optional, 1-100, default 60
    questions:
      - kind: single                # single (one right option) | multiple (all right ones)
        text: {kk: "...", ru: "..."}
        options:
          - {kk: "...", ru: "...", correct: true}
          - {kk: "...", ru: "..."}
        explanation: {kk: "...", ru: "..."}   # shown right after the answer
        faq: nauryz-dates           # optional: the knowledge-base entry to read more
        url: "https://..."          # optional: a page to read more
```

Problems come with the YAML line they are on; a file with any problem loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from knowledge_base.schema import is_slug

LANGUAGES = ("kk", "ru")
KINDS = ("single", "multiple")
QUESTION_MAX = 300
OPTION_MAX = 100
EXPLANATION_MAX = 800
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_QUESTIONS = 30
DEFAULT_PASS_PERCENT = 60
QUIZ_FIELDS = frozenset({"pass_percent", "questions"})
QUESTION_FIELDS = frozenset({"kind", "text", "options", "explanation", "faq", "url"})
OPTION_FIELDS = frozenset({"kk", "ru", "correct"})


@dataclass(frozen=True)
class Option:
    text: dict[str, str]
    correct: bool = False


@dataclass(frozen=True)
class Question:
    kind: str
    text: dict[str, str]
    options: tuple[Option, ...]
    explanation: dict[str, str]
    faq: str | None = None
    url: str | None = None

    @property
    def correct(self) -> frozenset[int]:
        return frozenset(i for i, option in enumerate(self.options) if option.correct)


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]
    pass_percent: int = DEFAULT_PASS_PERCENT


# A problem and the 1-based YAML line it is on (None: the caller's line).
Problem = tuple[int | None, str]


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The composed YAML node under a mapping key or a sequence index (None if absent)."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _texts(
    value: object, name: str, limit: int, line: int | None, problems: list[Problem]
) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append((line, f"{name} must have kk and ru texts"))
        return {}
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append((line, f"{name}.{language} is missing"))
        elif len(text) > limit:
            problems.append((line, f"{name}.{language} is longer than {limit} characters"))
        else:
            texts[language] = " ".join(text.split())
    return texts


def _question(
    data: object, node: yaml.Node | None, label: str
) -> tuple[Question | None, list[Problem]]:
    line = _line(node)
    if not isinstance(data, dict):
        return None, [(line, f"{label} is not a mapping with kind, text, options and explanation")]
    problems: list[Problem] = []
    unknown = sorted(str(k) for k in data if k not in QUESTION_FIELDS)
    if unknown:
        problems.append((line, f"{label}: unknown fields: {', '.join(unknown)}"))
    kind = data.get("kind", "single")
    if kind not in KINDS:
        problems.append(
            (_line(child(node, "kind")) or line, f"{label}: kind must be single or multiple")
        )
    text = _texts(
        data.get("text"),
        f"{label}: text",
        QUESTION_MAX,
        _line(child(node, "text")) or line,
        problems,
    )
    explanation = _texts(
        data.get("explanation"),
        f"{label}: explanation",
        EXPLANATION_MAX,
        _line(child(node, "explanation")) or line,
        problems,
    )
    options: list[Option] = []
    raw_options = data.get("options")
    options_node = child(node, "options")
    if not isinstance(raw_options, list) or not MIN_OPTIONS <= len(raw_options) <= MAX_OPTIONS:
        problems.append(
            (_line(options_node) or line, f"{label}: needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
        )
        raw_options = raw_options if isinstance(raw_options, list) else []
    for index, raw in enumerate(raw_options):
        option_node = child(options_node, index)
        option_line = _line(option_node) or line
        name = f"{label}: option {index + 1}"
        if not isinstance(raw, dict):
            problems.append((option_line, f"{name} must have kk and ru texts"))
            continue
        extra = sorted(str(k) for k in raw if k not in OPTION_FIELDS)
        if extra:
            problems.append((option_line, f"{name}: unknown fields: {', '.join(extra)}"))
        correct = raw.get("correct", False)
        if not isinstance(correct, bool):
            problems.append((option_line, f"{name}: correct must be true or false"))
        texts = _texts({k: raw.get(k) for k in LANGUAGES}, name, OPTION_MAX, option_line, problems)
        options.append(Option(texts, correct is True))
    right = sum(option.correct for option in options)
    if raw_options and right == 0:
        problems.append((_line(options_node) or line, f"{label} has no correct option"))
    elif kind == "single" and right > 1:
        problems.append(
            (
                _line(options_node) or line,
                f"{label} is single-choice but has {right} correct options (use kind: multiple)",
            )
        )
    faq = data.get("faq")
    if faq is not None and not is_slug(faq):
        problems.append((_line(child(node, "faq")) or line, f"{label}: faq must be an entry id"))
    url = data.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        problems.append(
            (_line(child(node, "url")) or line, f"{label}: url must start with https://")
        )
    if problems:
        return None, problems
    return Question(str(kind), text, tuple(options), explanation, faq, url), []


def quiz_from_dict(
    data: object, node: yaml.Node | None = None
) -> tuple[Quiz | None, list[Problem]]:
    """A quiz checked; every problem says where it is and what to fix."""
    line = _line(node)
    if not isinstance(data, dict):
        return None, [(line, "quiz must be a mapping with questions")]
    problems: list[Problem] = []
    unknown = sorted(str(k) for k in data if k not in QUIZ_FIELDS)
    if unknown:
        problems.append((line, f"quiz: unknown fields: {', '.join(unknown)}"))
    pass_percent = data.get("pass_percent", DEFAULT_PASS_PERCENT)
    if (
        not isinstance(pass_percent, int)
        or isinstance(pass_percent, bool)
        or not 1 <= pass_percent <= 100
    ):
        problems.append(
            (_line(child(node, "pass_percent")) or line, "quiz: pass_percent must be 1 to 100")
        )
    raw = data.get("questions")
    questions_node = child(node, "questions")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
        problems.append(
            (_line(questions_node) or line, f"quiz needs 1 to {MAX_QUESTIONS} questions")
        )
        raw = raw if isinstance(raw, list) else []
    questions: list[Question] = []
    for index, item in enumerate(raw):
        question, found = _question(item, child(questions_node, index), f"question {index + 1}")
        problems += found
        if question is not None:
            questions.append(question)
    if problems:
        return None, problems
    return Quiz(tuple(questions), int(pass_percent)), []


def quiz_to_dict(quiz: Quiz) -> dict[str, Any]:
    """The YAML shape of a quiz (what `quiz_from_dict` reads back)."""
    questions: list[dict[str, Any]] = []
    for question in quiz.questions:
        item: dict[str, Any] = {
            "kind": question.kind,
            "text": dict(question.text),
            "options": [
                {**option.text, **({"correct": True} if option.correct else {})}
                for option in question.options
            ],
            "explanation": dict(question.explanation),
        }
        if question.faq:
            item["faq"] = question.faq
        if question.url:
            item["url"] = question.url
        questions.append(item)
    return {"pass_percent": quiz.pass_percent, "questions": questions}


def question_from_stored(data: dict[str, Any]) -> Question:
    """A question back from its stored JSON (the shape `quiz_to_dict` writes)."""
    quiz, problems = quiz_from_dict({"questions": [data]})
    if quiz is None:
        raise ValueError(f"stored question is invalid: {problems}")
    return quiz.questions[0]


def is_right(question: Question, chosen: set[int] | frozenset[int]) -> bool:
    """Right means exactly the correct options, no more and no fewer."""
    return frozenset(chosen) == question.correct


def percent(correct: int, total: int) -> int:
    return round(100 * correct / total) if total else 0
