"""PostgreSQL: a GIN index on `title || body` of Wagtail's search index.

Wagtail's database search backend matches `(title || body) @@ query`, an expression neither of its own GIN
indexes (one on `title`, one on `body`) can serve, so every search read the whole index for the model:
200 ms for a word with no match among 100,000 instruments, 7 ms with this index (bench/RESULTS.md).
SQLite keeps its own full-text tables and needs nothing.
"""

from django.db import migrations

INDEX = "core_search_title_body_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailsearch_indexentry USING gin ((title || body))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("wagtailsearch", "0010_add_text_fields")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
