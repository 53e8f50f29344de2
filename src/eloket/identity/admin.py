"""Admin pages of municipalities, officers and their roles (scoped per municipality)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.audit.models import AuditEvent
from eloket.common.forms import BoundedJSONField
from eloket.common.registry import REGISTRIES
from eloket.identity.admin_site import administered_municipalities
from eloket.identity.models import Officer, OfficerRole
from eloket.tenants.models import LOGO_TYPES, Municipality, PluginSetting


class ScopedToMunicipality:
    """Rows of the municipalities the user administers (all for the platform operator)."""

    municipality_field = "municipality"

    def _allowed(self, request: HttpRequest) -> QuerySet[Municipality]:
        return administered_municipalities(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.municipality_field}__in": self._allowed(request)}).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def _may(self, request: HttpRequest, obj: Any) -> bool:
        allowed = self._allowed(request)
        if obj is None:
            return allowed.exists()
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "municipality":
            kwargs["queryset"] = self._allowed(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class MunicipalityForm(forms.ModelForm):
    logo_upload = forms.FileField(
        required=False, help_text=_("SVG, PNG or WebP, at most 20 KB. Leave empty to keep.")
    )
    remove_logo = forms.BooleanField(required=False)

    class Meta:
        model = Municipality
        fields = [
            "slug",
            "names",
            "country",
            "nis_code",
            "languages",
            "host",
            "primary_colour",
            "secondary_colour",
            "font_stack",
            "custom_css",
            "contact_email",
            "contact_phone",
            "contact_address",
            "website",
            "modules",
            "is_active",
        ]

    def clean_logo_upload(self) -> Any:
        upload = self.cleaned_data.get("logo_upload")
        if upload and upload.content_type not in LOGO_TYPES:
            raise forms.ValidationError(_("The logo must be SVG, PNG or WebP."))
        return upload

    def save(self, commit: bool = True) -> Municipality:
        municipality: Municipality = super().save(commit=False)
        upload = self.cleaned_data.get("logo_upload")
        if upload:
            municipality.logo = upload.read()
            municipality.logo_content_type = upload.content_type
        elif self.cleaned_data.get("remove_logo"):
            municipality.logo = b""
            municipality.logo_content_type = ""
        if commit:
            municipality.full_clean()
            municipality.save()
        return municipality


@admin.register(Municipality)
class MunicipalityAdmin(ScopedToMunicipality, admin.ModelAdmin):
    form = MunicipalityForm
    municipality_field = "pk"
    list_display = ["slug", "__str__", "country", "nis_code", "is_active"]
    search_fields = ["slug", "nis_code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Municipality]:
        qs = Municipality.objects.all()
        return qs if request.user.is_superuser else qs.filter(pk__in=self._allowed(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Identity of a municipality is the operator's business; branding is the municipality's.
        if request.user.is_superuser:
            return []
        return ["slug", "country", "nis_code", "host", "is_active"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: requests and logs refer to it


class OfficerRoleInline(admin.TabularInline):
    model = OfficerRole
    fk_name = "user"
    extra = 1
    fields = ["municipality", "role", "department"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfficerRole]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(municipality__in=administered_municipalities(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "municipality":
            kwargs["queryset"] = administered_municipalities(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administered_municipalities(request).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administered_municipalities(request).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administered_municipalities(request).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administered_municipalities(request).exists()


class OfficerForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Set a new password (at least 12 characters). Leave empty to keep."),
    )

    class Meta:
        model = Officer
        fields = ["username", "first_name", "last_name", "email", "is_active"]

    def clean_new_password(self) -> str:
        password = self.cleaned_data.get("new_password") or ""
        if password and len(password) < 12:
            raise forms.ValidationError(_("Use at least 12 characters."))
        if not password and not self.instance.pk:
            raise forms.ValidationError(_("A new officer needs a password."))
        return password

    def save(self, commit: bool = True) -> Officer:
        officer: Officer = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            officer.set_password(self.cleaned_data["new_password"])
        if commit:
            officer.save()
        return officer


@admin.register(Officer)
class OfficerAdmin(ScopedToMunicipality, admin.ModelAdmin):
    """Officers of the municipalities one administers. An officer working for another
    municipality too can be given or taken roles here, but their account (name,
    password, active) is changed only by an administrator of all their municipalities."""

    form = OfficerForm
    inlines = [OfficerRoleInline]
    municipality_field = "officer_roles__municipality"
    list_display = ["username", "first_name", "last_name", "is_active"]
    search_fields = ["username", "first_name", "last_name"]
    actions = ["reset_authenticator"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Officer]:
        if request.user.is_superuser:
            # One query: `distinct() | filter()` raised "Cannot combine a unique query with
            # a non-unique query" (a 500 on every officer page of the operator).
            return Officer.objects.filter(
                Q(officer_roles__isnull=False) | Q(is_superuser=True)
            ).distinct()
        return Officer.objects.filter(
            officer_roles__isnull=False, officer_roles__municipality__in=self._allowed(request)
        ).distinct()

    def _wholly_theirs(self, request: HttpRequest, officer: Any) -> bool:
        """Whether every role of the officer is in a municipality the user administers:
        only then is the account (name, password, authenticator) theirs to change."""
        if request.user.is_superuser:
            return True
        allowed = set(self._allowed(request).values_list("pk", flat=True))
        return set(officer.officer_roles.values_list("municipality_id", flat=True)) <= allowed

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None or self._wholly_theirs(request, obj):
            return []
        return ["username", "first_name", "last_name", "email", "is_active"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None and not self._wholly_theirs(request, obj):
            # Someone else's account too: no password field at all.
            form = super().get_form(request, obj, change, **kwargs)
            form.base_fields.pop("new_password", None)
            return form
        return super().get_form(request, obj, change, **kwargs)

    @admin.action(description=_("Reset the authenticator (the officer sets it up again)"))
    def reset_authenticator(self, request: HttpRequest, queryset: QuerySet[Officer]) -> None:
        officers = [o for o in queryset if self._wholly_theirs(request, o)]
        refused = len(queryset) - len(officers)
        count = TOTPDevice.objects.filter(user__in=officers).delete()[0]
        messages.success(request, _("%(n)d authenticators removed.") % {"n": count})
        if refused:
            messages.warning(
                request,
                _(
                    "%(n)d officers also work for another municipality: their administrators "
                    "together, or the platform operator, reset their authenticator."
                )
                % {"n": refused},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Roles change through the identity services: checked, and in the audit trail."""
        if formset.model is not OfficerRole:
            return super().save_formset(request, form, formset, change)
        from eloket.identity.access import admin_actor
        from eloket.identity.services import officer_role_remove, officer_role_set

        user = form.instance
        roles = formset.save(commit=False)
        for removed in formset.deleted_objects:
            municipality = removed.municipality
            officer_role_remove(
                actor=admin_actor(request, municipality), municipality=municipality, user=user
            )
        for role in roles:
            municipality = role.municipality
            officer_role_set(
                actor=admin_actor(request, municipality),
                municipality=municipality,
                user=user,
                role=role.role,
                department=role.department,
            )
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not form.instance.officer_roles.exists() and not request.user.is_superuser:
            messages.warning(request, _("This officer has no role left in your municipality."))


