"""accounts imports no CMS code: it announces what happened, and the CMS follows in its AppConfig.ready()."""

import pytest

from cms.models import InstitutePage
from marketplace.accounts import signals
from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import add_membership, create_institute, sync_admin_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def listen(sender, signal, **kwargs):
        calls.append((signal, sorted(kwargs)))

    signals.institute_created.connect(listen)
    signals.memberships_changed.connect(listen)
    yield calls
    signals.institute_created.disconnect(listen)
    signals.memberships_changed.disconnect(listen)


def test_creating_an_institute_is_announced_and_the_cms_provisions_it(heard):
    institute = create_institute(name="信号研究院", name_en="Signal Institute")

    assert heard == [(signals.institute_created, ["organization"])]
    assert InstitutePage.objects.filter(organization=institute).exists()


def test_membership_changes_are_announced_and_the_cms_syncs_groups(institute, heard):
    user = UserFactory()
    add_membership(user, institute, Role.TTO_OFFICER)
    assert list(user.groups.all()) == [institute.cms_access.tto_group]

    Membership.objects.filter(user=user).delete()  # as an invitee claiming an account drops its roles
    sync_admin_groups(user)

    assert heard == [(signals.memberships_changed, ["user"])] * 2
    assert not user.groups.exists()
