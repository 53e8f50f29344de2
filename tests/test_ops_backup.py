"""`eloket backup` and `eloket restore`: a round trip through a wiped database (the
chains, their checkpoint, a sealed document and an attachment's file come back and
verify), and the refusals (a changed file, a wrong passphrase, a database in use)."""

import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from test_attacks_uploads import sealed_pdf
from test_audit_checkpoints import write_key

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def place(tmp_path, settings, gent, seals, pki_dir, monkeypatch):
    """This machine's files in tmp_path (the seal keys a copy of the test PKI's)."""
    shutil.copytree(pki_dir / "seals", tmp_path / "seals")
    shutil.copy(pki_dir / "root.cert.pem", tmp_path / "root.cert.pem")
    settings.ELOKET_SEAL_DIR = str(tmp_path / "seals")
    settings.ELOKET_TRUST_ROOTS = str(tmp_path / "root.cert.pem")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ELOKET_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.ELOKET_CHECKPOINT_KEY = str(write_key(tmp_path / "checkpoint_key.pem"))
    settings.ELOKET_CHECKPOINT_PUBLIC_KEY = ""
    monkeypatch.setenv("ELOKET_BACKUP_PASSPHRASE", PASSPHRASE)
    return tmp_path


def _wipe(place):
    """An empty machine: no rows, no files, no keys."""
    call_command("flush", interactive=False, verbosity=0)
    for name in ("seals", "media", "attachments", "checkpoints"):
        shutil.rmtree(place / name, ignore_errors=True)
    (place / "checkpoint_key.pem").unlink()
    (place / "root.cert.pem").unlink()


@pytest.mark.django_db(transaction=True)
def test_round_trip_through_an_empty_database(place, gent, family, seals, capsys):
    from eloket.documents.models import IssuedDocument
    from eloket.documents.verify import verify_pdf
    from eloket.register.models import AccessLogEntry

    seals()
    pdf = sealed_pdf(gent, family)
    (place / "attachments" / "case").mkdir(parents=True)
    (place / "attachments" / "case" / "scan.pdf").write_bytes(b"%PDF-1.7 attachment")
    call_command("audit", "checkpoint", verbosity=0)
    entries = AccessLogEntry.objects.count()

    call_command("backup", str(place / "backup"))
    said = capsys.readouterr().out
    assert "1/4 database" in said and "4/4 manifest" in said and "Backup complete" in said
    manifest = json.loads((place / "backup" / "manifest.json").read_text())
    assert "files/attachments/case/scan.pdf" in manifest["files"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert b"PRIVATE KEY" not in (place / "backup" / "keys.enc").read_bytes()

    _wipe(place)
    assert not IssuedDocument.objects.exists()
    call_command("restore", str(place / "backup"))
    said = capsys.readouterr().out
    assert "all 1 verify" in said and "chains are intact" in said

    document = IssuedDocument.objects.get()
    assert bytes(document.pdf) == pdf
    result = verify_pdf(pdf)
    assert result.authentic and result.document == document
    assert AccessLogEntry.objects.count() == entries
    assert (place / "attachments" / "case" / "scan.pdf").read_bytes() == b"%PDF-1.7 attachment"
    assert (place / "seals").is_dir() and (place / "checkpoint_key.pem").is_file()
    call_command("audit", "verify", verbosity=0)

    # Restoring again: the database is no longer empty.
    with pytest.raises(CommandError, match="already holds municipalities or users"):
        call_command("restore", str(place / "backup"))


@pytest.mark.django_db
def test_a_changed_backup_is_refused(place, gent, monkeypatch):
    (place / "media").mkdir()
    (place / "media" / "logo.png").write_bytes(b"png")
    call_command("backup", str(place / "backup"), stdout=open("/dev/null", "w"))  # noqa: SIM115
    stored = place / "backup" / "files" / "media" / "logo.png"
    stored.write_bytes(b"PNG")
    with pytest.raises(CommandError, match=r"hash mismatch: files/media/logo\.png"):
        call_command("restore", str(place / "backup"))
    stored.write_bytes(b"png")
    (place / "backup" / "files" / "media" / "extra.txt").write_text("slipped in")
    with pytest.raises(CommandError, match=r"not in the manifest: files/media/extra\.txt"):
        call_command("restore", str(place / "backup"))
    (place / "backup" / "files" / "media" / "extra.txt").unlink()
    # A manifest rewritten to match a change: its MAC no longer does.
    manifest = json.loads((place / "backup" / "manifest.json").read_text())
    manifest["files"]["files/media/logo.png"]["size"] = 4
    (place / "backup" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match=r"does not match manifest\.mac"):
        call_command("restore", str(place / "backup"))


@pytest.mark.django_db
def test_wrong_passphrase_and_a_used_database(place, gent, monkeypatch):
    call_command("backup", str(place / "backup"), stdout=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setenv("ELOKET_BACKUP_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(CommandError, match="passphrase is not the one"):
        call_command("restore", str(place / "backup"))
    monkeypatch.setenv("ELOKET_BACKUP_PASSPHRASE", PASSPHRASE)
    with pytest.raises(CommandError, match="already holds municipalities or users"):
        call_command("restore", str(place / "backup"))
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(place / "backup"))
    monkeypatch.setenv("ELOKET_BACKUP_PASSPHRASE", "short")
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command("backup", str(place / "other"))
