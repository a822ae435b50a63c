"""Telegram's length limits, counted as Telegram counts them: UTF-16 code units.

A text over the limit is split into parts that each stay valid HTML: a part never ends inside
a tag or an entity (``&amp;``), tags still open at a cut are closed at the end of the part and
opened again at the start of the next. Lengths are measured on the HTML as sent, markup
included, which is never less than what Telegram counts after parsing, so every part is
accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# Room kept for a part number such as "(12/12) ".
_NUMBER_ROOM = 10

_TOKEN = re.compile(
    r"<[^<>]*>|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});|[^<&]+|[<&]"
)
_UNIT = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});|.", re.S)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fits(text: str, limit: int = MESSAGE_LIMIT) -> bool:
    return utf16_len(text) <= limit


@dataclass
class _Open:
    name: str
    opening: str  # the tag exactly as written, attributes included

    @property
    def closing(self) -> str:
        return f"</{self.name}>"


def _tokens(text: str, html: bool) -> list[tuple[str, str]]:
    """(kind, token) pairs: kind is "open", "close" or "text" (entities stay inside text)."""
    if not html:
        return [("text", text)]
    out: list[tuple[str, str]] = []
    for token in _TOKEN.findall(text):
        match = _TAG.match(token) if token.startswith("<") and len(token) > 1 else None
        if match is not None:
            out.append(("close" if match.group(1) else "open", token))
        elif out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + token)
        else:
            out.append(("text", token))
    return out


def _units(text: str, html: bool) -> list[str]:
    """Characters, with each HTML entity kept as one indivisible unit."""
    return _UNIT.findall(text) if html else list(text)


def _cut_point(units: list[str], room: int) -> int:
    """How many `units` fit in `room` UTF-16 units, preferring to end at a line or a word."""
    used = 0
    end = 0
    for index, unit in enumerate(units):
        size = utf16_len(unit)
        if used + size > room:
            break
        used += size
        end = index + 1
    if end >= len(units):
        return end
    for separator in ("\n", " "):
        for at in range(end - 1, end // 2, -1):
            if units[at] == separator:
                return at + 1
    return end


def split_text(text: str, limit: int = MESSAGE_LIMIT, *, html: bool = True) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units each, valid HTML when `html` is set."""
    if fits(text, limit):
        return [text]
    parts: list[str] = []
    stack: list[_Open] = []
    current = ""

    def closing() -> str:
        return "".join(tag.closing for tag in reversed(stack))

    def flush() -> None:
        nonlocal current
        if current.strip() and current != "".join(tag.opening for tag in stack):
            parts.append(current + closing())
        current = "".join(tag.opening for tag in stack)

    for kind, token in _tokens(text, html):
        if kind == "close":
            name = _TAG.match(token).group(2).lower()  # type: ignore[union-attr]
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth].name == name:
                    del stack[depth]
                    current += token
                    break
            continue
        if kind == "open":
            name = _TAG.match(token).group(2).lower()  # type: ignore[union-attr]
            if utf16_len(current + token + closing()) + len(name) + 3 > limit:
                flush()
            current += token
            stack.append(_Open(name, token))
            continue
        rest = _units(token, html)
        while rest:
            room = limit - utf16_len(current) - utf16_len(closing())
            cut = _cut_point(rest, room)
            if cut == 0:
                flush()
                room = limit - utf16_len(current) - utf16_len(closing())
                cut = _cut_point(rest, room)
            if cut == 0:  # open tags leave no room for one character: drop the formatting
                stack.clear()
                current = ""
                cut = _cut_point(rest, limit)
            current += "".join(rest[:cut])
            rest = rest[cut:]
            if rest:
                flush()
    if current.strip() and current != "".join(tag.opening for tag in stack):
        parts.append(current + closing())
    return parts or [text[:0]]


def split_numbered(text: str, limit: int = MESSAGE_LIMIT, *, html: bool = True) -> list[str]:
    """Like `split_text`, each part starting with its number, "(2/3) ", when there are several."""
    parts = split_text(text, limit, html=html)
    if len(parts) == 1:
        return parts
    parts = split_text(text, limit - _NUMBER_ROOM, html=html)
    total = len(parts)
    return [f"({index}/{total}) {part}" for index, part in enumerate(parts, start=1)]


def truncate(text: str, limit: int, *, html: bool = True, ellipsis: str = "…") -> str:
    """The first part of `text` that fits `limit` with room for an ellipsis, still valid HTML."""
    if fits(text, limit):
        return text
    head = split_text(text, limit - utf16_len(ellipsis), html=html)[0]
    return head.rstrip() + ellipsis
