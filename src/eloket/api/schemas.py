"""Shapes of the API's requests and answers (also the OpenAPI components)."""

from typing import Any

from ninja import Field, Schema

from eloket.tenants.links import municipality_urls
from eloket.tenants.models import Municipality


class Error(Schema):
    code: str = Field(
        ..., description="Stable machine-readable code, e.g. not_found, invalid_input."
    )
    message: str = Field(..., description="Human-readable explanation in the request's language.")
    details: Any = Field(None, description="Further structure, e.g. one entry per invalid field.")


class Health(Schema):
    status: str
    database: str


class MunicipalityUrls(Schema):
    home: str
    catalogue: str
    api: str


class Contact(Schema):
    email: str
    phone: str
    address: str
    website: str


class MunicipalityOut(Schema):
    slug: str
    country: str = Field(..., description="ISO 3166-1 alpha-2.")
    nis_code: str = Field(..., description="Statistical code (NIS in Belgium).")
    names: dict[str, str] = Field(..., description="Official name per language code.")
    languages: list[str] = Field(..., description="Languages offered; the first is the default.")
    modules: list[str] = Field(..., description="Enabled modules.")
    host: str | None = Field(None, description="The municipality's own host name, if it has one.")
    urls: MunicipalityUrls
    contact: Contact

    @staticmethod
    def resolve_urls(obj: Municipality, context: dict[str, Any]) -> dict[str, str]:
        request = context["request"]
        base = f"{request.scheme}://{request.get_host()}"
        urls = municipality_urls(obj, platform_base_url=base)
        return {"home": urls["home"], "catalogue": urls["catalogue"], "api": urls["api"]}

    @staticmethod
    def resolve_contact(obj: Municipality) -> dict[str, str]:
        return {
            "email": obj.contact_email,
            "phone": obj.contact_phone,
            "address": obj.contact_address,
            "website": obj.website,
        }


class CatalogueEntryOut(Schema):
    title: str
    description: str
    url: str
    fee: str


class CatalogueSectionOut(Schema):
    module: str
    title: str
    intro: str
    entries: list[CatalogueEntryOut]
