"""State changes with their history: one abstract model and one `move()` for every object that has a state.

A concrete history model names the object it belongs to and the object's state field:

    class BookingTransition(StateChange):
        subject_field = "booking"          # its foreign key to the object
        state_field = "status"             # the object's field; the history has from_status / to_status
        booking = models.ForeignKey(Booking, ...)
        from_status = models.CharField(...)
        to_status = models.CharField(...)

and every change of state goes through `BookingTransition.move(booking, "confirmed", actor=user)`: the
object and its history are written together (inside the caller's transaction), never one without the other.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NOTE_LENGTH = 500


class StateChange(models.Model):
    """One line of an object's history: who moved it from which state to which, when, and why."""

    subject_field: str = ""
    state_field: str = "status"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=NOTE_LENGTH, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    @classmethod
    def move(cls, subject, to_state, *, actor=None, note="", fields=(), **extra):
        """Put `subject` in `to_state`, save it (its state, `updated_at` when it has one, and `fields`) and
        write the history line; `extra` fills further fields of the line. Returns the line."""
        if not cls.subject_field:
            raise TypeError(f"{cls.__name__} must name its subject_field")
        state = cls.state_field
        from_state = getattr(subject, state)
        setattr(subject, state, to_state)
        update_fields = [state]
        if any(f.name == "updated_at" for f in subject._meta.concrete_fields):
            update_fields.append("updated_at")
        update_fields += [f for f in fields if f not in update_fields]
        subject.save(update_fields=update_fields)
        return cls.objects.create(
            **{
                cls.subject_field: subject,
                f"from_{state}": from_state or "",
                f"to_{state}": to_state,
                "actor": actor,
                "note": (note or "")[:NOTE_LENGTH],
                **extra,
            }
        )
