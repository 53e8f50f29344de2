"""Polis's open-data format (issue 5): three public conversations imported through
`eloket forum import-polis`; our opinion groups agree with Polis's own; export reads back.

Data: tests/data/polis/ (CC BY 4.0, The Computational Democracy Project; see its README).
"""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from sklearn.metrics import adjusted_rand_score

from eloket.forum.analysis import analysis_run
from eloket.forum.interchange import export_polis
from eloket.forum.models import Opinion, Participant, Topic, Vote
from eloket.forum.polis import read_conversation

DATA = Path(__file__).resolve().parent / "data" / "polis"
CONVERSATIONS = ["vtaiwan.uberx", "15-per-hour-seattle", "brexit-consensus"]
AGREEMENT: dict[str, float] = {}


def import_with_command(slug: str, name: str) -> Topic:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "forum", "import-polis", "--municipality", slug, str(DATA / name), stdout=out, stderr=err
    )
    last = out.getvalue().strip().splitlines()[-1]
    assert last.isdigit(), out.getvalue()
    return Topic.objects.get(pk=int(last))


@pytest.mark.slow
@pytest.mark.parametrize("name", CONVERSATIONS)
def test_our_groups_agree_with_polis(gent, name):
    topic = import_with_command("gent", name)
    assert topic.phase == "closed" and topic.imported
    conversation = read_conversation(DATA / name)
    assert not Participant.objects.filter(topic=topic, verified=True).exists()
    assert Vote.objects.filter(topic=topic).count() == len(
        [k for k in conversation.votes if k[1] in {c.comment_id for c in conversation.comments}]
    )
    analysis = analysis_run(topic)
    ours = {
        member: group["id"] for group in analysis.result["groups"] for member in group["members"]
    }
    common = sorted(set(ours) & set(conversation.groups))
    assert len(common) >= 0.9 * len(conversation.groups)
    ari = adjusted_rand_score([conversation.groups[m] for m in common], [ours[m] for m in common])
    AGREEMENT[name] = ari
    print(
        f"\n{name}: adjusted Rand index against Polis's groups {ari:.3f} ({len(common)} participants)"
    )
    assert ari >= 0.5
    assert analysis.result["demographics"]["verified_participants"] == 0
    assert analysis.result["demographics"]["unverified_participants"] == topic.participant_count


@pytest.mark.slow
def test_average_agreement():
    if len(AGREEMENT) < len(CONVERSATIONS):
        pytest.skip("runs after the three conversations")
    average = sum(AGREEMENT.values()) / len(AGREEMENT)
    print(
        f"\nadjusted Rand index: {', '.join(f'{k} {v:.3f}' for k, v in AGREEMENT.items())}; average {average:.3f}"
    )
    assert average >= 0.65


def test_command_prints_the_id_alone_on_the_last_line_and_progress_on_stderr(db, tmp_path):
    """Run as a real process: standard output ends with the id, progress on standard error."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ELOKET_")}
    database = tmp_path / "db.sqlite3"
    env.update(
        {
            "ELOKET_HOME": str(tmp_path),
            "DATABASE_URL": os.environ.get("DATABASE_URL")
            if "postgres" in os.environ.get("DATABASE_URL", "")
            else f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
        }
    )
    if "postgres" in env["DATABASE_URL"]:
        pytest.skip("the PostgreSQL run shares its database with the test itself")

    def eloket(*args):
        return subprocess.run(
            [sys.executable, "-m", "eloket", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    # The migrations' final schema at once, as `make run` makes an empty database (20 s less).
    made_schema = eloket(
        "shell",
        "-c",
        "from django.core.management import call_command\n"
        "from eloket.common.schema import fresh_schema_create\n"
        "fresh_schema_create() or call_command('migrate', verbosity=0)",
    )
    assert made_schema.returncode == 0, made_schema.stderr
    made = eloket(
        "tenant",
        "create",
        "aalst",
        "--name",
        "Aalst",
        "--country",
        "BE",
        "--nis",
        "41002",
        "--languages",
        "nl",
    )
    assert made.returncode == 0, made.stderr
    result = eloket(
        "forum", "import-polis", "--municipality", "aalst", str(DATA / "15-per-hour-seattle")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].isdigit()
    assert "votes" in result.stderr
    bad = eloket("forum", "import-polis", "--municipality", "aalst", str(tmp_path))
    assert bad.returncode != 0 and "comments.csv" in bad.stderr


def test_export_reads_back(gent):
    topic = import_with_command("gent", "brexit-consensus")
    analysis_run(topic)
    files = export_polis(topic)
    folder = Path(__import__("tempfile").mkdtemp())
    for filename, text in files.items():
        (folder / filename).write_text(text)
    again = read_conversation(folder)
    original = read_conversation(DATA / "brexit-consensus")
    assert len(again.comments) == len(original.comments)
    assert again.votes.keys() == original.votes.keys()
    assert {k: v[0] for k, v in again.votes.items()} == {k: v[0] for k, v in original.votes.items()}
    assert len(again.groups) > 100  # group ids of the analysis, per participant


def test_import_through_the_api(client, gent, make_officer):
    from conftest import bearer

    officer = make_officer("gent.clerk", gent)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for filename in ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"):
            zipped.write(DATA / "15-per-hour-seattle" / filename, filename)
    upload = io.BytesIO(archive.getvalue())
    upload.name = "seattle.zip"
    answer = client.post("/api/v1/m/gent/forum/import-polis", {"files": upload}, **bearer(officer))
    assert answer.status_code == 201, answer.content
    topic = Topic.objects.get(pk=answer.json()["id"])
    assert topic.phase == "closed" and Opinion.objects.filter(topic=topic).count() == 54
    garbage = io.BytesIO(b"not a zip")
    garbage.name = "x.zip"
    refused = client.post(
        "/api/v1/m/gent/forum/import-polis", {"files": garbage}, **bearer(officer)
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_polis_export"
