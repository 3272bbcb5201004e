from django.db import migrations

FIELDS = [
    ("new-materials", "新材料", "New materials"),
    ("advanced-manufacturing", "高端装备制造", "Advanced manufacturing and equipment"),
    ("electronics", "电子信息", "Electronics and information"),
    ("ai-software", "人工智能与软件", "AI and software"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("medical-devices", "医疗器械", "Medical devices"),
    ("new-energy", "新能源", "New energy"),
    ("environment", "节能环保", "Energy saving and environmental protection"),
    ("chemicals", "化学化工", "Chemistry and chemical engineering"),
    ("agriculture", "现代农业", "Modern agriculture"),
    ("marine", "海洋工程", "Marine engineering"),
    ("transport", "交通运输", "Transport and vehicles"),
]


def seed(apps, schema_editor):
    TechnologyField = apps.get_model("ip_listings", "TechnologyField")
    for order, (slug, name, name_en) in enumerate(FIELDS):
        TechnologyField.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("ip_listings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
