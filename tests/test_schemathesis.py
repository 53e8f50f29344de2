"""Property-based run of the whole API against its own OpenAPI schema (issue 2):
no server error and no answer that breaks the schema, on demo data."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from eloket.conf.wsgi import application


@pytest.fixture(scope="module")
def demo_municipalities(django_db_setup, django_db_blocker):
    from django.core.management import call_command

    from eloket.demo.services import demo_load

    with django_db_blocker.unblock():
        demo_load(only=["deinze", "koksijde"])
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_api_conforms_to_its_schema(demo_municipalities, django_db_blocker):
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 3
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=40,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                case.call_and_validate()

            check()
