"""The message log in the admin (issue 14, point 7): the platform operator browses every
municipality's messages and log entries, a municipality's administrator their own, by
type, state, direction, municipality, day and request (its tracking code). Read only.
Nothing of a person shows: no national number in a column, a filter or a URL, and not the
signed XML (which carries the person's register data; the municipality's back office
shows it to its administrators, with the read in the person's access log)."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from eloket.identity.admin import ScopedToMunicipality
from eloket.messaging.inbox import CHAIN
from eloket.messaging.models import MessageLogEntry, MessageLogTimestamp, RegistryMessage


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseFilter(admin.SimpleListFilter):
    """By request: the tracking codes of the requests that have messages."""

    title = _("request")
    parameter_name = "case"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = (
            model_admin.get_queryset(request)
            .exclude(case_code="")
            .order_by("-case_code")
            .values_list("case_code", flat=True)
            .distinct()[:50]
        )
        return [(code, code) for code in sorted(codes)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(case_code=self.value()) if self.value() else queryset


_MESSAGE_FIELDS: tuple[str, ...] = (
    "municipality",
    "direction",
    "type",
    "kind",
    "state",
    "message_id",
    "correlation_id",
    "sender",
    "receiver",
    "sequence",
    "case_code",
    "created_at",
    "applied_at",
    "error",
    "log_entries",
)


@admin.register(RegistryMessage)
class RegistryMessageAdmin(_ReadOnly, ScopedToMunicipality, admin.ModelAdmin):
    list_display = [
        "created_at",
        "municipality",
        "direction",
        "type",
        "kind",
        "state",
        "case_code",
        "message_id",
    ]
    list_filter = ["type", "state", "direction", "municipality", CaseFilter]
    date_hierarchy = "created_at"
    list_select_related = ["municipality"]
    fields = _MESSAGE_FIELDS
    readonly_fields = _MESSAGE_FIELDS
    list_per_page = 100
    show_full_result_count = False  # a count of a million rows on every page is too dear

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    @admin.display(description=_("message log"))
    def log_entries(self, message: RegistryMessage) -> str:
        entries = MessageLogEntry.objects.filter(chain=CHAIN).filter(
            Q(message_id=message.message_id) | Q(correlation_id=message.message_id)
        )
        return format_html_join(
            "\n",
            "<p>{} · {} · {} {} · {}</p>",
            (
                (e.sequence, e.at.strftime("%Y-%m-%d %H:%M:%S"), e.direction, e.event, e.entry_hash)
                for e in entries.order_by("sequence")
            ),
        )


@admin.register(MessageLogEntry)
class MessageLogEntryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "sequence",
        "at",
        "municipality_slug",
        "direction",
        "type",
        "event",
        "message_id",
        "entry_hash",
    ]
    list_filter = ["type", "event", "direction", "municipality_slug"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in MessageLogEntry._meta.fields]
    list_per_page = 100
    show_full_result_count = False

    # The whole chain, every municipality's entries: the platform operator's only.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(MessageLogTimestamp)
class MessageLogTimestampAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["length", "stamped_at", "head_hash", "tsa_url"]
    date_hierarchy = "stamped_at"
    readonly_fields = ["chain", "length", "head_hash", "stamped_at", "tsa_url", "created_at"]
    exclude = ["token"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
