import re

import pytest
from django.core import mail

from marketplace.accounts.models import Organization
from tests.e2e.conftest import text

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_enterprise_signs_up_verifies_and_reaches_its_account(browser_page, language, institute):
    page = browser_page
    page.goto(page.base_url + "/")
    page.get_by_role("link", name=text(language, "注册企业", "Register an enterprise")).first.click()
    page.fill("#id_email", "founder@newco.example.com")
    page.fill("#id_first_name", "Wei")
    page.fill("#id_last_name", "Li")
    page.fill("#id_password1", "a-long-unusual-passphrase-42")
    page.fill("#id_password2", "a-long-unusual-passphrase-42")
    page.fill("#id_organization_name", "新创科技有限公司")
    page.fill("#id_organization_name_en", "NewCo Technology")
    page.select_option("#id_size_class", "micro")
    page.fill("#id_city", "苏州")
    page.get_by_role("button", name=text(language, "注册", "Register")).click()
    page.get_by_role("heading", name=text(language, "请查收邮件", "Check your email")).wait_for()

    assert Organization.objects.filter(name="新创科技有限公司", size_class="micro").exists()
    body = mail.outbox[-1].body
    link = re.search(r"/accounts/verify/[^\s]+/", body).group(0)
    page.goto(page.base_url + link)
    page.get_by_role("heading", name=text(language, "我的账户", "My account")).wait_for()
    assert "NewCo Technology" in page.content() or "新创科技有限公司" in page.content()


def test_language_switcher_changes_the_interface(browser_page, language, institute):
    page = browser_page
    page.goto(page.base_url + "/")
    other = "English" if language == "zh-hans" else "简体中文"
    page.get_by_role("link", name=other).click()
    expected_lang = "en" if language == "zh-hans" else "zh-hans"
    page.wait_for_function(f"document.documentElement.lang === '{expected_lang}'")
