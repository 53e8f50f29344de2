from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "eloket.petitions"
    verbose_name = "Petitions"

    def ready(self) -> None:
        # Catalogue entries, the answer case's handler, the signers' e-mails, the job.
        from eloket.petitions import (  # noqa: F401
            catalogue,
            handler,
            jobs,
            notify,
            signals,
        )
