from django import forms, template

register = template.Library()


@register.filter
def is_checkbox(bound_field) -> bool:
    """Whether a form field is a single checkbox (shown inside its label)."""
    return isinstance(bound_field.field.widget, forms.CheckboxInput)
