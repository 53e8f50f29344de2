"""Attacks with hostile uploads (issue 10, point 8), each written as the attack: what the
request did before, and what it does now. Read the docstrings as the list of what was tried:

Sizes, while the body arrives
- a body that declares 50 MB is read whole (to disk) before anything looks at its size
- a file past the limit in a body that does not say so keeps being stored to the end
- the same on the API, as a raw PDF body and as a multipart file
- form fields and JSON bodies past Django's memory limit answer a bare "400 Bad Request"
  in English (HTML, on the API too)
- a Polis export over 20 MB is silently cut at 20 MB and imported (or refused) cut
- a Polis export between 5 and 20 MB must still be taken (its own, larger limit)

Cost, per client
- POST /verify (page and API) checks seals as often as anyone likes
- an anonymous visitor posts 5 MB as an opinion: seconds of comparing with the others

Parsers
- a PDF of arrays nested 100,000 deep crashes verification (upload and page): 500
- a PDF that trips an assertion in the parser: 500
- a PDF whose compressed object stream inflates without end
- a Polis zip that unpacks to gigabytes (a zip bomb), or lies about its sizes
- a Polis zip that is not a zip, lacks a file, is encrypted, or uses an unknown method
- Polis CSVs that are not UTF-8, hold a NUL, lack a column, carry ids too long for the
  database, timestamps past any calendar, a field over the CSV reader's limit

The inputs the fuzzing found are replayed from tests/data/fuzz/ by test_fuzz_parsers.py.
"""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.test import TestCase
from django.test.client import BOUNDARY, MULTIPART_CONTENT

from conftest import bearer, citizen_user, officer_login_client
from eloket.forum.models import Topic

POLIS = Path(__file__).parent / "data" / "polis"
MB = 1024 * 1024


class Body:
    """A request body that counts how much of it the server read, and makes its bytes
    only when asked (a 50 MB body costs nothing until read)."""

    def __init__(self, head: bytes, size: int, tail: bytes = b"") -> None:
        self.head, self.size, self.tail = head, size, tail
        self.total = len(head) + size + len(tail)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = self.total if size is None or size < 0 else min(self.total, self.position + size)
        start, self.position = self.position, end
        head, middle = len(self.head), len(self.head) + self.size
        return (
            self.head[start:end]
            + b"x" * max(0, min(end, middle) - max(start, head))
            + self.tail[max(0, start - middle) : max(0, end - middle)]
        )

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def multipart_file(field: str, name: str, size: int) -> Body:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return Body(head, size, f"\r\n--{BOUNDARY}--\r\n".encode())


def post_body(client, path, body, content_type, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type=content_type,
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.total), "CONTENT_TYPE": content_type},
        **extra,
    )


@pytest.fixture
def stored(monkeypatch):
    """Bytes the storing upload handlers (memory and temporary file) were given."""
    from django.core.files import uploadhandler

    seen = {"bytes": 0}
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, original=original):
            seen["bytes"] += len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return seen


def one_byte_changed(pdf: bytes) -> bytes:
    """A copy with one byte of the sealed content changed: half-way into the first revision's
    objects, before its cross-reference table. Not a fixed fraction of the file, which can land
    in the table (the copy is then unreadable, not changed) or on a hex digit of the signature
    whose case flips (the same signature: an intact seal)."""
    data = bytearray(pdf)
    data[pdf.index(b"\nxref") // 2] ^= 0x20
    return bytes(data)


def sealed_pdf(gent, family):
    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.documents.models import IssuedDocument
    from eloket.identity.selectors import citizen_actor_of

    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _new = order_submit(
            actor=citizen_actor_of(citizen_user(family["Jan"])),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type="residence",
                subject=family["Jan"].national_id,
                language="nl",
                delivery="download",
            ),
        )
    return bytes(IssuedDocument.objects.get(case=case).pdf)


