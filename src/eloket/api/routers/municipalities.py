from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from eloket.api.pagination import PageNumberPagination
from eloket.api.schemas import CatalogueSectionOut, Error, MunicipalityOut
from eloket.tenants.catalogue import catalogue_for
from eloket.tenants.links import municipality_urls
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_get, municipality_list

router = Router(tags=["municipalities"])
ERRORS = {422: Error}


@router.get("", response={200: list[MunicipalityOut], **ERRORS}, summary="List municipalities")
@paginate(PageNumberPagination)
def list_municipalities(request: HttpRequest) -> list[Municipality]:
    """Every municipality served by this platform, by slug."""
    return municipality_list()  # type: ignore[return-value]


@router.get(
    "/{slug}", response={200: MunicipalityOut, 404: Error, **ERRORS}, summary="One municipality"
)
def get_municipality(request: HttpRequest, slug: str) -> Municipality:
    return municipality_get(slug=slug)


@router.get(
    "/{slug}/services",
    response={200: list[CatalogueSectionOut], 404: Error, **ERRORS},
    summary="The municipality's service catalogue",
)
def get_catalogue(request: HttpRequest, slug: str) -> list[dict[str, object]]:
    """Sections per enabled module, with the services each offers online, in the request's language."""
    municipality = municipality_get(slug=slug)
    home = municipality_urls(
        municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )["home"]
    return [
        {
            "module": s.module,
            "title": str(s.title),
            "intro": str(s.intro),
            "entries": [
                {
                    "title": str(e.title),
                    "description": str(e.description),
                    "url": f"{home}{e.url}" if e.url else "",
                    "fee": e.fee,
                }
                for e in s.entries
            ],
        }
        for s in catalogue_for(municipality)
    ]
