from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

PAGE_SIZE = 50


class PageNumberPagination(PaginationBase):
    """`?page=N` (from 1), PAGE_SIZE items a page; answers {"count": N, "results": [...]}."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")

    class Output(Schema):
        count: int = Field(..., description="Number of items on all pages.")
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = (pagination.page - 1) * PAGE_SIZE
        return {
            "count": self._items_count(queryset),
            "results": list(queryset[offset : offset + PAGE_SIZE]),
        }
