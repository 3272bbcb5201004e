"""Bookings by institute users: the organisation booked for (which decides the tier), the internal
charge code, and the enterprise only for enterprise bookings. Existing bookings were all made by
enterprises: each is booked for its enterprise."""

import django.db.models.deletion
from django.db import migrations, models


def booked_for_enterprise(apps, schema_editor):
    Booking = apps.get_model("equipment", "Booking")
    Booking.objects.filter(organization__isnull=True).update(organization=models.F("enterprise"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_names_visible_lookalike_flag"),
        ("equipment", "0008_history_actor_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="charge_code",
            field=models.CharField(blank=True, max_length=64, verbose_name="project or cost-centre code"),
        ),
        migrations.AddField(
            model_name="booking",
            name="organization",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
                verbose_name="booked for",
            ),
        ),
        migrations.RunPython(booked_for_enterprise, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="booking",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
                verbose_name="booked for",
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="enterprise",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bookings",
                to="accounts.organization",
                verbose_name="enterprise",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("enterprise__isnull", False), ("organization", models.F("enterprise")), ("tier", "enterprise")
                    ),
                    models.Q(
                        ("enterprise__isnull", True),
                        ("organization", models.F("institute")),
                        ("tier", "internal"),
                        models.Q(("charge_code", ""), _negated=True),
                    ),
                    models.Q(
                        ("enterprise__isnull", True),
                        ("tier", "academic"),
                        models.Q(("organization", models.F("institute")), _negated=True),
                        models.Q(("charge_code", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="equipment_booking_tier_follows_organization",
            ),
        ),
    ]
