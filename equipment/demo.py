"""Demo catalogue: over 60 shared instruments of every resource kind across the six demo institutes,
with opening hours, blackouts, qualifications and bookings in the past (completed with usage) and future.

Idempotent: instruments are found by slug under their institute, bookings by (instrument, start).
Deterministic: one seeded random.Random.
"""

import random
import zlib
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.models import InstitutePage
from marketplace.accounts.models import Membership, Organization, Role

from . import ledger, units
from .models import (
    Blackout,
    Booking,
    BookingMode,
    BookingStatus,
    BookingTransition,
    BookingUnit,
    InstrumentCategory,
    InstrumentPage,
    OpeningHours,
    Overrun,
    Qualification,
    ResourceKind,
    TrainingRequest,
    UsageRecord,
    WaitlistEntry,
)
from .rates import price_for, tier_for, tier_rate

K, P, S, D, SP = (
    ResourceKind.INSTRUMENT,
    ResourceKind.PILOT,
    ResourceKind.SIMULATION,
    ResourceKind.DATA,
    ResourceKind.SPACE,
)

# slug, Chinese, English, kind, category slug, manufacturer, model, purchase price (CNY)
CATALOGUE = [
    (
        "sem",
        "场发射扫描电子显微镜",
        "Field-emission scanning electron microscope",
        K,
        "electron-optics",
        "ZEISS",
        "Sigma 300",
        3200000,
    ),
    ("tem", "透射电子显微镜", "Transmission electron microscope", K, "electron-optics", "JEOL", "JEM-2100F", 9800000),
    (
        "fib",
        "聚焦离子束双束系统",
        "Focused ion beam dual-beam system",
        K,
        "electron-optics",
        "Thermo Fisher",
        "Helios 5",
        12500000,
    ),
    ("xrd", "X射线衍射仪", "X-ray diffractometer", K, "x-ray", "Bruker", "D8 Advance", 2100000),
    (
        "xps",
        "X射线光电子能谱仪",
        "X-ray photoelectron spectrometer",
        K,
        "x-ray",
        "Thermo Fisher",
        "ESCALAB Xi+",
        6500000,
    ),
    ("xct", "工业X射线断层扫描仪", "Industrial X-ray CT scanner", K, "special-inspection", "YXLON", "FF35 CT", 7800000),
    ("icpms", "电感耦合等离子体质谱仪", "ICP mass spectrometer", K, "mass-spectrometry", "Agilent", "7900", 2600000),
    ("lcms", "液相色谱-质谱联用仪", "LC-MS/MS system", K, "mass-spectrometry", "SCIEX", "Triple Quad 6500+", 4200000),
    ("gcms", "气相色谱-质谱联用仪", "GC-MS system", K, "mass-spectrometry", "Shimadzu", "GCMS-QP2020 NX", 1200000),
    (
        "maldi",
        "基质辅助激光解吸飞行时间质谱",
        "MALDI-TOF mass spectrometer",
        K,
        "mass-spectrometry",
        "Bruker",
        "autoflex maX",
        3600000,
    ),
    ("hplc", "高效液相色谱仪", "HPLC system", K, "chromatography", "Waters", "Arc", 450000),
    ("gc", "气相色谱仪", "Gas chromatograph", K, "chromatography", "Agilent", "8890", 380000),
    (
        "nmr600",
        "600 MHz 核磁共振波谱仪",
        "600 MHz NMR spectrometer",
        K,
        "nmr-epr",
        "Bruker",
        "AVANCE NEO 600",
        11000000,
    ),
    ("epr", "电子顺磁共振波谱仪", "EPR spectrometer", K, "nmr-epr", "Bruker", "EMXplus", 3900000),
    ("ftir", "傅里叶变换红外光谱仪", "FTIR spectrometer", K, "spectroscopy", "Thermo Fisher", "Nicolet iS50", 520000),
    (
        "raman",
        "激光共聚焦拉曼光谱仪",
        "Confocal Raman spectrometer",
        K,
        "spectroscopy",
        "HORIBA",
        "LabRAM HR Evolution",
        1800000,
    ),
    (
        "uvvis",
        "紫外-可见-近红外分光光度计",
        "UV-Vis-NIR spectrophotometer",
        K,
        "spectroscopy",
        "PerkinElmer",
        "Lambda 1050+",
        620000,
    ),
    (
        "icpoes",
        "电感耦合等离子体发射光谱仪",
        "ICP optical emission spectrometer",
        K,
        "spectroscopy",
        "Agilent",
        "5110",
        900000,
    ),
    (
        "echem",
        "电化学工作站",
        "Electrochemical workstation",
        K,
        "electrochemistry",
        "Metrohm Autolab",
        "PGSTAT302N",
        350000,
    ),
    ("battery", "电池综合测试系统", "Battery cycler", K, "electrochemistry", "Arbin", "LBT21084", 760000),
    (
        "confocal",
        "激光扫描共聚焦显微镜",
        "Confocal laser scanning microscope",
        K,
        "microscopy",
        "Leica",
        "STELLARIS 5",
        4100000,
    ),
    ("afm", "原子力显微镜", "Atomic force microscope", K, "microscopy", "Bruker", "Dimension Icon", 3300000),
    ("dsc", "差示扫描量热仪", "Differential scanning calorimeter", K, "thermal-analysis", "NETZSCH", "DSC 214", 480000),
    ("tga", "热重分析仪", "Thermogravimetric analyser", K, "thermal-analysis", "TA Instruments", "TGA 5500", 560000),
    ("flowcyt", "流式细胞仪", "Flow cytometer", K, "biochemical-separation", "BD", "FACSymphony A3", 5200000),
    (
        "ultracent",
        "超速离心机",
        "Ultracentrifuge",
        K,
        "biochemical-separation",
        "Beckman Coulter",
        "Optima XPN-100",
        1300000,
    ),
    ("tensile", "电子万能材料试验机", "Universal testing machine", K, "physical-property", "Instron", "5985", 1500000),
    (
        "fatigue",
        "高频疲劳试验机",
        "High-frequency fatigue tester",
        K,
        "physical-property",
        "ZwickRoell",
        "Vibrophore 250",
        2300000,
    ),
    (
        "bet",
        "比表面及孔径分析仪",
        "Surface area and porosity analyser",
        K,
        "physical-property",
        "Micromeritics",
        "ASAP 2460",
        700000,
    ),
    ("cmm", "三坐标测量机", "Coordinate measuring machine", K, "metrology", "Hexagon", "Global S", 2800000),
    ("laser-tracker", "激光跟踪仪", "Laser tracker", K, "metrology", "Leica", "AT960", 1900000),
    ("vna", "矢量网络分析仪", "Vector network analyser", K, "electronic-measurement", "Keysight", "N5227B", 3500000),
    ("emc", "电磁兼容测试暗室", "EMC test chamber", K, "electronic-measurement", "ETS-Lindgren", "FACT 3", 8600000),
    ("ctd", "温盐深剖面仪", "CTD profiler", K, "marine", "Sea-Bird", "SBE 911plus", 1100000),
    (
        "adcp",
        "声学多普勒流速剖面仪",
        "Acoustic Doppler current profiler",
        K,
        "marine",
        "Teledyne RDI",
        "Workhorse 300",
        850000,
    ),
    ("sonar", "多波束测深系统", "Multibeam echo sounder", K, "marine", "Kongsberg", "EM 2040", 4600000),
    ("gpr", "探地雷达", "Ground-penetrating radar", K, "earth-exploration", "GSSI", "SIR 4000", 650000),
    ("lidar", "气溶胶激光雷达", "Aerosol lidar", K, "atmospheric-sounding", "Raymetrics", "LR111-D300", 2400000),
    (
        "ultrasound",
        "相控阵超声检测仪",
        "Phased-array ultrasonic tester",
        K,
        "special-inspection",
        "Evident",
        "OmniScan X3",
        720000,
    ),
    (
        "microct",
        "小动物活体成像系统",
        "In-vivo small-animal imaging system",
        K,
        "medical-research",
        "PerkinElmer",
        "IVIS Spectrum",
        3700000,
    ),
    ("seq", "高通量基因测序仪", "High-throughput sequencer", K, "medical-research", "MGI", "DNBSEQ-T7", 7200000),
    ("gamma", "高纯锗伽马能谱仪", "HPGe gamma spectrometer", K, "nuclear", "Mirion", "BEGe 3830", 1600000),
    (
        "fslaser",
        "飞秒激光加工系统",
        "Femtosecond laser micromachining system",
        K,
        "lasers",
        "Light Conversion",
        "PHAROS",
        5100000,
    ),
    (
        "am-metal",
        "金属增材制造设备",
        "Metal additive manufacturing system",
        K,
        "process-testing",
        "EOS",
        "M 290",
        6800000,
    ),
    ("cnc5", "五轴联动加工中心", "Five-axis machining centre", K, "process-testing", "DMG MORI", "DMU 65", 5600000),
    (
        "pilot-reactor",
        "百升级中试反应釜系统",
        "100-litre pilot reactor line",
        P,
        "process-testing",
        "上海森松",
        "PR-100",
        4800000,
    ),
    ("pilot-spray", "喷雾干燥中试线", "Spray-drying pilot line", P, "process-testing", "GEA", "MOBILE MINOR", 2600000),
    (
        "pilot-coating",
        "卷对卷涂布中试线",
        "Roll-to-roll coating pilot line",
        P,
        "process-testing",
        "无锡先导",
        "R2R-600",
        7500000,
    ),
    (
        "pilot-ferment",
        "500升发酵中试平台",
        "500-litre fermentation pilot plant",
        P,
        "biochemical-separation",
        "Sartorius",
        "BIOSTAT D-DCU",
        6200000,
    ),
    ("pilot-battery", "软包电池中试线", "Pouch-cell pilot line", P, "electrochemistry", "赢合科技", "PL-10", 9600000),
    (
        "pilot-casting",
        "真空熔炼铸造中试线",
        "Vacuum melting and casting pilot line",
        P,
        "process-testing",
        "ALD",
        "VIM 50",
        8800000,
    ),
    ("hpc", "高性能计算集群（CPU）", "HPC cluster (CPU nodes)", S, "computing", "曙光", "TC6600", 15000000),
    ("gpu", "GPU 人工智能计算平台", "GPU AI computing platform", S, "computing", "浪潮", "NF5688M7", 12000000),
    ("cfd", "计算流体力学仿真平台", "CFD simulation platform", S, "computing", "ANSYS", "Fluent HPC", 1800000),
    ("fea", "结构有限元仿真平台", "Finite-element simulation platform", S, "computing", "Dassault", "Abaqus", 1500000),
    ("material-db", "材料性能数据库", "Materials property database", D, "other", "", "", 900000),
    ("ocean-db", "近海观测数据集", "Coastal observation data set", D, "marine", "", "", 1200000),
    ("genome-db", "病原微生物基因组数据集", "Pathogen genome data set", D, "medical-research", "", "", 800000),
    ("cleanroom", "百级洁净室工位", "ISO 5 cleanroom bay", SP, "other", "", "", 5000000),
    ("incubator", "孵化器共享办公工位", "Incubator shared office desks", SP, "other", "", "", 600000),
    ("wetlab", "共享湿实验室", "Shared wet lab bench", SP, "other", "", "", 1500000),
    ("testbay", "重载试验台位", "Heavy-load test bay", SP, "physical-property", "", "", 3000000),
]

