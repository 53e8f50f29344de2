"""The data migrations of issue 9, run forward from the state before them: certificate
orders and petitions' answer cases move onto the case engine with every history row
kept; a municipality's OIDC override becomes its identity provider's settings."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("cases", "0002_alter_case_kind_alter_case_status_and_more"),
    ("identity", "0001_initial"),
    ("tenants", "0001_initial"),
]
AFTER = [
    ("cases", "0005_case_type_required"),
    ("identity", "0002_oidc_override_into_plugin_settings"),
]


@pytest.mark.django_db(transaction=True)
def test_existing_cases_and_overrides_move_forward():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Municipality = old.get_model("tenants", "Municipality")
    User = old.get_model("auth", "User")
    Case = old.get_model("cases", "Case")
    StatusChange = old.get_model("cases", "StatusChange")
    OidcOverride = old.get_model("identity", "OidcOverride")
    gent = Municipality.objects.create(
        slug="gent", names={"nl": "Gent"}, country="BE", nis_code="44021", languages=["nl"]
    )
    jan = User.objects.create(username="citizen-jan")
    now = timezone.now()
    made = {}
    for kind, status, code in (
        ("certificate_order", "in_review", "BCDFGH23"),
        ("petition", "answered", "JKMNPQ45"),
    ):
        case = Case.objects.create(
            municipality=gent,
            kind=kind,
            tracking_code=code,
            status=status,
            requester=jan,
            language="nl",
            title=kind,
            due_at=now + dt.timedelta(days=5),
        )
        StatusChange.objects.create(
            municipality=gent,
            case=case,
            at=now,
            from_status="",
            to_status="submitted",
            actor_kind="citizen",
            actor_label="Jan",
            message="We received your request for %(what)s.",
            params={"what": kind},
        )
        made[kind] = case.pk
    OidcOverride.objects.create(
        municipality=gent, issuer="https://idp.gent.example", national_id_claim="egovNRN"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # and on to the latest

    from eloket.cases.display import history_text
    from eloket.cases.models import Case as CaseNow
    from eloket.tenants.models import PluginSetting

    order = CaseNow.objects.get(pk=made["certificate_order"])
    assert (order.case_type.code, order.case_type.handler, order.case_type.version) == (
        "certificate_order",
        "certificates.order",
        1,
    )
    assert order.status_name("en") == "in review" and order.is_open
    petition = CaseNow.objects.get(pk=made["petition"])
    assert petition.case_type.handler == "petitions.answer"
    assert petition.case_type.spec.is_final("answered")
    step = order.history.get()
    assert history_text(step, order) == "We received your request for certificate order."
    setting = PluginSetting.objects.get(registry="identity_providers", plugin="oidc")
    assert setting.options == {
        "issuer": "https://idp.gent.example",
        "national_id_claim": "egovNRN",
    }


@pytest.mark.django_db(transaction=True)
def test_topics_and_their_analyses_get_versions():
    """Issue 10, 8: the analysis moves to the worker. A topic whose latest analysis still
    matches its counters keeps it as current; one whose analysis is stale, or that has
    none yet, becomes due for the periodic job; an empty topic is left alone."""
    before = [("forum", "0002_topicphasechange"), ("tenants", "0002_pluginsetting")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Municipality = old.get_model("tenants", "Municipality")
    Topic = old.get_model("forum", "Topic")
    Analysis = old.get_model("forum", "Analysis")
    gent = Municipality.objects.create(
        slug="gent", names={"nl": "Gent"}, country="BE", nis_code="44021", languages=["nl"]
    )

    def topic(votes, opinions):
        return Topic.objects.create(
            municipality=gent, title={"nl": "t"}, vote_count=votes, opinion_count=opinions
        )

    current, stale, never, empty = topic(10, 3), topic(12, 3), topic(5, 2), topic(0, 0)
    for item, votes in ((current, 10), (stale, 9)):
        Analysis.objects.create(
            municipality=gent, topic=item, vote_count=votes, opinion_count=3, result={}
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from eloket.forum.models import Analysis as AnalysisNow
    from eloket.forum.models import Topic as TopicNow

    rows = {
        t.pk: (t.data_version, t.analysed_version, t.analysis_due_at is not None)
        for t in TopicNow.objects.all()
    }
    assert rows[current.pk] == (1, 1, False)
    assert rows[stale.pk] == (1, 0, True)
    assert rows[never.pk] == (1, 0, True)
    assert rows[empty.pk] == (0, 0, False)
    assert AnalysisNow.objects.get(topic_id=current.pk).data_version == 1
    assert AnalysisNow.objects.get(topic_id=stale.pk).data_version == 0


@pytest.mark.django_db(transaction=True)
def test_design_tokens_give_every_municipality_a_new_stylesheet_version():
    """Issue 15, 2 (ADR 0012): theme.css names new properties, so a stylesheet a browser
    kept under the old version must not be used: every municipality gets a new one, the
    one its next save would give."""
    before = [("tenants", "0003_host_chrome")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    Municipality = executor.loader.project_state(before).apps.get_model("tenants", "Municipality")
    gent = Municipality.objects.create(
        slug="gent",
        names={"nl": "Gent"},
        country="BE",
        nis_code="44021",
        languages=["nl"],
        custom_css=".x{color:red}",
        branding_version="0123456789ab",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from eloket.tenants.models import Municipality as MunicipalityNow

    now = MunicipalityNow.objects.get(pk=gent.pk)
    assert now.tokens == {}
    assert now.branding_version not in ("0123456789ab", "")
    assert now.branding_version == now.compute_branding_version()


@pytest.mark.slow
def test_a_fresh_schema_is_the_migrated_schema(tmp_path):
    """Issue 11 (10): `make run` on an empty database creates the migrations' final state at
    once instead of replaying them (minutes on a busy machine). Same tables, columns, types,
    nullability and indexes as `migrate` makes; every migration recorded; content types and
    permissions there."""
    import os
    import sqlite3
    import subprocess
    import sys

    def make(home, code):
        shell = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ELOKET_", "DJANGO_")) and k != "DATABASE_URL"
        }
        env = {**shell, "ELOKET_HOME": str(home), "DJANGO_SETTINGS_MODULE": "eloket.conf.settings"}
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=900)
        return sqlite3.connect(home / "var" / "eloket.sqlite3")

    setup = "import django; django.setup(); "
    migrated = make(
        tmp_path / "m",
        setup
        + "from django.core.management import call_command; call_command('migrate', verbosity=0)",
    )
    fresh = make(
        tmp_path / "f",
        setup
        + "from eloket.common.schema import fresh_schema_create; assert fresh_schema_create()",
    )

    def schema(db):
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        # Column order aside (a table rebuilt by a migration gets an altered column last).
        columns = {
            table: sorted(tuple(row[1:]) for row in db.execute(f'PRAGMA table_info("{table}")'))
            for table in tables
        }
        indexes = set(
            db.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index'")
        )
        return columns, indexes

    assert schema(fresh) == schema(migrated)
    for table in ("django_migrations", "django_content_type", "auth_permission"):
        query = f"SELECT COUNT(*) FROM {table}"  # noqa: S608 (fixed names)
        assert fresh.execute(query).fetchone() == migrated.execute(query).fetchone()
