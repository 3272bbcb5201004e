from django.db import migrations, models


class Migration(migrations.Migration):
    """Last step: the payment names its subject by (kind, id) only; one live payment per subject."""

    dependencies = [
        ("payments", "0005_copy_payment_subjects"),
    ]

    operations = [
        migrations.RemoveField(model_name="payment", name="booking"),
        migrations.RemoveField(model_name="payment", name="agreement"),
        migrations.AlterField(
            model_name="payment",
            name="subject_id",
            field=models.PositiveBigIntegerField(verbose_name="paid for (id)"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["subject_kind", "subject_id"], name="payments_subject"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(condition=~models.Q(subject_kind=""), name="payments_payment_has_subject"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=~models.Q(status="cancelled"),
                fields=("subject_kind", "subject_id"),
                name="payments_one_live_payment_per_subject",
            ),
        ),
    ]
