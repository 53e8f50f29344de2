from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "eloket.petitions"
    verbose_name = "Petitions"

    def ready(self) -> None:
        from eloket.petitions import catalogue  # noqa: F401  (catalogue entries)
