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


def _refuse_change(model: type[models.Model]) -> PermissionError:
    return PermissionError(f"{model.__name__} entries are append-only")


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Refuses the bulk ways round an instance's save and delete: `update()`, `delete()`,
    `bulk_update()`, `bulk_create(update_conflicts=True)` (an upsert overwrites), their
    async forms (which call these), and the private `_update`/`_raw_delete` a caller might
    reach for next."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[M]:
        if kwargs.get("update_conflicts") or (len(args) > 2 and args[2]):
            raise _refuse_change(self.model)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        raise _refuse_change(self.model)

    def _update(self, values: Any) -> Any:
        raise _refuse_change(self.model)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise _refuse_change(self.model)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse_change(self.model)

    def _raw_delete(self, using: Any) -> int:
        raise _refuse_change(self.model)


class AppendOnlyManager[M: models.Model](models.Manager[M]):
    """`Model.objects` and every related manager (`case.history`) of an append-only model.

    Django's own machinery keeps the plain `_base_manager`, on purpose: deleting a user
    sets the `actor_user` of its history rows to NULL through it (and deleting a case
    takes its timeline along). What gets past the guard anyway (SQL, the base manager) is
    what the hash chains and their checkpoints are for (`common/chain.py`,
    `common/checkpoints.py`)."""

    def get_queryset(self) -> AppendOnlyQuerySet[M]:
        return AppendOnlyQuerySet(self.model, using=self._db)


class AppendOnlyModel(models.Model):
    """Rows that are written once: no update, no delete through the ORM (neither on an
    instance nor on a queryset)."""

    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise _refuse_change(type(self))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise _refuse_change(type(self))


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
