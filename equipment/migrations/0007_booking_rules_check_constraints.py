import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    """Added after 0006 brought existing rules into bounds, in a transaction of its own."""

    dependencies = [
        ("equipment", "0006_bound_booking_rules"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='instrumentpage',
            constraint=models.CheckConstraint(condition=models.Q(('cancellation_window_hours__gte', 0), ('cancellation_window_hours__lte', 720), ('horizon_days__gte', 1), ('horizon_days__lte', 730), ('max_booking_minutes__lte', 1440), ('min_booking_minutes__gte', 15), ('min_notice_hours__gte', 0), ('min_notice_hours__lt', django.db.models.expressions.CombinedExpression(models.F('horizon_days'), '*', models.Value(24))), ('min_notice_hours__lte', 720), ('slot_minutes__in', (15, 30, 60, 120, 240))), name='equipment_booking_rules_bounded'),
        ),
        migrations.AddConstraint(
            model_name='instrumentpage',
            constraint=models.CheckConstraint(condition=models.Q(('planned_hours_per_year__lte', 8784), ('service_life_years__lte', 100)), name='equipment_cost_model_bounded'),
        ),
    ]
