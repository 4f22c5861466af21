#!/usr/bin/env python3
# Regenerates test/fuzz/corpus/<target>/ from the unit-test fixtures and the inputs written in
# the unit tests, plus a few inputs of our own (tokens to redact). Each file is named by the
# SHA-1 of its content, as libFuzzer names what it adds. Run from anywhere:
#   python3 test/fuzz/make_corpus.py
import hashlib
import json
import pathlib
import re
import shutil
import struct
from datetime import datetime, timezone

here = pathlib.Path(__file__).resolve().parent
unit = here.parent / "unit"
corpus = here / "corpus"

raw_literal = re.compile(r'R"\((.*?)\)"', re.S)
plain_literal = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def unescape(s):
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1", "replace")


def raw_literals(name):
    return [m.encode() for m in raw_literal.findall((unit / name).read_text())]


def plain_literals(name):
    text = raw_literal.sub("", (unit / name).read_text())
    return [unescape(m) for m in plain_literal.findall(text)]


def write(target, inputs):
    d = corpus / target
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for data in dict.fromkeys(inputs):
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(list(d.iterdir()))} inputs")


fixture = (unit / "fixtures" / "instance-full.json").read_bytes()
fixture_data = json.loads(fixture)["data"]


def no_token(body):
    # split_decoder_input: byte 0 (' ' = 32, a length of 0) then the body.
    return b" " + body


alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def with_token(tail, body):
    # byte 0: the tail's length (1 to 31), then bytes whose low 6 bits index the tail's letters.
    assert 0 < len(tail) < 32
    return bytes([len(tail)]) + bytes(0x40 | alphabet.index(c) for c in tail) + body


json_bodies = [b for b in raw_literals("test_decode_instance.cpp") + plain_literals("test_decode_instance.cpp")
               if b[:1] in (b"{", b"[", b'"') or b in (b"null", b"", b"nope")]
instance_inputs = [no_token(fixture)] + [no_token(b) for b in json_bodies if b"error" not in b or b"data" in b]
instance_inputs += [
    with_token(b"5f3c9d1e7b2a4c6e8f0a1b3c5d7e", b'{"success":true,"data":{"id":"x","startedAt":"2026-05-14T18:02:11Z Bearer $T trailing"}}'),
    with_token(b"abc", b'{"data":{"id":"x","stoppedAt":"$T","createdAt":"at $T and $T","status":"Bearer $T"}}'),
    with_token(b"tok", b'{"data":{"expiresAt":"0001-01-01T00:00:00+01:00"}}'),
]
write("decode-instance", instance_inputs)

page_bodies = [b for b in raw_literals("test_decode_page.cpp") if b[:1] in (b"{", b"[")] + [b"[]", b"{}", b"", b"nope"]
page = json.dumps({"success": True, "data": [fixture_data, {"id": "b", "status": "stopped"}, fixture_data], "total": 57},
                  separators=(",", ":")).encode()
write("decode-page", [no_token(page)] + [no_token(b) for b in page_bodies] + [
    with_token(b"9c2e4b1d4e8a9f60c3d2b1a0e5f7", b'{"data":[{"id":"a"},{"id":"b","stoppedAt":"Bearer $T"}]}'),
])

error_bodies = [b for b in raw_literals("test_decode_instance.cpp") + plain_literals("test_decode_instance.cpp") if b"error" in b]
write("error-envelope", error_bodies + [b"<html><head><title>502 Bad Gateway</title></head></html>", b"", fixture,
                                       b'{"success":false,"error":{"type":"rate_limit_error","code":"rate_limited","message":"slow down","request_id":"req_1"}}'])

times = [b for b in plain_literals("test_timestamp.cpp") if 8 <= len(b) <= 64 and b[:1].isdigit()]
times += [b"0001-01-01T00:00:00Z", b"9999-12-31T23:59:59.999999999Z", b"2026-05-14 18:02:11+02:00",
          b"0001-01-01T00:00:00+01:00", b"9999-12-31T23:59:59-01:00"]  # the known finding timestamp-utc-year
write("timestamp", times)

# parse_retry_after's input: 8 bytes of `now` (little-endian nanoseconds), then the value; `now`
# is the unit tests' Thursday 2026-05-14 12:00:00.5 UTC.
now = int(datetime(2026, 5, 14, 12, tzinfo=timezone.utc).timestamp()) * 10**9 + 500_000_000
values = [b for b in plain_literals("test_retry_after.cpp") if len(b) <= 64 and b not in (b"s", b"nullopt")]
write("retry-after", [struct.pack("<q", now) + v for v in values])

urls = [b for b in plain_literals("test_request.cpp") if b"://" in b or b.startswith(b"openapi")]
urls += [b"https://[fe80::1%25eth0]:8443/p", b"http://h:80", b"https://x.example/a/b/"]
write("base-url", urls)
