"""`{% turl "web:catalogue" %}`: a URL inside the current municipality, by path or host."""

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


def tenant_reverse(request: Any, name: str, **kwargs: Any) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is not None and not getattr(request, "tenant_by_host", False):
        kwargs["municipality"] = tenant.slug
    return reverse(name, kwargs=kwargs or None)


@register.simple_tag(takes_context=True)
def turl(context: dict[str, Any], name: str, **kwargs: Any) -> str:
    return tenant_reverse(context["request"], name, **kwargs)
