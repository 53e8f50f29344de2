"""A municipality administrator sets fees, languages, channels, who may order, and whether
a certificate is issued at once (scoped to their own municipality)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from eloket.certificates.models import (
    DOCUMENT_LANGUAGES,
    CertificateType,
    Delivery,
    Requester,
)
from eloket.identity.admin import ScopedToMunicipality


class CertificateTypeForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        choices=[(code, code) for code in DOCUMENT_LANGUAGES], widget=forms.CheckboxSelectMultiple
    )
    delivery_channels = forms.MultipleChoiceField(
        choices=Delivery.choices, widget=forms.CheckboxSelectMultiple
    )
    requesters = forms.MultipleChoiceField(
        choices=Requester.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CertificateType
        fields = [
            "municipality",
            "code",
            "enabled",
            "fee_cents",
            "currency",
            "languages",
            "delivery_channels",
            "requesters",
            "subject_state",
            "instant",
            "processing_days",
        ]


@admin.register(CertificateType)
class CertificateTypeAdmin(ScopedToMunicipality, admin.ModelAdmin):
    form = CertificateTypeForm
    list_display = ["__str__", "municipality", "enabled", "fee_cents", "instant", "processing_days"]
    list_filter = ["enabled", "instant", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["municipality", "code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders refer to it; switch it off instead
