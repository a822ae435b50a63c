"""The progress ladder (knowledge_base/levels.yml): schema, validation, and where a student
stands on it. Plain Python.

```yaml
- id: explorer                 # slug, unique
  emoji: "🧭"
  title: {kk: "...", ru: "..."}
  requires: {materials: 2, quizzes: 0, events: 0}   # any of the three; missing means 0
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.quizzes import child
from knowledge_base.schema import is_slug

LEVELS_FILE = Path(__file__).resolve().parent / "levels.yml"
METRICS = ("materials", "quizzes", "events")
LANGUAGES = ("kk", "ru")
FIELDS = frozenset({"id", "emoji", "title", "requires"})


@dataclass(frozen=True)
class Level:
    id: str
    emoji: str
    title: dict[str, str]
    requires: dict[str, int]

    def met_by(self, counts: Mapping[str, int]) -> bool:
        return all(counts.get(m, 0) >= n for m, n in self.requires.items())

    def missing(self, counts: Mapping[str, int]) -> dict[str, int]:
        """How much of each metric is still needed (only the ones short)."""
        return {m: n - counts.get(m, 0) for m, n in self.requires.items() if counts.get(m, 0) < n}


@dataclass
class Ladder:
    levels: list[Level] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def standing(self, counts: Mapping[str, int]) -> tuple[Level, Level | None]:
        """The step the student is on and the next one (None at the top)."""
        current = self.levels[0]
        for index, level in enumerate(self.levels):
            if not level.met_by(counts):
                return current, level
            current = level
            if index == len(self.levels) - 1:
                return current, None
        return current, None


def _level(data: object) -> tuple[Level | None, list[str]]:
    if not isinstance(data, dict):
        return None, ["is not a mapping with id, emoji, title and requires"]
    problems: list[str] = []
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    if not is_slug(data.get("id")):
        problems.append("id must be a slug of a-z, 0-9 and -")
    emoji = data.get("emoji", "")
    if not isinstance(emoji, str) or len(emoji) > 8:
        problems.append("emoji must be a short text")
    title = data.get("title")
    titles: dict[str, str] = {}
    if not isinstance(title, dict):
        problems.append("title must have kk and ru texts")
    else:
        for language in LANGUAGES:
            text = title.get(language)
            if not isinstance(text, str) or not text.strip() or len(text) > 60:
                problems.append(f"title.{language} must be 1 to 60 characters")
            else:
                titles[language] = text.strip()
    requires = data.get("requires", {})
    if not isinstance(requires, dict):
        problems.append("requires must be a mapping of materials, quizzes and events")
        requires = {}
    for metric, value in requires.items():
        if metric not in METRICS:
            problems.append(f"requires: unknown metric {metric!r} (use {', '.join(METRICS)})")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"requires.{metric} must be a whole number, 0 or more")
    if problems:
        return None, problems
    return Level(str(data["id"]), str(emoji), titles, {k: int(v) for k, v in requires.items()}), []


def parse_ladder(text: str, source: str) -> Ladder:
    """Check the whole ladder; problems are `file:line: id: problem`, and a ladder with any
    problem is not used."""
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        return Ladder([], [f"{source}: not valid YAML: {error}"])
    if not isinstance(data, list) or not data:
        return Ladder([], [f"{source}: must be a non-empty list of levels"])
    ladder = Ladder()
    seen: set[str] = set()
    previous: Level | None = None
    for index, entry in enumerate(data):
        node = child(root, index)
        line = node.start_mark.line + 1 if node is not None else 0
        label = entry.get("id") if isinstance(entry, dict) else None
        label = label if isinstance(label, str) else f"level {index + 1}"
        level, problems = _level(entry)
        if level is not None:
            if level.id in seen:
                problems.append("id is used twice")
            if index == 0 and level.requires and any(level.requires.values()):
                problems.append("the first level must require nothing")
            if previous is not None and any(
                level.requires.get(m, 0) < previous.requires.get(m, 0) for m in METRICS
            ):
                problems.append(f"asks for less than the level before it ({previous.id})")
        ladder.problems += [f"{source}:{line}: {label}: {p}" for p in problems]
        if level is not None and not problems:
            seen.add(level.id)
            ladder.levels.append(level)
            previous = level
    if ladder.problems:
        ladder.levels = []
    return ladder


def load_ladder(path: str | Path = LEVELS_FILE) -> Ladder:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return Ladder([], [f"{path}: cannot be read: {error}"])
    return parse_ladder(text, str(path))
