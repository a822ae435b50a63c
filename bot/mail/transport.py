"""IMAP and SMTP with the standard library, each call in a worker thread so the bot's event
loop never waits on a mail server."""

from __future__ import annotations

import asyncio
import imaplib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.config import Settings

TIMEOUT = 30


def _imap(settings: Settings) -> imaplib.IMAP4:
    assert settings.imap_host is not None
    if settings.imap_ssl:
        return imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, timeout=TIMEOUT)
    return imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=TIMEOUT)


def _fetch_unseen(settings: Settings) -> list[tuple[str, bytes]]:
    with _imap(settings) as imap:
        imap.login(settings.imap_user, settings.imap_password.get_secret_value())
        imap.select(settings.imap_folder)
        _status, found = imap.uid("SEARCH", "UNSEEN")
        out = []
        for uid in (found[0] or b"").decode().split():
            _status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is not None:
                out.append((uid, raw))
        return out


def _mark_seen(settings: Settings, uids: list[str]) -> None:
    if not uids:
        return
    with _imap(settings) as imap:
        imap.login(settings.imap_user, settings.imap_password.get_secret_value())
        imap.select(settings.imap_folder)
        imap.uid("STORE", ",".join(uids), "+FLAGS", "(\\Seen)")


async def fetch_unseen(settings: Settings) -> list[tuple[str, bytes]]:
    """(uid, raw message) of every unread mail, left unread until `mark_seen`."""
    return await asyncio.to_thread(_fetch_unseen, settings)


async def mark_seen(settings: Settings, uids: list[str]) -> None:
    await asyncio.to_thread(_mark_seen, settings, uids)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    in_reply_to: str | None
    references: list[str]


def compose(settings: Settings, mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_address
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.mail_address.rsplit("@", 1)[-1] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = " ".join(mail.references[-20:])
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _send(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    context = ssl.create_default_context()
    if settings.smtp_ssl:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=TIMEOUT, context=context
        )
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
    with server:
        if settings.smtp_starttls and not settings.smtp_ssl:
            server.starttls(context=context)
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        server.send_message(message)


async def send(settings: Settings, mail: OutgoingMail) -> str:
    """Send `mail` (text and HTML, threaded); returns its Message-ID."""
    message = compose(settings, mail)
    await asyncio.to_thread(_send, settings, message)
    return str(message["Message-ID"])
