"""The CMS asks which pages hold a document (who may download it): results hold their attachments."""

from .models import ResultAttachment


def result_pages_holding(document):
    """Ids of the result pages that attach `document` (registered with `cms.registry`)."""
    return ResultAttachment.objects.filter(document=document).values_list("result_id", flat=True)
