"""The categories' tree key (`Category.tree_key`): the admin's tree order as one text,
filled by migration 0005 and indexed by 0006."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_admin_ranking_indexes")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="tree_key",
            field=models.TextField(default="", editable=False),
        ),
    ]
