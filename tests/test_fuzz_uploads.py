"""Fuzzing the parsers of uploads (issue 10, point 8): PDFs to verify and Polis exports.

Each property says what must hold for any input: verification answers a Verification
(or refuses a file that is not a PDF at all), never raises anything else, and calls a file
authentic only when it is, byte for byte, a document we sealed; a Polis import makes a
topic or refuses with an ApplicationError, never anything else. Budget and corpus:
tests/fuzzing.py; the kept inputs under tests/data/fuzz/ are replayed on every run.
"""

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fuzzing import FUZZ, corpus
from test_attacks_uploads import pdf_of, sealed_pdf

POLIS = Path(__file__).parent / "data" / "polis"


# --- PDFs


def check_verification(data: bytes, original: bytes | None = None) -> None:
    from eloket.documents.verify import UploadRefused, Verification, verify_pdf

    try:
        result = verify_pdf(data)
    except UploadRefused as refusal:
        assert refusal.code == "not_a_pdf" and not data.startswith(b"%PDF-")
        return
    assert isinstance(result, Verification)
    assert result.authentic == (data == original), "authentic only when unchanged"
    assert result.authentic or result.reasons


PDF_TOKENS = [
    b"[",
    b"]",
    b"<<",
    b">>",
    b"(",
    b")",
    b"\\",
    b"<",
    b">",
    b"/",
    b" 0 R",
    b" 1 0 obj\n",
    b"endobj\n",
    b"stream\n",
    b"endstream",
    b"xref\n",
    b"trailer",
    b"startxref\n",
    b"%%EOF",
    b"9999999999",
    b"-1",
    b"0",
    b"/ByteRange",
    b"/Contents",
    b"/Length",
    b"/Filter/FlateDecode",
    b"/Type/ObjStm",
    b"/Type/XRef",
    b"/Prev",
    b"\x00",
    b"\xff",
]


@st.composite
def mutations(draw, original: bytes) -> bytes:
    """The sealed PDF with a few changes where they hurt: a byte flipped, a slice deleted
    or repeated, PDF tokens inserted (many times over: nesting), the file cut short."""
    data = bytearray(original)
    # Half the changes land near the structure a reader reads first or the seal's entries.
    landmarks = [
        m.start()
        for m in re.finditer(rb"xref|trailer|startxref|/ByteRange|/Contents|/AcroForm", original)
    ]
    for _ in range(draw(st.integers(1, 4))):
        if landmarks and draw(st.booleans()):
            at = min(len(data), draw(st.sampled_from(landmarks)) + draw(st.integers(-8, 40)))
        else:
            at = draw(st.integers(0, len(data)))
        at = max(0, min(at, len(data)))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "nest", "repeat", "cut"]))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = b"".join(draw(st.lists(st.sampled_from(PDF_TOKENS), max_size=8)))
        elif kind == "nest":
            token = draw(st.sampled_from([b"[", b"<<", b"(", b"<</A "]))
            data[at:at] = token * draw(st.integers(500, 20_000))
        elif kind == "repeat":
            data[at:at] = bytes(data[at : at + draw(st.integers(1, 256))]) * draw(
                st.integers(2, 50)
            )
        elif kind == "cut":
            del data[at:]
    return bytes(data)


pdf_values = st.recursive(
    st.one_of(
        st.integers(-(2**70), 2**70).map(lambda n: str(n).encode()),
        st.floats(-1e12, 1e12).map(lambda x: f"{x:.4f}".encode()),
        st.sampled_from([b"true", b"false", b"null", b"/Sig", b"/Adobe.PPKLite", b"( )"]),
        st.sampled_from([b"/ETSI.CAdES.detached", b"/adbe.pkcs7.detached", b"/DocMDP"]),
        st.binary(max_size=40).map(lambda b: b"<" + b.hex().encode() + b">"),
        st.binary(max_size=20).map(lambda b: b"(" + re.sub(rb"([()\\\\])", rb"\\\1", b) + b")"),
        st.integers(0, 9).map(lambda n: b"%d 0 R" % n),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=6).map(lambda items: b"[" + b" ".join(items) + b"]"),
        st.dictionaries(
            st.sampled_from(
                [b"/Type", b"/FT", b"/V", b"/ByteRange", b"/Contents", b"/Filter", b"/Fields"]
            ),
            children,
            max_size=5,
        ).map(lambda d: b"<<" + b"".join(k + b" " + v for k, v in d.items()) + b">>"),
    ),
    max_leaves=30,
)


