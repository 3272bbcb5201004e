"""On PostgreSQL the database itself refuses overlapping active bookings of one instrument.

The operation runs only on PostgreSQL (SQLite serialises the booking service with BEGIN IMMEDIATE
instead), so the migration state is the same on both and `makemigrations --check` stays clean.
"""

from django.db import migrations

ACTIVE = "('requested', 'approved', 'confirmed', 'completed')"
CONSTRAINT = "equipment_booking_no_overlap"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE equipment_booking ADD CONSTRAINT {CONSTRAINT} "
        f"EXCLUDE USING gist (instrument_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE})"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE equipment_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("equipment", "0001_initial")]

    operations = [migrations.RunPython(add_exclusion, drop_exclusion)]
