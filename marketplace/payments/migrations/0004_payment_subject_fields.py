from django.db import migrations, models


class Migration(migrations.Migration):
    """First step from the two foreign keys (booking, agreement) to a generic subject (kind, id)."""

    dependencies = [
        ("payments", "0003_outbox_and_iso_currencies"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="subject_kind",
            field=models.CharField(default="", max_length=32, verbose_name="paid for (kind)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="subject_id",
            field=models.PositiveBigIntegerField(null=True, verbose_name="paid for (id)"),
        ),
        migrations.RemoveConstraint(model_name="payment", name="payments_payment_for_one_subject"),
        migrations.RemoveConstraint(model_name="payment", name="payments_one_live_payment_per_booking"),
        migrations.RemoveConstraint(model_name="payment", name="payments_one_live_payment_per_agreement"),
    ]
