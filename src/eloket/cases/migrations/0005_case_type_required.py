import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_cases_onto_the_engine")]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="case_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="cases.casetype",
            ),
        ),
    ]
