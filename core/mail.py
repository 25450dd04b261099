"""Outgoing mail through the outbox.

``queue_mail`` renders the message in the recipient's language while the data
is at hand, stores it (with attachments) in the business transaction and
enqueues "core.send_mail"; the SMTP call happens only in that job, so a
rolled-back business transaction sends nothing and an SMTP outage is recorded on
the message and retried, never lost or silent.

Templates: ``<template>.subject.txt``, ``<template>.txt`` and optionally
``<template>.html`` (autoescaped), searched in every addon's ``templates/`` folder
and in ``core/templates/mail``. Their words are ``{{ _("...") }}`` / ``{% trans %}``
from the addon's catalog, rendered inside ``core.i18n.in_language(language)``, so
one template serves the six languages (``mail_language`` holds the code, for
``<html lang>``). A template written per language,
``<template>.<lang>.subject.txt`` (etc.), is preferred where it exists, then the
``en`` one, then the language-less one.
"""
from __future__ import annotations

import ssl
import time
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, getaddresses
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy.orm import Session

from .db import utcnow
from .errors import ConfigError, UserError
from .jobs import binding_for, core_job, enqueue
from .models import MailAttachment, MailMessage

CORE_TEMPLATES = Path(__file__).parent / "templates" / "mail"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
SMTP_TIMEOUT = 30

_environments: dict[int, Environment] = {}


def template_dirs(registry) -> list[Path]:
    dirs = [m.path / "templates" for m in registry.manifests.values() if (m.path / "templates").is_dir()]
    return dirs + [CORE_TEMPLATES]