def polis_zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def upload(name: str, data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


# --- Sizes, while the body arrives


class TestUploadsAreBoundedWhileTheyArrive:
    def test_a_body_declaring_50_mb_is_refused_before_a_byte_is_read(self, client, db, stored):
        """Before: Django read all 50 MB to a temporary file, then the page compared the
        file's size with 5 MB. Now: the length it declares is enough to refuse it, with a
        page in the visitor's language."""
        body = multipart_file("document", "big.pdf", 50 * MB)
        answer = post_body(client, "/verify/", body, MULTIPART_CONTENT, HTTP_ACCEPT_LANGUAGE="nl")
        assert answer.status_code == 413
        assert body.position == 0 and stored["bytes"] == 0
        page = answer.content.decode()
        assert "groter dan 5 MB" in page and "<html" in page

    def test_a_file_past_the_limit_stops_being_stored(self, client, db, stored, settings):
        """A body within the envelope's room, whose file passes the limit: before, stored
        to its end; now, the storing stops within one chunk of the limit and what was
        written is deleted."""
        settings.ELOKET_UPLOAD_MAX_BYTES = 256 * 1024
        body = multipart_file("document", "big.pdf", 900 * 1024)
        answer = post_body(client, "/verify/", body, MULTIPART_CONTENT, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 413
        assert stored["bytes"] <= 256 * 1024 + 64 * 1024
        assert "larger than 0.2 MB" in answer.content.decode()

    def test_the_api_refuses_a_raw_body_by_its_length(self, client, db):
        """POST /api/v1/verify with 60 MB of application/pdf: refused unread, in the API's
        error format, with the limit in `details`."""
        body = Body(b"%PDF-1.7\n", 60 * MB)
        answer = post_body(client, "/api/v1/verify", body, "application/pdf")
        assert answer.status_code == 413 and body.position == 0
        assert answer.json() == {
            "code": "upload_too_large",
            "message": answer.json()["message"],
            "details": {"limit_bytes": 5 * MB},
        }

    def test_the_api_stops_a_multipart_file_past_the_limit(self, client, db, stored, settings):
        settings.ELOKET_UPLOAD_MAX_BYTES = 128 * 1024
        body = multipart_file("document", "big.pdf", 700 * 1024)
        answer = post_body(
            client, "/api/v1/verify", body, MULTIPART_CONTENT, HTTP_ACCEPT_LANGUAGE="fr"
        )
        assert answer.status_code == 413 and answer.json()["code"] == "upload_too_large"
        assert "Mo" in answer.json()["message"]
        assert stored["bytes"] <= 128 * 1024 + 64 * 1024

    def test_form_fields_past_the_memory_limit(self, client, db):
        """Before: a bare "400 Bad Request" in English (Django's RequestDataTooBig). Now: 413
        and the page in the visitor's language."""
        answer = client.post(
            "/verify/",
            "code=" + "A" * (5 * MB + 10),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT_LANGUAGE="nl",
        )
        assert answer.status_code == 413 and "groter dan 5 MB" in answer.content.decode()

    def test_a_json_body_past_the_memory_limit(self, client, gent, family):
        """Before: Django's RequestDataTooBig escaped the API as an HTML "400 Bad Request".
        Now: 413 in the API's own format."""
        answer = client.post(
            "/api/v1/me/tokens",
            '{"name": "' + "x" * (5 * MB) + '"}',
            content_type="application/json",
            **bearer(citizen_user(family["Jan"])),
        )
        assert answer.status_code == 413 and answer.json()["code"] == "upload_too_large"

    def test_a_polis_export_over_its_limit_is_refused_not_cut(
        self, client, gent, make_officer, settings
    ):
        """Before: each file was read up to 20 MB and the rest dropped without a word, so a
        larger votes.csv was imported cut short. Now: the whole request is refused, saying
        how large it may be and what to do instead; no topic is made."""
        settings.ELOKET_POLIS_UPLOAD_MAX_BYTES = 200 * 1024
        officer = make_officer("gent.clerk", gent)
        votes = (POLIS / "brexit-consensus" / "votes.csv").read_bytes()  # 274 kB
        comments = (POLIS / "brexit-consensus" / "comments.csv").read_bytes()
        answer = client.post(
            "/api/v1/m/gent/forum/import-polis",
            {"files": [upload("comments.csv", comments), upload("votes.csv", votes)]},
            HTTP_ACCEPT_LANGUAGE="en",
            **bearer(officer),
        )
        assert answer.status_code == 413, answer.content
        error = answer.json()
        assert error["code"] == "upload_too_large"
        assert error["details"] == {"limit_bytes": 200 * 1024}
        assert "eloket forum import-polis" in error["message"]
        assert not Topic.objects.exists()
        # The officers' page says the same.
        officer_login_client(client, officer)
        page = client.post(
            "/gent/backoffice/forum/",
            {
                "action": "import",
                "files": [upload("comments.csv", comments), upload("votes.csv", votes)],
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert page.status_code == 413 and "eloket forum import-polis" in page.content.decode()
        assert not Topic.objects.exists()

    def test_a_polis_export_may_be_larger_than_other_uploads(
        self, client, gent, make_officer, settings
    ):
        """The Polis imports keep their own limit (page and API) while everything else is
        held to ELOKET_UPLOAD_MAX_BYTES."""
        settings.ELOKET_UPLOAD_MAX_BYTES = 64 * 1024
        officer = make_officer("gent.clerk", gent)
        files = {
            name: (POLIS / "brexit-consensus" / name).read_bytes()
            for name in ("comments.csv", "votes.csv")
        }
        answer = client.post(
            "/api/v1/m/gent/forum/import-polis",
            {"files": [upload(name, data) for name, data in files.items()]},
            **bearer(officer),
        )
        assert answer.status_code == 201, answer.content
        officer_login_client(client, officer)
        page = client.post(
            "/gent/backoffice/forum/",
            {"action": "import", "files": [upload(n, d) for n, d in files.items()]},
        )
        assert page.status_code == 302 and Topic.objects.count() == 2
        # ... and verification, on the same server, is not.
        refused = client.post("/verify/", {"document": upload("x.pdf", b"%PDF-" + b"0" * 70_000)})
        assert refused.status_code == 413


# --- Cost, per client


class TestExpensivePublicRequestsAreLimited:
    def test_verification_uploads_per_address(self, client, db, settings):
        """Before: anyone could have the server check seals without end. Now: the page and
        the API count uploads per client address (ELOKET_VERIFY_UPLOAD_RATE a minute)."""
        settings.ELOKET_VERIFY_UPLOAD_RATE = 3
        pdf = b"%PDF-1.7\n%%EOF\n"
        statuses = [
            client.post("/api/v1/verify", pdf, content_type="application/pdf").status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        answer = client.post("/api/v1/verify", pdf, content_type="application/pdf")
        assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
        page = client.post(
            "/verify/", {"document": upload("x.pdf", pdf)}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert page.status_code == 429 and "Too many files" in page.content.decode()
        elsewhere = client.post(
            "/api/v1/verify", pdf, content_type="application/pdf", REMOTE_ADDR="203.0.113.9"
        )
        assert elsewhere.status_code == 200
        # Look-ups by code keep their own count.
        assert client.get("/api/v1/verify/AAAA-BBBB-CCCC").status_code == 200

    def test_an_anonymous_opinion_of_5_mb_is_not_compared(self, client, gent, monkeypatch):
        """Before: the page compared any text with the topic's opinions before asking who
        posts it: 5 MB cost 4 seconds of one worker, for anyone. Now: nothing is compared
        for a visitor who is not logged in, nor for a text longer than an opinion may be."""
        from eloket.common.actors import Actor
        from eloket.forum import similarity
        from eloket.forum.services import topic_create

        topic = topic_create(
            actor=Actor.system("test", gent),
            municipality=gent,
            title={"nl": "Parkeren"},
            phase="open",
        )
        built = []
        monkeypatch.setattr(similarity, "_index", lambda topic: built.append(topic) or None)
        answer = client.post(
            f"/gent/forum/{topic.pk}/post", {"text": "parkeren " * 500_000}, follow=True
        )
        assert answer.status_code == 200 and built == []
        assert similarity.similar_opinions(topic, "x" * 2001) == [] and built == []
        assert similarity.similar_opinions(topic, "parkeren") == [] and len(built) == 1


# --- Parsers: PDFs


def nested_pdf(depth: int = 100_000) -> bytes:
    """A small, well-formed PDF whose catalogue holds arrays nested `depth` deep."""
    return pdf_of(
        [
            b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields["
            + b"[" * depth
            + b"]" * depth
            + b"]>>>>",
            b"<</Type/Pages/Kids[]/Count 0>>",
        ]
    )


def pdf_of(objects: list[bytes], trailer: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R%s>>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def inflating_pdf(inflated: int) -> bytes:
    """The catalogue's AcroForm in an object stream that inflates to `inflated` bytes."""
    squeeze = zlib.compressobj(9)
    block = b" " * MB
    packed = b"".join(squeeze.compress(block) for _ in range(inflated // MB)) + squeeze.flush()
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    put(1, b"<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>")
    put(2, b"<</Type/Pages/Kids[]/Count 0>>")
    put(3, b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n" % len(packed))
    out.extend(packed + b"\nendstream\nendobj\n")
    xref = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    for number in (1, 2, 3):
        rows += struct.pack(">BIH", 1, offsets[number], 0)
    rows += struct.pack(">BIH", 2, 3, 0) + struct.pack(">BIH", 1, xref, 0)
    out.extend(
        b"5 0 obj\n<</Type/XRef/Size 6/W[1 4 2]/Root 1 0 R/Length %d>>\nstream\n" % len(rows)
        + rows
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


ASSERTING_PDF = (
    b"%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Size 1/Root 1 0 R>>\n"
    b"startxref\n9\n%%EOF\n"
)


class TestHostilePdfs:
    def test_arrays_nested_100000_deep(self, client, db):
        """Before: RecursionError in the PDF parser, a 500 on the page and on the API. Now:
        "This file is damaged or incomplete: it cannot be read as a PDF", not authentic (the
        outcome `unreadable`), on both."""
        data = nested_pdf()
        assert len(data) < 300_000
        answer = client.post(
            "/api/v1/verify", data, content_type="application/pdf", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert answer.status_code == 200, answer.content[:300]
        result = answer.json()
        assert result["authentic"] is False and result["status"] == "not_authentic"
        assert result["outcome"] == "unreadable"
        assert result["reasons"] == [
            "This file is damaged or incomplete: it cannot be read as a PDF."
        ]
        page = client.post(
            "/verify/", {"document": upload("n.pdf", data)}, HTTP_ACCEPT_LANGUAGE="nl"
        )
        assert page.status_code == 200
        assert "kan niet als pdf gelezen worden" in page.content.decode()

    def test_an_assertion_inside_the_parser(self, db):
        """Before: pyHanko's AssertionError on a cross-reference table without objects
        escaped the list of expected exceptions: a 500."""
        from eloket.documents.verify import verify_pdf

        result = verify_pdf(ASSERTING_PDF)
        assert not result.authentic and result.status == "not_authentic"

    def test_an_object_stream_that_inflates_without_end(self, db):
        """40 MB of spaces in 40 kB: pyHanko would inflate up to 256 MB a stream and 500 MB
        a file of 5 MB. Verification stops at 16 MB a stream, 32 MB a file."""
        import tracemalloc

        from eloket.documents.verify import verify_pdf

        data = inflating_pdf(40 * MB)
        assert len(data) < 100_000
        tracemalloc.start()
        try:
            result = verify_pdf(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert not result.authentic and result.outcome == "unreadable"
        assert peak < 40 * MB

    def test_a_genuine_document_still_verifies(self, gent, family, seals):
        from eloket.documents.verify import verify_pdf

        assert verify_pdf(sealed_pdf(gent, family)).authentic


# --- Parsers: Polis exports


def import_files(municipality, files: dict[str, bytes]):
    from eloket.common.actors import Actor
    from eloket.forum.interchange import import_polis_upload

    return import_polis_upload(
        actor=Actor.system("test", municipality), municipality=municipality, files=files
    )


COMMENTS = b"timestamp,comment-id,author-id,moderated,comment-body\n1500000000000,1,7,1,Hello\n"
VOTES = b"timestamp,comment-id,voter-id,vote\n1500000000000,1,7,1\n"


def refused(municipality, files: dict[str, bytes]):
    from eloket.common.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        import_files(municipality, files)
    assert not Topic.objects.exists(), "nothing written"
    return caught.value


class TestHostilePolisExports:
    def test_a_zip_bomb(self, gent, settings):
        """Before: every member was read whole into memory: a zip of a few kilobytes could
        unpack to gigabytes. Now: the sizes it declares are added up first, and what it
        really unpacks is counted as it is written; past ELOKET_POLIS_UNPACKED_MAX_BYTES
        the import is refused."""
        settings.ELOKET_POLIS_UNPACKED_MAX_BYTES = 1 * MB
        bomb = polis_zip({"comments.csv": COMMENTS, "votes.csv": VOTES + b"x" * (8 * MB)})
        assert len(bomb) < 20_000
        error = refused(gent, {"bomb.zip": bomb})
        assert error.code == "polis_export_too_large"
        assert error.details == {"limit_bytes": 1 * MB}

    def test_a_zip_that_lies_about_its_sizes(self, gent, settings):
        """The central directory says 10 bytes; the member inflates to 8 MB."""
        settings.ELOKET_POLIS_UNPACKED_MAX_BYTES = 1 * MB
        data = bytearray(polis_zip({"comments.csv": COMMENTS, "votes.csv": b"x" * (8 * MB)}))
        for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            start = 0
            while (start := data.find(signature, start)) != -1:
                name_at = start + (30 if signature == b"PK\x03\x04" else 46)
                if data[name_at : name_at + 9] == b"votes.csv":
                    data[start + offset : start + offset + 4] = struct.pack("<I", 10)
                start += 4
        error = refused(gent, {"liar.zip": bytes(data)})
        assert error.code in ("invalid_polis_export", "polis_export_too_large")

    @pytest.mark.parametrize(
        "name, data",
        [
            ("export.zip", b"PK\x03\x04 not really a zip"),
            ("export.zip", b""),
            (
                "export.zip",
                polis_zip({"comments.csv": COMMENTS}, compression=zipfile.ZIP_STORED)[:-30],
            ),
        ],
    )
    def test_what_is_not_a_zip(self, gent, name, data):
        assert refused(gent, {name: data}).code == "invalid_polis_export"

    def test_an_encrypted_member_and_an_unknown_method(self, gent):
        """zipfile raises RuntimeError (password) and NotImplementedError (method): both
        escaped as a 500 before."""
        data = bytearray(polis_zip({"comments.csv": COMMENTS, "votes.csv": VOTES}))
        flags = data.find(b"PK\x01\x02") + 8  # the central directory's flag bits
        data[flags] |= 0x01
        assert refused(gent, {"a.zip": bytes(data)}).code == "invalid_polis_export"
        data = bytearray(polis_zip({"comments.csv": COMMENTS, "votes.csv": VOTES}))
        for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            start = 0
            while (start := data.find(signature, start)) != -1:
                data[start + offset : start + offset + 2] = struct.pack("<H", 77)
                start += 4
        assert refused(gent, {"b.zip": bytes(data)}).code == "invalid_polis_export"

    def test_a_missing_file(self, gent):
        error = refused(gent, {"x.zip": polis_zip({"comments.csv": COMMENTS})})
        assert "votes.csv is missing" in str(error)

    @pytest.mark.parametrize(
        "comments, votes, says",
        [
            ("Hello".encode("utf-16"), VOTES, "not UTF-8"),
            (COMMENTS.replace(b"Hello", b"He\x00llo"), VOTES, "NUL"),
            (b"comment-id,comment-body\n1\n", VOTES, "too short"),
            (COMMENTS.replace(b",1,7,", b"," + b"9" * 65 + b",7,"), VOTES, "longer than 64"),
            (COMMENTS, VOTES.replace(b",7,", b"," + b"v" * 65 + b","), "longer than 64"),
            (COMMENTS.replace(b"1500000000000", b"9" * 30), VOTES, "timestamp"),
            (COMMENTS, VOTES.replace(b",1\n", b",-" + b"9" * 30 + b"\n"), "a vote of"),
            (COMMENTS, VOTES.replace(b",1\n", b",x\n"), "whole number"),
            (COMMENTS, VOTES.replace(b",1\n", b"," + b"1" * 5000 + b"\n"), "whole number"),
            (b"", VOTES, "empty"),
            (COMMENTS, b"voter-id\n7\n", "vote"),
            (b'comment-id,comment-body\n1,"' + b"x" * (11 * MB) + b'"\n', VOTES, "field"),
        ],
    )
    def test_csv_that_cannot_be_read(self, gent, comments, votes, says):
        """Each of these escaped the importer as a traceback (UnicodeDecodeError, csv.Error,
        KeyError, an IntegrityError for a missing text, a DataError on PostgreSQL for an id
        over 64 characters or a NUL, OverflowError for a timestamp) or is now named."""
        error = refused(gent, {"comments.csv": comments, "votes.csv": votes})
        assert error.code == "invalid_polis_export"
        assert says in str(error), str(error)

    def test_comments_and_no_one_who_wrote_or_voted(self, gent):
        """Before: StopIteration from an empty list of participants, a 500."""
        comments = COMMENTS.replace(b",1,7,", b",1,,")
        error = refused(gent, {"comments.csv": comments, "votes.csv": VOTES.split(b"\n")[0]})
        assert "no participants" in str(error)

    def test_the_api_answers_a_clear_error_not_500(self, client, gent, make_officer):
        officer = make_officer("gent.clerk", gent)
        answer = client.post(
            "/api/v1/m/gent/forum/import-polis",
            {
                "files": [
                    upload("comments.csv", COMMENTS.replace(b"Hello", b"\xff\xfe")),
                    upload("votes.csv", VOTES),
                ]
            },
            **bearer(officer),
        )
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "invalid_polis_export"
        assert "comments.csv is not UTF-8 text" in answer.json()["message"]

    def test_a_sound_export_still_imports(self, gent):
        topic = import_files(gent, {"comments.csv": COMMENTS, "votes.csv": VOTES})
        assert topic.opinion_count == 1 and topic.vote_count == 1


def test_a_multipart_body_django_cannot_read_gets_the_apis_json_400(client, db, django_user_model):
    """The schemathesis negative run sent a multipart part with a thousand header lines:
    Django's parser refuses it (MultiPartParserError), and the API answered with Django's
    HTML 'Bad Request' page instead of its documented JSON error."""
    from conftest import bearer

    user = django_user_model.objects.create(username="multipart")
    boundary = "45e415ca83f622b307481689abd5e86b"
    part = b'Content-Disposition: form-data; name="a"\r\n' * 1000
    body = (
        b"--" + boundary.encode() + b"\r\n" + part + b"\r\nx\r\n--" + boundary.encode() + b"--\r\n"
    )
    response = client.post(
        "/api/v1/m/gent/forum/import-polis",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **bearer(user),
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "malformed_body"
