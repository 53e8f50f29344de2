"""`eloket backup` and `eloket restore` (docs/backup.md).

A backup is a directory:

    manifest.json      what is in it: every file's SHA-256 and size, the database's
                       engine, the migrations applied, when and by which Eloket it was made
    manifest.mac       HMAC-SHA256 of manifest.json under a key derived from the passphrase
    database.json.gz   Django's `dumpdata` of every table (natural keys), in one transaction
    files/media/...    the media files (MEDIA_ROOT, or their S3 bucket)
    files/attachments/ the attachments' files (ELOKET_ATTACHMENTS_ROOT, or their S3 bucket)
    files/checkpoints/ the signed checkpoints of the hash chains (ELOKET_CHECKPOINT_DIR)
    keys.enc           a tar of the seal keys (ELOKET_SEAL_DIR), the officers' signing keys
                       (ELOKET_OFFICER_KEY_DIR), the trust roots and the
                       checkpoint key, encrypted with AES-256-GCM under a key derived with
                       scrypt from the operator's passphrase

`restore` checks the manifest's MAC and every hash first, refuses a database that holds
municipalities or users, migrates, loads, puts the files and keys back, then verifies the
hash chains (`eloket audit verify`) and every stored document's seal.
"""

import datetime as dt
import gzip
import hashlib
import hmac
import io
import json
import os
import posixpath
import secrets
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management import call_command
from django.db import connection, transaction

FORMAT = "eloket-backup/1"
MAGIC = b"ELOKETKEYS1\n"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
# What the dump leaves out: rows `migrate` makes on the empty database (the content types
# and permissions, loaded by natural key), and what is only worth anything while it runs.
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "django_tasks_database",
    "ops.taskorigin",
]

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup that cannot be made or restored, in words for the operator."""


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase.encode())


def encrypt(data: bytes, passphrase: str) -> bytes:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    return MAGIC + salt + nonce + AESGCM(_derive(passphrase, salt)).encrypt(nonce, data, MAGIC)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    if not blob.startswith(MAGIC):
        raise BackupError("keys.enc is not an Eloket key archive.")
    body = blob[len(MAGIC) :]
    salt, nonce, sealed = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_derive(passphrase, salt)).decrypt(nonce, sealed, MAGIC)
    except Exception as exc:
        raise BackupError("The passphrase does not open keys.enc (or it was changed).") from exc


def _mac(manifest: bytes, passphrase: str, salt: bytes) -> str:
    return hmac.new(_derive(passphrase, salt), manifest, hashlib.sha256).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file's name in a storage that is not a directory (an S3 bucket, under its
    prefix), depth first, sorted; names that would climb out of the tree are left out."""
    folders, files = storage.listdir(folder)
    for name in sorted(files):
        full = posixpath.join(folder, name) if folder else name
        if ".." not in full.split("/") and not full.startswith("/"):
            yield full
    for sub in sorted(folders):
        if sub not in ("", ".", ".."):
            yield from _storage_files(storage, posixpath.join(folder, sub) if folder else sub)


def _where(storage: Storage) -> str:
    describe = getattr(storage, "describe", None)
    return describe() if callable(describe) else type(storage).__name__


