"""Checkpoints of the hash chains (issue 10, point 7): every chain's head, signed with a key
that is not in the database, in files outside it. `eloket audit verify` finds a chain cut
back (its newest entries deleted and its head set back to an earlier hash) and a chain
deleted with its head, which the chains alone cannot show; forged, replaced or removed
checkpoints show too. Append-only rows refuse QuerySet.update() and .delete()."""

import base64
import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection

from eloket.audit.models import AuditEvent
from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.chain import chain_families
from eloket.common.models import ChainHead


def write_key(path):
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture
def checkpoints(settings, tmp_path):
    """Checkpoints in this test's own directory, signed with its own key."""
    settings.ELOKET_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.ELOKET_CHECKPOINT_KEY = str(write_key(tmp_path / "checkpoint_key.pem"))
    settings.ELOKET_CHECKPOINT_PUBLIC_KEY = ""
    settings.ELOKET_TSA_URL = ""
    return tmp_path / "checkpoints"


def record(municipality, n=1):
    for i in range(n):
        audit_record(
            actor=Actor.system("t", municipality),
            municipality=municipality,
            action="test.event",
            object_type="test",
            object_ref=f"{municipality.slug}-{AuditEvent.objects.count()}-{i}",
        )


def chain_of(municipality):
    return f"audit:{municipality.pk}"


def checkpoint() -> str:
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out, stderr=out)
    return out.getvalue()


def verify(*args) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=out)
    return out.getvalue()


def verify_fails(*args) -> str:
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", *args, stdout=StringIO(), stderr=err)
    return err.getvalue() + str(failure.value)


def cut_back(municipality, keep):
    """What someone with the database does: delete the newest entries and set the head back
    to the last one kept, so that the chain fits together again."""
    chain = chain_of(municipality)
    kept = AuditEvent.objects.get(chain=chain, sequence=keep)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE chain = %s AND sequence > %s", [chain, keep]
        )
        cursor.execute(
            "UPDATE common_chainhead SET length = %s, last_hash = %s WHERE chain = %s",
            [keep, kept.entry_hash, chain],
        )


def delete_chain(municipality):
    chain = chain_of(municipality)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
        cursor.execute("DELETE FROM common_chainhead WHERE chain = %s", [chain])


def chains_alone_pass() -> bool:
    return all(family.verify() == [] for family in chain_families)


def files(directory):
    return sorted(directory.glob("checkpoint-*.json"))


def test_a_checkpoint_lists_every_chain_signed(checkpoints, gent, brugge):
    record(gent, 3)
    record(brugge, 2)
    report = checkpoint()
    assert "Wrote checkpoint 1" in report and "Its digest" in report
    [path] = files(checkpoints)
    document = json.loads(path.read_text())
    head = ChainHead.objects.get(chain=chain_of(gent))
    assert document["chains"][chain_of(gent)] == {"length": 3, "head": head.last_hash}
    assert document["chains"][chain_of(brugge)]["length"] == 2
    assert document["number"] == 1 and document["previous"] == "0" * 64
    assert document["signature"] and document["key"]
    assert path.stat().st_mode & 0o222 == 0  # written once, read-only
    assert "anchors 2 chains" in verify()


def test_deleting_the_newest_entries_and_setting_the_head_back_is_found(checkpoints, gent):
    record(gent, 5)
    checkpoint()
    cut_back(gent, keep=3)
    assert chains_alone_pass()  # what used to pass
    out = verify_fails()
    assert f"chain {chain_of(gent)}" in out and "saw 5 entries, 3 remain" in out
    assert "the newest entries were deleted" in out and "1 chains are broken" in out


def test_a_chain_cut_back_and_written_again_is_found(checkpoints, gent):
    record(gent, 5)
    checkpoint()
    cut_back(gent, keep=3)
    record(gent, 4)  # the application goes on: the chain is longer than the checkpoint saw
    assert chains_alone_pass()
    out = verify_fails()
    assert "(number 5) is not the entry checkpoint 1" in out and "cut back" in out


def test_deleting_a_whole_chain_with_its_head_is_found(checkpoints, gent, brugge):
    record(gent, 3)
    record(brugge, 2)
    checkpoint()
    delete_chain(gent)
    assert chains_alone_pass()
    out = verify_fails()
    assert f"chain {chain_of(gent)}" in out and "the whole chain was deleted with its head" in out
    assert chain_of(brugge) not in out


def test_a_municipality_that_never_wrote_an_entry_is_not_broken(checkpoints, gent, brugge):
    record(gent, 2)
    checkpoint()
    assert chain_of(brugge) not in json.loads(files(checkpoints)[0].read_text())["chains"]
    assert "audit trail: all 1 chains are intact" in verify()
    record(brugge, 1)  # starts after the checkpoint: nothing to hold it to yet
    assert "audit trail: all 2 chains are intact" in verify()


