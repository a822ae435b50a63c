"""Consultations by e-mail against real mail servers on loopback: Debian's dovecot-imapd (a
test-owned configuration in a temporary folder, a non-privileged port) and aiosmtpd.

A new thread becomes a consultation in the curators' queue, a follow-up joins it, the
curator's reply goes out by SMTP in the thread (In-Reply-To/References, text and HTML);
auto-replies, bounces and empty mail are ignored and never answered; an HTML-only mail is
read; an attachment over the limit is not passed on."""

from __future__ import annotations

import asyncio
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import func, select

from bot.db.mail_models import MailThread
from bot.db.models import Consultation, FollowUpSurvey
from bot.factory import App, create_bot, create_dispatcher
from bot.mail.jobs import poll_mailbox
from bot.services import consultations
from tests.consult_support import (
    CURATOR_ID,
    consult_settings,
    driver,
    make_app,
    texts_to,
    wait_until,
)
from tests.fakes.recording import RecordingSession

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "counsel", "secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def imap_port() -> Iterator[int]:
    """A dovecot IMAP server of this test only."""
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot-imapd is not installed (.ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="kelisim-imap-"))
    root.chmod(0o755)
    port = free_port()
    if os.geteuid() == 0:
        internal, login, mail_user, mail_group = "dovecot", "dovenull", "nobody", "nogroup"
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        internal = login = mail_user = me
        mail_group = str(os.getegid())
    home = root / "home"
    home.mkdir()
    if os.geteuid() == 0:
        shutil.chown(home, "nobody", "nogroup")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal}
default_login_user = {login}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={home}/%u
}}
mail_location = maildir:~/Maildir
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = root / "dovecot.log"
                    problem = log.read_text() if log.exists() else "dovecot failed"
                    raise AssertionError(problem) from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


class Outbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Outbox]]:
    outbox = Outbox()
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, outbox
    finally:
        controller.stop()


def deliver(port: int, mail: EmailMessage | bytes) -> None:
    """Put a mail into the counselling mailbox, as the mail system would."""
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    with imaplib.IMAP4("127.0.0.1", port) as imap:
        imap.login(USER, PASSWORD)
        imap.append("INBOX", None, None, raw)