# Resources not booked by the hour (equipment/units.py): campaigns of days with set-up and cleaning
# buffers, leases by the month, access periods with seats. Everything else is booked by the hour.
UNITS = {
    "pilot-ferment": {"booking_unit": BookingUnit.DAY, "setup_buffer_hours": 8, "cleanup_buffer_hours": 4,
                      "min_units": 2, "max_units": 14, "horizon_days": 120, "min_notice_hours": 72},
    "pilot-spray": {"booking_unit": BookingUnit.DAY, "setup_buffer_hours": 4, "cleanup_buffer_hours": 4,
                    "min_units": 1, "max_units": 7, "horizon_days": 120, "min_notice_hours": 48},
    "wetlab": {"booking_unit": BookingUnit.MONTH, "min_units": 1, "max_units": 12, "horizon_days": 365,
               "booking_mode": BookingMode.ASSISTED, "operator_per_hour": Decimal("0"), "min_notice_hours": 72},
    "incubator": {"booking_unit": BookingUnit.MONTH, "min_units": 1, "max_units": 12, "horizon_days": 365,
                  "booking_mode": BookingMode.ASSISTED, "operator_per_hour": Decimal("0"), "min_notice_hours": 72},
    "material-db": {"booking_unit": BookingUnit.ACCESS, "seats": 8, "min_units": 1, "max_units": 90,
                    "horizon_days": 180, "min_notice_hours": 24},
    "gpu": {"booking_unit": BookingUnit.ACCESS, "seats": 8, "min_units": 1, "max_units": 30, "horizon_days": 90,
            "min_notice_hours": 24},
}  # fmt: skip

