import pytest

from marketplace.accounts.models import Role
from tests.factories import EnterpriseFactory, UserFactory, make_institute, make_member


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached figures of one test never reach the next)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English messages unless they ask for Chinese."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def institute(db):
    return make_institute("华东测试研究院", "East Test Institute", slug="east-test")


@pytest.fixture
def other_institute(db):
    return make_institute("北方测试研究所", "North Test Institute", slug="north-test")


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def other_enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def researcher(institute):
    return make_member(institute, Role.RESEARCHER)


@pytest.fixture
def facility_manager(institute):
    return make_member(institute, Role.FACILITY_MANAGER)


@pytest.fixture
def tto(institute):
    return make_member(institute, Role.TTO_OFFICER)


@pytest.fixture
def other_tto(other_institute):
    return make_member(other_institute, Role.TTO_OFFICER)


@pytest.fixture
def other_researcher(other_institute):
    return make_member(other_institute, Role.RESEARCHER)


@pytest.fixture
def buyer(enterprise):
    return make_member(enterprise, Role.BUYER)


@pytest.fixture
def other_buyer(other_enterprise):
    return make_member(other_enterprise, Role.BUYER)
