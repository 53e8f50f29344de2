"""Replies stop counting as opinions (issue 11, point 9): each topic's opinion counter is
set again to its published opinions that are not replies."""

from django.db import migrations
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def recount(apps, schema_editor):
    Topic = apps.get_model("forum", "Topic")
    Opinion = apps.get_model("forum", "Opinion")
    published = (
        Opinion.objects.filter(topic=OuterRef("pk"), parent__isnull=True)
        .filter(Q(state="published"))
        .values("topic")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Topic.objects.update(opinion_count=Coalesce(Subquery(published), 0))


class Migration(migrations.Migration):
    dependencies = [("forum", "0003_analysis_by_the_worker")]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop, elidable=True)]
