"""Build a corpus of hostile inputs: damaged, lying, booby-trapped and mislabelled documents.

`build_hostile_corpus(folder)` writes at least 200 small files made from the sample PDFs in
corpus/samples (truncated, bit-flipped, xref and trailer damaged, grafted with deep nesting or page
trees claiming 50,000 pages) and from scratch (empty files, other file types named .pdf, encrypted
PDFs, decompression bombs, garbage .docx, .html and .txt). Each file is named after the recipe that
made it (`truncated-012-lowmere-thin-2021.pdf`), so a failure points at its cause. The same seed gives
byte-identical files; the whole corpus is about 28 MiB and builds in a few seconds.

Bombs are built without ever holding the inflated data: a deflate stream of N identical 1 MiB
chunks, each compressed after a full flush (which resets the history), is the first chunk's
compressed bytes repeated N times (see `_deflate_repeat`).
"""

from __future__ import annotations

import random
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"
SEED = 20240607
MIB = 1 << 20

TEXT = b"Digital inclusion matters to everyone. We will roll out free Wi-Fi in all libraries by March 2025."
STRATEGY = """---
title: Hostshire Council Digital Strategy 2024-2027
council: Hostshire Council
header: Digital Strategy 2024-27
---
# Our digital strategy

We will make sure every resident can get online, with free Wi-Fi in all libraries by March 2025.

- Appoint a chief digital officer at board level.
- Publish our open data on a new portal.
"""

Case = tuple[str, bytes]  # (file name, content)


# --------------------------------------------------------------------------------------------
# Byte-level building blocks


