"""Factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from marketplace.accounts.models import Organization

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda o: o.username)
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    name_en = factory.Sequence(lambda n: f"Test Enterprise {n}")
    slug = factory.Sequence(lambda n: f"enterprise-{n}")
    size_class = Organization.SizeClass.SMALL
    city = "苏州"


def make_institute(name="测试研究院", name_en="Test Institute", **kwargs):
    """An institute with its page, groups and workflow, as platform staff would create it."""
    from marketplace.accounts.services import create_institute

    return create_institute(name=name, name_en=name_en, **kwargs)


def make_member(organization, role, **user_kwargs):
    from marketplace.accounts.services import add_membership

    user = UserFactory(**user_kwargs)
    add_membership(user, organization, role)
    return user
