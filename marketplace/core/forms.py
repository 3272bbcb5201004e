"""What a view does with the refusal of a service: show it on the form, or as a message."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def error_messages(error) -> list[str]:
    """The texts of a ValidationError (any shape) or a PermissionDenied."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    text = str(error)
    return [text] if text else []


def apply_errors(form, error) -> None:
    """Put `error` on `form`: a ValidationError's field errors on their fields (a name the form does not
    have becomes a form-wide error), anything else as form-wide errors."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error_messages(error))


def flash_errors(request, error) -> None:
    """Show `error` as error messages on the next page."""
    for text in error_messages(error):
        messages.error(request, text)
