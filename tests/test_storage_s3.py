"""S3-compatible storage (issue 16, points 1, 6 and 7): with ELOKET_S3_* set, the media
and the attachments are private objects in a bucket that every node shares; the pages
serve them after their checks as before; /readyz says where they are and fails clearly
when the storage is gone; `eloket backup` copies them out of the bucket and `eloket
restore` puts them back. The bucket is a real S3-compatible server on loopback: moto's
server mode in a process of its own, on a free port."""

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command

from conftest import citizen_user, free_port
from eloket.ops.tasks import heartbeat_write
from test_attachments import case, file_url, housing, jan, pdf_bytes, png_bytes, upload  # noqa: F401 (fixtures)
from test_ops_backup import _wipe, place  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
CREDENTIALS = {
    "aws_access_key_id": "eloket-test",
    "aws_secret_access_key": "eloket-test-secret",
    "region_name": "us-east-1",
}


class MotoServer:
    """moto's S3-compatible server, a process of its own on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("moto's server did not start")
                time.sleep(0.1)

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, **CREDENTIALS)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def s3_server():
    server = MotoServer()
    yield server
    server.stop()


def s3_storages(endpoint: str, bucket: str) -> dict:
    """What conf/settings.py makes of ELOKET_S3_* (checked in a process of its own below)."""

    def storage(location: str) -> dict:
        return {
            "BACKEND": "eloket.common.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "location": location,
                "endpoint_url": endpoint,
                "region_name": CREDENTIALS["region_name"],
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "addressing_style": "path",
            },
        }

    return {"attachments": storage("attachments"), "default": storage("media")}


def on_s3(settings, server: MotoServer) -> str:
    bucket = f"eloket-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, **s3_storages(server.endpoint, bucket)}
    return bucket


@pytest.fixture
def bucket(settings, s3_server):
    return on_s3(settings, s3_server)


def keys(server: MotoServer, bucket: str) -> list[str]:
    listed = server.client().list_objects_v2(Bucket=bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", ()))


def test_the_environment_puts_media_and_attachments_in_the_bucket(s3_server, tmp_path):
    """ELOKET_S3_* as an operator sets them, read by the settings in a fresh process."""
    bucket = f"eloket-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELOKET_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="eloket.conf.settings",
        ELOKET_HOME=str(tmp_path),
        ELOKET_S3_BUCKET=bucket,
        ELOKET_S3_ENDPOINT_URL=s3_server.endpoint,
        ELOKET_S3_REGION="us-east-1",
        ELOKET_S3_ACCESS_KEY_ID="eloket-test",
        ELOKET_S3_SECRET_ACCESS_KEY="eloket-test-secret",
        ELOKET_S3_ADDRESSING_STYLE="path",
    )
    code = (
        "import django, json; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "from eloket.ops.health import check_storage\n"
        "a, m = storages['attachments'], storages['default']\n"
        "name = a.save('case/plan.pdf', ContentFile(b'%PDF-1.7 plan'))\n"
        "print(json.dumps({'name': name, 'url': a.url(name), 'media': m.save('logo.png',"
        " ContentFile(b'png')), 'readyz': check_storage()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert keys(s3_server, bucket) == ["attachments/case/plan.pdf", "media/logo.png"]
    assert said["url"].startswith("/files-are-not-public/"), "never the bucket's address"
    assert f"attachments on s3://{bucket}/attachments at {s3_server.endpoint}" in said["readyz"]
    assert not (tmp_path / "var" / "attachments").exists()
    # Private objects: the owner's grant only, none for everyone.
    acl = s3_server.client().get_object_acl(Bucket=bucket, Key="attachments/case/plan.pdf")
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
    assert all("URI" not in grant["Grantee"] for grant in acl["Grants"])


def test_a_bucket_without_the_s3_extra_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELOKET_", "DJANGO_"))}
    env.update(ELOKET_HOME=str(tmp_path), ELOKET_S3_BUCKET="eloket", PYTHONPATH=str(tmp_path))
    # A module named storages that cannot be found: find_spec answers None for it.
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.util\n_find = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'storages' else _find(name, *a)\n"
    )
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{ROOT / 'src'}"
    done = subprocess.run(
        [sys.executable, "-m", "eloket", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "pip install 'eloket[s3]'" in done.stderr


def test_an_attachment_goes_to_the_bucket_and_comes_back_through_the_page(
    client,
    gent,
    family,
    jan,  # noqa: F811
    case,  # noqa: F811
    bucket,
    s3_server,
):
    pdf, png = pdf_bytes(), png_bytes()
    client.force_login(jan)
    sent = client.post(
        f"/gent/requests/{case.tracking_code}/act",
        {"action": "message", "text": "The plans", "files": [upload("plan.pdf", pdf),
                                                             upload("photo.png", png, "image/png")]},
    )  # fmt: skip
    assert sent.status_code == 302
    attachments = list(case.messages.get().attachments.order_by("name"))
    stored = keys(s3_server, bucket)
    assert len(stored) == 2 and all(key.startswith("attachments/") for key in stored)
    assert sorted(f"attachments/{a.file.name}" for a in attachments) == stored
    for attachment, data in zip(attachments, (png, pdf), strict=True):
        answer = client.get(file_url(case, attachment))
        assert answer.status_code == 200
        assert b"".join(answer.streaming_content) == data
        assert "no-store" in answer["Cache-Control"]
        body = s3_server.client().get_object(
            Bucket=bucket, Key=f"attachments/{attachment.file.name}"
        )
        assert body["Body"].read() == data
    # Another citizen still gets 404: the bucket changes where, not who.
    client.force_login(citizen_user(family["Sofie"]))
    assert client.get(file_url(case, attachments[0])).status_code == 404


def test_a_large_file_goes_up_and_comes_back_whole(
    client,
    gent,
    jan,  # noqa: F811
    case,  # noqa: F811
    bucket,
    s3_server,
):
    """Over Django's in-memory limit on the way up (a temporary file) and over the
    storage's on the way down (read from the bucket onto disk, not into memory)."""
    from pypdf import PdfWriter

    from eloket.common.storage import MEMORY_BYTES

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("noise.bin", os.urandom(MEMORY_BYTES + 1024 * 1024))
    out = io.BytesIO()
    writer.write(out)
    big = out.getvalue()
    client.force_login(jan)
    sent = client.post(
        f"/gent/requests/{case.tracking_code}/act",
        {"action": "message", "text": "Big plan", "files": [upload("big.pdf", big)]},
    )
    assert sent.status_code == 302
    attachment = case.messages.get().attachments.get()
    head = s3_server.client().head_object(Bucket=bucket, Key=f"attachments/{attachment.file.name}")
    assert head["ContentLength"] == len(big)
    answer = client.get(file_url(case, attachment))
    assert hashlib.sha256(b"".join(answer.streaming_content)).digest() == (
        hashlib.sha256(big).digest()
    )