# Which institutes list which categories first (the rest are spread round-robin).
INSTITUTE_HINTS = {
    "east-materials": {"electron-optics", "x-ray", "spectroscopy", "thermal-analysis", "physical-property"},
    "north-manufacturing": {"process-testing", "metrology", "special-inspection", "lasers"},
    "south-biomed": {"medical-research", "biochemical-separation", "mass-spectrometry", "chromatography"},
    "west-energy": {"electrochemistry", "nuclear", "atmospheric-sounding", "earth-exploration"},
    "central-it": {"computing", "electronic-measurement"},
    "ocean-engineering": {"marine"},
}


def _assign(rng):
    slugs = list(INSTITUTE_HINTS)
    assigned, n = {}, 0
    for row in CATALOGUE:
        category = row[4]
        hinted = [s for s in slugs if category in INSTITUTE_HINTS[s]]
        if hinted:
            assigned[row[0]] = hinted[0]
        else:
            assigned[row[0]] = slugs[n % len(slugs)]
            n += 1
    return assigned


def _cost_model(rng, kind, price):
    price = Decimal(price)
    hours = {K: 1600, P: 1200, S: 7000, D: 2000, SP: 2400}[kind]
    return {
        "purchase_price": price,
        "service_life_years": {K: 8, P: 10, S: 5, D: 5, SP: 15}[kind],
        "annual_maintenance": (price * Decimal(rng.choice(["0.04", "0.06", "0.08"]))).quantize(Decimal("1")),
        "annual_staff_share": Decimal(rng.choice([60000, 90000, 120000, 150000])),
        "planned_hours_per_year": hours + rng.choice([0, 200, 400]),
        "consumables_per_hour": Decimal(rng.choice(["0", "8.50", "25.00", "45.00", "80.00"])) if kind in (K, P) else 0,
        "utilities_per_hour": Decimal(rng.choice(["3.20", "6.80", "12.50", "30.00"])) if kind != D else Decimal("0"),
        "operator_per_hour": Decimal(rng.choice(["45.00", "60.00", "80.00"])),
    }


