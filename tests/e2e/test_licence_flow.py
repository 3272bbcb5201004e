"""A researcher drafts a result in the Wagtail admin and submits it; the institute's TTO approves it; a buyer
finds it on /results/, takes the express licence, and the TTO confirms the invoice payment."""

import pytest

from cms.models import InstitutePage
from ip_listings.models import AgreementStatus, LicenceAgreement, ResultPage
from marketplace.statistics.models import TransferEvent
from tests.e2e.conftest import sign_in, switch_user, text

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORKFLOW = "华东测试研究院 · 技术转移办公室审批 / East Test Institute · TTO approval"


def test_result_goes_from_draft_to_approval_to_an_express_licence(
    browser_page, language, institute, researcher, tto, buyer, enterprise
):
    page = browser_page
    title, title_en = "柔性压力传感器阵列", "Flexible pressure sensor array"

    # The researcher drafts the result with an express offer and submits it to the TTO.
    sign_in(page, language, researcher.email)
    parent = InstitutePage.objects.get(organization=institute)
    page.goto(page.base_url + f"/admin/pages/add/ip_listings/resultpage/{parent.pk}/")
    page.locator("#id_title").fill(title)
    page.get_by_role("textbox", name=text(language, "标题（英文）", "title (English)")).fill(title_en)
    page.get_by_role("combobox", name=text(language, "知识产权类型", "kind of IP")).select_option("invention_patent")
    page.get_by_role("combobox", name=text(language, "技术成熟度", "technology readiness level")).select_option("6")
    page.get_by_role("tab", name=text(language, "许可报价", "Licence offers")).click()
    page.get_by_role("button", name=text(language, "增加 报价", "Add Offer")).click()
    page.get_by_role("combobox", name=text(language, "转化方式", "transfer mode")).select_option("non_exclusive")
    page.get_by_role("combobox", name=text(language, "地域", "territory")).select_option("cn")
    page.get_by_role("spinbutton", name=text(language, "期限（月）", "term (months)")).fill("36")
    page.get_by_role("spinbutton", name=text(language, "入门费", "upfront fee")).fill("80000")
    page.get_by_role("checkbox", name=text(language, "快捷许可", "express offer")).check()
    page.get_by_role("textbox", name=text(language, "标准条款", "standard terms")).fill(
        text(language, "每季度报告销售额；不得再许可。", "Quarterly sales reports; no sublicensing.")
    )
    page.get_by_role("button", name=text(language, "更多动作", "More actions")).click()
    page.get_by_role("button", name=text(language, f"提交给{WORKFLOW}", f"Submit to {WORKFLOW}")).click()
    page.get_by_text(
        text(language, f"页面 '{title}' 已创建并提交审核。", f"Page '{title}' created and submitted for moderation.")
    ).wait_for()
    result = ResultPage.objects.get(title=title)
    assert not result.live
    assert result.current_workflow_state.status == "in_progress"

    # The institute's TTO approves it in the admin: it goes live.
    switch_user(page, language, tto.email)
    page.goto(page.base_url + f"/admin/pages/{result.pk}/edit/")
    page.get_by_role("button", name=text(language, "更多动作", "More actions")).click()
    with page.expect_navigation():
        # The workflow's last task: approving publishes ("Approve and Publish").
        page.get_by_role("button", name=text(language, "批准 和发布", "Approve and Publish"), exact=True).click()
    result.refresh_from_db()
    assert result.live
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.LISTING_PUBLISHED, listing_id=result.pk).count() == 1

    # A buyer finds it and takes the express licence.
    switch_user(page, language, buyer.email)
    page.goto(page.base_url + "/results/")
    page.get_by_label(text(language, "搜索", "Search")).fill(text(language, "传感器", "sensor"))
    page.get_by_label(text(language, "搜索", "Search")).press("Enter")
    page.get_by_role("link", name=text(language, title, title_en)).click()
    page.get_by_role("heading", name=text(language, title, title_en), level=1).wait_for()
    page.get_by_role("link", name=text(language, "获取此许可", "Take this licence")).click()
    page.get_by_label(
        text(language, "我已阅读标准条款，并代表企业接受。", "I have read the standard terms and accept them")
    ).check()
    page.get_by_role("button", name=text(language, "接受并生成合同", "Accept and create the agreement")).click()
    page.get_by_text(text(language, "您的许可合同已生成。", "Your licence agreement is created.")).wait_for()
    agreement = LicenceAgreement.objects.get(result=result)
    assert (agreement.enterprise_id, agreement.buyer_id, agreement.status) == (
        enterprise.pk,
        buyer.pk,
        AgreementStatus.AWAITING_PAYMENT,
    )
    assert str(agreement.price_amount) == "80000.00"
    assert agreement.terms["standard_terms"] == text(
        language, "每季度报告销售额；不得再许可。", "Quarterly sales reports; no sublicensing."
    )
    assert text(language, "待付款", "Awaiting payment") in page.content()

    # Invoice mode: the TTO confirms the payment on the agreement; it becomes active.
    agreement_path = f"/ip/agreements/{agreement.pk}/"
    assert page.url.endswith(agreement_path)
    switch_user(page, language, tto.email)
    page.goto(page.base_url + agreement_path)
    page.get_by_role("button", name=text(language, "确认发票付款", "Confirm payment by invoice")).click()
    confirmed = text(language, "付款已确认，合同已生效。", "Payment confirmed; the agreement is active.")
    page.get_by_text(confirmed).wait_for()
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE and agreement.paid_at is not None
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.AGREEMENT_SIGNED, source_id=str(agreement.pk)).exists()

    # The licensee sees it active among its agreements.
    switch_user(page, language, buyer.email)
    page.goto(page.base_url + agreement_path)
    assert text(language, "生效中", "Active") in page.get_by_role("heading", level=1).locator("xpath=..").inner_text()
