#!/usr/bin/env python3
"""Generates saslprep-fixtures.json: SASLprep (RFC 4013) results computed with
Python's `stringprep` module and `unicodedata.ucd_3_2_0`, i.e. the RFC 3454
tables and Unicode 3.2 normalization exactly. The TypeScript tests compare
`saslPrep` against these results.

Run from this directory: python3 saslprep-reference.py > saslprep-fixtures.json

Conventions shared with the tests:
- U+200B is in both B.1 and C.1.2; C.1.2 is applied first (it becomes a space).
- Per character, a prohibited character is reported before an unassigned one;
  the bidirectional rule is checked last.
"""
import hashlib
import json
import random
import stringprep
import sys
import unicodedata

ucd = unicodedata.ucd_3_2_0
PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


def saslprep(text, kind):
    mapped = "".join(" " if stringprep.in_table_c12(c) else "" if stringprep.in_table_b1(c) else c for c in text)
    normalized = ucd.normalize("NFKC", mapped)
    for c in normalized:
        if any(table(c) for table in PROHIBITED):
            return {"ok": False, "failure": "prohibited-character"}
        if kind == "stored" and stringprep.in_table_a1(c):
            return {"ok": False, "failure": "unassigned-code-point"}
    if any(stringprep.in_table_d1(c) for c in normalized):
        if any(stringprep.in_table_d2(c) for c in normalized) or not (
            stringprep.in_table_d1(normalized[0]) and stringprep.in_table_d1(normalized[-1])
        ):
            return {"ok": False, "failure": "bidirectional-violation"}
    return {"ok": True, "value": normalized}


def line(result):
    if result["ok"]:
        return "ok " + ".".join("%x" % ord(c) for c in result["value"])
    return "error " + result["failure"]


def block_digests(kind):
    """SHA-256 (first 16 hex digits) of the results for each block of 4096 single code points."""
    digests = []
    for start in range(0, 0x110000, 0x1000):
        lines = [line(saslprep(chr(cp), kind)) for cp in range(start, start + 0x1000) if not 0xD800 <= cp <= 0xDFFF]
        digests.append(hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16])
    return digests


def interesting_characters():
    ranges = [
        (0x20, 0x7E), (0x00A0, 0x00FF), (0x0300, 0x036F), (0x0590, 0x06FF), (0x0700, 0x07BF),
        (0x1100, 0x1112), (0x1160, 0x1175), (0x11A8, 0x11C2), (0x2000, 0x206F), (0x2100, 0x218F),
        (0x2FF0, 0x2FFF), (0x3000, 0x303F), (0xFB00, 0xFB4F), (0xFE00, 0xFE0F), (0xFE70, 0xFEFF),
        (0xFF00, 0xFFEF), (0xFFF0, 0xFFFF), (0x1D400, 0x1D4FF), (0x1F600, 0x1F64F), (0xE0000, 0xE007F),
        (0x2F800, 0x2FA1D),
    ]
    characters = [chr(cp) for start, end in ranges for cp in range(start, end + 1)]
    characters += ["\u00AD", "\u034F", "\u1806", "\u180B", "\u200B", "\u0221", "\u0378", "\u1D2C", "\uAC00"]
    return characters


def random_cases(count):
    generator = random.Random(4013)
    characters = interesting_characters()
    cases = []
    while len(cases) < count:
        length = generator.randint(1, 8)
        text = "".join(generator.choice(characters) for _ in range(length))
        # CPython's ucd_3_2_0 NFKC reorders combining marks with today's
        # combining classes, also around code points unassigned in 3.2
        # (which had class 0 and blocked reordering then), so it is no
        # reference for such strings: skip them.
        if any(stringprep.in_table_a1(c) for c in text) and any(unicodedata.combining(c) for c in text):
            continue
        cases.append({"input": text, "query": saslprep(text, "query"), "stored": saslprep(text, "stored")})
    return cases


# One case per line, so a diff of a regenerated file stays readable.
document = {
    "source": "test/sasl/saslprep-reference.py: Python stringprep + unicodedata.ucd_3_2_0 (Unicode %s)" % ucd.unidata_version,
    "blockDigests": {"query": block_digests("query"), "stored": block_digests("stored")},
}
sys.stdout.write(json.dumps(document, separators=(",", ":"))[:-1] + ',"cases":[\n')
cases = random_cases(1000)
for index, case in enumerate(cases):
    sys.stdout.write(json.dumps(case, separators=(",", ":")) + (",\n" if index < len(cases) - 1 else "\n"))
sys.stdout.write("]}\n")
