from typing import Any

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantOwnedModel(models.Model):
    """A row that belongs to one municipality. Selectors always filter on `municipality`."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="+", db_index=True
    )

    class Meta:
        abstract = True


class ChainHead(models.Model):
    """The end of one hash chain (see common/chain.py)."""

    chain = models.CharField(max_length=80, primary_key=True)
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain} ({self.length})"


class AppendOnlyModel(models.Model):
    """Rows that are written once: no update, no delete through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} entries are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{type(self).__name__} entries are append-only")


class ScheduleMark(models.Model):
    """When a periodic job last ran (e.g. the daily digest), shared by all workers."""

    name = models.CharField(max_length=60, primary_key=True)
    last_run = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run:%Y-%m-%d %H:%M}"


class ActedBy(models.Model):
    """Who made a step of a history (a case's timeline, a document's status, a petition's
    or a topic's): the kind of actor, how they are named, and their user if any."""

    actor_kind = models.CharField(max_length=12)
    actor_label = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @staticmethod
    def by(actor: Any) -> dict[str, Any]:
        """The fields for `actor` (an `common.actors.Actor`), to pass to `create`."""
        return {
            "actor_kind": str(actor.kind),
            "actor_label": actor.label[:200],
            "actor_user_id": actor.user_id,
        }
