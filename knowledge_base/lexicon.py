"""The bilingual domain lexicon: groups of words that mean one thing to the FAQ.

A concept group joins Kazakh and Russian words, colloquial forms and abbreviations
(``дискриминация · кемсіту · притеснять · унижать``). Search uses it on queries and entries
alike, so a student who writes «гнобят» finds the entry that says «кемсітушілік». Groups marked
``incident: true`` also feed the safety net that sends reports of violence or discrimination to
the incident path whatever the NLU thought.

The file (``knowledge_base/lexicon.yml``) is a list of groups::

    - id: discrimination          # slug, unique
      incident: true              # optional
      words: [дискриминация, кемсіту, притеснять, унижать]

Words are compared by their key (:func:`knowledge_base.morphology.word_key`): normalised script,
Russian lemma or Kazakh stem. So a group may list ``кемсіту`` once and match every form and
spelling of it, and one key may belong to one group only: a word in two groups would join two
unrelated things. Plain Python: no aiogram, no store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge_base.morphology import russian_lemma, word_key
from knowledge_base.schema import is_slug
from knowledge_base.spelling import tokenize
from knowledge_base.stopwords import is_stop_word
from nlu.normalize import normalize_word

__all__ = [
    "DEFAULT_LEXICON_PATH",
    "ConceptGroup",
    "Lexicon",
    "LexiconError",
    "default_lexicon",
    "dump_lexicon",
    "load_lexicon_file",
    "parse_lexicon",
    "validate_groups",
]

DEFAULT_LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
_PREFIX_MIN = 4  # letters of a stem a Kazakh word must begin with to find it
_TYPO_STEM = 6
_TYPO_MIN_LENGTH = 7
_KNOWN_FIELDS = frozenset({"id", "words", "incident"})


@dataclass(frozen=True)
class ConceptGroup:
    """Words that stand for one concept of the domain, in both languages and every spelling."""

    id: str
    words: tuple[str, ...]
    incident: bool = False

    def to_dict(self) -> dict[str, object]:
        """The group in the YAML shape of the lexicon file."""
        data: dict[str, object] = {"id": self.id}
        if self.incident:
            data["incident"] = True
        data["words"] = list(self.words)
        return data


class LexiconError(ValueError):
    """A lexicon that cannot be loaded; the message lists every problem with file and line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _word_problem(word: object) -> str | None:
    if not isinstance(word, str) or not word.strip():
        return "an empty word"
    if len(tokenize(word)) != 1:
        return f"«{word}» is not one word (write each word separately)"
    if is_stop_word(word):
        return f"«{word}» is a stop word: it says nothing about a question and would join anything"
    return None


def validate_groups(
    groups: Sequence[ConceptGroup], lines: Mapping[tuple[int, int], int] | None = None
) -> list[str]:
    """Every problem of ``groups`` as a message; an empty list means they may be loaded.

    ``lines`` maps (group index, word index) to a line number (word index -1: the group's own
    line), so messages point into the file; without it they name the group.
    """

    def where(group: int, word: int = -1) -> str:
        if lines is None:
            return f"group «{groups[group].id}»"
        line = lines.get((group, word), lines.get((group, -1)))
        return f"line {line}" if line is not None else f"group «{groups[group].id}»"

    problems: list[str] = []
    ids: dict[str, int] = {}
    owners: dict[str, tuple[int, int]] = {}
    for g, group in enumerate(groups):
        if not is_slug(group.id):
            problems.append(f"{where(g)}: the id «{group.id}» must be a slug like «hate-speech»")
        elif group.id in ids:
            problems.append(
                f"{where(g)}: the id «{group.id}» is already used at {where(ids[group.id])}"
            )
        else:
            ids[group.id] = g
        if not group.words:
            problems.append(f"{where(g)}: the group «{group.id}» has no words")
            continue
        if len(group.words) == 1:
            problems.append(
                f"{where(g)}: the group «{group.id}» has one word; a group joins two or more"
            )
        for w, word in enumerate(group.words):
            problem = _word_problem(word)
            if problem is not None:
                problems.append(f"{where(g, w)}: {problem}")
                continue
            key = word_key(word)
            owner = owners.get(key)
            if owner is None:
                owners[key] = (g, w)
            elif owner[0] != g:
                other = groups[owner[0]]
                problems.append(
                    f"{where(g, w)}: «{word}» is already in the group «{other.id}» "
                    f"(«{other.words[owner[1]]}», {where(*owner)}); a word belongs to one group"
                )
    return problems


