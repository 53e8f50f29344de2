from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "eloket.tenants"
    verbose_name = "Municipalities"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from eloket.tenants import jobs  # noqa: F401 (its periodic job)
        from eloket.tenants.invalidation import tenant_change_announce
        from eloket.tenants.models import Municipality
        from eloket.tenants.selectors import municipality_cache_clear

        # Any write to a municipality, by a service or the admin, drops this process's
        # cached tenants, and the other processes' once it commits (through Redis; else
        # they see it within TENANT_CACHE_SECONDS).
        def forget(**kwargs: object) -> None:
            municipality_cache_clear()
            tenant_change_announce()

        post_save.connect(forget, sender=Municipality, weak=False, dispatch_uid="tenant-cache")
        post_delete.connect(forget, sender=Municipality, weak=False, dispatch_uid="tenant-cache-d")