deep = st.tuples(
    st.sampled_from([(b"[", b"]"), (b"<</A ", b">>"), (b"[<</A ", b">>]")]),
    st.integers(500, 30_000),
).map(lambda pair: pair[0][0] * pair[1] + pair[0][1] * pair[1])


@st.composite
def updated(draw, original: bytes) -> bytes:
    """The sealed PDF with an incremental update appended, as a PDF editor writes one: a
    few of its objects (the catalogue, the seal's field or value, a page...) defined
    again with drawn values, and a cross-reference section that points to them. The file
    stays readable, so the reader reaches the hostile values."""
    # (?<!\d): without it, the seal's long runs of zeros make the search quadratic.
    numbers = sorted({int(n) for n in re.findall(rb"(?<!\d)(\d+) 0 obj", original)})
    previous = int(re.findall(rb"startxref\s+(\d+)", original)[-1])
    root = int(re.findall(rb"/Root (\d+) 0 R", original)[-1])
    size = max(numbers) + 1
    values = st.one_of(pdf_values, deep)
    changes = draw(
        st.dictionaries(
            st.one_of(st.just(root), st.sampled_from(numbers)), values, min_size=1, max_size=3
        )
    )
    out = bytearray(original)
    offsets = {}
    for number, value in sorted(changes.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + value + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for number, offset in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    trailer = b"/Size %d/Root %d 0 R/Prev %d" % (size, root, previous)
    if draw(st.booleans()):
        trailer += b"/Extra " + draw(values)
    out += b"trailer\n<<" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@st.composite
def signed_looking_pdfs(draw) -> bytes:
    """Well-formed files (a cross-reference table that fits) whose catalogue has a
    signature field with a drawn value: the parser reaches the seal and its CMS."""
    signature = draw(
        st.fixed_dictionaries(
            {
                b"/Type": st.just(b"/Sig"),
                b"/Filter": st.one_of(st.just(b"/Adobe.PPKLite"), pdf_values),
                b"/SubFilter": st.sampled_from(
                    [b"/ETSI.CAdES.detached", b"/adbe.pkcs7.detached", b"/x"]
                ),
                b"/ByteRange": st.lists(
                    st.integers(-5, 100_000).map(lambda n: str(n).encode()), max_size=6
                ).map(lambda items: b"[" + b" ".join(items) + b"]"),
                b"/Contents": st.binary(max_size=300).map(lambda b: b"<" + b.hex().encode() + b">"),
            }
        )
    )
    field = b"<</FT/Sig/T(Seal)/V 4 0 R/Ff %s>>" % draw(pdf_values)
    return pdf_of(
        [
            b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[3 0 R]/SigFlags 3>>>>",
            b"<</Type/Pages/Kids[]/Count 0>>",
            field,
            b"<<" + b"".join(k + b" " + v for k, v in signature.items()) + b">>",
            draw(pdf_values),
        ]
    )


@pytest.fixture
def genuine(gent, family, seals) -> bytes:
    return sealed_pdf(gent, family)


def test_verification_of_a_changed_sealed_pdf(genuine):
    check_verification(genuine, genuine)

    @FUZZ
    @given(data=mutations(genuine))
    def changed(data):
        check_verification(data, genuine)

    changed()


def test_verification_of_a_sealed_pdf_updated_afterwards(genuine):
    @FUZZ
    @given(data=updated(genuine))
    def updated_afterwards(data):
        check_verification(data, genuine)

    updated_afterwards()


@FUZZ
@given(data=st.binary(max_size=4000))
def test_verification_of_random_bytes(db, data):
    check_verification(b"%PDF-1.7\n" + data)
    check_verification(data)


@FUZZ
@given(data=signed_looking_pdfs())
def test_verification_of_pdfs_with_a_drawn_seal(db, data):
    check_verification(data)


@pytest.mark.parametrize("path", corpus("pdf"), ids=lambda path: path.name)
def test_the_kept_pdfs(db, path):
    check_verification(path.read_bytes())


# --- Polis exports


def polis_outcome(files: dict[str, bytes], *, refused: bool = False) -> None:
    from eloket.common.actors import Actor
    from eloket.common.errors import ApplicationError
    from eloket.forum.interchange import import_polis_upload
    from eloket.forum.models import Topic
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    before = Topic.objects.count()
    try:
        topic = import_polis_upload(
            actor=Actor.system("fuzz", gent), municipality=gent, files=files
        )
    except ApplicationError as refusal:
        assert str(refusal) and Topic.objects.count() == before, "refused: nothing written"
        return
    assert not refused, "a kept hostile export was imported"
    assert topic.opinion_count >= 0 and Topic.objects.count() == before + 1


def small_export() -> dict[str, bytes]:
    """The first lines of a real conversation: a sound export that imports in a moment."""
    folder = POLIS / "brexit-consensus"
    return {
        name: b"".join((folder / name).read_bytes().splitlines(keepends=True)[:lines])
        for name, lines in (("comments.csv", 12), ("votes.csv", 80), ("summary.csv", 8))
    }


def zipped(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


COLUMNS = [
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "voter-id",
    "vote",
    "moderated",
    "comment-body",
    "participant",
    "group-id",
    "agrees",
]
cells = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.sampled_from(["", "0", "1", "-1", "1e9", "'=1+1", '"', "\x00", "\u202e", "x" * 70]),
    st.text(max_size=30),
)


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=7))
    rows = draw(st.lists(st.lists(cells, max_size=len(header) + 2), max_size=12))
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "latin-1"]))
    return out.getvalue().encode(encoding, errors="replace")


