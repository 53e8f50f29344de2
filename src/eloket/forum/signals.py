"""A topic's attachments and expert opinions are part of its page: writing one touches the
topic's `updated_at`, so that the page kept for visitors (views._page_key) is made anew."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from eloket.forum.models import Attachment, ExpertOpinion, Topic


def topic_touch(instance: Attachment | ExpertOpinion, **_signal: Any) -> None:
    Topic.objects.filter(pk=instance.topic_id).update(updated_at=timezone.now())


for part in (Attachment, ExpertOpinion):
    post_save.connect(
        topic_touch, sender=part, dispatch_uid=f"forum-topic-touch-save-{part.__name__}"
    )
    post_delete.connect(
        topic_touch, sender=part, dispatch_uid=f"forum-topic-touch-delete-{part.__name__}"
    )
