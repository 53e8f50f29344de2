from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_timestamps"),
    ]

    operations = [
        migrations.AddField(
            model_name="messagelogentry",
            name="xml",
            field=models.BinaryField(blank=True, default=b""),
        ),
    ]