@st.composite
def polis_uploads(draw) -> dict[str, bytes]:
    names = ["comments.csv", "votes.csv", "participants-votes.csv", "summary.csv", "x.txt"]
    files = draw(st.dictionaries(st.sampled_from(names), csv_files(), max_size=5))
    if draw(st.booleans()):
        prefix = draw(st.sampled_from(["", "export/", "../", "a\\b/", "/abs/"]))
        compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
        return {"export.zip": zipped({prefix + k: v for k, v in files.items()}, compression)}
    return files


@st.composite
def changed_zips(draw) -> bytes:
    data = bytearray(zipped(small_export()))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "cut":
            del data[at:]
    return bytes(data)


@pytest.fixture
def gent_for_polis(gent):
    return gent


def test_a_sound_export_imports(gent_for_polis):
    polis_outcome(small_export())
    polis_outcome({"export.zip": zipped(small_export())})


@FUZZ
@given(files=polis_uploads())
def test_polis_uploads_drawn_from_the_format(gent_for_polis, files):
    polis_outcome(files)


@FUZZ
@given(data=changed_zips())
def test_polis_zips_changed_here_and_there(gent_for_polis, data):
    polis_outcome({"export.zip": data})


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["export.zip", "comments.csv"]))
def test_polis_random_bytes(gent_for_polis, data, name):
    assume(name != "comments.csv" or data)
    polis_outcome({name: data, "votes.csv": small_export()["votes.csv"]})


@pytest.mark.parametrize("path", corpus("polis"), ids=lambda path: path.name)
def test_the_kept_polis_exports(gent_for_polis, path):
    polis_outcome({path.name: path.read_bytes()}, refused=True)
