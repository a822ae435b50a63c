"""Russian and Kazakh–Russian code-mixed NLU data: coverage, duplicates and train/test leakage."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from nlu.normalize import detect_script, tokenize

NLU_DIR = Path(__file__).resolve().parents[2] / "nlu"
TRAIN_FILES = {"ru": NLU_DIR / "data" / "ru.yml", "mixed": NLU_DIR / "data" / "mixed.yml"}
TEST_FILES = {"ru": NLU_DIR / "tests" / "ru.yml", "mixed": NLU_DIR / "tests" / "mixed.yml"}

INTENTS = {
    "greet", "goodbye", "thanks", "help", "bot_challenge", "ask_faq", "request_consultation",
    "report_incident", "events", "courses", "change_language", "my_requests", "delete_my_data",
    "feedback", "affirm", "deny", "out_of_scope",
}  # fmt: skip

# [text]{"entity": ...} and the older [text](entity) annotation forms.
_ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def _load(path: Path) -> list[tuple[str, str]]:
    """(intent, raw example) pairs of one Rasa NLU YAML file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in doc.get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], line[2:].strip()))
    return pairs


def _plain(example: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1), example)


def _key(example: str) -> str:
    """What the model sees: the normalised tokens, so case, punctuation and script don't count."""
    return " ".join(tokenize(_plain(example)))


def _all_examples(files: dict[str, Path]) -> list[tuple[str, str, str]]:
    return [(name, intent, ex) for name, path in files.items() for intent, ex in _load(path)]


@pytest.mark.parametrize(
    ("name", "minimum", "bigger"),
    [("ru", 30, 80), ("mixed", 12, 12)],
)
def test_training_covers_every_intent(name: str, minimum: int, bigger: int) -> None:
    counts = Counter(intent for intent, _ in _load(TRAIN_FILES[name]))
    assert set(counts) == INTENTS
    for intent in INTENTS:
        needed = bigger if intent in {"ask_faq", "out_of_scope"} else minimum
        assert counts[intent] >= needed, (name, intent, counts[intent])


@pytest.mark.parametrize(("name", "minimum"), [("ru", 8), ("mixed", 4)])
def test_test_sets_cover_every_intent(name: str, minimum: int) -> None:
    counts = Counter(intent for intent, _ in _load(TEST_FILES[name]))
    assert set(counts) == INTENTS
    assert min(counts.values()) >= minimum


def test_no_duplicates_within_or_across_files() -> None:
    seen: dict[str, tuple[str, str, str]] = {}
    clashes = []
    for name, intent, example in _all_examples(TRAIN_FILES) + [
        (f"tests/{n}", i, e) for n, i, e in _all_examples(TEST_FILES)
    ]:
        key = _key(example)
        assert key, (name, example)
        if key in seen:
            clashes.append((seen[key], (name, intent, example)))
        seen[key] = (name, intent, example)
    assert clashes == []


def test_test_examples_never_seen_in_any_training_file() -> None:
    trained = {_key(ex) for path in (NLU_DIR / "data").glob("*.yml") for _, ex in _load(path)}
    leaked = [ex for _, _, ex in _all_examples(TEST_FILES) if _key(ex) in trained]
    assert leaked == []


def test_training_examples_never_appear_in_any_test_file() -> None:
    tested = {_key(ex) for path in (NLU_DIR / "tests").glob("*.yml") for _, ex in _load(path)}
    leaked = [ex for _, _, ex in _all_examples(TRAIN_FILES) if _key(ex) in tested]
    assert leaked == []


def test_only_language_entities_with_known_values() -> None:
    for _, intent, example in _all_examples(TRAIN_FILES) + _all_examples(TEST_FILES):
        for match in _ANNOTATION.finditer(example):
            assert intent == "change_language", example
            assert match.group(2) in (
                '{"entity": "language", "value": "kk"}',
                '{"entity": "language", "value": "ru"}',
            ), example


def test_russian_training_includes_latin_transliteration() -> None:
    latin = [ex for _, ex in _load(TRAIN_FILES["ru"]) if detect_script(_plain(ex)) == "latin"]
    assert len(latin) >= 20
