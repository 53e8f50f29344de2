"""A municipality's services in the admin: the list of its services (current versions)
with enable/disable, a definition imported from a file or pasted (JSON or YAML, every
problem listed with its path), exported as JSON, edited as JSON (saving publishes the next
version), and the shipped library with one "Enable" button per service. An administrator
sees and changes their own municipality's services only; the services check the actor
again."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eloket.cases.texts import localized
from eloket.common.errors import ApplicationError
from eloket.identity.access import admin_actor
from eloket.identity.admin import ScopedToMunicipality
from eloket.identity.admin_site import administered_municipalities
from eloket.services.definition import service_file_dump, service_file_parse
from eloket.services.display import fee_label
from eloket.services.library import library_definitions
from eloket.services.models import Service
from eloket.services.selectors import service_file
from eloket.services.services import (
    InvalidDefinition,
    service_import,
    service_library_enable,
    service_set_active,
)
from eloket.tenants.models import Municipality

HANDLER = "service"


class DefinitionForm(forms.Form):
    """A definition to publish: a file, or its text pasted (the edit page fills it in)."""

    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none()
    )
    file = forms.FileField(
        label=_("Definition file"),
        required=False,
        help_text=_("A .json, .yaml or .yml file, as `eloket services export` writes it."),
    )
    text = forms.CharField(
        label=_("Or the definition itself"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
        help_text=_("JSON or YAML. The format is described in docs/services.md."),
    )

    def __init__(self, *args: Any, municipalities: QuerySet[Municipality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        field.queryset = municipalities  # type: ignore[attr-defined]
        if municipalities.count() == 1:
            field.initial = municipalities.first()
            field.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not str(data.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a file or paste a definition."))
        return data


class EditForm(DefinitionForm):
    """The edit page: the current definition as text; no file to choose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["file"]
        self.fields["municipality"].widget = forms.HiddenInput()
        self.fields["text"].label = _("Definition")


