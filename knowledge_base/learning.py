"""Learning materials (/learn): their YAML schema, validation and loading. Plain Python.

```yaml
- id: textbook-interethnic-relations   # slug, unique
  kind: textbook                       # course | webinar | methodology | textbook | module | reading
  title: {kk: "...", ru: "..."}
  description: {kk: "...", ru: "..."}
  url: "https://..."                   # optional
  topics: [learning, accord]           # optional knowledge-base categories, for recommendations
  quiz: {...}                          # optional self-check quiz, see knowledge_base/quizzes.py
```
A file with any problem loads nothing, as with the knowledge base; problems name the file and
the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.quizzes import Quiz, child, quiz_from_dict, quiz_to_dict
from knowledge_base.schema import is_slug

LEARNING_DIR = Path(__file__).resolve().parent / "learning"
KINDS = ("course", "webinar", "methodology", "textbook", "module", "reading")
LANGUAGES = ("kk", "ru")
TITLE_MAX = 300
DESCRIPTION_MAX = 1500
FIELDS = frozenset({"id", "kind", "title", "description", "url", "topics", "quiz"})


@dataclass(frozen=True)
class Material:
    id: str
    kind: str
    title: dict[str, str]
    description: dict[str, str]
    url: str | None = None
    topics: tuple[str, ...] = ()
    quiz: Quiz | None = None


@dataclass
class MaterialsResult:
    items: list[Material] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _texts(value: object, name: str, limit: int, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{name} must have kk and ru texts")
        return {}
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{name}.{language} is missing")
        elif len(text) > limit:
            problems.append(f"{name}.{language} is longer than {limit} characters")
        else:
            texts[language] = " ".join(text.split())
    for key in value:
        if key not in LANGUAGES:
            problems.append(f"{name} has an unknown language {key!r}")
    return texts


def material_from_dict(
    data: object, node: yaml.Node | None = None
) -> tuple[Material | None, list[str]]:
    """One entry checked; the problems say what to fix (a quiz's with `line N:` first)."""
    if not isinstance(data, dict):
        return None, ["is not a mapping with id, kind, title and description"]
    problems: list[str] = []
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    material_id = data.get("id")
    if not is_slug(material_id):
        problems.append("id must be a slug of a-z, 0-9 and -")
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    title = _texts(data.get("title"), "title", TITLE_MAX, problems)
    description = _texts(data.get("description"), "description", DESCRIPTION_MAX, problems)
    url = data.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        problems.append("url must start with https://")
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(is_slug(t) for t in topics):
        problems.append("topics must be a list of slugs")
        topics = []
    quiz = None
    if data.get("quiz") is not None:
        quiz, quiz_problems = quiz_from_dict(data["quiz"], child(node, "quiz"))
        problems += [f"line {line}: {p}" if line else p for line, p in quiz_problems]
    if problems:
        return None, problems
    return (
        Material(str(material_id), str(kind), title, description, url, tuple(topics), quiz),
        [],
    )


def material_to_dict(material: Material) -> dict[str, Any]:
    """The YAML shape of a material (what `material_from_dict` reads back)."""
    data: dict[str, Any] = {
        "id": material.id,
        "kind": material.kind,
        "title": dict(material.title),
        "description": dict(material.description),
    }
    if material.url:
        data["url"] = material.url
    if material.topics:
        data["topics"] = list(material.topics)
    if material.quiz is not None:
        data["quiz"] = quiz_to_dict(material.quiz)
    return data


def dump_materials(materials: Iterable[Material]) -> str:
    """Materials as a YAML document that `parse_materials` accepts."""
    return yaml.safe_dump(
        [material_to_dict(m) for m in materials], allow_unicode=True, sort_keys=False, width=100
    )


def _uses_aliases(text: str) -> bool:
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return True
    return False


def parse_materials(text: str, source: str) -> MaterialsResult:
    """Validate one YAML document; nothing loads from it if anything is wrong."""
    try:
        if _uses_aliases(text):
            return MaterialsResult([], [f"{source}: YAML anchors and aliases are not allowed"])
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        return MaterialsResult([], [f"{source}: not valid YAML: {error}"])
    if not isinstance(data, list):
        return MaterialsResult([], [f"{source}: must be a list of materials"])
    result = MaterialsResult()
    seen: set[str] = set()
    for index, entry in enumerate(data):
        node = child(root, index)
        material, problems = material_from_dict(entry, node)
        label = entry.get("id") if isinstance(entry, dict) else None
        label = label if isinstance(label, str) else f"entry {index + 1}"
        if material is not None and material.id in seen:
            problems = [f"id is used twice in {source}"]
        entry_line = node.start_mark.line + 1 if node is not None else 0
        for problem in problems:
            # "file:line: id: problem", the line of the exact field where one is known.
            line, _sep, rest = problem.partition(": ")
            if line.startswith("line ") and line[5:].isdigit():
                result.problems.append(f"{source}:{line[5:]}: {label}: {rest}")
            else:
                result.problems.append(f"{source}:{entry_line}: {label}: {problem}")
        if material is not None and not problems:
            seen.add(material.id)
            result.items.append(material)
    if result.problems:
        result.items = []
    return result


def load_materials(paths: Iterable[str | Path] = (LEARNING_DIR,)) -> MaterialsResult:
    """Load files and directories (their *.yml files in name order); ids are unique across all."""
    result = MaterialsResult()
    owners: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        for file in files:
            try:
                text = file.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                result.problems.append(f"{file}: cannot be read: {error}")
                continue
            document = parse_materials(text, str(file))
            result.problems += document.problems
            for material in document.items:
                if material.id in owners:
                    result.problems.append(
                        f"{file}: {material.id}: id is already used in {owners[material.id]}"
                    )
                    continue
                owners[material.id] = str(file)
                result.items.append(material)
    return result
