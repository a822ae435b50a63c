"""Reading and writing the knowledge-base YAML files.

A file is all or nothing: one bad entry and none of the file's entries load, so an import
never leaves the store half-updated. Every problem is still reported, with file and entry.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from knowledge_base.schema import FaqItem, KbProblem, item_from_dict

__all__ = [
    "YAML_SUFFIXES",
    "LoadResult",
    "dump_items",
    "load_paths",
    "parse_document",
    "write_items",
]

YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class LoadResult:
    """Entries that loaded, and every problem found on the way."""

    items: list[FaqItem] = field(default_factory=list)
    problems: list[KbProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return not self.problems


@dataclass
class _Document:
    items: list[FaqItem]
    problems: list[KbProblem]
    # Every id the file declares, valid entry or not, so clashes across files are still found.
    ids: list[str]


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_document(text: str | bytes, source: str) -> LoadResult:
    """Validate one YAML document holding a list of entries; nothing loads if anything is wrong."""
    document = _read_document(text, source)
    if document.problems:
        return LoadResult([], document.problems)
    return LoadResult(document.items, [])


def load_paths(paths: Iterable[str | Path]) -> LoadResult:
    """Load files and directories (their ``*.yml`` and ``*.yaml`` files, in name order).

    Items come only from files without problems; an id used in an earlier file makes the later
    file a problem too.
    """
    result = LoadResult()
    owner: dict[str, str] = {}
    for path, source, missing in _expand(paths):
        if missing is not None:
            result.problems.append(KbProblem(source, None, missing))
            continue
        try:
            content = path.read_bytes()
        except OSError as error:
            result.problems.append(KbProblem(source, None, f"cannot be read: {error.strerror}"))
            continue
        document = _read_document(content, source)
        problems = list(document.problems)
        for entry_id in dict.fromkeys(document.ids):
            if entry_id in owner and owner[entry_id] != source:
                problems.append(
                    KbProblem(source, entry_id, f"id is already used in {owner[entry_id]}")
                )
            else:
                owner.setdefault(entry_id, source)
        result.problems.extend(problems)
        if not problems:
            result.items.extend(document.items)
    return result


def dump_items(items: Iterable[FaqItem]) -> str:
    """The items as knowledge-base YAML, sorted by category then id, one blank line apart."""
    ordered = sorted(items, key=lambda item: (item.category, item.id))
    chunks = [
        yaml.dump(
            [item.to_dict()],
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
            default_flow_style=False,
        )
        for item in ordered
    ]
    return "\n".join(chunks)


def write_items(items: Iterable[FaqItem], path: str | Path) -> None:
    """Write the items to ``path`` as YAML, replacing the file in one step."""
    target = Path(path)
    text = dump_items(items)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file in the same directory, renamed over the target: readers never see half.
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, str, str | None]]:
    """The YAML files behind ``paths`` in the order given, each once, with the name problems
    are reported under and, for a path that yields no file, the problem."""
    found: list[tuple[Path, str, str | None]] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append((path, str(path), None))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                child
                for child in path.iterdir()
                if child.is_file() and child.suffix.lower() in YAML_SUFFIXES
            )
            if not files:
                found.append((path, str(path), "holds no .yml or .yaml files"))
            for child in files:
                add(child)
        elif path.is_file():
            add(path)
        else:
            found.append((path, str(path), "no such file or directory"))
    return found


def _read_document(text: str | bytes, source: str) -> _Document:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return _Document([], [_problem(source, f"is not UTF-8 text (byte {error.start})")], [])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Document([], [_problem(source, "is empty; expected a list of entries")], [])
        if _uses_aliases(node):
            # Nothing in an entry needs them, and nested aliases can make a small upload
            # expand into an enormous structure.
            message = "uses YAML anchors or aliases (& or *), which are not allowed"
            return _Document([], [_problem(source, message)], [])
        data: Any = loader.construct_document(node)
    except yaml.YAMLError as error:
        return _Document([], [_problem(source, f"is not valid YAML: {_describe(error)}")], [])
    finally:
        loader.dispose()

    if not isinstance(node, SequenceNode) or not isinstance(data, list):
        return _Document(
            [], [_problem(source, "must be a list of entries (each starting with -)")], []
        )

    items: list[FaqItem] = []
    problems: list[KbProblem] = []
    ids: list[str] = []
    first_seen: dict[str, int] = {}
    for index, (entry, entry_node) in enumerate(zip(data, node.value, strict=True)):
        item, entry_problems = item_from_dict(entry, source, index)
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        label = entry_id if isinstance(entry_id, str) and entry_id else f"entry {index + 1}"
        # PyYAML silently keeps the last of two equal keys; an editor almost never means that.
        for key, line in _duplicate_keys(entry_node):
            entry_problems.append(
                KbProblem(source, label, f"field {key!r} appears twice (line {line + 1})")
            )
        if isinstance(entry_id, str) and entry_id:
            ids.append(entry_id)
            if entry_id in first_seen:
                entry_problems.append(
                    KbProblem(
                        source,
                        entry_id,
                        f"id is used twice in this file (entries {first_seen[entry_id] + 1} "
                        f"and {index + 1})",
                    )
                )
            else:
                first_seen[entry_id] = index
        problems.extend(entry_problems)
        if item is not None and not entry_problems:
            items.append(item)
    return _Document(items, problems, ids)


def _uses_aliases(root: Node) -> bool:
    """Whether any node is reached twice: the composer hands out one node per anchor."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                stack.extend((key_node, value_node))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False


def _duplicate_keys(node: Node) -> list[tuple[str, int]]:
    """Keys repeated inside any mapping of ``node``, with the 0-based line of the repeat."""
    repeats: list[tuple[str, int]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            keys: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in keys:
                    repeats.append((key, key_node.start_mark.line))
                keys.add(key)
                stack.append(value_node)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
    return sorted(repeats, key=lambda repeat: repeat[1])


def _describe(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None) or str(error)
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return str(problem)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"


def _problem(source: str, message: str) -> KbProblem:
    return KbProblem(source, None, message)


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists, and multi-line texts as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)
