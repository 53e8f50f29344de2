"""Admin pages of municipalities, officers and their roles (scoped per municipality)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.audit.models import AuditEvent
from eloket.common.errors import ApplicationError
from eloket.common.forms import (
    LANGUAGE_NAMES,
    BoundedJSONField,
    ColourField,
    PerLanguageField,
)
from eloket.common.registry import REGISTRIES
from eloket.common.uploads import upload_limit
from eloket.identity.access import admin_actor
from eloket.identity.admin_site import administered_municipalities
from eloket.identity.models import Officer, OfficerRole
from eloket.register.selectors import register_counts
from eloket.register.services import ImportRejected, register_import_upload
from eloket.tenants.chrome import chrome_parts_of, host_names_of, report_lines
from eloket.tenants.models import (
    LOGO_TYPES,
    SUPPORTED_LANGUAGES,
    HostChrome,
    Module,
    Municipality,
    PluginSetting,
)
from eloket.tenants.services import (
    host_chrome_fetch,
    host_chrome_refresh,
    host_chrome_set,
    host_chrome_switch,
    municipality_tokens_import,
)
from eloket.tenants.tokens import BY_NAME, IN_JSON, TokenError, clean_value
from eloket.tenants.tokens import Token as DesignToken


def token_field_name(token: DesignToken) -> str:
    """The form field of a design token kept in the `tokens` JSON: token_colour_link."""
    return "token_" + token.name.replace(".", "_").replace("-", "_")


def _token_form_field(token: DesignToken) -> forms.Field:
    if token.kind == "colour":
        return ColourField(label=token.label, help_text=token.help, required=False)
    return forms.CharField(
        label=token.label, help_text=token.help, required=False, max_length=FIELD_MAX
    )


FIELD_MAX = 40


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


def _language_choices() -> list[tuple[str, str]]:
    return [(code, f"{LANGUAGE_NAMES.get(code, code)} ({code})") for code in SUPPORTED_LANGUAGES]


# A file of half a million bad lines is not a page of half a million rows: the first
# problems show where the file went wrong (the command line lists them all).
REPORT_ROWS = 1000
REGISTER_UPLOAD_HINT = _("A larger file goes through `eloket register import` on the server.")


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Register file"),
        help_text=_(
            "CSV or JSON, in the format of `eloket register import` (docs/register-import.md). "
            "A file with any problem imports nothing; every problem is listed with its line."
        ),
    )


class OriginsField(forms.CharField):
    """A list of origins typed one per line (or separated by spaces); each is checked by
    `Municipality.clean()`, which names the one it refuses."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [part for part in str(value or "").split() if part]