def test_the_next_checkpoint_keeps_the_head_of_a_chain_cut_back(checkpoints, gent, brugge):
    """A checkpoint never makes a cut-back chain look whole: it keeps the old head."""
    record(gent, 4)
    record(brugge, 1)
    checkpoint()
    cut_back(gent, keep=2)
    record(brugge, 2)
    err = StringIO()
    with pytest.raises(CommandError, match="do not continue the last checkpoint"):
        call_command("audit", "checkpoint", stdout=StringIO(), stderr=err)
    assert f"chain {chain_of(gent)}" in err.getvalue()
    second = json.loads(files(checkpoints)[1].read_text())["chains"]
    assert second[chain_of(gent)]["length"] == 4  # held at what checkpoint 1 saw
    assert second[chain_of(brugge)]["length"] == 3  # the others move on
    assert "saw 4 entries, 2 remain" in verify_fails()
    delete_chain(gent)
    with pytest.raises(CommandError):
        call_command("audit", "checkpoint", stdout=StringIO(), stderr=(err := StringIO()))
    assert "no head for it" in err.getvalue()
    assert chain_of(gent) in json.loads(files(checkpoints)[2].read_text())["chains"]


def test_a_forged_checkpoint_fails(checkpoints, gent):
    record(gent, 5)
    checkpoint()
    cut_back(gent, keep=3)
    # The forger also edits the checkpoint to match, without the key.
    [path] = files(checkpoints)
    document = json.loads(path.read_text())
    kept = ChainHead.objects.get(chain=chain_of(gent))
    document["chains"][chain_of(gent)] = {"length": 3, "head": kept.last_hash}
    path.chmod(0o644)
    path.write_text(json.dumps(document))
    out = verify_fails()
    assert "checkpoint-00000001.json: the signature does not verify" in out


def test_a_checkpoint_signed_with_another_key_fails(checkpoints, gent, settings, tmp_path):
    record(gent, 2)
    settings.ELOKET_CHECKPOINT_KEY = str(write_key(tmp_path / "someone_elses.pem"))
    checkpoint()
    settings.ELOKET_CHECKPOINT_KEY = str(write_key(tmp_path / "ours.pem"))
    assert "is signed with another key" in verify_fails()
    with pytest.raises(CommandError, match="another key"):
        checkpoint()  # nothing is written on top of it


def test_a_removed_checkpoint_shows(checkpoints, gent):
    for _ in range(3):
        record(gent, 1)
        checkpoint()
    paths = files(checkpoints)
    last_digest = checkpoint_digest(paths[2])
    paths[1].unlink()
    assert "checkpoint 2 is missing (deleted)" in verify_fails()
    paths[0].unlink()
    paths[2].unlink()
    # With none left, the chains are back to checking themselves only; the operator's
    # own copy of the last digest still tells.
    assert "checkpoints: none yet" in verify()
    assert f"no checkpoint has the digest {last_digest}" in verify_fails("--anchor", last_digest)


def test_a_checkpoint_renumbered_to_fill_a_gap_shows(checkpoints, gent):
    for _ in range(3):
        record(gent, 1)
        checkpoint()
    paths = files(checkpoints)
    paths[1].unlink()
    paths[2].rename(paths[1])
    assert "checkpoint-00000002.json is not a readable checkpoint (it says it is number 3)" in (
        verify_fails()
    )


