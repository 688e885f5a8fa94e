"""Sending email (stand-in of airflow.utils.email): SMTP with Airflow's `[smtp]` settings
(`AIRFLOW__SMTP__SMTP_HOST`, `..._PORT`, `..._STARTTLS`, `..._SSL`, `..._TIMEOUT`, `..._MAIL_FROM`), and the
login of the `smtp_default` connection (`AIRFLOW_CONN_SMTP_DEFAULT`) when there is one, as Airflow's default
`send_email_smtp` backend does."""
import os
import smtplib
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate

from airflow.configuration import conf


def get_email_address_list(addresses):
    """A list of addresses from a string separated by commas or semicolons, or an iterable."""
    if isinstance(addresses, str):
        return [part.strip() for part in addresses.replace(";", ",").split(",") if part.strip()]
    return list(addresses or [])


def build_mime_message(mail_from, to, subject, html_content, files=None, cc=None, bcc=None,
                       mime_subtype="mixed", mime_charset="utf-8", custom_headers=None):
    """The message and the list of every recipient."""
    to, cc, bcc = get_email_address_list(to), get_email_address_list(cc), get_email_address_list(bcc)
    message = MIMEMultipart(mime_subtype)
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = ", ".join(to)
    if cc:
        message["CC"] = ", ".join(cc)
    message["Date"] = formatdate(localtime=True)
    message.attach(MIMEText(html_content, "html", mime_charset))
    for path in files or []:
        with open(path, "rb") as handle:
            part = MIMEApplication(handle.read(), Name=os.path.basename(path))
        part["Content-Disposition"] = 'attachment; filename="%s"' % os.path.basename(path)
        message.attach(part)
    for name, value in (custom_headers or {}).items():
        message[name] = value
    return message, to + cc + bcc


def send_email(to, subject, html_content, files=None, dryrun=False, cc=None, bcc=None, mime_subtype="mixed",
               mime_charset="utf-8", conn_id="smtp_default", from_email=None, custom_headers=None, **kwargs):
    """Sends an HTML email through the configured SMTP server."""
    mail_from = from_email or conf.get("smtp", "smtp_mail_from")
    message, recipients = build_mime_message(mail_from, to, subject, html_content, files, cc, bcc, mime_subtype,
                                             mime_charset, custom_headers)
    if dryrun:
        return
    host = conf.get("smtp", "smtp_host")
    port = conf.getint("smtp", "smtp_port")
    timeout = conf.getint("smtp", "smtp_timeout")
    if conf.getboolean("smtp", "smtp_ssl"):
        client = smtplib.SMTP_SSL(host=host, port=port, timeout=timeout)
    else:
        client = smtplib.SMTP(host=host, port=port, timeout=timeout)
    try:
        if conf.getboolean("smtp", "smtp_starttls") and not conf.getboolean("smtp", "smtp_ssl"):
            client.starttls()
        login = _smtp_login(conn_id)
        if login:
            client.login(*login)
        client.sendmail(mail_from, recipients, message.as_string())
    finally:
        client.quit()


def _smtp_login(conn_id):
    if not os.environ.get("AIRFLOW_CONN_%s" % str(conn_id).upper()):
        return None
    from airflow.hooks.base import BaseHook

    connection = BaseHook.get_connection(conn_id)
    return (connection.login, connection.password) if connection.login else None


__all__ = ["build_mime_message", "get_email_address_list", "send_email"]
