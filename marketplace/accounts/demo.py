"""Demo organisations and people. Every demo login uses the password DEMO_PASSWORD."""

import zlib

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import Organization, Role
from .services import add_membership, announce_institute, create_institute

DEMO_PASSWORD = "demo-pass-2026"

INSTITUTES = [
    # slug, Chinese name, English name, province, city, email domain
    ("east-materials", "华东材料科学研究院", "East China Institute of Materials Science", "上海", "上海", "east"),
    (
        "north-manufacturing",
        "北方先进制造研究所",
        "Northern Institute of Advanced Manufacturing",
        "辽宁",
        "沈阳",
        "north",
    ),
    ("south-biomed", "南方生物医药研究院", "Southern Institute of Biomedicine", "广东", "广州", "south"),
    ("west-energy", "西部能源与环境研究院", "Western Institute of Energy and Environment", "四川", "成都", "west"),
    ("central-it", "中部信息技术研究院", "Central Institute of Information Technology", "湖北", "武汉", "central"),
    (
        "ocean-engineering",
        "海洋科学与工程研究所",
        "Institute of Ocean Science and Engineering",
        "山东",
        "青岛",
        "ocean",
    ),
]

ENTERPRISES = [
    # slug, Chinese, English, size, city, province, credit code, 专精特新, 小巨人, email domain
    (
        "microsense",
        "苏州微纳传感科技有限公司",
        "Suzhou MicroSense Technology",
        "small",
        "苏州",
        "江苏",
        "91320500MA1XK7L25B",
        True,
        False,
        "microsense",
    ),
    (
        "greenchem",
        "杭州绿源化工新材料有限公司",
        "Hangzhou GreenChem Materials",
        "medium",
        "杭州",
        "浙江",
        "91330100MA2CF8Q93W",
        True,
        True,
        "greenchem",
    ),
    (
        "bluewave",
        "青岛蓝海海洋装备有限公司",
        "Qingdao BlueWave Marine Equipment",
        "small",
        "青岛",
        "山东",
        "91370200MA3N4R6T1X",
        False,
        False,
        "bluewave",
    ),
    (
        "kangning",
        "广州康宁生物技术有限公司",
        "Guangzhou Kangning Biotech",
        "micro",
        "广州",
        "广东",
        "91440101MA5D2K7H8J",
        False,
        False,
        "kangning",
    ),
    (
        "zhixin",
        "武汉智芯电子有限公司",
        "Wuhan Zhixin Electronics",
        "small",
        "武汉",
        "湖北",
        "91420100MA4K9P2L5Q",
        True,
        False,
        "zhixin",
    ),
    (
        "huaneng",
        "成都华能新能源科技有限公司",
        "Chengdu Huaneng New Energy",
        "medium",
        "成都",
        "四川",
        "91510100MA6C7W3N0R",
        False,
        False,
        "huaneng",
    ),
    (
        "precimech",
        "沈阳精工机械制造有限公司",
        "Shenyang PreciMech Manufacturing",
        "large",
        "沈阳",
        "辽宁",
        "91210100MA0Y8T5K2M",
        False,
        False,
        "precimech",
    ),
    (
        "yunlu",
        "深圳云路智能科技有限公司",
        "Shenzhen Yunlu Intelligent Tech",
        "micro",
        "深圳",
        "广东",
        "91440300MA5G6H1J4K",
        False,
        False,
        "yunlu",
    ),
    (
        "agritech",
        "合肥丰禾农业科技有限公司",
        "Hefei Fenghe AgriTech",
        "small",
        "合肥",
        "安徽",
        "91340100MA2T3Y7U6P",
        True,
        False,
        "fenghe",
    ),
    (
        "medidevice",
        "北京安康医疗器械有限公司",
        "Beijing Ankang Medical Devices",
        "medium",
        "北京",
        "北京",
        "91110108MA01B2C3D4",
        True,
        True,
        "ankang",
    ),
]

# Institutes whose three staff roles get demo logins (the others still get one TTO officer each).
STAFFED_INSTITUTES = {"east-materials", "north-manufacturing"}


def demo_user(email, first_name, last_name, *, staff=False, superuser=False, language="zh-hans"):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=email,
        defaults={
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "is_staff": staff,
            "is_superuser": superuser,
            "email_verified_at": timezone.now(),
            "preferred_language": language,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华", "晓东")
FAMILY_NAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭")


def demo_name(email):
    """A plausible Chinese (given, family) name for a demo account, the same on every seeding."""
    key = zlib.crc32(email.encode())
    return GIVEN_NAMES[key % len(GIVEN_NAMES)], FAMILY_NAMES[(key // len(GIVEN_NAMES)) % len(FAMILY_NAMES)]


def seed(progress):
    demo_user("admin@example.com", "平台", "管理员", staff=True, superuser=True)

    for slug, name, name_en, province, city, domain in progress(INSTITUTES, "institutes"):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            organization = create_institute(
                name=name,
                name_en=name_en,
                slug=slug,
                province=province,
                city=city,
                contact_email=f"tto@{domain}.example.com",
                website=f"https://{domain}.example.com",
                bank_details=f"{name} · 中国工商银行 {city}分行 · 账号 6222 0000 {zlib.crc32(slug.encode()) % 10000:04d}",  # noqa: E501
            )
        else:
            announce_institute(organization)  # seeded again: the CMS repairs what is missing
        people = [("tto", Role.TTO_OFFICER)]
        if slug in STAFFED_INSTITUTES:
            people += [("researcher", Role.RESEARCHER), ("manager", Role.FACILITY_MANAGER)]
        for local, role in people:
            email = f"{local}@{domain}.example.com"
            user = demo_user(email, *demo_name(email))
            add_membership(user, organization, role)

    for row in progress(ENTERPRISES, "enterprises"):
        slug, name, name_en, size, city, province, code, special, giant, domain = row
        organization, _ = Organization.objects.get_or_create(
            slug=slug,
            defaults={
                "kind": Organization.Kind.ENTERPRISE,
                "name": name,
                "name_en": name_en,
                "size_class": size,
                "city": city,
                "province": province,
                "credit_code": code,
                "specialised_innovative": special,
                "little_giant": giant,
                "contact_email": f"buyer@{domain}.example.com",
            },
        )
        email = f"buyer@{domain}.example.com"
        user = demo_user(email, *demo_name(email), language="zh-hans")
        add_membership(user, organization, Role.BUYER)
