"""StreamField blocks shared by every page type."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=200)

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"


class KeyValueBlock(blocks.StructBlock):
    key = blocks.CharBlock(label=_("Property"), max_length=100)
    value = blocks.CharBlock(label=_("Value"), max_length=300)

    class Meta:
        icon = "list-ul"
        label = _("Property")


class SpecificationTableBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=200)
    rows = blocks.ListBlock(KeyValueBlock(), label=_("Rows"))

    class Meta:
        icon = "table"
        label = _("Specification table")
        template = "cms/blocks/spec_table.html"


RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"]


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES)
    image = ImageBlock(label=_("Image"))
    specifications = SpecificationTableBlock()
    quote = blocks.BlockQuoteBlock(label=_("Quote"))

    class Meta:
        label = _("Body")
