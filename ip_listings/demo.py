"""Demo research results with offers, inquiries, express and negotiated agreements and impact reports.

Idempotent (results are found by slug, deals by their natural keys) and deterministic (seeded random).
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.models import InstitutePage
from marketplace.accounts.models import Organization

from . import services
from .models import (
    DealMode,
    ImpactReport,
    Inquiry,
    InquiryStage,
    IPKind,
    LicenceAgreement,
    LicenceOffer,
    RegistrationStatus,
    ResultInventor,
    ResultPage,
    ResultRegistration,
    TechnologyField,
    Territory,
)

# (Chinese stem, English stem, field slug, IP kind)
TOPICS = [
    ("柔性压力传感器", "Flexible pressure sensor", "electronics", IPKind.INVENTION_PATENT),
    ("石墨烯导热膜", "Graphene thermal film", "new-materials", IPKind.INVENTION_PATENT),
    ("高熵合金涂层", "High-entropy alloy coating", "new-materials", IPKind.INVENTION_PATENT),
    ("固态锂电池电解质", "Solid-state lithium battery electrolyte", "new-energy", IPKind.INVENTION_PATENT),
    ("钙钛矿太阳能电池封装", "Perovskite solar cell encapsulation", "new-energy", IPKind.UTILITY_MODEL),
    (
        "工业机器人视觉定位系统",
        "Vision positioning system for industrial robots",
        "ai-software",
        IPKind.SOFTWARE_COPYRIGHT,
    ),
    (
        "五轴数控机床误差补偿",
        "Error compensation for five-axis CNC machines",
        "advanced-manufacturing",
        IPKind.KNOW_HOW,
    ),
    ("激光增材制造工艺", "Laser additive manufacturing process", "advanced-manufacturing", IPKind.INVENTION_PATENT),
    ("可降解心血管支架", "Biodegradable cardiovascular stent", "medical-devices", IPKind.INVENTION_PATENT),
    ("便携式血糖监测仪外观", "Portable glucose monitor design", "medical-devices", IPKind.DESIGN_PATENT),
    ("单克隆抗体纯化方法", "Monoclonal antibody purification method", "biomedicine", IPKind.INVENTION_PATENT),
    ("肿瘤早筛基因数据集", "Early tumour screening genomic data set", "biomedicine", IPKind.RESEARCH_DATA),
    ("低功耗物联网芯片版图", "Low-power IoT chip layout", "electronics", IPKind.IC_LAYOUT),
    ("工业污水膜处理技术", "Membrane treatment of industrial wastewater", "environment", IPKind.INVENTION_PATENT),
    ("烟气脱硝催化剂", "Flue gas denitrification catalyst", "environment", IPKind.KNOW_HOW),
    ("生物基可降解塑料", "Bio-based biodegradable plastic", "chemicals", IPKind.INVENTION_PATENT),
    ("抗旱水稻新品种", "Drought-tolerant rice variety", "agriculture", IPKind.PLANT_VARIETY),
    ("智能温室控制软件", "Smart greenhouse control software", "agriculture", IPKind.SOFTWARE_COPYRIGHT),
    ("海洋防腐涂料", "Marine anti-corrosion coating", "marine", IPKind.INVENTION_PATENT),
    ("水下机器人导航算法", "Underwater robot navigation algorithm", "marine", IPKind.SOFTWARE_COPYRIGHT),
    ("轨道交通轴承监测", "Rail transit bearing monitoring", "transport", IPKind.UTILITY_MODEL),
    ("电动汽车电池热管理", "EV battery thermal management", "transport", IPKind.INVENTION_PATENT),
]
VARIANTS = [
    ("", ""),
    ("（第二代）", " (2nd generation)"),
    ("及其制备方法", " and its preparation method"),
    ("系统", " system"),
]
INSTITUTE_SLUGS = [
    "east-materials",
    "north-manufacturing",
    "south-biomed",
    "west-energy",
    "central-it",
    "ocean-engineering",
]
STANDARD_TERMS = (
    "1. 许可方授予被许可方在约定领域和地域内实施本成果的权利。\n"
    "2. 被许可方按季度报告销售额并支付提成。\n"
    "3. 未经许可方书面同意不得分许可。\n"
    "1. The licensor grants the licensee the right to practise the result in the agreed field and territory.\n"
    "2. The licensee reports net sales and pays royalties each quarter.\n"
    "3. No sublicensing without the licensor's written consent."
)


def _offers(rng, field_slugs):
    fields = {f.slug: f for f in TechnologyField.objects.all()}
    offers = [
        LicenceOffer(
            mode=DealMode.NON_EXCLUSIVE,
            territory=Territory.CHINA_MAINLAND,
            term_months=rng.choice([24, 36, 60]),
            upfront_fee=Decimal(rng.choice([8, 15, 20, 30, 50, 80])) * 1000,
            royalty_percent=Decimal(rng.choice(["1.50", "2.00", "3.00", "5.00"])),
            express=True,
            standard_terms=STANDARD_TERMS,
            sort_order=0,
        ),
        LicenceOffer(
            mode=rng.choice([DealMode.EXCLUSIVE, DealMode.SOLE]),
            field_of_use=fields[rng.choice(field_slugs)],
            territory=Territory.CHINA_MAINLAND,
            term_months=rng.choice([60, 96, 120]),
            upfront_fee=Decimal(rng.choice([200, 350, 500, 800])) * 1000,
            royalty_percent=Decimal(rng.choice(["3.00", "4.50", "6.00"])),
            milestones="首件产品上市后支付第二笔许可费。 / Second instalment on first product launch.",
            sort_order=1,
        ),
    ]
    extra = rng.choice([DealMode.ASSIGNMENT, DealMode.EQUITY, DealMode.OPTION, None])
    if extra:
        offers.append(
            LicenceOffer(
                mode=extra,
                territory=Territory.WORLDWIDE,
                term_months=12 if extra == DealMode.OPTION else None,
                upfront_fee=Decimal(rng.choice([1000, 1500, 3000])) * 1000,
                royalty_percent=Decimal("0"),
                sort_order=2,
            )
        )
    return offers


def _result(rng, index, parent, topic, variant, researcher):
    zh, en, field_slug, kind = topic
    slug = f"result-{index:03d}"
    existing = ResultPage.objects.filter(slug=slug).first()
    if existing:
        return existing
    other_slugs = [t[2] for t in TOPICS if t[2] != field_slug][:3]
    year = 2019 + rng.randrange(6)
    prefix = {"software_copyright": "2024SR", "plant_variety": "CNA", "ic_layout": "BS."}.get(kind, "ZL")
    page = ResultPage(
        title=f"{zh}{variant[0]}",
        title_en=f"{en}{variant[1]}",
        slug=slug,
        ip_kind=kind,
        trl=rng.randint(2, 9),
        field=TechnologyField.objects.get(slug=field_slug),
        abstract=f"<p>{zh}{variant[0]}：本成果由研究团队历时多年研发，已完成实验室验证，具备产业化条件。</p>",
        abstract_en=f"<p>{en}{variant[1]}: developed over several years, validated in the laboratory and ready "
        "for industrial scale-up.</p>",
        advantages="<ul><li>成本降低30% / 30% lower cost</li><li>性能稳定 / Stable performance</li></ul>",
        applications="<p>适用于中小企业产品升级。 / Suited to product upgrades of SMEs.</p>",
        contact_email=f"tto@{parent.organization.slug.split('-')[0]}.example.com",
        offers=_offers(rng, [field_slug, *other_slugs]),
        inventors=[
            ResultInventor(user=researcher, sort_order=0) if researcher else ResultInventor(name="张伟", sort_order=0),
            ResultInventor(name=rng.choice(["李娜", "王强", "刘洋", "陈静", "赵磊"]), sort_order=1),
        ],
        registrations=[
            ResultRegistration(
                number=f"{prefix}{year}1{rng.randrange(10**7, 10**8)}.{rng.randrange(10)}",
                jurisdiction="CNIPA",
                status=rng.choice([RegistrationStatus.GRANTED, RegistrationStatus.UNDER_EXAMINATION]),
                filed_on=timezone.localdate().replace(year=year, month=rng.randint(1, 12), day=rng.randint(1, 28)),
            )
        ],
    )
    page.keywords.add(zh[:4], en.split()[0].lower())
    parent.add_child(instance=page)
    page.save_revision(user=researcher).publish(user=None)
    return page


def _user(email):
    return get_user_model().objects.filter(email=email).first()


def _org(slug):
    return Organization.objects.filter(slug=slug).first()


def seed(progress):
    rng = random.Random(20260401)  # noqa: S311 - demo data, not security
    parents = {
        p.organization.slug: p
        for p in InstitutePage.objects.select_related("organization").filter(organization__slug__in=INSTITUTE_SLUGS)
    }
    if not parents:
        return
    pairs = [(t, v) for v in VARIANTS for t in TOPICS]
    results = []
    for index, (topic, variant) in enumerate(progress(pairs[:84], "research results")):
        slug = INSTITUTE_SLUGS[index % len(INSTITUTE_SLUGS)]
        parent = parents.get(slug)
        if parent is None:
            continue
        domain = slug.split("-")[0]
        researcher = _user(f"researcher@{domain}.example.com")
        results.append(_result(rng, index + 1, parent, topic, variant, researcher))
    _draft_in_moderation(parents.get("east-materials"))
    _deals(rng, results, progress)


def _draft_in_moderation(parent):
    """One result drafted by the East researcher and submitted to the TTO's approval workflow."""
    if parent is None or ResultPage.objects.filter(slug="result-draft-submitted").exists():
        return
    researcher = _user("researcher@east.example.com")
    page = ResultPage(
        title="自修复高分子材料",
        title_en="Self-healing polymer",
        slug="result-draft-submitted",
        ip_kind=IPKind.INVENTION_PATENT,
        trl=4,
        field=TechnologyField.objects.get(slug="new-materials"),
        abstract="<p>一种室温下可自修复的高分子材料。</p>",
        abstract_en="<p>A polymer that heals itself at room temperature.</p>",
        live=False,
        offers=[
            LicenceOffer(
                mode=DealMode.NON_EXCLUSIVE,
                territory=Territory.CHINA_MAINLAND,
                term_months=36,
                upfront_fee=Decimal("30000"),
                royalty_percent=Decimal("2.5"),
                express=True,
                standard_terms=STANDARD_TERMS,
            )
        ],
    )
    parent.add_child(instance=page)
    revision = page.save_revision(user=researcher)
    workflow = page.get_workflow()
    if workflow is not None:
        workflow.start(page, researcher)
    return revision