def checkpoint_digest(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_periodic_job_writes_when_due_and_something_changed(checkpoints, gent, settings):
    from eloket.common.checkpoints import WriteCheckpoint

    job = WriteCheckpoint()
    now = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    assert job.run(now) == 0 and files(checkpoints) == []  # no chain yet: nothing to anchor
    record(gent, 2)
    assert job.run(now) == 1
    record(gent, 1)
    assert job.run(now + dt.timedelta(minutes=30)) == 0  # not due yet
    assert job.run(now + dt.timedelta(minutes=61)) == 1
    assert job.run(now + dt.timedelta(minutes=130)) == 0  # nothing new
    assert len(files(checkpoints)) == 2
    settings.ELOKET_CHECKPOINT_DIR = ""
    record(gent, 1)
    assert job.run(now + dt.timedelta(days=1)) == 0  # checkpoints off


def test_the_periodic_job_logs_a_chain_cut_back(checkpoints, gent, caplog):
    from eloket.common.checkpoints import WriteCheckpoint

    now = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    record(gent, 3)
    WriteCheckpoint().run(now)
    cut_back(gent, keep=1)
    WriteCheckpoint().run(now + dt.timedelta(hours=2))
    assert any(r.levelname == "ERROR" and chain_of(gent) in r.getMessage() for r in caplog.records)


def test_the_checkpoint_key_is_not_in_the_database(checkpoints, gent, settings):
    from django.apps import apps

    record(gent, 2)
    checkpoint()
    pem = Path(settings.ELOKET_CHECKPOINT_KEY).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    secrets = {raw.hex(), base64.b64encode(raw).decode(), pem.decode().splitlines()[1]}
    for model in apps.get_models():
        rows = str(list(model._base_manager.values_list()))
        assert not [s for s in secrets if s in rows], model
    assert not settings.ELOKET_CHECKPOINT_KEY.startswith(settings.ELOKET_CHECKPOINT_DIR)


def test_verify_with_only_the_public_key(checkpoints, gent, settings, tmp_path):
    """An auditor's machine has the public key, not the signing key."""
    record(gent, 2)
    checkpoint()
    public = StringIO()
    call_command("audit", "public-key", stdout=public, stderr=StringIO())
    (tmp_path / "public.pem").write_text(public.getvalue())
    settings.ELOKET_CHECKPOINT_KEY = ""
    settings.ELOKET_CHECKPOINT_PUBLIC_KEY = str(tmp_path / "public.pem")
    assert "anchors 1 chains" in verify()
    with pytest.raises(CommandError, match="ELOKET_CHECKPOINT_KEY is not set"):
        checkpoint()


def test_querysets_of_append_only_rows_refuse_changes(gent):
    from eloket.cases.models import Case
    from eloket.common.models import AppendOnlyManager

    record(gent, 2)
    events = AuditEvent.objects.filter(municipality=gent)
    for attempt in (
        lambda: events.update(reason="rewritten"),
        lambda: events.delete(),
        lambda: events.order_by("sequence").last().delete(),
        lambda: AuditEvent.objects.bulk_update(list(events), ["reason"]),
    ):
        with pytest.raises(PermissionError):
            attempt()
    assert events.count() == 2
    # Related managers too: `case.history.all().delete()` is refused.
    assert issubclass(Case.history.related_manager_cls, AppendOnlyManager)


def test_deleting_a_user_still_clears_them_from_history(gent, make_officer):
    """Django's own SET_NULL goes through the plain base manager, not the guard."""
    from django.contrib.auth.models import User

    from eloket.forum import services as forum
    from eloket.forum.models import Phase, TopicPhaseChange
    from eloket.identity.selectors import officer_actor, officer_role_in

    user = make_officer("gent.clerk", gent)
    clerk = officer_actor(officer_role_in(user, gent))
    topic = forum.topic_create(actor=clerk, municipality=gent, title={"nl": "P"}, phase=Phase.OPEN)
    User.objects.filter(pk=user.pk).delete()
    change = TopicPhaseChange.objects.get(topic=topic)
    assert change.actor_user_id is None and change.actor_label == clerk.label


def test_checkpoints_are_time_stamped_when_an_authority_is_set(checkpoints, gent, seals, settings):
    """With ELOKET_TSA_URL, an RFC 3161 time-stamp over each checkpoint (here from a
    loopback authority under the platform's test root)."""
    from pki import load_issued, make_tsa, serve_tsa

    record(gent, 2)
    directory = seals()
    root = load_issued(directory / "root.cert.pem", directory / "root.key.pem")
    url, server = serve_tsa(make_tsa(root), root)
    settings.ELOKET_TSA_URL = url
    try:
        checkpoint()
    finally:
        server.shutdown()
    [path] = files(checkpoints)
    document = json.loads(path.read_text())
    assert document["timestamp"]
    assert "anchors 1 chains" in verify()
    # A time-stamp over another checkpoint does not do for this one.
    record(gent, 1)
    url, server = serve_tsa(make_tsa(root), root)
    settings.ELOKET_TSA_URL = url
    try:
        checkpoint()
    finally:
        server.shutdown()
    first, second = files(checkpoints)
    other = json.loads(second.read_text())["timestamp"]
    first.chmod(0o644)
    first.write_text(json.dumps({**document, "timestamp": other}, separators=(",", ":")))
    out = verify_fails()
    assert "checkpoint 1 of" in out and "its time-stamp is not over this checkpoint" in out


def test_a_long_verify_says_how_far_it_got(gent, brugge, monkeypatch):
    from eloket.common.management.commands import audit

    monkeypatch.setattr(audit, "PROGRESS_EVERY", 0.0)
    record(gent, 2)
    record(brugge, 2)
    out = verify()
    assert "audit trail: 1 of 2 chains checked, 2 entries read…" in out
    assert "ELOKET_CHECKPOINT_DIR is not set" in out  # tests run without, unless they ask
