import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from marketplace.accounts.models import Role
from tests.factories import EnterpriseFactory, UserFactory, make_institute, make_member

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (README, Tests):
#   ci        the default: derandomized (the same examples on every run and machine) and no example
#             database, so a run never passes or fails by luck; `make test` and .ci/run use it.
#   dev       randomized, same number of examples, failures replayed from .hypothesis/ (make test-hypothesis).
#   thorough  randomized with twenty times the examples, to hunt for new failures before a release.
# Tests that set their own settings inherit what they do not set (max_examples, derandomize) from the profile.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
hypothesis_settings.register_profile("ci", max_examples=25, derandomize=True, database=None, print_blob=True, **_COMMON)
hypothesis_settings.register_profile("dev", max_examples=25, print_blob=True, **_COMMON)
hypothesis_settings.register_profile("thorough", max_examples=500, print_blob=True, **_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