class PluginSettingForm(forms.ModelForm):
    registry = forms.ChoiceField(choices=())

    class Meta:
        model = PluginSetting
        fields = ["municipality", "registry", "plugin", "enabled", "options"]
        field_classes = {"options": BoundedJSONField}

    def __init__(self, *args: Any, operator: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"].choices = [  # type: ignore[attr-defined]
            (name, registry.description or name)
            for name, registry in sorted(REGISTRIES.items())
            if registry.configurable and (operator or not registry.operator_only)
        ]
        self.fields["plugin"].help_text = "; ".join(
            f"{name}: {', '.join(registry.ids())}"
            for name, registry in sorted(REGISTRIES.items())
            if registry.configurable
        )


@admin.register(PluginSetting)
class PluginSettingAdmin(ScopedToMunicipality, admin.ModelAdmin):
    """A municipality's settings of its integrations (delivery channels, ...), checked
    against each plugin's schema. Identity providers, signers and register backends are
    the platform operator's: an administrator neither sees nor changes them."""

    form = PluginSettingForm
    list_display = ["municipality", "registry", "plugin", "enabled"]
    list_filter = ["registry", "enabled"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        operator = bool(request.user.is_superuser)

        class Scoped(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, operator=operator, **inner)

        return Scoped

    def get_queryset(self, request: HttpRequest) -> QuerySet[PluginSetting]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        hidden = [name for name, r in REGISTRIES.items() if r.operator_only]
        return qs.exclude(registry__in=hidden)


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedToMunicipality, admin.ModelAdmin):
    list_display = ["at", "municipality", "action", "object_ref", "actor_label", "actor_role"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_ref", "actor_label", "action"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).filter(municipality__isnull=False) | (
            AuditEvent.objects.filter(municipality__isnull=True)
            if request.user.is_superuser
            else AuditEvent.objects.none()
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(User) if admin.site.is_registered(User) else None


class BoundedTOTPDeviceAdmin(TOTPDeviceAdmin):
    """django-otp's admin of authenticators, with its two pages of its own (the secret's
    configuration and QR code) taking a bounded key (`<id:pk>`, common/ids.py) and
    answering 404 for a device that does not exist; django-otp's `<int:pk>` and
    `objects.get(pk=pk)` answered 500 for any number that named no device."""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<id:pk>/config/",
                self.admin_site.admin_view(self.config_view),
                name="otp_totp_totpdevice_config",
            ),
            path(
                "<id:pk>/qrcode/",
                self.admin_site.admin_view(self.qrcode_view),
                name="otp_totp_totpdevice_qrcode",
            ),
        ]
        return own + admin.ModelAdmin.get_urls(self)

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not TOTPDevice.objects.filter(pk=pk).exists():
            raise Http404
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not TOTPDevice.objects.filter(pk=pk).exists():
            raise Http404
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, BoundedTOTPDeviceAdmin)
