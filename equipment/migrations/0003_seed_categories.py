"""The starting instrument categories (editors change them as a snippet afterwards)."""

from django.db import migrations

CATEGORIES = [
    ("electron-optics", "电子光学仪器", "Electron optics"),
    ("mass-spectrometry", "质谱仪器", "Mass spectrometry"),
    ("x-ray", "X射线仪器", "X-ray instruments"),
    ("spectroscopy", "光谱仪器", "Spectroscopy"),
    ("chromatography", "色谱仪器", "Chromatography"),
    ("nmr-epr", "波谱仪器（核磁/顺磁）", "NMR and EPR"),
    ("electrochemistry", "电化学仪器", "Electrochemistry"),
    ("microscopy", "显微镜及图像分析仪器", "Microscopy and image analysis"),
    ("thermal-analysis", "热分析仪器", "Thermal analysis"),
    ("biochemical-separation", "生化分离分析仪器", "Biochemical separation"),
    ("physical-property", "物性测试仪器", "Physical property testing"),
    ("metrology", "计量仪器", "Metrology"),
    ("electronic-measurement", "电子测量仪器", "Electronic measurement"),
    ("marine", "海洋仪器", "Marine instruments"),
    ("earth-exploration", "地球探测仪器", "Earth exploration"),
    ("atmospheric-sounding", "大气探测仪器", "Atmospheric sounding"),
    ("special-inspection", "特种检测仪器", "Special inspection"),
    ("medical-research", "医学科研仪器", "Medical research"),
    ("nuclear", "核仪器", "Nuclear instruments"),
    ("lasers", "激光器", "Lasers"),
    ("process-testing", "工艺试验仪器", "Process testing"),
    ("computing", "计算机及其配套设备", "Computing and its equipment"),
    ("other", "其他仪器", "Other"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("equipment", "InstrumentCategory")
    for order, (slug, name, name_en) in enumerate(CATEGORIES):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "sort_order": order})


def unseed(apps, schema_editor):
    Category = apps.get_model("equipment", "InstrumentCategory")
    Category.objects.filter(slug__in=[c[0] for c in CATEGORIES], instruments__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("equipment", "0002_booking_exclusion_constraint")]

    operations = [migrations.RunPython(seed, unseed)]