def _deals(rng, results, progress):
    buyers = [
        ("buyer@microsense.example.com", "microsense"),
        ("buyer@greenchem.example.com", "greenchem"),
        ("buyer@bluewave.example.com", "bluewave"),
        ("buyer@kangning.example.com", "kangning"),
        ("buyer@zhixin.example.com", "zhixin"),
        ("buyer@huaneng.example.com", "huaneng"),
    ]
    buyers = [(u, o) for u, o in ((_user(e), _org(s)) for e, s in buyers) if u and o]
    if not buyers or not results:
        return
    today = timezone.localdate()
    year, quarter = services.quarter_of(today)

    # Express licences, paid by invoice; the licensee reports jobs created.
    for i, result in enumerate(progress(results[:18], "express licences")):
        user, enterprise = buyers[i % len(buyers)]
        offer = result.offers.filter(express=True).first()
        if offer is None or LicenceAgreement.objects.filter(offer=offer, enterprise=enterprise).exists():
            continue
        agreement = services.accept_express_offer(offer, buyer=user, enterprise=enterprise, accept_terms=True)
        if i % 6 == 5:
            continue  # a few stay awaiting payment: the TTO's queue
        tto = _user(f"tto@{result.institute.slug.split('-')[0]}.example.com")
        services.confirm_agreement_payment(agreement, actor=tto, reference=f"INV-{today:%Y}-{agreement.pk:04d}")
        if i % 3 != 2 and not ImpactReport.objects.filter(agreement=agreement).exists():
            services.report_impact(
                agreement,
                actor=user,
                year=year,
                quarter=quarter,
                jobs_created=rng.randint(2, 25),
                revenue=Decimal(rng.randint(10, 300)) * 10000,
                products_launched=rng.randint(0, 3),
                company_founded=i % 7 == 0,
            )

    # Negotiations in several stages; every fourth one ends in a recorded exclusive/sole licence.
    stage_paths = [
        [],
        [InquiryStage.DISCUSSION],
        [InquiryStage.DISCUSSION, InquiryStage.NDA_SIGNED],
        [InquiryStage.DISCUSSION, InquiryStage.NDA_SIGNED, InquiryStage.TERMS_PROPOSED],
        [InquiryStage.DISCUSSION, InquiryStage.DECLINED],
        [InquiryStage.DISCUSSION, InquiryStage.TERMS_PROPOSED, InquiryStage.AGREED],
    ]
    for i, result in enumerate(progress(results[20:44], "inquiries")):
        user, enterprise = buyers[(i + 1) % len(buyers)]
        offer = result.offers.exclude(express=True).order_by("sort_order").first()
        if Inquiry.objects.filter(result=result, enterprise=enterprise).exists():
            continue
        tto = _user(f"tto@{result.institute.slug.split('-')[0]}.example.com")
        inquiry = services.open_inquiry(
            result=result,
            offer=offer,
            buyer=user,
            enterprise=enterprise,
            subject=f"{enterprise.name}：{result.title}",
            message="我们希望了解该成果的许可条件和技术支持安排。 / We would like to know the licence terms.",
        )
        services.post_message(
            inquiry, author=tto, body="感谢关注，请先签署保密协议。 / Thank you; please sign our NDA first."
        )
        for stage in stage_paths[i % len(stage_paths)]:
            services.move_inquiry(inquiry, stage, actor=tto)

    # Agreed negotiations get their agreement recorded by the TTO (an exclusive or sole licence that
    # makes the conflicting offers of its result unavailable); the licensee reports jobs created.
    agreed = Inquiry.objects.filter(
        result__in=results, stage=InquiryStage.AGREED, agreement__isnull=True, offer__isnull=False
    ).select_related("offer", "result__institute", "opened_by")
    for inquiry in agreed:
        offer = inquiry.offer
        tto = _user(f"tto@{inquiry.result.institute.slug.split('-')[0]}.example.com")
        agreement = services.record_agreement(
            inquiry,
            actor=tto,
            mode=offer.mode,
            field_of_use=offer.field_of_use,
            territory=offer.territory,
            term_months=offer.term_months,
            starts_on=today - timedelta(days=30),
            value=offer.upfront_fee,
            royalty_percent=offer.royalty_percent,
            milestones=offer.milestones,
        )
        services.report_impact(
            agreement, actor=inquiry.opened_by, year=year, quarter=quarter, jobs_created=rng.randint(5, 40)
        )
