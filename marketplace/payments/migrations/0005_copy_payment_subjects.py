from django.db import migrations
from django.db.models import F

# The kinds equipment and ip_listings register (equipment/payable.py, ip_listings/payable.py).
OLD_FIELDS = (("booking", "booking"), ("agreement", "agreement"))


def forwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    for field, kind in OLD_FIELDS:
        Payment.objects.filter(**{f"{field}__isnull": False}).update(subject_kind=kind, subject_id=F(f"{field}_id"))


def backwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    for field, kind in OLD_FIELDS:
        Payment.objects.filter(subject_kind=kind).update(**{f"{field}_id": F("subject_id")})


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_payment_subject_fields"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
