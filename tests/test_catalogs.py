"""Every text a user sees exists, complete, in Kazakh and Russian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+>")
NUMBER = re.compile(r"\b1\d{2}\b")  # help lines and other three-digit numbers


def load(language: str) -> Catalog:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def extracted_ids() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), keywords={"_": None, "__": None, "N_": None, "gettext": None}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_catalog_complete_and_consistent(language: str) -> None:
    catalog = load(language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else message.string[0]
        if not msgstr:
            problems.append(f"empty: {msgid[:60]!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid[:60]!r}")
        else:
            for pattern in (PLACEHOLDER, TAG, NUMBER):
                if sorted(pattern.findall(msgid)) != sorted(pattern.findall(msgstr)):
                    problems.append(f"{pattern.pattern} differ: {msgid[:60]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_string_in_the_code_is_translated(language: str) -> None:
    translated = {m.id for m in load(language) if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted_ids() - translated)
    assert not missing, f"run scripts/i18n.sh and translate: {missing}"


def test_kazakh_catalog_is_kazakh_and_russian_is_russian() -> None:
    kazakh_letters = set("әғқңөұүһі")
    kk = [m.string for m in load("kk") if m.id and len(m.string) > 40]
    # The very first greeting, before a language is chosen, speaks both (" / ").
    ru = [m.string for m in load("ru") if m.id and len(m.string) > 40 and " / " not in m.string]
    assert all(kazakh_letters & set(s.lower()) for s in kk)

    def kazakh_share(text: str) -> float:
        letters = [ch for ch in text.lower() if ch.isalpha()]
        return sum(ch in kazakh_letters for ch in letters) / max(len(letters), 1)

    # Russian texts may quote a Kazakh name («Мәдениеттің бірлігі»), never be in Kazakh.
    assert all(kazakh_share(s) < 0.03 for s in ru)
