"""A municipality administrator sets its petition rules: co-initiators, minimum age,
signing period, threshold (a number or a percentage of eligible residents) and the
answer deadline (scoped to their own municipality)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from eloket.identity.admin import ScopedToMunicipality
from eloket.petitions.models import PetitionRules


@admin.register(PetitionRules)
class PetitionRulesAdmin(ScopedToMunicipality, admin.ModelAdmin):
    list_display = [
        "municipality",
        "threshold_kind",
        "threshold_value",
        "min_coinitiators",
        "min_age",
        "signing_days",
        "answer_days",
    ]
    fields = [
        "municipality",
        "min_coinitiators",
        "min_age",
        "signing_days",
        "threshold_kind",
        "threshold_value",
        "answer_days",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["municipality"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the defaults apply again only by editing; petitions keep their rules