def test_a_certificate_ordered_with_s3_configured_downloads(client, gent, family, seals, bucket):
    """Sealed documents are rows in the database (docs/adr/0014): the order and its
    download work the same with the files on S3."""
    from eloket.cases.models import Case
    from test_attacks_uploads import sealed_pdf

    seals()
    pdf = sealed_pdf(gent, family)
    order = Case.objects.get()
    client.force_login(citizen_user(family["Jan"]))
    answer = client.get(f"/gent/orders/{order.tracking_code}/document.pdf")
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert content == pdf


def test_readyz_says_where_and_fails_clearly_when_the_storage_stops(client, db, settings):
    heartbeat_write()
    server = MotoServer()
    try:
        bucket = on_s3(settings, server)
        answer = client.get("/readyz")
        assert answer.status_code == 200, answer.json()
        assert answer.json()["checks"]["storage"] == (
            f"ok (attachments on s3://{bucket}/attachments at {server.endpoint}; "
            f"default on s3://{bucket}/media at {server.endpoint})"
        )
        assert keys(server, bucket) == [], "the check's file is deleted again"
    finally:
        server.stop()
    started = time.monotonic()
    answer = client.get("/readyz")
    assert time.monotonic() - started < 30, "a storage that is gone fails fast"
    assert answer.status_code == 503
    body = answer.json()
    assert body["failed"] == ["storage"]
    assert body["checks"]["storage"] == (
        f"attachments: not writable or readable on s3://{bucket}/attachments at "
        f"{server.endpoint} (EndpointConnectionError)"
    )


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_carry_the_bucket(
    place,  # noqa: F811
    gent,
    family,
    seals,
    settings,
    s3_server,
    capsys,
):
    from eloket.documents.models import IssuedDocument

    bucket = on_s3(settings, s3_server)
    seals()
    pdf = sealed_pdf_of(gent, family)
    attachments, media = storages["attachments"], storages["default"]
    assert attachments.save("case/scan.pdf", ContentFile(b"%PDF-1.7 attachment")) == "case/scan.pdf"
    assert media.save("logos/gent.png", ContentFile(b"png")) == "logos/gent.png"
    call_command("audit", "checkpoint", verbosity=0)

    call_command("backup", str(place / "backup"))
    said = capsys.readouterr().out
    assert f"attachments: 1 files from s3://{bucket}/attachments" in said
    assert f"media: 1 files from s3://{bucket}/media" in said
    manifest = json.loads((place / "backup" / "manifest.json").read_text())
    assert "files/attachments/case/scan.pdf" in manifest["files"]
    assert "files/media/logos/gent.png" in manifest["files"]
    assert (place / "backup" / "files" / "attachments" / "case" / "scan.pdf").read_bytes() == (
        b"%PDF-1.7 attachment"
    )

    # An empty machine: no rows, no keys, an empty bucket.
    _wipe(place)
    client = s3_server.client()
    for key in keys(s3_server, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    assert keys(s3_server, bucket) == []

    call_command("restore", str(place / "backup"))
    said = capsys.readouterr().out
    assert f"attachments: 1 files into s3://{bucket}/attachments" in said
    assert "all 1 verify" in said
    assert keys(s3_server, bucket) == ["attachments/case/scan.pdf", "media/logos/gent.png"]
    assert attachments.open("case/scan.pdf").read() == b"%PDF-1.7 attachment"
    assert bytes(IssuedDocument.objects.get().pdf) == pdf

    # A bucket that holds another file under the same name: refused, said why.
    call_command("flush", interactive=False, verbosity=0)
    attachments.delete("case/scan.pdf")
    attachments.save("case/scan.pdf", ContentFile(b"something else"))
    with pytest.raises(Exception, match=r"case/scan\.pdf exists in s3://.* and differs"):
        call_command("restore", str(place / "backup"))


def sealed_pdf_of(gent, family) -> bytes:
    from test_attacks_uploads import sealed_pdf

    return sealed_pdf(gent, family)


def test_the_deploy_check_warns_of_a_storage_without_tls(settings):
    from eloket.common.checks import check_s3_over_tls

    settings.PRODUCTION = True
    settings.STORAGES = {**settings.STORAGES, **s3_storages("http://minio.internal:9000", "b")}
    warned = check_s3_over_tls(None)
    assert {w.id for w in warned} == {"eloket.W004"} and len(warned) == 2
    assert any(
        "attachments storage's S3 endpoint http://minio.internal:9000 is not TLS" in w.msg
        for w in warned
    )
    settings.STORAGES = {**settings.STORAGES, **s3_storages("https://minio.internal", "b")}
    assert check_s3_over_tls(None) == []
    settings.STORAGES = {**settings.STORAGES, **s3_storages("http://127.0.0.1:9000", "b")}
    assert check_s3_over_tls(None) == []


def test_media_and_attachments_may_not_share_a_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELOKET_", "DJANGO_"))}
    env.update(
        ELOKET_HOME=str(tmp_path), ELOKET_S3_BUCKET="eloket", ELOKET_S3_MEDIA_PREFIX="attachments/"
    )
    done = subprocess.run(
        [sys.executable, "-m", "eloket", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "each need their own" in done.stderr


def test_a_file_name_cannot_climb_out_or_overwrite_and_no_bucket_address_leaks(
    client,
    gent,
    family,
    jan,  # noqa: F811
    case,  # noqa: F811
    bucket,
    s3_server,
):
    """Attack: upload a file named `../../media/x.pdf` (or as another municipality's key),
    then look for the bucket's address in the page. The key is the municipality's id and a
    random id, never the name sent; a name that climbs out of the storage's folder is
    refused by the storage itself; an existing key is never overwritten; `url()` and the
    page carry no address of the bucket."""
    from django.core.exceptions import SuspiciousOperation

    client.force_login(jan)
    sent = client.post(
        f"/gent/requests/{case.tracking_code}/act",
        {"action": "message", "text": "x",
         "files": [upload("../../media/x.pdf", pdf_bytes())]},
    )  # fmt: skip
    assert sent.status_code == 302
    stored = keys(s3_server, bucket)
    assert len(stored) == 1 and stored[0].startswith(f"attachments/{gent.pk}/")
    assert ".." not in stored[0] and "x.pdf" not in stored[0]
    page = client.get(f"/gent/requests/{case.tracking_code}").content.decode()
    assert s3_server.endpoint not in page and bucket not in page
    attachments = storages["attachments"]
    with pytest.raises(SuspiciousOperation):
        attachments.save("../media/evil", ContentFile(b"x"))
    taken = attachments.save(stored[0].removeprefix("attachments/"), ContentFile(b"other"))
    assert taken != stored[0].removeprefix("attachments/")  # a new name, not overwritten
    assert s3_server.endpoint not in attachments.url(taken) and bucket not in attachments.url(taken)


def test_readyz_tells_only_an_operator_where_the_bucket_is(client, db, settings, s3_server):
    """Attack: ask /readyz from outside for the bucket's name and address (the first step
    to trying it for a public object or a misconfigured policy). Outside, it says which
    checks passed; the machine itself, or the metrics token, reads the details."""
    heartbeat_write()
    bucket = on_s3(settings, s3_server)
    outside = client.get("/readyz", REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 200 and outside.json()["checks"]["storage"] == "ok"
    assert bucket not in outside.content.decode()
    assert s3_server.endpoint not in outside.content.decode()
    proxied = client.get("/readyz", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert bucket not in proxied.content.decode()
    inside = client.get("/readyz")
    assert f"s3://{bucket}/attachments" in inside.json()["checks"]["storage"]
    settings.ELOKET_METRICS_TOKEN = "t0ken-for-the-test"
    with_token = client.get(
        "/readyz", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer t0ken-for-the-test"
    )
    assert f"s3://{bucket}/attachments" in with_token.json()["checks"]["storage"]