def _deflate_piece(data: bytes) -> bytes:
    """Raw deflate blocks for data, ending byte-aligned with an empty history (Z_FULL_FLUSH)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _deflate_repeat(chunk: bytes, copies: int, prefix: bytes = b"", suffix: bytes = b"", raw: bool = False) -> bytes:
    """Deflate `prefix + chunk * copies + suffix` without building it. Pieces compressed from an empty
    history and flushed to a byte boundary can be concatenated, so the chunk's piece is repeated;
    an empty final block closes the stream. raw=False adds the zlib header and Adler-32 checksum."""
    pieces = [_deflate_piece(prefix)] if prefix else []
    pieces += [_deflate_piece(chunk)] * copies
    pieces += [_deflate_piece(suffix)] if suffix else []
    body = b"".join(pieces) + b"\x03\x00"  # a fixed-Huffman final block holding only end-of-block
    if raw:
        return body
    checksum = _adler32_join(zlib.adler32(prefix), _adler32_repeat(chunk, copies), len(chunk) * copies)
    return b"\x78\xda" + body + struct.pack(">I", _adler32_join(checksum, zlib.adler32(suffix), len(suffix)))


ADLER_BASE = 65521


def _adler32_join(first: int, second: int, second_length: int) -> int:
    """Adler-32 of A + B from those of A and B: a = a1 + a2 - 1, b = b1 + b2 + len(B) * (a1 - 1)."""
    a1, b1, a2, b2 = first & 0xFFFF, first >> 16, second & 0xFFFF, second >> 16
    a = (a1 + a2 - 1) % ADLER_BASE
    b = (b1 + b2 + second_length * (a1 - 1)) % ADLER_BASE
    return b << 16 | a


def _adler32_repeat(chunk: bytes, copies: int) -> int:
    """Adler-32 of chunk * copies by doubling (a GiB bomb's checksum without a GiB of hashing)."""
    result, length = 1, 0  # the checksum of b""
    power, power_length = zlib.adler32(chunk), len(chunk)
    while copies:
        if copies & 1:
            result, length = _adler32_join(result, power, power_length), length + power_length
        power, power_length = _adler32_join(power, power, power_length), power_length * 2
        copies >>= 1
    return result


def _crc_repeat(chunk: bytes, copies: int, prefix: bytes = b"", suffix: bytes = b"") -> int:
    crc = zlib.crc32(prefix)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    return zlib.crc32(suffix, crc)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def _pdf(objects: dict[int, bytes], trailer: bytes, header: bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A PDF with a correct xref table; objects is {number: body}, trailer the entries after /Size."""
    out = bytearray(header)
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n" for n in range(size))
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, trailer, xref)
    return bytes(out)


def _text_content(text: bytes = TEXT) -> bytes:
    return b"BT /F1 11 Tf 72 760 Td (" + text + b") Tj ET"


def _one_page_objects(content: bytes | None = None, resources: bytes = b"") -> dict[int, bytes]:
    """Catalog 1, Pages 2, Page 3, font 4, content 5: a readable one-page document to graft onto."""
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> %s >> "
           b"/Contents 5 0 R >>" % resources,
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: _stream(content if content is not None else _text_content()),
    }


def _last_startxref(data: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def _size(data: bytes) -> int:
    return int(re.findall(rb"/Size\s+(\d+)", data)[-1])


def _catalog_of(data: bytes) -> tuple[int, bytes]:
    """(Root object number, catalog body) of a reportlab sample."""
    root = int(re.findall(rb"/Root\s+(\d+)\s+0\s+R", data)[-1])
    body = re.search(rb"\n%d 0 obj\n(.*?)\nendobj" % root, data, re.DOTALL)
    assert body, "the sample's catalog was not found"
    return root, body.group(1)


def _append_update(data: bytes, objects: dict[int, bytes], trailer: bytes) -> bytes:
    """An incremental update: new objects, an xref section for them and a trailer with /Prev."""
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for number in sorted(objects):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    size = max(_size(data), max(objects) + 1)
    out += b"trailer\n<< /Size %d /Prev %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, _last_startxref(data), trailer, xref)
    return bytes(out)


def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP archive from (name, stored bytes, method 0|8, crc32, uncompressed size), fixed dates."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        fields = (20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)  # 1980-01-01 00:00
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflated(name: str, content: bytes) -> tuple[str, bytes, int, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, compressor.compress(content) + compressor.flush(), 8, zlib.crc32(content), len(content)


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="word/document.xml"/></Relationships>'
)
W_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _document_xml(body: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document %s><w:body>%s</w:body></w:document>' % (W_NS, body)


def _paragraph(text: bytes) -> bytes:
    return b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % text


def _docx(document_xml: bytes, content_types: bytes = CONTENT_TYPES, rels: bytes = PACKAGE_RELS) -> bytes:
    return _zip([_deflated("[Content_Types].xml", content_types), _deflated("_rels/.rels", rels),
                 _deflated("word/document.xml", document_xml)])


GOOD_DOCX = _docx(_document_xml(_paragraph(TEXT) * 3))


# --------------------------------------------------------------------------------------------
# Recipes: each yields (name, bytes) cases. Fixed recipes take the samples they need by index.


def empty_files(samples: list[tuple[str, bytes]]) -> Iterator[Case]:
    for suffix in ("pdf", "docx", "html", "txt"):
        yield f"empty-zero-bytes-{suffix}.{suffix}", b""
    yield "empty-whitespace-only.pdf", b" \n\t\n" * 64
    yield "empty-pdf-header-only.pdf", b"%PDF-1.7\n"
    yield "empty-pdf-header-and-eof.pdf", b"%PDF-1.4\n%%EOF\n"


def wrong_types(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0) + b"\x00" * 4
    png += struct.pack(">I", 0) + b"IEND\xaeB`\x82"
    yield "wrong-type-png.pdf", png
    yield "wrong-type-jpeg.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + rng.randbytes(2000) + b"\xff\xd9"
    yield "wrong-type-gif.pdf", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    yield "wrong-type-zip.pdf", _zip([_deflated("readme.txt", b"not a strategy\n" * 20)])
    yield "wrong-type-docx.pdf", GOOD_DOCX
    yield "wrong-type-gzip.pdf", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + zlib.compress(TEXT * 20)[2:-4] + b"\x00" * 8
    yield "wrong-type-elf.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + rng.randbytes(3000)
    yield "wrong-type-html.pdf", b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
    yield "wrong-type-html-uppercase.pdf", b"<HTML><BODY><P>" + TEXT + b"</P></BODY></HTML>\n"
    yield "wrong-type-html-mentioning-pdf-header.pdf", (
        b"<html><body><p>Our strategy (%PDF-1.4, 2 MB) has moved. " + TEXT + b"</p></body></html>\n")
    yield "wrong-type-plain-text.pdf", TEXT + b"\n" + TEXT + b"\n"
    yield "wrong-type-utf16-text.pdf", "\ufeff".encode("utf-16-le") + (TEXT.decode() * 3).encode("utf-16-le")
    yield "wrong-type-random-bytes.pdf", rng.randbytes(4096)
    yield "wrong-type-pdf-header-then-random.pdf", b"%PDF-1.7\n" + rng.randbytes(8192)
    yield "wrong-type-pdf-after-2kb-junk.pdf", rng.randbytes(2048) + samples[4][1]
    yield "wrong-type-pdf-header-in-text.pdf", b"Saved from the council website\n%PDF-1.4 is the format we wanted\n" + TEXT


def xref_damage(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    """Damage what a reader uses to find objects: startxref, the xref table, the trailer."""
    for index, (stem, data) in enumerate(samples):
        start = _last_startxref(data)
        xref_at = data.rindex(b"xref\n", 0, data.rindex(b"startxref"))
        trailer_at = data.rindex(b"trailer")
        variants = {
            "startxref-zero": re.sub(rb"startxref\s+\d+", b"startxref\n0", data),
            "startxref-past-end": re.sub(rb"startxref\s+\d+", b"startxref\n%d" % (len(data) * 1000), data),
            "startxref-negative": re.sub(rb"startxref\s+\d+", b"startxref\n-%d" % start, data),
            "startxref-off-by-7": re.sub(rb"startxref\s+\d+", b"startxref\n%d" % (start + 7), data),
            "startxref-not-a-number": re.sub(rb"startxref\s+\d+", b"startxref\nxref", data),
            "no-trailer-keyword": data.replace(b"trailer", b"       "),
            "no-trailer-dictionary": data[:trailer_at] + data[data.rindex(b"startxref"):],
            "no-xref-table": data[:xref_at] + data[trailer_at:],
            "xref-offsets-scrambled": _scramble_offsets(data, xref_at, trailer_at, rng),
            "root-missing-object": re.sub(rb"/Root\s+\d+\s+0\s+R", b"/Root 9999 0 R", data),
            "no-root-entry": re.sub(rb"/Root\s+\d+\s+0\s+R", b"", data),
            "size-zero": re.sub(rb"/Size\s+\d+", b"/Size 0", data),
            "encrypt-missing-object": data[:trailer_at] + data[trailer_at:].replace(b"/Root", b"/Encrypt 9998 0 R /Root", 1),
            "no-eof-marker": data.replace(b"%%EOF", b""),
            "prev-points-to-itself": _prev_loop(data),
            "everything-after-header-reversed": data[:15] + data[15:][::-1],
        }
        # Sample i gets variants i, i + 8, ...: every variant once, spread over the samples.
        for name in sorted(variants)[index::len(samples)]:
            yield f"xref-{name}-{stem}.pdf", variants[name]


def _scramble_offsets(data: bytes, xref_at: int, trailer_at: int, rng: random.Random) -> bytes:
    """Every in-use xref entry points at a random offset (up to twice the file's length)."""
    table = re.sub(rb"\d{10} 00000 n", lambda _: b"%010d 00000 n" % rng.randrange(len(data) * 2), data[xref_at:trailer_at])
    return data[:xref_at] + table + data[trailer_at:]


def _prev_loop(data: bytes) -> bytes:
    """An incremental update whose trailer's /Prev points at its own xref section."""
    updated = _append_update(data, {_size(data): b"<< /Comment (loop) >>"}, b"/Root %d 0 R" % _catalog_of(data)[0])
    trailer = updated.rindex(b"trailer")
    return updated[:trailer] + re.sub(rb"/Prev \d+", b"/Prev %d" % _last_startxref(updated), updated[trailer:])


DEPTH = 100_000


def deep_nesting(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    """Structures nested far deeper than any real document, where a recursive reader overflows."""
    stem, data = samples[4]
    new = _size(data)
    root, catalog = _catalog_of(data)
    yield f"deep-array-as-root-{stem}.pdf", _append_update(data, {new: b"[" * DEPTH + b"]" * DEPTH}, b"/Root %d 0 R" % new)
    yield f"deep-dict-chain-as-root-{stem}.pdf", _append_update(
        data, {new: b"<< /A " * DEPTH + b"1" + b" >>" * DEPTH}, b"/Root %d 0 R" % new)
    yield f"deep-dict-inside-catalog-{stem}.pdf", _append_update(
        data, {root: catalog[:-2] + b" /Deep " + b"<< /A " * DEPTH + b"1" + b" >>" * DEPTH + b" >>"}, b"/Root %d 0 R" % root)
    yield f"deep-array-unclosed-as-root-{stem}.pdf", _append_update(data, {new: b"[" * DEPTH}, b"/Root %d 0 R" % new)
    yield f"deep-closers-only-as-root-{stem}.pdf", _append_update(data, {new: b"]" * DEPTH + b">>" * DEPTH}, b"/Root %d 0 R" % new)
    yield f"deep-info-dictionary-{stem}.pdf", _append_update(
        data, {new: b"<< /Title (x) /Deep " + b"<< /A " * 5000 + b"1" + b" >>" * 5000 + b" >>"},
        b"/Root %d 0 R /Info %d 0 R" % (root, new))
    yield f"deep-info-array-{stem}.pdf", _append_update(
        data, {new: b"<< /Title " + b"[" * DEPTH + b"]" * DEPTH + b" >>"}, b"/Root %d 0 R /Info %d 0 R" % (root, new))
    chain = {new + i: b"<< /Next %d 0 R >>" % (new + i + 1) for i in range(20_000)}
    chain[new + 20_000] = catalog
    yield f"deep-reference-chain-to-catalog-{stem}.pdf", _append_update(data, chain, b"/Root %d 0 R" % new)
    yield f"deep-self-reference-as-root-{stem}.pdf", _append_update(data, {new: b"%d 0 R" % new}, b"/Root %d 0 R" % new)

    objects = _one_page_objects()
    objects[1] = b"<< /Type /Catalog /Pages 6 0 R >>"
    objects[6], objects[7] = b"7 0 R", b"6 0 R"
    yield "deep-reference-cycle-as-pages.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[2] = b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"
    yield "deep-pages-kids-include-parent.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[1] = b"<< /Type /Catalog /Pages 10 0 R >>"
    levels = 10_000
    for level in range(levels):
        kid = b"%d 0 R" % (11 + level) if level < levels - 1 else b"3 0 R"
        objects[10 + level] = b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kid
    objects[3] = objects[3].replace(b"/Parent 2 0 R", b"/Parent %d 0 R" % (10 + levels - 1))
    yield "deep-pages-tree-10000-levels.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(b"[" * DEPTH + b"]" * DEPTH + b" pop " + _text_content())
    yield "deep-array-in-content-stream.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(b"q " * DEPTH + _text_content() + b" Q" * DEPTH)
    yield "deep-graphics-state-in-content-stream.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects(resources=b"/XObject << /Fm1 6 0 R >>")
    objects[5] = _stream(_text_content() + b" /Fm1 Do")
    objects[6] = _stream(b"/Fm1 Do", b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /Fm1 6 0 R >> >>")
    yield "deep-form-xobject-draws-itself.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = b"<< /Length 5 0 R >>\nstream\n" + _text_content() + b"\nendstream"
    yield "deep-stream-length-is-itself.pdf", _pdf(objects, b"/Root 1 0 R")


def many_pages(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    """Page trees that claim (or really have) tens of thousands of pages, in a small file."""
    count = 50_000
    objects = _one_page_objects()
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join([b"3 0 R"] * count), count)
    yield "pages-50000-references-to-one-page.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[2] = b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count
    yield "pages-count-50000-one-kid.pdf", _pdf(objects, b"/Root 1 0 R")
    for label, claimed in (("negative", b"-1"), ("2-to-the-63", b"9223372036854775808"), ("not-a-number", b"(many)")):
        objects = _one_page_objects()
        objects[2] = b"<< /Type /Pages /Kids [3 0 R] /Count %s >>" % claimed
        yield f"pages-count-{label}.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    distinct, first = 25_000, 10
    del objects[3]
    objects[2] = b"<< /Type /Pages /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % (first + i) for i in range(distinct)), distinct)
    for i in range(distinct):  # MediaBox and Resources are inherited from the Pages node
        objects[first + i] = b"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>"
    yield "pages-25000-distinct-pages.pdf", _pdf(objects, b"/Root 1 0 R")
    stem, data = samples[0]
    root, catalog = _catalog_of(data)
    pages_ref = re.search(rb"/Pages\s+(\d+)\s+0\s+R", catalog)
    assert pages_ref
    pages_no = int(pages_ref.group(1))
    pages_body = re.search(rb"\n%d 0 obj\n(.*?)\nendobj" % pages_no, data, re.DOTALL)
    assert pages_body
    kids = re.search(rb"/Kids\s*\[(.*?)\]", pages_body.group(1), re.DOTALL)
    assert kids
    repeated = b" ".join([kids.group(1).strip()] * (count // max(1, kids.group(1).count(b"R"))))
    yield f"pages-sample-kids-repeated-{stem}.pdf", _append_update(
        data, {pages_no: b"<< /Type /Pages /Count %d /Kids [%s] >>" % (count, repeated)}, b"/Root %d 0 R" % root)


def encrypted(samples: list[tuple[str, bytes]], rng: random.Random, folder: Path) -> Iterator[Case]:
    """PDFs protected by a user password we do not know (and one only by an owner password)."""
    from pipeline.markup import parse_source
    from pipeline.pdfwrite import write_pdf

    scratch = folder / ".scratch.pdf"
    write_pdf(parse_source(STRATEGY.replace("Hostshire", "Lockshire")), scratch, user_password="correct horse battery staple")
    yield "encrypted-user-password-passphrase.pdf", scratch.read_bytes()
    write_pdf(parse_source(STRATEGY), scratch, user_password="x")
    data = scratch.read_bytes()
    yield "encrypted-user-password-x.pdf", data
    yield "encrypted-user-password-x-truncated.pdf", data[: len(data) // 2]
    yield "encrypted-unknown-filter.pdf", re.sub(rb"/Filter\s*/Standard", b"/Filter /AcmeDRM", data)
    yield "encrypted-unknown-revision.pdf", re.sub(rb"/Filter\s*/Standard", b"/Filter /Standard /V 99 /R 99", data)
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(scratch), pagesize=A4, invariant=True, encrypt=StandardEncryption("", ownerPassword="owner"))
    canvas.drawString(72, 760, TEXT.decode())
    canvas.showPage()
    canvas.save()
    yield "encrypted-owner-password-only.pdf", scratch.read_bytes()
    scratch.unlink()


def bombs(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    """Small files whose streams inflate to hundreds of MiB or more: images and content streams."""
    zeros = bytes(MIB)
    image = b"/XObject << /Im1 6 0 R >>"
    draw = _text_content() + b" q 500 0 0 500 40 40 cm /Im1 Do Q"
    for label, width, height, space, inflated in (
        ("20000x20000-gray-inflates-400mib", 20_000, 20_000, b"/DeviceGray", 400),
        ("20000x20000-rgb-inflates-1200mib", 20_000, 20_000, b"/DeviceRGB", 1200),
        ("20000x20000-rgb-tiny-stream", 20_000, 20_000, b"/DeviceRGB", 0),
        ("1000000x1000000-declared", 1_000_000, 1_000_000, b"/DeviceRGB", 0),
        ("negative-size", -20_000, 20_000, b"/DeviceGray", 0),
    ):
        objects = _one_page_objects(draw, image)
        data = _deflate_repeat(zeros, inflated) if inflated else zlib.compress(zeros[:1024])
        objects[6] = _stream(data, b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
                                   b"/Filter /FlateDecode" % (width, height, space))
        yield f"bomb-image-{label}.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects(_text_content() + b" BI /W 20000 /H 20000 /CS /G /BPC 8 /F /Fl ID "
                                + _deflate_repeat(zeros, 64) + b" EI")
    yield "bomb-inline-image-20000x20000.pdf", _pdf(objects, b"/Root 1 0 R")
    spaces = b" " * MIB
    operators = b"BT /F1 9 Tf 72 700 Td (digital inclusion) Tj ET\n"
    operators = operators * (MIB // len(operators))
    for label, chunk, copies in (("content-256mib-of-spaces", spaces, 256), ("content-2gib-of-spaces", spaces, 2048),
                                 ("content-512mib-of-text-operators", operators, 512),
                                 ("content-64mib-of-text-operators", operators, 64)):
        objects = _one_page_objects()
        objects[5] = _stream(_deflate_repeat(chunk, copies), b"/Filter /FlateDecode")
        yield f"bomb-{label}.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(_deflate_repeat(b"x" * MIB, 512, b"BT /F1 9 Tf 72 700 Td (", b") Tj ET"), b"/Filter /FlateDecode")
    yield "bomb-content-string-literal-512mib.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(zlib.compress(_text_content()) * 3, b"/Filter [/FlateDecode /FlateDecode /FlateDecode /LZWDecode]")
    yield "bomb-filter-chain-mismatched.pdf", _pdf(objects, b"/Root 1 0 R")


def stream_lies(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    """Stream dictionaries whose /Length or /Filter do not match the data."""
    for label, length in (("huge", b"999999999999"), ("negative", b"-100"), ("zero", b"0"), ("missing-object", b"77 0 R")):
        objects = _one_page_objects()
        objects[5] = b"<< /Length %s >>\nstream\n" % length + _text_content() + b"\nendstream"
        yield f"stream-length-{label}.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(b"\x00\x01garbage that is not deflate data" * 10, b"/Filter /FlateDecode")
    yield "stream-flate-garbage.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(_text_content(), b"/Filter /JBIG2Decode /DecodeParms << /JBIG2Globals 99 0 R >>")
    yield "stream-unsupported-filter.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[5] = _stream(zlib.compress(_text_content()), b"/Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 99999999 >>")
    yield "stream-png-predictor-huge-columns.pdf", _pdf(objects, b"/Root 1 0 R")
    objects = _one_page_objects()
    objects[4] = b"<< /Type /Font /Subtype /Type0 /BaseFont /Evil /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>"
    objects[7] = b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Evil /W [0 [" + b"9999999 " * 1000 + b"]] >>"
    objects[8] = _stream(b"begincmap 1 beginbfrange <0000> <FFFF> [" + b"<0041> " * 5000 + b"] endbfrange endcmap" + b"\x00" * 100)
    objects[5] = _stream(b"BT /F1 11 Tf 72 760 Td <0001000200030004> Tj ET")
    yield "stream-hostile-font-and-cmap.pdf", _pdf(objects, b"/Root 1 0 R")


def garbage_docx(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    yield "docx-random-bytes.docx", rng.randbytes(5000)
    yield "docx-is-a-pdf.docx", samples[4][1]
    yield "docx-is-html.docx", b"<html><body><p>" + TEXT + b"</p></body></html>"
    yield "docx-truncated-half.docx", GOOD_DOCX[: len(GOOD_DOCX) // 2]
    yield "docx-truncated-no-central-directory.docx", GOOD_DOCX[: GOOD_DOCX.rindex(b"PK\x01\x02")]
    for n in range(3):
        flipped = bytearray(GOOD_DOCX)
        for _ in range(8):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        yield f"docx-bit-flips-{n}.docx", bytes(flipped)
    yield "docx-zip-without-document.docx", _zip([_deflated("[Content_Types].xml", CONTENT_TYPES), _deflated("_rels/.rels", PACKAGE_RELS)])
    yield "docx-empty-zip.docx", _zip([])
    yield "docx-no-content-types.docx", _zip([_deflated("_rels/.rels", PACKAGE_RELS), _deflated("word/document.xml", _document_xml(_paragraph(TEXT)))])
    yield "docx-document-not-xml.docx", _docx(b"this is not XML at all \x00\x01\x02")
    yield "docx-document-truncated-xml.docx", _docx(_document_xml(_paragraph(TEXT))[:150])
    yield "docx-document-wrong-root.docx", _docx(b'<?xml version="1.0"?><html><body><p>hello</p></body></html>')
    yield "docx-document-invalid-utf8.docx", _docx(_document_xml(_paragraph(b"caf\xe9 \xff\xfe " + TEXT)))
    yield "docx-document-nested-100000-deep.docx", _docx(_document_xml(b"<w:p>" * DEPTH + b"</w:p>" * DEPTH))
    yield "docx-document-billion-laughs.docx", _docx(
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
        + b"]>\n<w:document %s><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>" % W_NS)
    yield "docx-document-external-entity.docx", _docx(
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b"<w:document %s><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>" % W_NS)
    yield "docx-rels-point-outside.docx", _docx(_document_xml(_paragraph(TEXT)), rels=PACKAGE_RELS.replace(b"word/document.xml", b"../../etc/passwd"))
    yield "docx-rels-not-xml.docx", _docx(_document_xml(_paragraph(TEXT)), rels=b"\x00garbage")
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<w:document %s><w:body><w:p><w:r><w:t>' % W_NS
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    spaces, copies = b" " * MIB, 1024
    yield "docx-zip-bomb-1gib-document.docx", _zip([
        _deflated("[Content_Types].xml", CONTENT_TYPES), _deflated("_rels/.rels", PACKAGE_RELS),
        ("word/document.xml", _deflate_repeat(spaces, copies, head, tail, raw=True), 8,
         _crc_repeat(spaces, copies, head, tail), len(head) + len(spaces) * copies + len(tail)),
    ])
    yield "docx-ten-thousand-members.docx", _zip([
        _deflated("[Content_Types].xml", CONTENT_TYPES), _deflated("_rels/.rels", PACKAGE_RELS),
        _deflated("word/document.xml", head + TEXT + tail),
        *(_deflated(f"junk/{i}.bin", b"") for i in range(10_000)),
    ])


def garbage_html(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    yield "html-random-bytes.html", rng.randbytes(5000)
    yield "html-is-a-pdf.html", samples[4][1]
    yield "html-nested-100000-divs.html", b"<html><body>" + b"<div>" * DEPTH + b"<p>" + TEXT + b"</p>" + b"</div>" * DEPTH + b"</body></html>"
    yield "html-nested-100000-unclosed-paragraphs.html", b"<html><body>" + b"<p>" * DEPTH + TEXT + b"</body></html>"
    yield "html-unclosed-comment.html", b"<html><body><!-- " + b"<p>" + TEXT + b"</p>" * 50 + b"</body></html>"
    yield "html-unclosed-script.html", b"<html><body><script>var a = 1;" + b"<p>" + TEXT + b"</p>" * 50
    yield "html-unclosed-title.html", b"<html><head><title>" + b"<p>" + TEXT + b"</p>" * 50
    yield "html-nul-bytes.html", b"<html><body><p>" + TEXT.replace(b" ", b"\x00") + b"</p></body></html>"
    yield "html-invalid-utf8.html", b"<html><body><p>" + TEXT.replace(b"e", b"\xe9\xff") + b"</p></body></html>"
    yield "html-utf16-with-bom.html", "\ufeff<html><body><p>".encode("utf-16-le") + TEXT.decode().encode("utf-16-le") + b"<\x00/\x00p\x00>\x00"
    yield "html-markup-only.html", b"<html><head><style>p{}</style></head><body><nav>menu</nav>" + b"<div></div>" * 1000 + b"</body></html>"
    yield "html-one-paragraph-1500000-chars.html", b"<html><body><p>" + (TEXT + b" ") * (1_500_000 // (len(TEXT) + 1)) + b"</p></body></html>"
    yield "html-100000-paragraphs.html", b"<html><body>" + b"<p>Digital.</p>" * DEPTH + b"</body></html>"
    yield "html-200000-unterminated-tags.html", b"<html><body><p>" + TEXT + b"</p>" + b"<a" * 200_000
    yield "html-200000-unterminated-end-tags.html", b"<html><body><p>" + TEXT + b"</p>" + b"</" * 200_000
    yield "html-200000-declarations.html", b"<html><body><p>" + TEXT + b"</p>" + b"<!" * 200_000
    yield "html-200000-character-references.html", b"<html><body><p>" + b"&#" * 200_000 + b"</p></body></html>"
    yield "html-attribute-1000000-chars.html", b'<html><body><p title="' + b"x" * 1_000_000 + b'">' + TEXT + b"</p></body></html>"
    cells = b"<td>digital</td>" * 20_000
    yield "html-table-row-20000-cells.html", b"<html><body><table><tr>" + cells + b"</tr></table></body></html>"


def garbage_text(samples: list[tuple[str, bytes]], rng: random.Random) -> Iterator[Case]:
    yield "text-random-bytes.txt", rng.randbytes(5000)
    yield "text-is-a-pdf.txt", samples[4][1]
    yield "text-one-paragraph-1500000-chars.txt", (TEXT + b" ") * (1_500_000 // (len(TEXT) + 1))
    yield "text-one-line-no-spaces-1000000-chars.md", b"digital" * (1_000_000 // 7)
    yield "text-100000-form-feeds.txt", TEXT + b"\f" * DEPTH + TEXT
    yield "text-100000-headings.md", b"# H\n" * DEPTH
    yield "text-utf16-with-bom.txt", "\ufeff".encode("utf-16-le") + (TEXT.decode() * 3).encode("utf-16-le")
    yield "text-table-20000-columns.md", b"|" + b" digital |" * 20_000 + b"\n|" + b"---|" * 20_000 + b"\n"


# Random damage to whole sample files: the bulk of the corpus, so any reader bug has many chances.


def truncated(rng: random.Random, stem: str, data: bytes, n: int) -> Case:
    where = rng.choice(("anywhere", "anywhere", "header", "tail"))
    cut = {"anywhere": lambda: rng.randrange(1, len(data)), "header": lambda: rng.randrange(1, 64),
           "tail": lambda: len(data) - rng.randrange(1, 400)}[where]()
    return f"truncated-{n:03d}-{stem}.pdf", data[:cut]


def bit_flips(rng: random.Random, stem: str, data: bytes, n: int) -> Case:
    flipped = bytearray(data)
    for _ in range(rng.choice((1, 2, 8, 64, 512))):
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return f"bit-flips-{n:03d}-{stem}.pdf", bytes(flipped)


def overwritten(rng: random.Random, stem: str, data: bytes, n: int) -> Case:
    damaged = bytearray(data)
    length = rng.choice((16, 256, 4096))
    start = rng.randrange(0, max(1, len(data) - length))
    damaged[start:start + length] = rng.randbytes(length) if rng.random() < 0.5 else bytes(length)
    return f"overwritten-{n:03d}-{stem}.pdf", bytes(damaged)


RANDOM_RECIPES: tuple[Callable[[random.Random, str, bytes, int], Case], ...] = (truncated, bit_flips, overwritten)


def build_hostile_corpus(folder: Path, count: int = 200, seed: int = SEED, samples_dir: Path = SAMPLES) -> list[Path]:
    """Write at least `count` hostile files to folder (fixed recipes first, random damage to the
    samples for the rest) and return their paths, sorted. The same seed writes the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = [(path.stem, path.read_bytes()) for path in sorted(samples_dir.glob("*.pdf"))]
    if len(samples) < 5:
        raise ValueError(f"{samples_dir}: need at least 5 sample PDFs, found {len(samples)}")
    rng = random.Random(seed)
    cases: list[Case] = [*empty_files(samples), *wrong_types(samples, rng), *xref_damage(samples, rng),
                         *deep_nesting(samples, rng), *many_pages(samples, rng), *encrypted(samples, rng, folder),
                         *bombs(samples, rng), *stream_lies(samples, rng), *garbage_docx(samples, rng),
                         *garbage_html(samples, rng), *garbage_text(samples, rng)]
    for n in range(max(0, count - len(cases))):
        stem, data = samples[rng.randrange(len(samples))]
        cases.append(RANDOM_RECIPES[n % len(RANDOM_RECIPES)](rng, stem, data, n))
    names = [name for name, _ in cases]
    assert len(set(names)) == len(names), "two recipes wrote the same file name"
    stems = [Path(name).stem for name in names]
    assert len(set(stems)) == len(stems), "two recipes wrote the same doc_id"
    paths = []
    for name, content in cases:
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return sorted(paths)


if __name__ == "__main__":  # python tests/hostile.py FOLDER [COUNT]: build a corpus to poke at by hand
    import sys
    import time

    started = time.perf_counter()
    written = build_hostile_corpus(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} files, {total / MIB:.1f} MiB, in {time.perf_counter() - started:.1f} s", file=sys.stderr)