def _mode(rng, kind):
    if kind == D:
        return BookingMode.SAMPLE
    if kind in (S, SP):
        return BookingMode.SELF_SERVICE
    if kind == P:
        return BookingMode.ASSISTED
    return rng.choice([BookingMode.ASSISTED, BookingMode.ASSISTED, BookingMode.SELF_SERVICE, BookingMode.SAMPLE])


def _hours(kind):
    if kind == S:
        return [(d, time(0), time(23, 59)) for d in range(7)]
    if kind == SP:
        return [(d, time(8), time(22)) for d in range(6)]
    return [(d, time(8, 30), time(12)) for d in range(5)] + [(d, time(13, 30), time(17, 30)) for d in range(5)]


def _aware(day, t):
    return timezone.make_aware(datetime.combine(day, t))


def _rng(key):
    return random.Random(zlib.crc32(key.encode()))  # noqa: S311 - demo data, not security


def seed(progress):
    rng = _rng("assign")
    categories = {c.slug: c for c in InstrumentCategory.objects.all()}
    pages = {p.organization.slug: p for p in InstitutePage.objects.select_related("organization")}
    assigned = _assign(rng)
    instruments = []
    for row in progress(CATALOGUE, "instruments"):
        slug, name, name_en, kind, category, maker, model, price = row
        parent = pages.get(assigned[slug])
        if parent is None:
            continue
        existing = InstrumentPage.objects.child_of(parent).filter(slug=slug).first()
        if existing:
            instruments.append(existing)
            continue
        rng = _rng(slug)
        costs = _cost_model(rng, kind, price)
        mode = _mode(rng, kind)
        subsidy = rng.choice([0, 0, 10, 20])
        unit = dict(UNITS.get(slug, {}))
        page = InstrumentPage(
            title=name,
            title_en=name_en,
            slug=slug,
            resource_kind=kind,
            category=categories.get(category),
            manufacturer=maker,
            model_number=model,
            summary=f"{name}，面向企业和高校按成本价开放共享，可提供培训与技术支持。",
            summary_en=f"{name_en}, open to enterprises and universities at cost, with training and support.",
            specifications=[
                {
                    "type": "table",
                    "value": {
                        "title": "主要技术指标",
                        "rows": [
                            {"key": "型号 Model", "value": f"{maker} {model}".strip() or "—"},
                            {
                                "key": "购置年份 Purchased",
                                "value": str(rng.choice([2018, 2019, 2020, 2021, 2022, 2023])),
                            },
                        ],
                    },
                }
            ],
            location=f"{rng.choice(['A', 'B', 'C', 'D'])}楼 {rng.randint(1, 6)}{rng.randint(1, 30):02d} 室",
            contact_name="设备主管",
            contact_email=f"instruments@{parent.organization.slug}.example.com",
            contact_phone=f"021-5{rng.randint(1000000, 9999999)}",
            booking_mode=unit.pop("booking_mode", mode),
            auto_approve=kind in (S, D),
            slot_minutes=60 if kind != SP else 120,
            min_booking_minutes=60 if kind != SP else 240,
            max_booking_minutes={K: 420, P: 420, S: 1380, D: 60, SP: 840}[kind],
            min_notice_hours=unit.pop("min_notice_hours", rng.choice([24, 48])),
            horizon_days=unit.pop("horizon_days", 90),
            cancellation_window_hours=rng.choice([24, 48, 72]),
            enterprise_subsidy_percent=Decimal(subsidy),
            academic_subsidy_percent=Decimal(subsidy + 10),
            internal_subsidy_percent=Decimal(min(subsidy + 30, 100)),
            subsidy_basis="省科技厅大型科研仪器开放共享后补助" if subsidy else "院内科研条件经费",
            opening_hours=[OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in _hours(kind)],
            **{**costs, **unit},
        )
        parent.add_child(instance=page)
        page.save_revision().publish()
        instruments.append(page)

    _seed_blackouts(progress, instruments)
    _seed_bookings(progress, instruments)
    _seed_range_bookings(instruments)
    _seed_training_and_waitlist(instruments)


