from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "eloket.messaging"
    label = "messaging"
    verbose_name = "Messaging with the national registries"
