"""Booking units (hour, day, month, access): the resource's unit, buffers and seats; each booking's unit,
seats and blocked range (start less the set-up buffer, end plus the cleaning buffer; the start and end of
every existing booking).

On PostgreSQL the exclusion constraint of 0002 moves to the blocked range and leaves out access periods
(shared: their seats are counted under the instrument's lock). SQLite has no exclusion constraint; the
booking services check under BEGIN IMMEDIATE there. The migration state is the same on both.
"""

import django.core.validators
from django.conf import settings
from django.db import migrations, models


ACTIVE = "('requested', 'approved', 'confirmed', 'completed')"
CONSTRAINT = "equipment_booking_no_overlap"


def backfill_blocked(apps, schema_editor):
    Booking = apps.get_model("equipment", "Booking")
    Booking.objects.filter(blocked_start__isnull=True).update(blocked_start=models.F("start"))
    Booking.objects.filter(blocked_end__isnull=True).update(blocked_end=models.F("end"))


def _exclusion(schema_editor, columns, condition):
    schema_editor.execute(f"ALTER TABLE equipment_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    schema_editor.execute(
        f"ALTER TABLE equipment_booking ADD CONSTRAINT {CONSTRAINT} "
        f"EXCLUDE USING gist (instrument_id WITH =, tstzrange({columns}, '[)') WITH &&) "
        f"WHERE ({condition})"
    )


def blocked_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _exclusion(schema_editor, "blocked_start, blocked_end", f"status IN {ACTIVE} AND unit <> 'access'")


def start_end_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _exclusion(schema_editor, 'start, "end"', f"status IN {ACTIVE}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_names_visible_lookalike_flag'),
        ('equipment', '0011_usage'),
        ('wagtailimages', '0027_image_description'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='blocked_end',
            field=models.DateTimeField(null=True, verbose_name='blocked until'),
        ),
        migrations.AddField(
            model_name='booking',
            name='blocked_start',
            field=models.DateTimeField(null=True, verbose_name='blocked from'),
        ),
        migrations.AddField(
            model_name='booking',
            name='seats',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='seats'),
        ),
        migrations.AddField(
            model_name='booking',
            name='unit',
            field=models.CharField(choices=[('hour', 'By the hour'), ('day', 'By the day (campaigns)'), ('month', 'By the month (lease)'), ('access', 'Access period with seats')], default='hour', max_length=8, verbose_name='booking unit'),
        ),
        migrations.RunPython(backfill_blocked, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='booking',
            name='blocked_end',
            field=models.DateTimeField(verbose_name='blocked until'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='blocked_start',
            field=models.DateTimeField(verbose_name='blocked from'),
        ),
        migrations.RunPython(blocked_exclusion, start_end_exclusion),
        migrations.AddField(
            model_name='instrumentpage',
            name='booking_unit',
            field=models.CharField(choices=[('hour', 'By the hour'), ('day', 'By the day (campaigns)'), ('month', 'By the month (lease)'), ('access', 'Access period with seats')], default='hour', max_length=8, verbose_name='booking unit'),
        ),
        migrations.AddField(
            model_name='instrumentpage',
            name='cleanup_buffer_hours',
            field=models.PositiveSmallIntegerField(default=0, help_text='Day unit: hours after a campaign in which no other campaign may run.', validators=[django.core.validators.MaxValueValidator(168)], verbose_name='cleaning buffer (hours)'),
        ),
        migrations.AddField(
            model_name='instrumentpage',
            name='max_units',
            field=models.PositiveSmallIntegerField(default=30, help_text='For the day, month and access units.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(366)], verbose_name='longest booking (days or months)'),
        ),
        migrations.AddField(
            model_name='instrumentpage',
            name='min_units',
            field=models.PositiveSmallIntegerField(default=1, help_text='For the day, month and access units.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(366)], verbose_name='shortest booking (days or months)'),
        ),
        migrations.AddField(
            model_name='instrumentpage',
            name='seats',
            field=models.PositiveSmallIntegerField(default=1, help_text='Access unit: how many bookers may hold access at the same time.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1000)], verbose_name='seats'),
        ),
        migrations.AddField(
            model_name='instrumentpage',
            name='setup_buffer_hours',
            field=models.PositiveSmallIntegerField(default=0, help_text='Day unit: hours before a campaign in which no other campaign may run.', validators=[django.core.validators.MaxValueValidator(168)], verbose_name='set-up buffer (hours)'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(('blocked_end__gte', models.F('end')), ('blocked_start__lte', models.F('start')), ('seats__gte', 1), models.Q(('unit', 'access'), ('seats', 1), _connector='OR'), ('unit__in', ['hour', 'day', 'month', 'access'])), name='equipment_booking_blocked_and_seats'),
        ),
        migrations.AddConstraint(
            model_name='instrumentpage',
            constraint=models.CheckConstraint(condition=models.Q(('booking_unit__in', ['hour', 'day', 'month', 'access']), ('cleanup_buffer_hours__lte', 168), ('max_units__gte', models.F('min_units')), ('max_units__lte', 366), ('min_units__gte', 1), ('seats__gte', 1), ('seats__lte', 1000), ('setup_buffer_hours__lte', 168), models.Q(('booking_unit', 'access'), ('seats', 1), _connector='OR')), name='equipment_booking_unit_valid'),
        ),
    ]
