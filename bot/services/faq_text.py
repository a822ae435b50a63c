"""How an FAQ entry's text must look for Telegram: the HTML subset Telegram accepts, lengths
as Telegram counts them (UTF-16), checks of a whole entry, and slugs made from a question."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from knowledge_base.schema import LANGUAGES, FaqItem

TELEGRAM_LIMIT = 4096
MAX_QUESTION_LENGTH = 300


# --- Telegram HTML -------------------------------------------------------------------------------

# Tags Telegram's HTML parse mode accepts, with the attributes each may carry.
_ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


@dataclass(frozen=True, slots=True)
class HtmlProblem:
    """Why a text cannot be sent as Telegram HTML: `code` names the kind, `tag` the culprit."""

    code: str  # unsupported_tag | bad_attribute | unclosed | unexpected_close
    tag: str

    def describe(self) -> str:
        """In English, for import reports (the bot translates the codes itself)."""
        messages = {
            "unsupported_tag": "tag <{tag}> is not supported by Telegram",
            "bad_attribute": "tag <{tag}> has an attribute Telegram does not accept",
            "unclosed": "tag <{tag}> is opened but never closed",
            "unexpected_close": "tag </{tag}> closes nothing that is open",
        }
        return messages[self.code].format(tag=self.tag)


def clean_html(text: str) -> tuple[str, HtmlProblem | None]:
    """Make `text` safe for Telegram's HTML mode.

    A `<`, `>` or `&` that is not part of a tag or entity is escaped (people write "5 < 6" or
    "Q&A"); a tag Telegram would refuse, or tags that do not nest, are a problem, because
    guessing what the author meant would change the answer. Returns the text and the problem.
    """
    out: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = _TAG_RE.match(text, position)
            if match is None:
                out.append("&lt;")
                position += 1
                continue
            closing, name, attributes, _self_closing = match.groups()
            name = name.lower()
            if name not in _ALLOWED_TAGS:
                return text, HtmlProblem("unsupported_tag", name)
            if closing:
                if not stack or stack[-1] != name:
                    return text, HtmlProblem("unexpected_close", name)
                stack.pop()
            else:
                if not _attributes_ok(name, attributes or ""):
                    return text, HtmlProblem("bad_attribute", name)
                stack.append(name)
            out.append(match.group(0))
            position = match.end()
        elif char == ">":
            out.append("&gt;")
            position += 1
        elif char == "&":
            match = _ENTITY_RE.match(text, position)
            if match is None or not _entity_ok(match.group(0)):
                out.append("&amp;")
                position += 1
            else:
                out.append(match.group(0))
                position = match.end()
        else:
            out.append(char)
            position += 1
    if stack:
        return text, HtmlProblem("unclosed", stack[-1])
    return "".join(out), None


def _attributes_ok(name: str, attributes: str) -> bool:
    """Only the attributes Telegram accepts, with values it accepts (a link must be one)."""
    values = {
        m.group(1).lower(): next((v for v in m.group(2, 3, 4) if v is not None), "")
        for m in _ATTR_RE.finditer(attributes)
    }
    if not set(values) <= _ALLOWED_TAGS[name]:
        return False
    if name == "a":
        return re.match(r"(https?://\S+|tg://\S+|mailto:\S+)$", values.get("href", "")) is not None
    if name == "span":
        return values.get("class") == "tg-spoiler"
    return True


def _entity_ok(entity: str) -> bool:
    """A numeric entity must name a character (a stray "&#" is escaped instead)."""
    if not entity.startswith("&#"):
        return True
    number = entity[2:-1]
    code = int(number[1:], 16) if number[:1] in "xX" else int(number)
    return 0 < code <= 0x10FFFF


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def rendered_length(item: FaqItem, language: str) -> int:
    """Length of the answer message students get (the layout of `bot.handlers.entry_points.render_entry`)."""
    text = f"<b>{html.escape(item.question[language], quote=False)}</b>\n\n{item.answer[language]}"
    if item.links:
        text += "\n\n" + "\n".join(html.escape(link, quote=False) for link in item.links)
    return telegram_length(text)


def item_problems(item: FaqItem) -> list[str]:
    """What would stop the item from reaching students intact (English, for reports)."""
    problems: list[str] = []
    for lang in LANGUAGES:
        if len(item.question.get(lang, "")) > MAX_QUESTION_LENGTH:
            problems.append(f"question.{lang} is longer than {MAX_QUESTION_LENGTH} characters")
        answer = item.answer.get(lang, "")
        _cleaned, problem = clean_html(answer)
        if problem is not None:
            problems.append(f"answer.{lang}: {problem.describe()}")
        elif lang in item.question and rendered_length(item, lang) > TELEGRAM_LIMIT:
            problems.append(
                f"answer.{lang} with its question and links is longer than the "
                f"{TELEGRAM_LIMIT} characters of a Telegram message"
            )
    return problems


def with_clean_html(item: FaqItem) -> FaqItem:
    """The item with stray `<`, `>` and `&` of its answers escaped."""
    answers = {lang: clean_html(text)[0] for lang, text in item.answer.items()}
    return replace(item, answer=answers)


# --- slugs ---------------------------------------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i i k l m n o p r s t u f h ts ch sh sch - y - e yu ya a g q n o u u h i".split(),
        strict=True,
    )
)


def make_slug(text: str, taken: Iterable[str]) -> str:
    """A readable id from a question ("Когда Наурыз?" → "kogda-nauryz"), unique among `taken`."""
    latin = "".join(_TRANSLIT.get(ch, ch) if ch != "-" else " " for ch in text.lower())
    latin = latin.replace("-", "")
    words = re.findall(r"[a-z0-9]+", latin)[:6]
    base = "-".join(words)[:50].strip("-") or "entry"
    taken = set(taken)
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