class MunicipalityForm(forms.ModelForm):
    """A municipality without JSON or hex codes to type (issue 11, point 8): its name in a
    box per language, its languages and modules as checkboxes, its colours with the
    browser's colour picker (no JavaScript needed). Everything is saved into the model's
    fields as before, and checked by `Municipality.clean()`."""

    names = PerLanguageField(
        label=_("Official name"),
        help_text=_("In each language the municipality offers; at least in its default one."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=_language_choices,
        help_text=_("Pages open in it when the visitor's browser asks for none of the others."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages offered"),
        choices=_language_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The default language is always offered."),
    )
    modules = forms.MultipleChoiceField(
        label=_("Modules"),
        choices=Module.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A module that is off does not exist for this municipality."),
    )
    primary_colour = ColourField(
        label=_("Main colour"),
        help_text=_("Buttons and the page header; white text must be readable on it."),
    )
    secondary_colour = ColourField(label=_("Panel colour"), help_text=_("Behind boxes and panels."))
    logo_upload = forms.FileField(
        required=False, help_text=_("SVG, PNG or WebP, at most 20 KB. Leave empty to keep.")
    )
    remove_logo = forms.BooleanField(required=False)
    frame_origins = OriginsField(
        label=_("Sites that may show these pages in a frame"),
        required=False,
        help_text=_(
            "One per line, e.g. https://www.gent.be: the sites where the embed.js snippet "
            "is pasted. Leave empty to let no site frame the pages."
        ),
    )

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
            "frame_origins",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = [c for c in (self.instance.languages or []) if c in SUPPORTED_LANGUAGES]
        if offered:
            self.fields["default_language"].initial = offered[0]
            self.fields["languages"].initial = offered
        else:  # a new one: the default is offered, other languages are the operator's choice
            self.fields["default_language"].initial = settings.LANGUAGE_CODE
        if not self.instance.pk:
            self.fields["modules"].initial = list(Module.values)
        else:
            self.fields["modules"].initial = list(self.instance.modules or [])
        self._token_initial()

    def _token_initial(self) -> None:
        look = self.instance.look
        for token in IN_JSON:
            self.fields[token_field_name(token)].initial = look[token.name]

    def _clean_token(self, token: DesignToken) -> str:
        value = self.cleaned_data.get(token_field_name(token)) or ""
        if not value:
            return ""
        try:
            return clean_value(token, value)
        except TokenError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def _post_clean(self) -> None:
        # The design tokens into the model's `tokens` before the model checks the look
        # (types and contrast, Municipality.clean): a token left as it was stays as it was
        # (the link colour keeps following the main colour); an emptied one goes back to
        # its default.
        stored = self.instance.tokens if isinstance(self.instance.tokens, dict) else {}
        tokens = dict(stored)
        for token in IN_JSON:
            name = token_field_name(token)
            if name not in self.changed_data or name in self.errors:
                continue
            try:
                value = self._clean_token(token)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if value and value != token.default:
                tokens[token.name] = value
            else:
                tokens.pop(token.name, None)
        self.instance.tokens = tokens
        super()._post_clean()  # type: ignore[misc]

    def _update_errors(self, errors: Any) -> None:
        # A look's error names its token (code token:<name>): show it at that token's field.
        if not hasattr(errors, "error_dict"):
            return super()._update_errors(errors)  # type: ignore[misc]
        placed: dict[str, list[forms.ValidationError]] = {}
        for field, field_errors in errors.error_dict.items():
            for message in field_errors:
                target = field
                code = getattr(message, "code", "") or ""
                token = (
                    BY_NAME.get(code.removeprefix("token:")) if code.startswith("token:") else None
                )
                if token is not None:
                    target = token.column if token.column != "tokens" else token_field_name(token)
                if target not in self.fields:
                    target = NON_FIELD_ERRORS
                placed.setdefault(target, []).append(message)
        return super()._update_errors(forms.ValidationError(placed))  # type: ignore[misc]

    def clean_logo_upload(self) -> Any:
        upload = self.cleaned_data.get("logo_upload")
        if upload and upload.content_type not in LOGO_TYPES:
            raise forms.ValidationError(_("The logo must be SVG, PNG or WebP."))
        return upload

    def clean_modules(self) -> list[str]:
        chosen = set(self.cleaned_data.get("modules") or [])
        return [m for m in Module.values if m in chosen]  # in the platform's order

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default = data.get("default_language")
        if default and "languages" in self.fields:
            # The default first; the others in the order the municipality had them, new
            # ones after in the platform's order (the order of the language switch).
            chosen = set(data.get("languages") or []) | {default}
            before = [c for c in (self.instance.languages or []) if c in chosen]
            rest = [c for c in before + list(SUPPORTED_LANGUAGES) if c != default]
            data["languages"] = [default, *dict.fromkeys(c for c in rest if c in chosen)]
            names = data.get("names")
            if isinstance(names, dict) and names and default not in names:
                self.add_error(
                    "names",
                    _("Give the name in %(language)s, the default language.")
                    % {"language": LANGUAGE_NAMES.get(default, default)},
                )
        return data

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


# A field per design token kept in the `tokens` JSON, declared on the class so that the
# admin's fieldsets may name them.
for _token in IN_JSON:
    MunicipalityForm.base_fields[token_field_name(_token)] = _token_form_field(_token)
    MunicipalityForm.declared_fields[token_field_name(_token)] = _token_form_field(_token)


class TokensUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tokens file"),
        help_text=_(
            "A Style Dictionary or NL Design System tokens file (JSON, at most 256 KB). "
            "The names Eloket knows are applied over the current look (docs/theming.md)."
        ),
    )


class HostChromeForm(forms.Form):
    url = forms.URLField(
        label=_("Template page"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "A page of the municipality's own site with one element marked "
            "data-eloket-content, where Eloket's content goes."
        ),
    )
    keep_host_scripts = forms.BooleanField(
        label=_("Keep the host's scripts"),
        required=False,
        help_text=_(
            "Only on the municipality's own host name, never on log-in, officer or admin pages."
        ),
    )


@admin.register(Municipality)
class MunicipalityAdmin(ScopedToMunicipality, admin.ModelAdmin):
    form = MunicipalityForm
    change_form_template = "admin/tenants/municipality/change_form.html"
    municipality_field = "pk"
    list_display = ["slug", "__str__", "country", "nis_code", "is_active"]
    search_fields = ["slug", "nis_code"]
    fieldsets = [
        (None, {"fields": ["slug", "names", "country", "nis_code", "host", "is_active"]}),
        (_("Languages and modules"), {"fields": ["default_language", "languages", "modules"]}),
        (
            _("Look"),
            {
                "fields": [
                    "primary_colour",
                    "token_colour_primary_text",
                    "secondary_colour",
                    "token_colour_text",
                    "token_colour_background",
                    "token_colour_link",
                    "token_colour_focus",
                    "font_stack",
                    "token_space_unit",
                    "token_radius",
                    "token_focus_width",
                    "logo_upload",
                    "remove_logo",
                    "custom_css",
                ]
            },
        ),
        (
            _("Contact details"),
            {"fields": ["contact_email", "contact_phone", "contact_address", "website"]},
        ),
        (_("Shown on other sites"), {"fields": ["frame_origins"]}),
    ]

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

    def get_urls(self) -> list[URLPattern]:
        # Register files are larger than other uploads: the limit is on the view the
        # upload middleware sees (common/uploads.py), outside the admin's own wrapper.
        register_import = upload_limit("ELOKET_REGISTER_UPLOAD_MAX_BYTES", REGISTER_UPLOAD_HINT)(
            self.admin_site.admin_view(self.register_import_view)
        )
        own = [
            path(
                "<id:pk>/register/",
                register_import,
                name="tenants_municipality_register_import",
            ),
            path(
                "<id:pk>/chrome/",
                self.admin_site.admin_view(self.chrome_view),
                name="tenants_municipality_chrome",
            ),
            path(
                "<id:pk>/tokens/",
                self.admin_site.admin_view(self.tokens_import_view),
                name="tenants_municipality_tokens_import",
            ),
            path(
                "<id:pk>/chrome/preview",
                self.admin_site.admin_view(self.chrome_preview_view),
                name="tenants_municipality_chrome_preview",
            ),
        ]
        return own + super().get_urls()

    def _administered(self, request: HttpRequest, pk: int) -> Municipality:
        municipality = self.get_queryset(request).filter(pk=pk).first()
        if municipality is None or not self.has_change_permission(request, municipality):
            raise Http404
        return municipality

    def chrome_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The municipality's own web site around its pages (docs/embedding.md): a template
        page previewed, used in one click, fetched again, or switched off and on."""
        municipality = self._administered(request, pk)
        current = HostChrome.objects.filter(municipality=municipality).first()
        actor = admin_actor(request, municipality)
        initial = {
            "url": current.template_url if current else "",
            "keep_host_scripts": current.keep_host_scripts if current else False,
        }
        form = HostChromeForm(request.POST or None, initial=initial)
        preview = None
        action = request.POST.get("action", "")
        if request.method == "POST":
            try:
                if action in ("on", "off"):
                    host_chrome_switch(actor=actor, municipality=municipality, on=action == "on")
                    messages.success(
                        request,
                        _("Pages are served inside the host's chrome.")
                        if action == "on"
                        else _("Pages are served in Eloket's own chrome."),
                    )
                    return HttpResponseRedirect(request.path)
                if action == "refresh":
                    if host_chrome_refresh(actor=actor, municipality=municipality):
                        messages.success(request, _("The template page was fetched again."))
                    else:
                        messages.error(
                            request,
                            _(
                                "The template page could not be fetched: the last good copy stays in use."
                            ),
                        )
                    return HttpResponseRedirect(request.path)
                if form.is_valid():
                    url = form.cleaned_data["url"]
                    if action == "use":
                        host_chrome_set(
                            actor=actor,
                            municipality=municipality,
                            url=url,
                            keep_host_scripts=form.cleaned_data["keep_host_scripts"],
                        )
                        messages.success(request, _("Pages are served inside the host's chrome."))
                        return HttpResponseRedirect(request.path)
                    preview = host_chrome_fetch(actor=actor, municipality=municipality, url=url)
            except ApplicationError as exc:
                form.add_error("url" if "url" in form.fields else None, str(exc))
        context = {
            **self.admin_site.each_context(request),
            "title": _("The web site around the pages of %(name)s")
            % {"name": municipality.display_name()},
            "opts": self.model._meta,
            "original": municipality,
            "form": form,
            "current": current,
            "preview": preview,
            "kept": report_lines(preview.kept) if preview else [],
            "removed": report_lines(preview.removed) if preview else [],
            "preview_url": form.cleaned_data.get("url", "") if preview else "",
            "host_names": ", ".join(sorted(host_names_of(municipality))) or "-",
        }
        return TemplateResponse(request, "admin/tenants/municipality/chrome.html", context)

    def chrome_preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A sample page of the municipality inside the template page at ?url=, without
        keeping anything: what citizens would see after "Use it"."""
        municipality = self._administered(request, pk)
        try:
            result = host_chrome_fetch(
                actor=admin_actor(request, municipality),
                municipality=municipality,
                url=request.GET.get("url", ""),
            )
        except ApplicationError as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        request.tenant = municipality  # type: ignore[attr-defined]
        request.tenant_by_host = False  # type: ignore[attr-defined]
        request.eloket_chrome_preview = chrome_parts_of(result)  # type: ignore[attr-defined]
        return render(request, "web/chrome_preview.html", {})

    def tokens_import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The look from a design tokens file, as `eloket tenant tokens` takes it: which of
        the file's names were applied and which ignored; a bad file or a colour pair below
        WCAG 2.2 AA is refused with the reason and changes nothing."""
        municipality = self._administered(request, pk)
        form = TokensUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = municipality_tokens_import(
                    actor=admin_actor(request, municipality),
                    municipality=municipality,
                    content=upload.read(),
                )
            except ApplicationError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _("Applied %(used)d design tokens from %(file)s; %(ignored)d names ignored.")
                    % {
                        "used": len(result.used),
                        "file": upload.name,
                        "ignored": len(result.ignored),
                    },
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import the design tokens of %(name)s")
            % {"name": municipality.display_name()},
            "opts": self.model._meta,
            "original": municipality,
            "form": form,
            "result": result,
            "look": list(municipality.look.items()),
        }
        return TemplateResponse(request, "admin/tenants/municipality/tokens_import.html", context)

    def register_import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The population register from a CSV or JSON file, as `eloket register import`
        takes it: every problem with its line, and nothing imported unless the whole file
        is sound. Only the municipality's administrators (and the operator) reach it; the
        service checks the actor again."""
        municipality = self.get_queryset(request).filter(pk=pk).first()
        if municipality is None or not self.has_change_permission(request, municipality):
            raise Http404
        rejected: ImportRejected | None = None
        upload: Any = None
        form = RegisterUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = register_import_upload(
                    actor=admin_actor(request, municipality),
                    municipality=municipality,
                    name=upload.name or "",
                    content=upload.read(),
                )
            except ImportRejected as exc:
                rejected = exc
            except ApplicationError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Imported %(persons)d persons, %(addresses)d addresses, %(households)d "
                        "households and %(events)d civil events into %(name)s."
                    )
                    % {
                        "persons": result.persons,
                        "addresses": result.addresses,
                        "households": result.households,
                        "events": result.events,
                        "name": municipality.display_name(),
                    },
                )
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import the population register of %(name)s")
            % {"name": municipality.display_name()},
            "opts": self.model._meta,
            "original": municipality,
            "form": form,
            "rejected": rejected,
            "problems": rejected.errors[:REPORT_ROWS] if rejected else [],
            "problems_not_shown": max(0, len(rejected.errors) - REPORT_ROWS) if rejected else 0,
            "file_name": upload.name if rejected else "",
            "counts": register_counts(municipality=municipality),
        }
        return TemplateResponse(request, "admin/tenants/municipality/register_import.html", context)


class OfficerRoleInline(admin.StackedInline):
    # Stacked, not tabular: Django's table names a column once, in its header, and leaves
    # each row's fields (and its delete box) without a label of their own, which screen
    # readers need (axe-core's label and select-name rules; docs/accessibility.md).
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
