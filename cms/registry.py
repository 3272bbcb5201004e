"""What other apps tell the CMS about themselves, in their AppConfig.ready().

Document users: an app whose models attach Wagtail documents to pages (result attachments) registers a
function `fn(document) -> iterable of page ids` naming the pages that hold the document, so the CMS can
decide who may download it (`admin_isolation.may_download_document`) without importing that app.
"""

_document_users = []


def register_document_user(fn):
    """Register `fn(document) -> page ids`; registering the same function again changes nothing."""
    if fn not in _document_users:
        _document_users.append(fn)
    return fn


def pages_ids_holding(document) -> set[int]:
    """The ids of the pages that registered apps attach `document` to."""
    ids = set()
    for fn in _document_users:
        ids.update(fn(document))
    return ids