def parse_lexicon(text: str, source: str = "lexicon.yml") -> list[ConceptGroup]:
    """The groups of a lexicon file; raises :class:`LexiconError` listing every problem."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise LexiconError([f"{source}{line}: not valid YAML: {problem}"]) from exc
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise LexiconError([f"{source}:{root.start_mark.line + 1}: expected a list of groups"])

    problems: list[str] = []
    groups: list[ConceptGroup] = []
    lines: dict[tuple[int, int], int] = {}
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            problems.append(f"{source}:{line}: expected a group with «id» and «words»")
            continue
        fields = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
        unknown = sorted(set(fields) - _KNOWN_FIELDS)
        if unknown:
            problems.append(f"{source}:{line}: unknown field(s) {', '.join(unknown)}")
        id_node = fields.get("id")
        group_id = id_node.value if isinstance(id_node, yaml.ScalarNode) else ""
        incident_node = fields.get("incident")
        incident = False
        if incident_node is not None:
            value = yaml.safe_load(yaml.serialize(incident_node))
            if not isinstance(value, bool):
                problems.append(f"{source}:{line}: «incident» must be true or false")
            incident = value is True
        words_node = fields.get("words")
        words: list[str] = []
        index = len(groups)
        lines[(index, -1)] = line
        if words_node is None:
            pass
        elif isinstance(words_node, yaml.SequenceNode):
            for w, word_node in enumerate(words_node.value):
                lines[(index, w)] = word_node.start_mark.line + 1
                words.append(word_node.value if isinstance(word_node, yaml.ScalarNode) else "")
        else:
            problems.append(f"{source}:{line}: «words» must be a list")
        groups.append(ConceptGroup(str(group_id), tuple(words), incident))

    problems += [
        f"{source}:{message[len('line ') :]}" if message.startswith("line ") else message
        for message in validate_groups(groups, lines)
    ]
    if problems:
        raise LexiconError(problems)
    return groups


def dump_lexicon(groups: Iterable[ConceptGroup]) -> str:
    """The lexicon as YAML that :func:`parse_lexicon` reads back unchanged."""
    blocks = []
    for group in groups:
        words = ", ".join(_quote(word) for word in group.words)
        head = f"- id: {group.id}\n"
        if group.incident:
            head += "  incident: true\n"
        blocks.append(f"{head}  words: [{words}]\n")
    return "".join(blocks)


def _quote(word: str) -> str:
    plain = yaml.safe_dump(word, allow_unicode=True, default_flow_style=True, width=1000)
    plain = plain.removesuffix("\n...\n").strip()
    if any(ch in plain for ch in ",[]{}") and not plain.startswith(("'", '"')):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return plain


def load_lexicon_file(path: str | Path) -> list[ConceptGroup]:
    """The groups of the lexicon file at ``path``; raises :class:`LexiconError` on a problem."""
    path = Path(path)
    return parse_lexicon(path.read_text(encoding="utf-8"), source=str(path))


class Lexicon:
    """Word keys mapped to the concepts they stand for, built once and read on every search."""

    def __init__(
        self,
        concepts: Mapping[str, tuple[str, ...]],
        incident: Iterable[str],
        forms: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._concepts = dict(concepts)
        # Normalised spellings of the listed words by their first letters with one letter
        # dropped, so that a typo in a word's stem still finds its group.
        self._typo_index: dict[str, set[str]] = {}
        for form, ids in (forms or {}).items():
            if len(form) >= _TYPO_MIN_LENGTH:
                stem = form[:_TYPO_STEM]
                for variant in {stem, *(stem[:i] + stem[i + 1 :] for i in range(len(stem)))}:
                    self._typo_index.setdefault(variant, set()).update(ids)
        self.incident_concepts: frozenset[str] = frozenset(incident)
        self.incident_keys: frozenset[str] = frozenset(
            key
            for key, ids in self._concepts.items()
            if any(concept in self.incident_concepts for concept in ids)
        )

    @classmethod
    def from_groups(cls, groups: Iterable[ConceptGroup]) -> Lexicon:
        """The lexicon of ``groups`` (validated by the caller, e.g. :func:`parse_lexicon`)."""
        concepts: dict[str, list[str]] = {}
        forms: dict[str, list[str]] = {}
        incident: list[str] = []
        for group in groups:
            if group.incident:
                incident.append(group.id)
            for word in group.words:
                for mapping, key in ((concepts, word_key(word)), (forms, normalize_word(word))):
                    ids = mapping.setdefault(key, [])
                    if group.id not in ids:
                        ids.append(group.id)
        return cls(
            {key: tuple(ids) for key, ids in concepts.items()},
            incident,
            {form: tuple(ids) for form, ids in forms.items()},
        )

    @classmethod
    def empty(cls) -> Lexicon:
        """A lexicon that joins nothing."""
        return cls({}, ())

    def __len__(self) -> int:
        """How many word keys the lexicon knows."""
        return len(self._concepts)

    def concepts_of_key(self, key: str) -> tuple[str, ...]:
        """The concepts of a word already reduced by :func:`word_key`."""
        return self._concepts.get(key, ())

    def concepts(self, word: str) -> tuple[str, ...]:
        """The concepts ``word`` (any form, any script) stands for; empty when none.

        Beyond the exact key: a Kazakh word whose stem the rules cut differently still finds
        the longest key it begins with (four letters at least), and a word of six letters or
        more with one slip in its first six letters finds the group of the word it misspells.
        """
        key = word_key(word)
        found = self._concepts.get(key)
        if found:
            return found
        folded = normalize_word(word)
        if russian_lemma(folded) is None:
            for end in range(len(folded) - 1, _PREFIX_MIN - 1, -1):
                found = self._concepts.get(folded[:end])
                if found:
                    return found
        if len(folded) >= _TYPO_MIN_LENGTH:
            stem = folded[:_TYPO_STEM]
            ids: set[str] = set()
            for variant in {stem, *(stem[:i] + stem[i + 1 :] for i in range(len(stem)))}:
                ids.update(self._typo_index.get(variant, ()))
            if len(ids) == 1:
                return tuple(ids)
        return ()

    def is_incident_word(self, word: str) -> bool:
        """Whether ``word`` belongs to an incident concept (violence, insults, discrimination)."""
        return any(concept in self.incident_concepts for concept in self.concepts(word))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped in ``knowledge_base/lexicon.yml``."""
    return Lexicon.from_groups(load_lexicon_file(DEFAULT_LEXICON_PATH))
