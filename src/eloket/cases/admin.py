"""Kinds of request in the admin: a municipality's administrator publishes one from data
(its statuses, transitions, who may make each, department and processing time) with no
code. Saving never changes a published version: it publishes the next one, and requests
already made keep theirs."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from eloket.cases.definitions import definition_errors
from eloket.cases.handlers import case_handlers
from eloket.cases.models import CaseType
from eloket.cases.services import case_type_publish
from eloket.cases.texts import localized
from eloket.common.errors import ApplicationError
from eloket.common.forms import BoundedJSONField, PerLanguageField
from eloket.identity.access import admin_actor
from eloket.identity.admin import ScopedToMunicipality

CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


class CaseTypeForm(forms.ModelForm):
    handler = forms.ChoiceField(choices=())
    # A box per language, not JSON to type (issue 11, point 8).
    names = PerLanguageField(
        label=_("name"), help_text=_("What citizens and officers read, in each language.")
    )

    class Meta:
        model = CaseType
        fields = [
            "municipality",
            "code",
            "handler",
            "names",
            "department",
            "processing_days",
            "audience",
            "definition",
            "options",
        ]
        field_classes = {
            "definition": BoundedJSONField,
            "options": BoundedJSONField,
        }
        help_texts = {
            "code": _("Lowercase letters, digits and _; it cannot change once published."),
            "definition": _(
                "Statuses and transitions as JSON: see docs/case-types.md. Saving publishes "
                "a new version; requests already made keep the version they were made under."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "handler" in self.fields:  # read-only once published
            self.fields["handler"].choices = case_handlers.choices()  # type: ignore[attr-defined]
            self.fields["handler"].initial = "generic"
        if not self.instance.pk:  # a skeleton to fill in rather than "null"
            self.fields["definition"].initial = {"statuses": [], "transitions": []}
            self.fields["options"].initial = {}

    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code") or "")
        if not CODE_PATTERN.fullmatch(code):
            raise ValidationError(
                _(
                    "Use lowercase letters, digits and _ (starting with a letter), e.g. housing_information."
                )
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        municipality = data.get("municipality")
        code = data.get("code")
        if (
            not self.instance.pk
            and municipality is not None
            and code
            and CaseType.objects.filter(municipality=municipality, code=code).exists()
        ):
            raise ValidationError(
                {
                    "code": _(
                        "%(name)s already has a kind with this code: open it in the list to "
                        "publish a new version."
                    )
                    % {"name": municipality.display_name()}
                }
            )
        probe = CaseType(
            code=data.get("code", self.instance.code),
            handler=data.get("handler", self.instance.handler or "generic"),
            names=data.get("names") or {},
            definition=data.get("definition") or {},
            options=data.get("options") or {},
        )
        errors = definition_errors(probe)
        if errors:
            raise ValidationError(errors)
        return data


@admin.register(CaseType)
class CaseTypeAdmin(ScopedToMunicipality, admin.ModelAdmin):
    form = CaseTypeForm
    list_display = ["code", "name", "version", "current", "handler", "department", "municipality"]
    list_filter = ["current", "handler"]
    search_fields = ["code"]
    readonly_fields = ["version", "current", "summary"]

    @admin.display(description=_("name"))
    def name(self, obj: CaseType) -> str:
        return obj.name()

    @admin.display(description=_("statuses and transitions"))
    def summary(self, obj: CaseType) -> SafeString:
        if not obj.pk:
            return format_html("{}", "—")
        spec = obj.spec
        statuses = format_html_join(
            "",
            "<li><code>{}</code> {}{}</li>",
            (
                (
                    s.code,
                    localized(s.names),
                    " (start)" if s.initial else " (final)" if s.final else "",
                )
                for s in spec.statuses.values()
            ),
        )
        transitions = format_html_join(
            "",
            "<li><code>{}</code>: {} → {} · {}</li>",
            ((t.action, ", ".join(t.sources), t.to, ", ".join(t.by)) for t in spec.transitions),
        )
        return format_html("<ul>{}</ul><ul>{}</ul>", statuses, transitions)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # The code and the handler of a published kind stay; the rest makes a new version.
        return [*fields, "municipality", "code", "handler"] if obj is not None else fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An older version is history: it can be read, not published again over the
        # current one.
        if obj is not None and not obj.current:
            return False
        return super().has_change_permission(request, obj)

    def message_user(self, request: HttpRequest, message: Any, *args: Any, **kwargs: Any) -> None:
        # save_model said what happened (published, or why not): not Django's "changed".
        level = args[0] if args else kwargs.get("level")
        if getattr(request, "_eloket_said", False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: CaseType, form: Any, change: bool) -> None:
        municipality = obj.municipality
        request._eloket_said = True  # type: ignore[attr-defined]
        if change and not form.has_changed():
            messages.info(request, _("Nothing changed: no new version was published."))
            return
        try:
            published = case_type_publish(
                actor=admin_actor(request, municipality),
                municipality=municipality,
                code=obj.code,
                names=obj.names,
                definition=obj.definition,
                handler=obj.handler,
                department=obj.department,
                processing_days=obj.processing_days,
                options=obj.options,
                audience=obj.audience,
            )
        except ApplicationError as exc:
            messages.error(request, str(exc))
            return
        obj.pk = published.pk  # the admin goes on with the new version
        messages.success(
            request,
            _("Version %(version)d of %(code)s is published.")
            % {"version": published.version, "code": published.code},
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseType]:
        return super().get_queryset(request).select_related("municipality")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # requests refer to every version