def mail(
    sender: str, subject: str, text: str | None, message_id: str, **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "counsel@kelisim.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    return message


async def start_scheduler(app: App, bot: object) -> None:
    assert app.planner is not None
    settled = asyncio.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == "resume-outreach":
            settled.set()

    app.planner.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    app.start_scheduler(bot)  # type: ignore[arg-type]
    await asyncio.wait_for(settled.wait(), timeout=60)


async def test_consultation_by_e_mail_round_trip(
    tmp_path: Path, imap_port: int, smtp: tuple[int, Outbox]
) -> None:
    smtp_port, outbox = smtp
    settings = consult_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_ssl=False,
        imap_user=USER,
        imap_password=PASSWORD,
        imap_poll_every=3600,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        smtp_from="counsel@kelisim.test",
        mail_max_attachment=1000,
        curator_chat_id=None,
    )
    app = await make_app(settings)
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)
    dp = create_dispatcher(app)
    await start_scheduler(app, bot)

    deliver(
        imap_port,
        mail(
            "Aida <aida@example.org>",
            "Общежитие",
            "Здравствуйте! Соседи по комнате оскорбляют меня из-за национальности.",
            "<m1@example.org>",
        ),
    )
    deliver(
        imap_port,
        mail(
            "Aida <aida@example.org>",
            "Автоответ: Общежитие",
            "Я в отпуске.",
            "<auto@example.org>",
            Auto_Submitted="auto-replied",
        ),
    )
    bounce = (
        b"From: MAILER-DAEMON@example.org\r\nTo: counsel@kelisim.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@example.org>\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--b--\r\n"
    )
    deliver(imap_port, bounce)
    deliver(imap_port, mail("empty@example.org", "", "\n> quoted only\n", "<e1@example.org>"))
    html_only = mail("dana@example.org", "анонимно", None, "<h1@example.org>")
    html_only.set_content(
        "<html><body><p>Сәлеметсіз бе! Маған <b>қазақ тілі</b> курсы керек.</p></body></html>",
        subtype="html",
    )
    deliver(imap_port, html_only)
    with_file = mail("timur@example.org", "Документ", "Справка во вложении.", "<f1@example.org>")
    with_file.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    deliver(imap_port, with_file)

    assert await poll_mailbox() == 3
    assert await poll_mailbox() == 0  # everything was marked read

    async with app.session_factory() as session:
        cases = (await session.scalars(select(Consultation).order_by(Consultation.id))).all()
    assert [(c.area, c.language, c.anonymous) for c in cases] == [
        ("other", "ru", False),
        ("other", "kk", True),
        ("other", "ru", False),
    ]
    assert cases[0].student_name and "aida@example.org" in cases[0].student_name
    assert cases[1].student_name is None  # asked for anonymity: the address stays hidden
    await wait_until(lambda: len(texts_to(recording, CURATOR_ID)) >= 3, within=30)
    cards = texts_to(recording, CURATOR_ID)
    assert any("национальности" in t and "aida@example.org" in t for t in cards)
    assert any("қазақ тілі" in t and "dana@example.org" not in t for t in cards)
    assert any("big.pdf" in t for t in cards)

    curator = driver(dp, bot, recording, CURATOR_ID, "Curator", "ru")
    await curator.click("✋", message_id=None)
    async with app.session_factory() as session:
        taken = await session.get(Consultation, 3)  # the newest card is the last mail's
    assert taken is not None and taken.curator_id == CURATOR_ID
    await curator.send("Добрый день! Пришлите, пожалуйста, справку меньшего размера.")
    assert "e-mail" in curator.last_text() or "почт" in curator.last_text()

    [reply] = outbox.mails
    assert reply["To"] == "timur@example.org"
    assert reply["In-Reply-To"] == "<f1@example.org>"
    assert "<f1@example.org>" in reply["References"]
    assert reply["Subject"] == "Re: Документ"
    plain = reply.get_body(preferencelist=("plain",))
    html = reply.get_body(preferencelist=("html",))
    assert plain is not None and "справку меньшего размера" in plain.get_content()
    assert html is not None and "<p>" in html.get_content()

    # The student answers in the thread: a follow-up in the same consultation, to the curator.
    deliver(
        imap_port,
        mail(
            "timur@example.org",
            "Re: Документ",
            "Отправил ещё раз.\n\n> Добрый день!",
            "<f2@example.org>",
            In_Reply_To=str(reply["Message-ID"]),
            References=f"<f1@example.org> {reply['Message-ID']}",
        ),
    )
    assert await poll_mailbox() == 1
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Consultation)) == 3
        thread = await session.scalar(select(MailThread).where(MailThread.consultation_id == 3))
    assert thread is not None and "<f2@example.org>" in thread.message_ids
    await wait_until(
        lambda: any("Отправил ещё раз" in t for t in texts_to(recording, CURATOR_ID)), within=30
    )
    # Nothing ever went to the auto-reply, the bounce or the empty mail.
    assert len(outbox.mails) == 1

    # Closed: the survey goes by e-mail once, and "4" in reply is its answer.
    async with app.session_factory() as session, session.begin():
        await consultations.close(session, 3, CURATOR_ID, "Справка получена")
    app.settings.survey_delay = 0
    assert await poll_mailbox() == 0
    assert await poll_mailbox() == 0
    assert len(outbox.mails) == 2
    survey = outbox.mails[1]
    assert survey["To"] == "timur@example.org" and survey["In-Reply-To"]
    body = survey.get_body(preferencelist=("plain",))
    assert body is not None and "1" in body.get_content() and "5" in body.get_content()
    assert "http" not in body.get_content()
    deliver(
        imap_port,
        mail(
            "timur@example.org",
            "Re: Документ",
            "4\n\n> Ответьте числом",
            "<f3@example.org>",
            In_Reply_To=str(survey["Message-ID"]),
        ),
    )
    assert await poll_mailbox() == 1
    async with app.session_factory() as session:
        rated = await session.scalar(
            select(FollowUpSurvey).where(FollowUpSurvey.consultation_id == 3)
        )
        assert await session.scalar(select(func.count()).select_from(Consultation)) == 3
    assert rated is not None and rated.rating == 4 and rated.curator_id == CURATOR_ID

    await app.aclose()
    await bot.session.close()
