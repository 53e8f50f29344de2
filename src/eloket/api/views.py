"""A light, server-rendered API reference built from the OpenAPI schema: no script,
works under the strict CSP, and stays within the page budget."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from eloket.api.api import api


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_ref_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            responses = []
            for status, answer in op.get("responses", {}).items():
                content = answer.get("content", {}).get("application/json", {})
                responses.append(
                    (
                        status,
                        answer.get("description", ""),
                        _ref_name(content.get("schema", {})) if content else "",
                    )
                )
            params = [
                (
                    p["name"],
                    p["in"],
                    p.get("required", False),
                    p.get("description", "") or p.get("schema", {}).get("description", ""),
                )
                for p in op.get("parameters", [])
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "responses": responses,
                    "anchor": op.get("operationId", ""),
                }
            )
    components = []
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        fields = [
            (
                field,
                _ref_name(spec),
                field in component.get("required", []),
                spec.get("description", ""),
            )
            for field, spec in component.get("properties", {}).items()
        ]
        components.append({"name": name, "fields": fields})
    return render(
        request,
        "api/docs.html",
        {"info": schema["info"], "operations": operations, "components": components},
    )
