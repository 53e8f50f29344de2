"""The JSON API: municipalities, pagination, errors, schema, docs (issue 2)."""

import pytest

from eloket.api.pagination import PAGE_SIZE


def test_municipalities_list(gent, brugge, client):
    body = client.get("/api/v1/municipalities").json()
    assert body["count"] == 2
    gent_item = next(m for m in body["results"] if m["slug"] == "gent")
    assert gent_item["country"] == "BE"
    assert gent_item["names"]["nl"] == "Stad Gent"
    assert gent_item["languages"] == ["nl", "en"]
    assert gent_item["modules"] == ["certificates", "participation", "petitions"]
    assert gent_item["urls"]["home"] == "http://testserver/gent/"
    assert gent_item["contact"]["email"] == "info@gent.example"


def test_pagination(make_municipality, client):
    for _ in range(PAGE_SIZE + 3):
        make_municipality()
    first = client.get("/api/v1/municipalities").json()
    second = client.get("/api/v1/municipalities?page=2").json()
    assert first["count"] == second["count"] == PAGE_SIZE + 3
    assert len(first["results"]) == PAGE_SIZE and len(second["results"]) == 3
    assert client.get("/api/v1/municipalities?page=9").json()["results"] == []


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_bad_page_gets_a_json_error(client, db, page):
    response = client.get(f"/api/v1/municipalities?page={page}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and body["details"][0]["field"] == "page"


def test_unknown_municipality_is_a_json_404_in_the_users_language(gent, client):
    response = client.get("/api/v1/municipalities/atlantis", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "Il n'y a pas de commune" in response.json()["message"]


def test_host_configured_municipality_links_to_its_host(make_municipality, client):
    make_municipality("leuven", host="eloket.leuven.example")
    item = client.get("/api/v1/municipalities/leuven").json()
    assert item["host"] == "eloket.leuven.example"
    assert item["urls"]["home"] == "http://eloket.leuven.example/"


def test_openapi_schema_documents_errors(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/v1/municipalities/{slug}"]["get"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    assert "Error" in schema["components"]["schemas"]


def test_docs_page_lists_every_operation(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    body = page.content.decode()
    assert "/api/v1/municipalities/{slug}/services" in body
    assert "<script" not in body


def test_an_unknown_api_address_answers_the_documented_error_shape(client, db):
    answer = client.get("/api/v1/no-such-thing", HTTP_ACCEPT="application/json")
    assert answer.status_code == 404
    assert set(answer.json()) == {"code", "message", "details"}