@admin.register(Service)
class ServiceAdmin(ScopedToMunicipality, admin.ModelAdmin):
    list_display = ["code", "name", "version", "active", "department", "fee", "municipality"]
    list_display_links = ["code"]
    list_filter = ["active"]
    search_fields = ["code"]
    actions = ["enable", "disable"]
    change_list_template = "admin/services/service/change_list.html"

    @admin.display(description=_("name"))
    def name(self, obj: Service) -> str:
        return obj.name()

    @admin.display(description=_("fee"))
    def fee(self, obj: Service) -> str:
        return fee_label(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        return (
            super()
            .get_queryset(request)
            .filter(handler=HANDLER, current=True)
            .select_related("municipality")
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a service comes from a definition: the import and library pages

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # requests refer to every version: disable it instead

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Service], active: bool) -> None:
        done = []
        for service in queryset:
            try:
                service_set_active(
                    actor=admin_actor(request, service.municipality),
                    municipality=service.municipality,
                    code=service.code,
                    active=active,
                )
            except ApplicationError as exc:
                messages.error(request, f"{service.code}: {exc}")
            else:
                done.append(service.code)
        if done:
            text = _("Offered again: %(codes)s.") if active else _("No longer offered: %(codes)s.")
            messages.success(request, text % {"codes": ", ".join(done)})

    @admin.action(description=_("Offer the selected services"))
    def enable(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description=_("Stop offering the selected services"))
    def disable(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._set_active(request, queryset, False)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path("import/", wrap(self.import_view), name="services_service_import"),
            path("library/", wrap(self.library_view), name="services_service_library"),
            path("<id:pk>/export/", wrap(self.export_view), name="services_service_export"),
        ]
        return own + super().get_urls()

    def _own(self, request: HttpRequest, pk: Any) -> Service:
        """One of the administrator's services (404 for another municipality's, and for a
        key that is no number or beyond the database's integers)."""
        try:
            key = int(str(pk))
        except ValueError:
            raise Http404 from None
        if not 0 < key < 2**63:
            raise Http404
        service = self.get_queryset(request).filter(pk=key).first()
        if service is None or not self.has_view_permission(request, service):
            raise Http404
        return service

    def _context(self, request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **extra,
        }

    def _publish(
        self, request: HttpRequest, form: DefinitionForm
    ) -> tuple[Service | None, list[dict[str, str]]]:
        """Publish what the form holds: the case type, or the problems with their paths."""
        municipality = form.cleaned_data["municipality"]
        upload = form.cleaned_data.get("file")
        if upload:
            content: bytes | str = upload.read()
            name = upload.name or ""
        else:
            content, name = form.cleaned_data["text"], ""
        try:
            published = service_import(
                actor=admin_actor(request, municipality),
                municipality=municipality,
                content=content,
                name=name,
            )
        except InvalidDefinition as exc:
            return None, list(exc.details.get("problems", []))
        except ApplicationError as exc:
            return None, [{"path": "/", "message": str(exc)}]
        messages.success(
            request,
            _("Version %(version)d of %(code)s is published for %(name)s.")
            % {
                "version": published.version,
                "code": published.code,
                "name": municipality.display_name(),
            },
        )
        return Service.objects.get(pk=published.pk), []

    def import_view(self, request: HttpRequest) -> HttpResponse:
        municipalities = administered_municipalities(request)
        form = DefinitionForm(
            request.POST or None, request.FILES or None, municipalities=municipalities
        )
        problems: list[dict[str, str]] = []
        if request.method == "POST" and form.is_valid():
            published, problems = self._publish(request, form)
            if published is not None:
                return HttpResponseRedirect(reverse("admin:services_service_changelist"))
        return TemplateResponse(
            request,
            "admin/services/service/definition.html",
            self._context(request, _("Import a service definition"), form=form, problems=problems),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        """Editing a published service: its definition as JSON to change; saving
        publishes the next version (requests already made keep theirs)."""
        service = self._own(request, object_id)
        municipalities = administered_municipalities(request).filter(pk=service.municipality_id)
        if request.method == "POST":
            if not self.has_change_permission(request, service):
                raise Http404
            form = EditForm(request.POST, municipalities=municipalities)
        else:
            text = service_file_dump(
                service_file(municipality=service.municipality, case_type=service)
            )
            form = EditForm(
                initial={"municipality": service.municipality, "text": text},
                municipalities=municipalities,
            )
        problems: list[dict[str, str]] = []
        if request.method == "POST" and form.is_valid():
            edited, _unreadable = service_file_parse(form.cleaned_data["text"])
            if isinstance(edited, dict) and edited.get("code", service.code) != service.code:
                # Another code is another service: that is an import, not an edit.
                problems = [
                    {
                        "path": "/code",
                        "message": str(
                            _(
                                "A published service keeps its code “%(code)s”: import a "
                                "definition with another code as a new service."
                            )
                            % {"code": service.code}
                        ),
                    }
                ]
            else:
                published, problems = self._publish(request, form)
                if published is not None:
                    return HttpResponseRedirect(
                        reverse("admin:services_service_change", args=[published.pk])
                    )
        return TemplateResponse(
            request,
            "admin/services/service/definition.html",
            self._context(
                request,
                _("%(name)s, version %(version)d")
                % {"name": service.name(), "version": service.version},
                form=form,
                problems=problems,
                original=service,
            ),
        )

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = self._own(request, pk)
        exported = service_file(municipality=service.municipality, case_type=service)
        response = HttpResponse(
            service_file_dump(exported), content_type="application/json; charset=utf-8"
        )
        filename = f"{service.municipality.slug}-{service.code}-v{service.version}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def library_view(self, request: HttpRequest) -> HttpResponse:
        municipalities = administered_municipalities(request).order_by("slug")
        asked = request.POST.get("municipality") or request.GET.get("municipality")
        # Another municipality's library page does not exist for this administrator.
        chosen = (
            municipalities.filter(pk=asked).first()
            if asked and asked.isdigit()
            else None
            if asked
            else municipalities.first()
        )
        if chosen is None:
            raise Http404
        if request.method == "POST":
            try:
                published, new = service_library_enable(
                    actor=admin_actor(request, chosen),
                    municipality=chosen,
                    code=str(request.POST.get("code", ""))[:40],
                )
            except ApplicationError as exc:
                messages.error(request, str(exc))
            else:
                text = (
                    _("%(service)s is published and offered in %(name)s.")
                    if new
                    else _("%(service)s is offered again in %(name)s.")
                )
                messages.success(
                    request, text % {"service": published.name(), "name": chosen.display_name()}
                )
            url = reverse("admin:services_service_library")
            return HttpResponseRedirect(f"{url}?municipality={chosen.pk}")
        current = {
            s.code: s
            for s in Service.objects.filter(municipality=chosen, handler=HANDLER, current=True)
        }
        language = get_language()
        entries = []
        for definition in library_definitions():
            service = current.get(definition["code"])
            fee = definition.get("fee")
            entries.append(
                {
                    "code": definition["code"],
                    "name": localized(definition["names"], language),
                    "help": localized(definition.get("help", {}), language),
                    "department": definition.get("department", ""),
                    "fee": fee_label(Service(options={"fee": fee} if fee else {})),
                    "processing_days": definition.get("processing_days", 30),
                    "service": service,
                }
            )
        entries.sort(key=lambda entry: entry["name"].casefold())
        return TemplateResponse(
            request,
            "admin/services/service/library.html",
            self._context(
                request,
                _("Library of services"),
                entries=entries,
                municipalities=municipalities,
                chosen=chosen,
            ),
        )