@dataclass
class Sources:
    """Where the files are on this machine (from the settings): a directory each, or, for
    the media and the attachments, an object storage (S3) in `buckets` instead."""

    media: Path | None
    attachments: Path | None
    checkpoints: Path | None
    seal_dir: Path | None
    officer_key_dir: Path | None
    trust_roots: Path | None
    checkpoint_key: Path | None
    buckets: dict[str, Storage] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> "Sources":
        def path(value: Any) -> Path | None:
            return Path(value) if value else None

        media, attachments = storages["default"], storages["attachments"]
        return cls(
            media=Path(settings.MEDIA_ROOT) if isinstance(media, FileSystemStorage) else None,
            attachments=(
                Path(attachments.location) if isinstance(attachments, FileSystemStorage) else None
            ),
            checkpoints=path(settings.ELOKET_CHECKPOINT_DIR),
            seal_dir=path(settings.ELOKET_SEAL_DIR),
            officer_key_dir=path(settings.ELOKET_OFFICER_KEY_DIR),
            trust_roots=path(settings.ELOKET_TRUST_ROOTS),
            checkpoint_key=path(settings.ELOKET_CHECKPOINT_KEY),
            buckets={
                tree: storage
                for tree, storage in (("media", media), ("attachments", attachments))
                if not isinstance(storage, FileSystemStorage)
            },
        )

    def file_trees(self) -> dict[str, Path | None]:
        return {
            "media": self.media,
            "attachments": self.attachments,
            "checkpoints": self.checkpoints,
        }

    def key_trees(self) -> dict[str, Path | None]:
        """Archive prefix -> directory, for the directories of keys: the seals, and the
        officers' signing keys (approval chains)."""
        return {"seals/": self.seal_dir, "officers/": self.officer_key_dir}

    def key_files(self) -> dict[str, Path | None]:
        """Archive name -> file, for the single files among the keys."""
        return {"trust-roots.pem": self.trust_roots, "checkpoint-key.pem": self.checkpoint_key}


def _migrations_applied() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


def _dump_database(target: Path, say: Say) -> None:
    """Every table in one transaction: one consistent moment. Primary keys are kept (the
    hash chains hash them); content types and permissions go by natural key, as `migrate`
    numbers them anew (on PostgreSQL a repeatable
    read snapshot; on SQLite the transaction holds the write lock, so writers wait)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with gzip.open(target, "wt", encoding="utf-8") as stream:
            call_command(
                "dumpdata",
                exclude=EXCLUDED,
                natural_foreign=True,
                indent=None,
                stdout=stream,
                verbosity=0,
            )
    say(f"database: {target.stat().st_size / 1e6:.1f} MB compressed")


def _keys_archive(sources: Sources) -> tuple[bytes, list[str]]:
    out = io.BytesIO()
    names: list[str] = []
    with tarfile.open(fileobj=out, mode="w") as archive:
        for prefix, directory in sources.key_trees().items():
            if directory is None:
                continue
            for path in _files_under(directory):
                name = prefix + path.relative_to(directory).as_posix()
                archive.add(path, arcname=name)
                names.append(name)
        for name, single in sources.key_files().items():
            if single is not None and single.is_file():
                archive.add(single, arcname=name)
                names.append(name)
    return out.getvalue(), names


def backup(target: Path, *, passphrase: str, say: Say) -> dict[str, Any]:
    """Write a backup into `target` (a new or empty directory); returns the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new directory.")
    if len(passphrase) < 12:
        raise BackupError("The passphrase must be at least 12 characters long.")
    sources = Sources.from_settings()
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    entries: dict[str, dict[str, Any]] = {}

    def note(path: Path) -> None:
        entries[path.relative_to(target).as_posix()] = {
            "sha256": sha256_of(path),
            "size": path.stat().st_size,
        }

    say("1/4 database (one transaction)…")
    _dump_database(target / "database.json.gz", say)
    note(target / "database.json.gz")

    say("2/4 files…")
    for tree, root in sources.file_trees().items():
        if root is None:
            continue
        copied = 0
        for path in _files_under(root):
            destination = target / "files" / tree / path.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            note(destination)
            copied += 1
            if copied % 1000 == 0:
                say(f"  {tree}: {copied} files…")
        say(f"  {tree}: {copied} files")
    for tree, storage in sources.buckets.items():
        copied = 0
        for name in _storage_files(storage):
            destination = target / "files" / tree / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as stored, destination.open("wb") as out:
                shutil.copyfileobj(stored, out, 1 << 20)
            note(destination)
            copied += 1
            if copied % 1000 == 0:
                say(f"  {tree}: {copied} files from {_where(storage)}…")
        say(f"  {tree}: {copied} files from {_where(storage)}")

    say("3/4 keys (encrypted)…")
    archive, key_names = _keys_archive(sources)
    (target / "keys.enc").write_bytes(encrypt(archive, passphrase))
    note(target / "keys.enc")
    say(f"  {len(key_names)} key and certificate files")

    say("4/4 manifest…")
    from importlib.metadata import version

    salt = secrets.token_bytes(16)
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "eloket": version("eloket"),
        "database": connection.vendor,
        "migrations": _migrations_applied(),
        "keys": key_names,
        "mac_salt": salt.hex(),
        "files": entries,
    }
    raw = json.dumps(manifest, indent=1, sort_keys=True).encode()
    (target / "manifest.json").write_bytes(raw)
    (target / "manifest.mac").write_text(_mac(raw, passphrase, salt) + "\n")
    say(f"backup written: {len(entries)} files, manifest.json")
    return manifest


