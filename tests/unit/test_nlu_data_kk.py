"""The Kazakh NLU data: enough examples per intent, every way students write Kazakh, no leakage.

A test set that shares examples with the training data, even only after folding, reports
accuracy the bot will not have with real students; these checks keep the numbers honest.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from nlu.normalize import detect_script, tokenize

NLU_DIR = Path(__file__).resolve().parents[2] / "nlu"
KK_TRAIN = NLU_DIR / "data" / "kk.yml"
KK_TESTS = {
    "kk_cyrillic": NLU_DIR / "tests" / "kk_cyrillic.yml",
    "kk_folded": NLU_DIR / "tests" / "kk_folded.yml",
    "kk_latin": NLU_DIR / "tests" / "kk_latin.yml",
}

# The intents the bot relies on (README.md).
INTENTS = {
    "greet",
    "goodbye",
    "thanks",
    "help",
    "bot_challenge",
    "ask_faq",
    "request_consultation",
    "report_incident",
    "events",
    "courses",
    "change_language",
    "my_requests",
    "delete_my_data",
    "feedback",
    "affirm",
    "deny",
    "out_of_scope",
}
BROAD_INTENTS = {"ask_faq", "out_of_scope"}

# [text]{"entity": ..., "value": ...} or [text](entity)
_ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


class Example:
    """One training or test example: its intent, plain text and entity annotations."""

    def __init__(self, intent: str, raw: str) -> None:
        self.intent = intent
        self.raw = raw
        self.text = _ANNOTATION.sub(r"\1", raw)
        self.entities: list[dict[str, str]] = []
        for match in _ANNOTATION.finditer(raw):
            spec = match.group(2)
            if spec.startswith("{"):
                self.entities.append(json.loads(spec))
            else:
                self.entities.append({"entity": spec[1:-1]})

    @property
    def key(self) -> str:
        """The text as the model sees it: folded words, punctuation dropped."""
        return " ".join(tokenize(self.text))


def load_examples(path: Path) -> list[Example]:
    """Read the examples of a Rasa 3 NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line:
                assert line.startswith("- "), f"{path.name}: malformed example line {line!r}"
                examples.append(Example(block["intent"], line[2:].strip()))
    return examples


@pytest.fixture(scope="module")
def train() -> list[Example]:
    return load_examples(KK_TRAIN)


def test_training_data_has_every_intent_with_enough_examples(train: list[Example]) -> None:
    counts = Counter(example.intent for example in train)
    assert set(counts) == INTENTS
    for intent, count in counts.items():
        minimum = 80 if intent in BROAD_INTENTS else 30
        assert count >= minimum, f"{intent}: {count} Kazakh examples, need {minimum}"


def test_training_data_covers_every_script_per_intent(train: list[Example]) -> None:
    # The model must see Kazakh as students type it: with Kazakh letters, with Russian
    # letters only, and in Latin script.
    for intent in INTENTS:
        scripts = Counter(detect_script(e.text) for e in train if e.intent == intent)
        written = sum(scripts.values()) - scripts["none"]
        assert scripts["kk_cyrillic"] >= 0.4 * written, (intent, scripts)
        assert scripts["cyrillic"] >= 0.15 * written, (intent, scripts)
        assert scripts["latin"] >= 0.15 * written, (intent, scripts)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("kk_cyrillic", {"kk_cyrillic", "cyrillic", "none"}),
        ("kk_folded", {"cyrillic", "none"}),
        ("kk_latin", {"latin", "none"}),
    ],
)
def test_each_test_set_is_in_its_script_and_covers_every_intent(
    name: str, allowed: set[str]
) -> None:
    examples = load_examples(KK_TESTS[name])
    assert {e.intent for e in examples} == INTENTS
    wrong = [e.text for e in examples if detect_script(e.text) not in allowed]
    assert not wrong, f"{name} examples in another script: {wrong}"
    if name == "kk_cyrillic":
        with_kazakh_letters = sum(detect_script(e.text) == "kk_cyrillic" for e in examples)
        assert with_kazakh_letters >= 0.8 * len(examples)


def test_no_kazakh_example_repeats_after_folding(train: list[Example]) -> None:
    seen: dict[str, str] = {}
    for path in [KK_TRAIN, *KK_TESTS.values()]:
        for example in load_examples(path):
            assert example.key not in seen, (
                f"{path.name}: {example.text!r} folds like {seen[example.key]}"
            )
            seen[example.key] = f"{path.name}: {example.text!r}"


def test_no_test_example_is_in_any_training_file() -> None:
    trained = {
        example.key: f"{path.name}: {example.text!r}"
        for path in sorted((NLU_DIR / "data").glob("*.yml"))
        for example in load_examples(path)
    }
    for path in KK_TESTS.values():
        for example in load_examples(path):
            assert example.key not in trained, (
                f"{path.name}: {example.text!r} is trained as {trained[example.key]}"
            )


def test_only_change_language_is_annotated_with_kk_or_ru(train: list[Example]) -> None:
    examples = train + [e for path in KK_TESTS.values() for e in load_examples(path)]
    annotated = [e for e in examples if e.entities]
    assert annotated
    for example in annotated:
        assert example.intent == "change_language", example.raw
        for entity in example.entities:
            assert entity.get("entity") == "language", example.raw
            assert entity.get("value") in {"kk", "ru"}, example.raw
    values = Counter(entity["value"] for e in train for entity in e.entities)
    assert values["kk"] >= 10 and values["ru"] >= 10, values
