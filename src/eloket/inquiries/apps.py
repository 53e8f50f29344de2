from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "eloket.inquiries"
    verbose_name = "Public inquiries"