def check(source: Path, *, passphrase: str, say: Say) -> dict[str, Any]:
    """The manifest, once its MAC and every file's hash are right (else BackupError)."""
    manifest_path = source / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{source} holds no manifest.json: not an Eloket backup.")
    raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(raw)
        salt = bytes.fromhex(manifest["mac_salt"])
    except (ValueError, KeyError) as exc:
        raise BackupError("manifest.json is damaged.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    mac_path = source / "manifest.mac"
    given = mac_path.read_text().strip() if mac_path.is_file() else ""
    if not hmac.compare_digest(given, _mac(raw, passphrase, salt)):
        raise BackupError(
            "manifest.json does not match manifest.mac: the backup was changed, or the "
            "passphrase is not the one it was made with. Nothing was restored."
        )
    listed = set(manifest["files"])
    present = {
        p.relative_to(source).as_posix()
        for p in _files_under(source)
        if p.name not in {"manifest.json", "manifest.mac"}
    }
    problems = [f"missing: {name}" for name in sorted(listed - present)]
    problems += [f"not in the manifest: {name}" for name in sorted(present - listed)]
    for number, name in enumerate(sorted(listed & present), 1):
        if sha256_of(source / name) != manifest["files"][name]["sha256"]:
            problems.append(f"hash mismatch: {name}")
        if number % 1000 == 0:
            say(f"  {number} of {len(listed)} files checked…")
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; … {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise BackupError(
            f"The backup was changed or is incomplete ({shown}). Nothing was restored."
        )
    say(f"backup intact: {len(listed)} files match the manifest")
    return manifest


def database_is_empty() -> bool:
    from django.contrib.auth import get_user_model

    from eloket.tenants.models import Municipality

    tables = connection.introspection.table_names()
    if Municipality._meta.db_table not in tables:
        return True
    return not (Municipality.objects.exists() or get_user_model().objects.exists())


def _put(path: Path, data: bytes, *, what: str) -> str:
    """Write a file that must not differ from one already there."""
    if path.exists():
        if path.read_bytes() == data:
            return "same"
        raise BackupError(
            f"{what} {path} exists and differs from the backup's: move it away first."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    return "written"


def _put_object(storage: Storage, name: str, path: Path, *, what: str) -> str:
    """Put a file back into an object storage under its own name; one already there must
    not differ."""
    if storage.exists(name):
        with storage.open(name, "rb") as stored:
            same = stored.read() == path.read_bytes()
        if same:
            return "same"
        raise BackupError(
            f"{what} {name} exists in {_where(storage)} and differs from the backup's: "
            "move it away first."
        )
    with path.open("rb") as stream:
        saved = storage.save(name, File(stream, name=name))
    if saved != name:
        raise BackupError(f"{what} {name} was stored as {saved} in {_where(storage)}.")
    return "written"


def restore(source: Path, *, passphrase: str, say: Say) -> dict[str, Any]:
    say("1/6 checking the backup…")
    manifest = check(source, passphrase=passphrase, say=say)
    keys = decrypt((source / "keys.enc").read_bytes(), passphrase)
    if not database_is_empty():
        raise BackupError(
            "The database already holds municipalities or users: a backup is restored into "
            "an empty database only. Nothing was restored."
        )
    if manifest["database"] != connection.vendor:
        say(f"  the backup is of {manifest['database']}, restoring into {connection.vendor}")

    say("2/6 creating the tables (migrate)…")
    call_command("migrate", interactive=False, verbosity=0)

    say("3/6 loading the database…")
    call_command("loaddata", str(source / "database.json.gz"), verbosity=0)
    say("  loaded")

    say("4/6 files…")
    sources = Sources.from_settings()
    for tree, root in sources.file_trees().items():
        stored = source / "files" / tree
        if not stored.is_dir():
            continue
        bucket = sources.buckets.get(tree)
        if root is None and bucket is None:
            say(f"  {tree}: no place for them in the settings; left in the backup")
            continue
        count = 0
        for path in _files_under(stored):
            if bucket is not None:
                name = path.relative_to(stored).as_posix()
                _put_object(bucket, name, path, what=f"{tree} file")
            elif root is not None:
                _put(root / path.relative_to(stored), path.read_bytes(), what=f"{tree} file")
            count += 1
            if count % 1000 == 0:
                say(f"  {tree}: {count} files…")
        into = f" into {_where(bucket)}" if bucket is not None else ""
        say(f"  {tree}: {count} files{into}")

    say("5/6 keys…")
    with tarfile.open(fileobj=io.BytesIO(keys)) as archive:
        for member in archive.getmembers():
            if not member.isfile() or member.name.startswith("/") or ".." in member.name:
                continue
            extracted = archive.extractfile(member)
            data = extracted.read() if extracted is not None else b""
            destination: Path | None = sources.key_files().get(member.name)
            for prefix, directory in sources.key_trees().items():
                if member.name.startswith(prefix):
                    destination = (
                        directory / member.name.removeprefix(prefix) if directory else None
                    )
            if destination is None:
                say(f"  {member.name}: no place for it in the settings (ELOKET_SEAL_DIR, …)")
                continue
            say(f"  {member.name}: {_put(destination, data, what='key file')}")
    from eloket.tenants.invalidation import tenant_change_announce
    from eloket.tenants.selectors import municipality_cache_clear

    municipality_cache_clear()
    tenant_change_announce()  # the web nodes still running forget what they had read
    say("6/6 verifying…")
    verify_after_restore(say)
    # The queue is not in a backup: the periodic tick starts again (outbox messages due
    # are in the database and go out with it).
    from eloket.common.schedule import schedule_ensure

    schedule_ensure()
    return manifest


def verify_after_restore(say: Say) -> None:
    """The hash chains (and checkpoints), then every stored document's seal."""
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=out)
    except CommandError as exc:
        raise BackupError(
            f"Restored, but the chains do not verify: {exc}\n{out.getvalue()}"
        ) from exc
    for line in out.getvalue().splitlines():
        say(f"  {line}")
    from eloket.documents.models import IssuedDocument
    from eloket.documents.verify import verify_pdf

    documents = IssuedDocument.objects.only("pk", "code", "pdf", "sha256").order_by("pk")
    total = documents.count()
    bad: list[str] = []
    for number, document in enumerate(documents.iterator(chunk_size=100), 1):
        pdf = bytes(document.pdf)
        if hashlib.sha256(pdf).hexdigest() != document.sha256:
            bad.append(f"{document.code}: its PDF does not match its hash")
        elif len(pdf) <= settings.ELOKET_UPLOAD_MAX_BYTES:
            result = verify_pdf(pdf)
            if not result.authentic or result.document is None or result.document.pk != document.pk:
                bad.append(f"{document.code}: its seal does not verify ({result.outcome})")
        if number % 100 == 0:
            say(f"  documents: {number} of {total} verified…")
    if bad:
        raise BackupError("Restored, but documents do not verify: " + "; ".join(bad[:10]))
    say(f"  documents: all {total} verify")