def environment(registry) -> Environment:
    env = _environments.get(id(registry))
    if env is None:
        from flask_babel import gettext, ngettext
        env = Environment(loader=FileSystemLoader([str(p) for p in template_dirs(registry)]),
                          autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                          undefined=StrictUndefined, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
        # Flask-Babel's gettext follows the language render() forces, in a request or a job alike.
        env.install_gettext_callables(gettext, ngettext, newstyle=True)
        _environments[id(registry)] = env
    return env


def _base_language(language: str | None) -> str:
    return (language or "en").replace("_", "-").split("-")[0].lower() or "en"


def render(registry, template: str, context: dict, language: str) -> tuple[str, str, str | None]:
    """Return (subject, text, html or None) in ``language``, else English, else language-less."""
    env = environment(registry)
    lang = _base_language(language)

    def pick(part: str, required: bool):
        names = [f"{template}.{lang}.{part}", f"{template}.en.{part}", f"{template}.{part}"]
        try:
            return env.select_template(names).render(**context, mail_language=lang)
        except TemplateNotFound:
            if required:
                raise UserError(f"mail template {template!r} has no {part} file (looked for "
                                f"{', '.join(names)})") from None
            return None

    from .i18n import in_language
    with in_language(lang, registry.manifests.values()):
        subject = " ".join(pick("subject.txt", True).split())
        if not subject:
            raise UserError(f"mail template {template!r} renders an empty subject")
        return subject, pick("txt", True), pick("html", False)


def _check_addresses(value: str, what: str) -> str:
    pairs = getaddresses([value])
    if not value or not pairs or any("@" not in addr or " " in addr.strip() for _, addr in pairs):
        raise UserError(f"{what}: {value!r} is not an e-mail address")
    return value.strip()


def queue_mail(session: Session, to: str, template: str, context: dict, language: str,
               attachments=(), reply_to: str | None = None, reference: str | None = None) -> MailMessage:
    """Render, store and enqueue a mail in the caller's transaction; sent after commit by a job.

    ``attachments`` are ``(filename, content_type, bytes)`` triples.
    """
    to = _check_addresses(to, "recipient")
    if reply_to:
        reply_to = _check_addresses(reply_to, "reply-to")
    registry = binding_for(session).runtime.registry
    subject, text, html = render(registry, template, dict(context or {}), language)
    mail = MailMessage(to=to, subject=subject[:500], body_text=text, body_html=html, reply_to=reply_to,
                       language=_base_language(language), state="queued", reference=reference,
                       created_at=utcnow())
    for item in attachments:
        try:
            filename, content_type, content = item
        except (TypeError, ValueError):
            raise UserError("an attachment is (filename, content_type, bytes)") from None
        if not isinstance(content, (bytes, bytearray)) or "/" not in str(content_type) or not filename:
            raise UserError(f"attachment {filename!r}: needs a file name, a type such as application/pdf, and bytes")
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise UserError(f"attachment {filename!r} is larger than {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB")
        mail.attachments.append(MailAttachment(filename=filename, content_type=content_type, content=bytes(content)))
    session.add(mail)
    session.flush()
    enqueue(session, "core.send_mail", mail_id=mail.id)
    return mail


# ---------------------------------------------------------------- sending
class _MailPolicy(EmailPolicy):
    """The default policy, except that a non-ASCII subject is folded by ``email.header.Header``.

    CPython's own folder (3.11) puts the space between two words outside the encoded words
    when it breaks a long subject there, and RFC 2047 readers drop whitespace between encoded
    words, so a long Vietnamese or Korean subject arrives with words run together. ``Header``
    keeps each space inside an encoded word."""

    def _folded_subject(self, name, value):
        text = str(value)
        if name.lower() != "subject" or text.isascii():
            return None
        return f"{name}: " + Header(text, "utf-8", header_name=name).encode(linesep=self.linesep) + self.linesep

    def fold(self, name, value):
        return self._folded_subject(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        folded = self._folded_subject(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


def build_message(mail: MailMessage, sender: str) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = mail.subject
    msg["From"] = sender
    msg["To"] = mail.to
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Date"] = formatdate(localtime=False)
    domain = getaddresses([sender])[0][1].rpartition("@")[2] or "localhost"
    # Stable across retries, so a receiver can drop the duplicate of a resend.
    msg["Message-ID"] = f"<tessera.{mail.business_id}.{mail.id}@{domain}>"
    msg["Content-Language"] = mail.language
    msg.set_content(mail.body_text)
    if mail.body_html:
        msg.add_alternative(mail.body_html, subtype="html")
    for att in mail.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.content, maintype=maintype, subtype=subtype, filename=att.filename)
    return msg


def mail_url(config) -> str:
    """Where mail goes: TESSERA_SMTP_URL, or a folder in the instance when none is set.

    The embedded default has no mail server; writing each message to a file keeps
    demo data and local trials from retrying against one that is not there, and
    the files can be opened in any mail program.
    """
    return config["SMTP_URL"] or (Path(config["INSTANCE_PATH"]).resolve() / "mail").as_uri()


def smtp_send(smtp_url: str, msg: EmailMessage):
    """Deliver through ``smtp://[user:pass@]host[:port]``, ``smtp+starttls://``, ``smtps://``,
    or into a folder with ``file:///path``."""
    parts = urlsplit(smtp_url)
    scheme = parts.scheme
    if scheme == "file":
        folder = Path(unquote(parts.path))
        folder.mkdir(parents=True, exist_ok=True)
        name = msg["Message-ID"].strip("<>").replace("/", "_") if msg["Message-ID"] else str(time.time_ns())
        (folder / f"{name}.eml").write_bytes(bytes(msg))
        return
    if scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ConfigError(f"TESSERA_SMTP_URL: unsupported scheme {scheme!r}")
    host = parts.hostname or "127.0.0.1"
    import smtplib   # on the first mail sent, not when the broker module is imported at start-up
    if scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=SMTP_TIMEOUT,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT)
    with client:
        if scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)


@core_job("send_mail")
def send_mail(ctx, mail_id: int):
    """Send one stored mail; a failure is written on the mail and re-raised for the retry."""
    config = ctx.runtime.config
    with ctx.session() as session:
        mail = session.get(MailMessage, mail_id)
        if mail is None or mail.business_id != ctx.business_id:
            raise UserError(f"mail #{mail_id} does not exist for this business")
        if mail.state == "sent":
            return
        msg = build_message(mail, config["MAIL_FROM"])
    try:
        smtp_send(mail_url(config), msg)
    except Exception as exc:
        with ctx.transaction() as session:
            mail = session.get(MailMessage, mail_id)
            mail.state = "failed"
            mail.error = f"attempt {ctx.attempt}: {type(exc).__name__}: {exc}"[:2000]
        raise
    with ctx.transaction() as session:
        mail = session.get(MailMessage, mail_id)
        mail.state = "sent"
        mail.sent_at = utcnow()
        mail.error = None

