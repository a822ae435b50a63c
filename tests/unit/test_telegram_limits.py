"""Telegram's length limits: long texts arrive whole, in numbered parts Telegram accepts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.limits import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    split_numbered,
    split_text,
    truncate,
    utf16_len,
)

ALLOWED = ("b", "i", "u", "s", "code", "tg-spoiler")


class _Checker(HTMLParser):
    """Collects visible text and fails on unbalanced tags, as Telegram's parser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible(html_text: str) -> str:
    checker = _Checker()
    checker.feed(html_text)
    checker.close()
    assert not checker.errors, checker.errors
    assert not checker.stack, f"unclosed {checker.stack}"
    return "".join(checker.text)


def test_emoji_count_twice() -> None:
    assert utf16_len("абв") == 3
    assert utf16_len("🙂") == 2
    assert utf16_len("🇰🇿") == 4


def test_a_short_text_is_left_alone() -> None:
    assert split_text("<b>Сәлем</b>") == ["<b>Сәлем</b>"]


def test_an_emoji_heavy_text_is_cut_by_utf16_length_not_characters() -> None:
    text = "🙂" * 3000  # 3,000 characters but 6,000 UTF-16 units
    parts = split_text(text)
    assert len(parts) == 2
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(parts) == text


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    text = "<b>" + "сөз " * 2000 + "</b> соңы"
    parts = split_text(text)
    assert len(parts) >= 2
    assert all(p.startswith("<b>") for p in parts[:-1])
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(visible(p) for p in parts) == visible(text)


def test_an_entity_is_never_cut() -> None:
    text = "a" * 4090 + "&amp;&lt;&gt;" + "b" * 100
    for part in split_text(text):
        assert not re.search(r"&[a-z#0-9]*$", part)
        visible(part)


def test_numbered_parts_say_their_place() -> None:
    parts = split_numbered("слово " * 1500)
    assert [p.split(" ", 1)[0] for p in parts] == [
        f"({i}/{len(parts)})" for i in range(1, len(parts) + 1)
    ]
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)


def test_truncate_keeps_valid_html_within_the_caption_limit() -> None:
    cut = truncate("<i>" + "х" * 2000 + "</i>", CAPTION_LIMIT)
    assert utf16_len(cut) <= CAPTION_LIMIT and cut.endswith("…")
    visible(cut)


_words = st.text(
    alphabet=st.sampled_from(list("абвгдеәқңөүұіһ xyz\n🙂🇰🇿&<>")), min_size=1, max_size=60
)


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    from html import escape

    chunks = []
    for _ in range(draw(st.integers(1, 40))):
        text = escape(draw(_words), quote=False)
        if draw(st.booleans()):
            tag = draw(st.sampled_from(ALLOWED))
            text = f"<{tag}>{text}</{tag}>"
        chunks.append(text)
    return "".join(chunks) * draw(st.integers(1, 30))


@settings(max_examples=150, deadline=None)
@given(html_documents(), st.sampled_from([64, 200, CAPTION_LIMIT, MESSAGE_LIMIT]))
def test_every_part_fits_is_valid_html_and_nothing_is_lost(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    # Every visible character arrives, in order. Only whitespace may go: a part that would be
    # nothing but whitespace is not sent (Telegram refuses it).
    assert _ink(parts) == _ink([text])
    assert all(visible(p).strip() for p in parts)


def _ink(parts: list[str]) -> str:
    """The visible text without whitespace."""
    return "".join("".join(visible(p).split()) for p in parts)
