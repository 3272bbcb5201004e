"""What accounts announces, so that apps above it (the CMS) can follow without accounts knowing them.

Receivers run inside the sender's transaction and must be idempotent.
"""

from django.dispatch import Signal

# An institute organisation now exists (created, or seeded again): give it what it needs elsewhere
# (the CMS: its page, groups, media collection and workflow). Arguments: organization.
institute_created = Signal()

# A person's memberships changed (given, removed or wiped): bring what follows from them in line
# (the CMS: the person's institute groups). Arguments: user.
memberships_changed = Signal()
