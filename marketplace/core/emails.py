"""Notification emails, rendered in the recipient's language and sent in the background."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django_tasks import task

from .i18n import pick

logger = logging.getLogger(__name__)

# The key of a text given in both languages in an email's context (see `both`).
BOTH = "__both__"


def both(chinese, english="") -> dict:
    """A text in both languages, for an email's context: the email shows the one of its recipient's
    language (the Chinese when there is no English), so its template holds one text and no branch."""
    chinese = "" if chinese is None else str(chinese)
    return {BOTH: [chinese, str(english or "") or chinese]}


def display(obj) -> dict:
    """An organisation's name (`name`, `name_en`) or a page's title (`title`, `title_en`) in both languages."""
    if hasattr(obj, "name_en"):
        return both(obj.name, obj.name_en)
    return both(obj.title, getattr(obj, "title_en", ""))


def resolve(value):
    """`value` with every text given in both languages (`both`) replaced by the one of the active language."""
    if isinstance(value, dict):
        if set(value) == {BOTH}:
            chinese, english = value[BOTH]
            return pick(chinese, english)
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item) for item in value]
    return value


def plain_text(value):
    """`value` with every string marked safe: the emails are plain text, where HTML escaping is wrong."""
    if isinstance(value, str):
        return mark_safe(value)  # noqa: S308 - rendered into text/plain only
    if isinstance(value, dict):
        return {key: plain_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_text(item) for item in value]
    return value


@task()
def send_templated_email(template_prefix: str, recipient: str, context: dict, language: str = "") -> None:
    """Render `<prefix>_subject.txt` and `<prefix>_body.txt` (and `.html` if present) and send.

    The context must be JSON-serialisable (tasks are stored in the database).
    """
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        # Plain text: what people typed ("R&D <lab>") is sent as typed, not HTML-escaped.
        context = plain_text({**resolve(context), "SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": language})
        subject = render_to_string(f"{template_prefix}_subject.txt", context).strip().splitlines()[0]
        body = render_to_string(f"{template_prefix}_body.txt", context)
        message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        message.send()
    logger.info("sent %s to %s", template_prefix, recipient)


def notify(user_or_email, template_prefix: str, context: dict, language: str | None = None) -> None:
    """Queue an email to a user (in their preferred language) or a bare address."""
    if hasattr(user_or_email, "email"):
        recipient = user_or_email.email
        language = language or getattr(user_or_email, "preferred_language", "") or settings.LANGUAGE_CODE
    else:
        recipient = user_or_email
    if not recipient:
        return
    language = language or settings.LANGUAGE_CODE
    # Only once the surrounding transaction commits: a rolled-back change sends nothing.
    transaction.on_commit(lambda: send_templated_email.enqueue(template_prefix, recipient, context, language))
