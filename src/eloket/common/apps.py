from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "eloket.common"

    def ready(self) -> None:
        # The system checks, and the periodic job that writes checkpoints.
        from eloket.common import checkpoints, checks  # noqa: F401
        from eloket.common.ids import register_converters

        # `<id:...>` in the URLconfs (bounded keys), before any URLconf is read.
        register_converters()
        # CSRF secrets and masks drawn in one read of the CSPRNG (common/randomness.py).
        from django.middleware import csrf

        from eloket.common.randomness import mask_cipher_secret, random_string

        csrf.get_random_string = random_string  # type: ignore[attr-defined]
        csrf._mask_cipher_secret = mask_cipher_secret  # type: ignore[attr-defined]
