"""Reading an incoming e-mail: what a curator should see, and what is not for people at all
(auto-replies, bounces, mailing lists), so the bot never answers a machine and never loops."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

MAX_TEXT = 4_000
_ANONYMOUS = re.compile(r"\b(anonym\w*|аноним\w*)", re.IGNORECASE)
_QUOTE_HEADER = re.compile(
    r"^(on .+wrote:|.+ написал\(а\):|.+ жазды:|-----original message-----)$", re.I
)
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[- ]?reply|out of (the )?office|автоответ|undeliver|delivery status|"
    r"mail delivery failed|returned mail)",
    re.IGNORECASE,
)
IGNORED_AUTOMATIC, IGNORED_EMPTY = "automatic", "empty"


@dataclass
class Incoming:
    message_id: str
    references: list[str]
    address: str
    name: str
    subject: str
    text: str
    anonymous: bool
    # Names of attachments over the size limit (not passed on).
    oversized: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ignored:
    reason: str


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def _is_automatic(message: EmailMessage) -> bool:
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")):
        return True
    if (message.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    if (message.get("Return-Path") or "").strip() == "<>":
        return True
    sender = parseaddr(str(message.get("From") or ""))[1].lower()
    local = sender.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply"):
        return True
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject") or "").strip()))


def _own_words(text: str) -> str:
    """The sender's text without the quoted history and signature under it."""
    kept = []
    for line in text.replace("\r\n", "\n").splitlines():
        stripped = line.strip()
        if stripped == "--" or _QUOTE_HEADER.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def parse(raw: bytes, max_attachment: int) -> Incoming | Ignored:
    """An e-mail as the bot takes it in, or why it is ignored."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    if _is_automatic(message):
        return Ignored(IGNORED_AUTOMATIC)
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = plain.get_content()
    else:
        html_part = message.get_body(preferencelist=("html",))
        text = html_to_text(html_part.get_content()) if html_part is not None else ""
    oversized: list[str] = []
    attachments: list[str] = []
    for part in message.iter_attachments():
        name = part.get_filename() or part.get_content_type()
        payload = part.get_payload(decode=True) or b""
        (oversized if len(payload) > max_attachment else attachments).append(name)
    words = _own_words(str(text))[:MAX_TEXT]
    if not words and not attachments and not oversized:
        return Ignored(IGNORED_EMPTY)
    name, address = parseaddr(str(message.get("From") or ""))
    subject = " ".join(str(message.get("Subject") or "").split())[:300]
    references = [
        ref
        for header in ("In-Reply-To", "References")
        for ref in re.findall(r"<[^>]+>", str(message.get(header) or ""))
    ]
    return Incoming(
        message_id=str(message.get("Message-ID") or "").strip(),
        references=references,
        address=address.lower(),
        name=name,
        subject=subject,
        text=words,
        anonymous=bool(_ANONYMOUS.search(subject) or _ANONYMOUS.search(words[:500])),
        oversized=oversized,
        attachments=attachments,
    )
