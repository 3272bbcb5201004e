"""Render what the apps registered in `marketplace.core.navigation` (the context is built before rendering)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_section(context, section):
    """Render a registered section's template with the page's context plus the section's own."""
    with context.push(section.context):
        return context.template.engine.get_template(section.template).render(context)