def _seed_blackouts(progress, instruments):
    today = timezone.localdate()
    for index, page in enumerate(progress(instruments, "blackouts")):
        if index % 5:
            continue
        start = _aware(today + timedelta(days=20 + index % 7), time(0))
        Blackout.objects.get_or_create(
            instrument=page,
            start=start,
            defaults={"end": start + timedelta(days=2), "reason": Blackout.Reason.MAINTENANCE, "note": "年度维护保养"},
        )
    # Public holiday: everything closed on the same day.
    holiday = _aware(today + timedelta(days=45), time(0))
    for page in instruments:
        Blackout.objects.get_or_create(
            instrument=page,
            start=holiday,
            defaults={"end": holiday + timedelta(days=1), "reason": Blackout.Reason.HOLIDAY, "note": "法定节假日"},
        )


def _seed_bookings(progress, instruments):
    """Bookings written directly (past ones cannot pass the booking service's notice rule), then moved
    through the same states, with usage records and ledger events for the completed ones."""
    User = get_user_model()
    buyers = list(
        Membership.objects.filter(role=Role.BUYER, organization__kind=Organization.Kind.ENTERPRISE)
        .select_related("user", "organization")
        .order_by("user__email")
    )
    if not buyers:
        return
    # Institute researchers book too: their own institute's instruments at the internal tier, others'
    # at the academic tier, charged under a project code (about one booking in five).
    researchers = list(
        Membership.objects.filter(role=Role.RESEARCHER, organization__kind=Organization.Kind.INSTITUTE)
        .select_related("user", "organization")
        .order_by("user__email")
    )
    manager_by_institute = {
        m.organization_id: m.user
        for m in Membership.objects.filter(role__in=[Role.FACILITY_MANAGER, Role.TTO_OFFICER]).order_by("-role")
    }
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    now = timezone.now()
    today = timezone.localdate()
    # One overrun in the demo: the first completed enterprise booking of a self-service instrument.
    overrun_shown = Overrun.objects.exists()
    for page in progress(instruments, "bookings"):
        periods = list(page.opening_hours.all())
        if not periods or not page.is_hourly:  # days, months and seats: _seed_range_bookings
            continue
        manager = manager_by_institute.get(page.institute_id) or admin
        rng = _rng(f"bookings-{page.slug}")
        offsets = sorted(rng.sample(range(-60, 40), 6))
        for offset in offsets:
            day = today + timedelta(days=offset)
            todays = [p for p in periods if p.weekday == day.weekday()]
            if not todays or offset in (0, 1, 2):
                continue
            period = todays[0]
            start = _aware(day, period.opens)  # on the slot steps, which count from the opening time
            length = min(page.min_booking_minutes * rng.choice([1, 2]), page.max_booking_minutes)
            end = start + timedelta(minutes=length)
            if end.time() > period.closes or Booking.objects.filter(instrument=page, start=start).exists():
                continue
            if Blackout.objects.filter(instrument=page, start__lt=end, end__gt=start).exists():
                continue
            if Booking.objects.filter(instrument=page, start__lt=end, end__gt=start).exists():
                continue
            membership = rng.choice(buyers)
            if researchers and rng.random() < 0.2:
                membership = rng.choice(researchers)
            internal = not membership.organization.is_enterprise
            code = f"KY-{start:%Y}-{rng.randint(100, 999)}" if internal else ""
            tier = tier_for(membership.organization, page)
            rate = tier_rate(page, tier)
            hours = Decimal(length) / Decimal(60)
            if end <= now:
                status = rng.choice([BookingStatus.COMPLETED] * 5 + [BookingStatus.CANCELLED, BookingStatus.NO_SHOW])
            else:
                status = rng.choice([BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CONFIRMED])
            if internal and status == BookingStatus.APPROVED:
                status = BookingStatus.CONFIRMED  # an internal charge waits for no payment
            booking = Booking.objects.create(
                instrument=page,
                institute_id=page.institute_id,
                enterprise=None if internal else membership.organization,
                organization=membership.organization,
                charge_code=code,
                user=membership.user,
                start=start,
                end=end,
                status=status,
                purpose=rng.choice(["样品形貌表征", "成分分析", "工艺验证", "性能测试", "小批量试制"]),
                tier=tier,
                hourly_rate=rate,
                subsidy_percent=page.subsidy_percent(tier),
                hours=hours.quantize(Decimal("0.01")),
                price_amount=price_for(rate, hours),
                currency=page.currency,
                confirmation_reference=(code or "INV-DEMO")
                if status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
                else "",
            )
            path = {
                BookingStatus.REQUESTED: ["requested"],
                BookingStatus.APPROVED: ["requested", "approved"],
                BookingStatus.CONFIRMED: ["requested", "approved", "confirmed"],
                BookingStatus.COMPLETED: ["requested", "approved", "confirmed", "completed"],
                BookingStatus.CANCELLED: ["requested", "cancelled"],
                BookingStatus.NO_SHOW: ["requested", "approved", "confirmed", "no_show"],
            }[status]
            previous = ""
            for step in path:
                BookingTransition.objects.create(
                    booking=booking,
                    from_status=previous,
                    to_status=step,
                    actor=membership.user if step in ("requested", "cancelled") else manager,
                )
                previous = step
            if "confirmed" in path:  # a no-show was confirmed too
                ledger.record(ledger.booking_confirmed(booking, at=min(start - timedelta(days=1), now)))
            if status == BookingStatus.COMPLETED:
                actual = (booking.hours * Decimal(rng.choice(["0.75", "1.0", "1.0", "1.1"]))).quantize(Decimal("0.01"))
                # Checked in and out: by the booker on a self-service instrument, by the manager otherwise
                # (a random stream of its own, so the rest of the demo stays as it was).
                usage_rng = _rng(f"usage-{booking.pk}")
                checked_in = start + timedelta(minutes=usage_rng.choice([-5, 0, 3, 8]))
                overrun_here = not overrun_shown and not internal and page.booking_mode == BookingMode.SELF_SERVICE
                if overrun_here:
                    checked_out = end + timedelta(minutes=40)
                else:
                    checked_out = min(checked_in + timedelta(minutes=int(actual * 60)), end)
                if checked_out > checked_in:
                    actual = (Decimal((checked_out - checked_in).total_seconds()) / Decimal(3600)).quantize(
                        Decimal("0.01")
                    )
                    who = membership.user if page.booking_mode == BookingMode.SELF_SERVICE else manager
                    Booking.objects.filter(pk=booking.pk).update(
                        checked_in_at=checked_in,
                        checked_in_by=who,
                        checked_out_at=checked_out,
                        checked_out_by=who,
                    )
                    usage = UsageRecord.objects.create(
                        booking=booking,
                        hours=actual,
                        recorded_by=who,
                        started_at=checked_in,
                        ended_at=checked_out,
                    )
                else:
                    usage = UsageRecord.objects.create(booking=booking, hours=actual, recorded_by=manager)
                if overrun_here:
                    _seed_overrun(booking, page, checked_out)
                    overrun_shown = True
                ledger.record(ledger.booking_completed(booking, at=end))
                ledger.record(ledger.usage_recorded(usage))
        if page.booking_mode == BookingMode.SELF_SERVICE:
            for membership in buyers[:3]:
                Qualification.objects.get_or_create(
                    instrument=page,
                    user=membership.user,
                    revoked_at=None,
                    defaults={"valid_until": today + timedelta(days=365), "granted_by": manager},
                )


