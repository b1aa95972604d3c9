"""Sending invitation and reset links by mail, when the AUDIT_SMTP_* settings are given.

Plain stdlib smtplib: one short message now and then needs no queue or library. A
failure to send never loses the link: the owner is shown it either way and is told
what went wrong, so they can pass it on themselves.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage

from audit.settings import Smtp

TIMEOUT_SECONDS = 15


class MailFailed(Exception):
    """The mail server refused or could not be reached; the message says why."""


def link_message(
    smtp: Smtp, to: str, name: str, purpose: str, expires_at: datetime, url: str, company: str = "Audit"
) -> EmailMessage:
    """The mail that carries a one-time link (`purpose` "invite" or "reset") to `to`."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    greeting = f"Hello {name}," if name else "Hello,"
    when = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if purpose == "invite":
        message["Subject"] = f"Your {company} account"
        body = f"you have been given an account on {company}. Choose your password here:"
    else:
        message["Subject"] = f"Choose a new {company} password"
        body = "a new password was asked for your account. Choose it here:"
    message.set_content(
        f"{greeting}\n\n{body}\n\n{url}\n\nThe link works once, until {when}. "
        "If you did not expect this mail, ignore it.\n"
    )
    return message


def send(smtp: Smtp, message: EmailMessage) -> None:
    """Sends one message; raises MailFailed with a reason a person can act on."""
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailFailed(f"the mail server {smtp.host}:{smtp.port} did not take the message ({exc})") from None
