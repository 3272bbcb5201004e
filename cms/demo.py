"""Demo content for the home page and institute pages."""

from .models import HomePage, InstitutePage
from .services import institute_index

HOME_INTRO = (
    "科研院所以成本补偿、非盈利原则向社会开放大型仪器与中试设施，"
    "并向中小企业转移专利、软件与技术秘密，助力精益创业、带动就业。"
)
HOME_INTRO_EN = (
    "Research institutes open their large instruments and pilot facilities to society at cost-recovery "
    "prices and transfer patents, software and know-how to small and medium enterprises."
)


def seed(progress):
    home = HomePage.objects.first()
    if home and not home.intro:
        home.title = "科技成果转化与共享仪器平台"
        home.title_en = "Technology Transfer & Shared Instruments"
        home.intro = HOME_INTRO
        home.intro_en = HOME_INTRO_EN
        home.save_revision().publish()
    institute_index()
    for page in progress(list(InstitutePage.objects.select_related("organization")), "institute pages"):
        if not page.summary:
            org = page.organization
            page.summary = f"{org.name}面向社会开放共享大型科研仪器，并推动科技成果向中小企业转移转化。"
            page.summary_en = (
                f"{org.name_en or org.name} opens its large research instruments to society and transfers "
                "its research results to small and medium enterprises."
            )
            page.save_revision().publish()