def _seed_overrun(booking, page, checked_out):
    """An overrun charged as the instrument's policy says (services/usage.py), still to be paid."""
    from .services.usage import overrun_charge

    minutes = int((checked_out - booking.end).total_seconds() // 60)
    charged, multiplier, amount = overrun_charge(page, booking, minutes)
    Overrun.objects.create(
        booking=booking,
        minutes=minutes,
        charged_minutes=charged if amount > 0 else 0,
        policy=page.overrun_policy,
        hourly_rate=booking.hourly_rate,
        multiplier=multiplier,
        amount=amount if amount > 0 else Decimal("0.00"),
        currency=booking.currency,
        status=Overrun.Status.DUE if amount > 0 else Overrun.Status.NOT_CHARGED,
    )


def _seed_training_and_waitlist(instruments):
    """A few training requests on self-service instruments (one with a qualification expiring soon) and
    buyers waiting for taken future slots."""
    buyers = list(
        Membership.objects.filter(role=Role.BUYER, organization__kind=Organization.Kind.ENTERPRISE)
        .select_related("user", "organization")
        .order_by("user__email")
    )
    if len(buyers) < 4:
        return
    today = timezone.localdate()
    self_service = [p for p in instruments if p.booking_mode == BookingMode.SELF_SERVICE and p.is_hourly][:3]
    for index, page in enumerate(self_service):
        trainee = buyers[3 + index % max(len(buyers) - 3, 1)]
        if not Qualification.objects.filter(instrument=page, user=trainee.user, revoked_at=None).exists():
            TrainingRequest.objects.get_or_create(
                instrument=page,
                user=trainee.user,
                status=TrainingRequest.Status.OPEN,
                defaults={
                    "enterprise": trainee.organization,
                    "preferred_dates": "下周工作日上午 / weekday mornings next week",
                    "note": "有同类仪器使用经验 / used a similar instrument before",
                },
            )
        # The first qualified buyer's qualification runs out soon: announced by the expiry command.
        Qualification.objects.filter(instrument=page, user=buyers[0].user, revoked_at=None).update(
            valid_until=today + timedelta(days=20 + index)
        )
    taken = Booking.objects.filter(
        instrument__in=instruments,
        unit=BookingUnit.HOUR,
        status__in=[BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CONFIRMED],
        start__gt=timezone.now() + timedelta(days=3),
    ).order_by("start", "pk")[:3]
    for booking in taken:
        waiting = next(m for m in buyers if m.user_id != booking.user_id)
        WaitlistEntry.objects.get_or_create(
            instrument=booking.instrument,
            user=waiting.user,
            start=booking.start,
            end=booking.end,
            status=WaitlistEntry.Status.WAITING,
        )


# (first day from today, last day or months, seats, status) of the demo bookings of each resource not booked
# by the hour: one used in the past, the others coming.
RANGE_BOOKINGS = {
    BookingUnit.DAY: [(-40, -37, 1, BookingStatus.COMPLETED), (10, 12, 1, BookingStatus.CONFIRMED),
                      (20, 24, 1, BookingStatus.REQUESTED)],
    BookingUnit.MONTH: [(-20, 2, 1, BookingStatus.CONFIRMED), (50, 3, 1, BookingStatus.REQUESTED)],
    BookingUnit.ACCESS: [(-20, -10, 2, BookingStatus.COMPLETED), (5, 25, 3, BookingStatus.CONFIRMED),
                         (8, 14, 2, BookingStatus.REQUESTED), (10, 12, 1, BookingStatus.APPROVED)],
}  # fmt: skip


def _seed_range_bookings(instruments):
    """A few bookings of each campaign line, leased space and shared access resource, written directly (past
    ones cannot pass the notice rule) with the blocked range and the price the booking service gives."""
    buyers = list(
        Membership.objects.filter(role=Role.BUYER, organization__kind=Organization.Kind.ENTERPRISE)
        .select_related("user", "organization")
        .order_by("user__email")
    )
    if not buyers:
        return
    manager_by_institute = {
        m.organization_id: m.user
        for m in Membership.objects.filter(role__in=[Role.FACILITY_MANAGER, Role.TTO_OFFICER]).order_by("-role")
    }
    today = timezone.localdate()
    now = timezone.now()
    for page in instruments:
        if page.is_hourly:
            continue
        manager = manager_by_institute.get(page.institute_id)
        opening_hours = list(page.opening_hours.all())
        for index, (offset, extent, seats, status) in enumerate(RANGE_BOOKINGS[page.booking_unit]):
            first = today + timedelta(days=offset)
            if page.booking_unit == BookingUnit.MONTH:
                start, end, length = units.period(page, first, months=extent)
            else:
                start, end, length = units.period(page, first, last_day=today + timedelta(days=extent))
            if Booking.objects.filter(instrument=page, start=start).exists():
                continue
            blocked_start, blocked_end = units.blocked_range(page, start, end)
            if Blackout.objects.filter(instrument=page, start__lt=blocked_end, end__gt=blocked_start).exists():
                continue
            if status == BookingStatus.COMPLETED and end > now:
                status = BookingStatus.CONFIRMED
            membership = buyers[index % len(buyers)]
            tier = tier_for(membership.organization, page)
            rate = tier_rate(page, tier)
            hours = units.billed_hours(page, length, seats=seats, opening_hours=opening_hours)
            booking = Booking.objects.create(
                instrument=page,
                institute_id=page.institute_id,
                enterprise=membership.organization,
                organization=membership.organization,
                user=membership.user,
                start=start,
                end=end,
                unit=page.booking_unit,
                seats=seats if page.is_shared else 1,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                status=status,
                purpose=rng_purpose(page.booking_unit),
                tier=tier,
                hourly_rate=rate,
                subsidy_percent=page.subsidy_percent(tier),
                hours=hours,
                price_amount=price_for(rate, hours),
                currency=page.currency,
                confirmation_reference="INV-DEMO"
                if status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
                else "",
            )
            path = {
                BookingStatus.REQUESTED: ["requested"],
                BookingStatus.APPROVED: ["requested", "approved"],
                BookingStatus.CONFIRMED: ["requested", "approved", "confirmed"],
                BookingStatus.COMPLETED: ["requested", "approved", "confirmed", "completed"],
            }[status]
            previous = ""
            for step in path:
                BookingTransition.objects.create(
                    booking=booking,
                    from_status=previous,
                    to_status=step,
                    actor=membership.user if step == "requested" else manager,
                )
                previous = step
            if "confirmed" in path:
                ledger.record(ledger.booking_confirmed(booking, at=min(start - timedelta(days=1), now)))
            if status == BookingStatus.COMPLETED:
                usage = UsageRecord.objects.create(booking=booking, hours=booking.hours, recorded_by=manager)
                ledger.record(ledger.booking_completed(booking, at=end))
                ledger.record(ledger.usage_recorded(usage))


def rng_purpose(unit):
    return {
        BookingUnit.DAY: "中试放大批次 / pilot scale-up campaign",
        BookingUnit.MONTH: "初创团队实验室租用 / start-up lab lease",
        BookingUnit.ACCESS: "模型训练与数据分析 / model training and data analysis",
    }[unit]
