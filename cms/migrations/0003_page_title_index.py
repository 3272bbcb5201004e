"""An index on the page title, which the browse pages sort by ("Name"). Wagtail does not index the title;
without it, PostgreSQL sorts every live page to show the first twenty (300 ms at 100,000 instruments,
1 ms with the index, see bench/RESULTS.md)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cms", "0002_create_homepage"), ("wagtailcore", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS cms_page_title_idx ON wagtailcore_page (title)",
            "DROP INDEX IF EXISTS cms_page_title_idx",
        )
    ]
