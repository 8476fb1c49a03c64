#!/usr/bin/python3
"""Writes proto/vectors/*.json: TTE's test vectors.

This script is a second, independent implementation of TTE's encodings (Python
standard library, Debian's python3-cbor2 for CBOR, the openssl command for
X.509), written without reference to the C++ code. The C++ unit tests check
the C++ implementation against the files it writes; another implementation can
do the same. The inputs and the expected errors are listed here by hand; every
computed value (codes, frames, CBOR bytes, digests, fingerprints) comes from
this script.

Run from anywhere: /usr/bin/python3 proto/tools/make_vectors.py [--out DIR]
(needs python3-cbor2 and openssl; not needed to build or test TTE).
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import subprocess

import cbor2

PROTO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# --out DIR writes the files there instead (the vectors test regenerates them
# into a temporary directory and compares).
VECTORS = os.path.join(PROTO, "vectors")
KEYS = os.path.join(PROTO, "keys")

DRAFT = {"ms_id": 0, "devid": 0xABCDEF01, "otp": 0x123456789ABCDEF0}


def write(name, content):
    path = os.path.join(VECTORS, name)
    with open(path, "w") as f:
        json.dump(content, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(path, os.path.dirname(PROTO)))


def host_of(ms_id):
    return "tte-%06X.net" % (ms_id & 0xFFFFFF)


def enrollment_url(ms_id, devid, otp):
    return "https://%s/.well-known/tte?otp=%016x&devid=%08x" % (host_of(ms_id), otp, devid)


def device(ms_id, devid, otp):
    return {"ms_id": ms_id, "devid": "%08x" % devid, "otp": "%016x" % otp}


# --- identifiers -------------------------------------------------------------

def identifiers():
    ms_from_value = []
    for value, policy, error in [
        (10, "operational", None),
        (0xFFFFFF, "operational", None),
        (1, "operational", None),
        (0, "allow_example", None),
        (0, "operational", "reserved"),
        (0x01000000, "operational", "reserved"),
        (0xFF000001, "allow_example", "reserved"),
    ]:
        case = {"value": value, "policy": policy}
        if error:
            case["error"] = error
        else:
            case["host"] = host_of(value)
        ms_from_value.append(case)

    ms_from_host = [
        {"input": "tte-00000A.net", "policy": "operational", "value": 10},
        {"input": "TTE-00000a.NET", "policy": "operational", "value": 10},
        {"input": "tte-ffffff.net", "policy": "operational", "value": 0xFFFFFF},
        {"input": "tte-000000.net", "policy": "allow_example", "value": 0},
        {"input": "tte-000000.net", "policy": "operational", "error": "reserved"},
        {"input": "tte-0000A.net", "policy": "operational", "error": "syntax"},
        {"input": "tte-000000A.net", "policy": "operational", "error": "syntax"},
        {"input": "tte-00000G.net", "policy": "operational", "error": "syntax"},
        {"input": "tte-00000A.com", "policy": "operational", "error": "syntax"},
        {"input": "tte-00000A.net.", "policy": "operational", "error": "syntax"},
        {"input": "xtte-00000A.net", "policy": "operational", "error": "syntax"},
        {"input": "", "policy": "operational", "error": "syntax"},
    ]
    ms_parse_number = [
        {"input": "10", "policy": "operational", "value": 10},
        {"input": "0xA", "policy": "operational", "value": 10},
        {"input": "0X00ffffff", "policy": "operational", "value": 0xFFFFFF},
        {"input": "16777215", "policy": "operational", "value": 16777215},
        {"input": "16777216", "policy": "operational", "error": "reserved"},
        {"input": "0", "policy": "operational", "error": "reserved"},
        {"input": "0", "policy": "allow_example", "value": 0},
        {"input": "4294967296", "policy": "operational", "error": "out_of_range"},
        {"input": "99999999999", "policy": "operational", "error": "out_of_range"},
        {"input": "-1", "policy": "operational", "error": "syntax"},
        {"input": "1e3", "policy": "operational", "error": "syntax"},
        {"input": "0x", "policy": "operational", "error": "syntax"},
        {"input": "0x123456789", "policy": "operational", "error": "too_long"},
        {"input": "", "policy": "operational", "error": "missing"},
    ]

    dev_id = [
        {"input": "abcdef01", "canonical": "abcdef01"},
        {"input": "ABCDEF01", "canonical": "abcdef01"},
        {"input": "1", "canonical": "00000001"},
        {"input": "00000000", "canonical": "00000000"},
        {"input": "ffffffff", "canonical": "ffffffff"},
        {"input": "", "error": "missing"},
        {"input": "123456789", "error": "too_long"},
        {"input": "0x12", "error": "syntax"},
        {"input": "12 34", "error": "syntax"},
        {"input": "-1", "error": "syntax"},
        {"input": "abcdefg", "error": "syntax"},
    ]
    otp = [
        {"input": "123456789abcdef0", "canonical": "123456789abcdef0"},
        {"input": "123456789ABCDEF0", "canonical": "123456789abcdef0"},
        {"input": "ff", "canonical": "00000000000000ff"},
        {"input": "ffffffffffffffff", "canonical": "ffffffffffffffff"},
        {"input": "", "error": "missing"},
        {"input": "123456789abcdef01", "error": "too_long"},
        {"input": "123456789abcdefg", "error": "syntax"},
        {"input": "+123", "error": "syntax"},
    ]

    fp = "9E80F80B941243C01CD0B430CE21F52B0158AD296E91A4E4AB72891729226486"
    colons = ":".join(fp[i:i + 2] for i in range(0, 64, 2))
    fingerprint = [
        {"input": fp.lower(), "canonical": fp.lower()},
        {"input": fp, "canonical": fp.lower()},
        {"input": colons, "canonical": fp.lower()},
        {"input": colons.lower(), "canonical": fp.lower()},
        {"input": "", "error": "missing"},
        {"input": fp[:-2], "error": "syntax"},
        {"input": fp + "00", "error": "syntax"},
        {"input": fp[:-1] + "g", "error": "syntax"},
        {"input": colons.replace(":", "-"), "error": "syntax"},
        {"input": colons[:5] + ";" + colons[6:], "error": "syntax"},
    ]

    def mac_or_ow(urn):
        hexpart = urn.split(":", 3)[3].split("_")[0]
        return "%08x" % int(hexpart[-8:], 16)

    urn = []
    for text, kind in [
        ("urn:dev:mac:0024beffff804ff1", "mac"),
        ("urn:dev:mac:0024befffe804ff1", "mac"),
        ("urn:dev:ow:10e2073a01080063", "ow"),
        ("urn:dev:ow:264437f5000000ed_humidity", "ow"),
        ("urn:dev:mac:00", "mac"),
        ("urn:dev:org:32473-foo", "org"),
        ("urn:dev:os:32473-123456", "os"),
        ("urn:dev:os:32473-12-34:56", "os"),
        ("urn:dev:ops:32473-Refrigerator-5002", "ops"),
        ("urn:dev:ops:32473-Refrigerator-5002_compressor", "ops"),
        ("urn:dev:ops:32473-Light.Bulb-A-1", "ops"),
        ("urn:dev:example:new1", "other"),
        ("urn:dev:example:x:y:z", "other"),
    ]:
        case = {"input": text, "canonical": text, "kind": kind}
        if kind in ("mac", "ow"):
            case["suggested_devid"] = mac_or_ow(text)
        urn.append(case)
    urn += [
        {"input": "URN:DEV:mac:0024beffff804ff1", "canonical": "urn:dev:mac:0024beffff804ff1",
         "kind": "mac", "suggested_devid": "ff804ff1"},
        {"input": "urn:Dev:ops:32473-Refrigerator-5002", "canonical": "urn:dev:ops:32473-Refrigerator-5002",
         "kind": "ops"},
        {"input": "", "error": "missing"},
        # 63 bytes at most: RFC 9176 limits the Resource Directory endpoint name to 63.
        {"input": "urn:dev:mac:" + "00" * 26, "error": "too_long"},
        {"input": "urn:dev:ops:32473-Product-" + "9" * 38, "error": "too_long"},
        {"input": "urn:dev:mac:" + "00" * 25, "canonical": "urn:dev:mac:" + "00" * 25,
         "kind": "mac", "suggested_devid": "00000000"},
        {"input": "urn:dev:ops:32473-Product-" + "9" * 37, "canonical": "urn:dev:ops:32473-Product-" + "9" * 37,
         "kind": "ops"},
        {"input": "urn:dev:mac:0024BEFFFF804FF1", "error": "syntax"},
        {"input": "urn:dev:mac:0024beffff804ff", "error": "syntax"},
        {"input": "urn:dev:mac:", "error": "syntax"},
        {"input": "urn:dev:mac:zz", "error": "syntax"},
        {"input": "urn:dev:ow:10e2073a01080063_", "error": "syntax"},
        {"input": "urn:dev:os:032473-123456", "error": "syntax"},
        {"input": "urn:dev:os:32473", "error": "syntax"},
        {"input": "urn:dev:ops:32473-Refrigerator", "error": "syntax"},
        {"input": "urn:dev:org:32473-", "error": "syntax"},
        {"input": "urn:dev:Example:new1", "error": "syntax"},
        {"input": "urn:dev:1example:new1", "error": "syntax"},
        {"input": "urn:dev:example:", "error": "syntax"},
        {"input": "urn:dev:example:a b", "error": "syntax"},
        {"input": "urn:dev:example:a%20b", "error": "syntax"},
        {"input": "urn:dev:example:a::b", "error": "syntax"},
        {"input": "urn:dev:", "error": "syntax"},
        {"input": "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "error": "syntax"},
        {"input": "urn:dev:mac:0024beffff804ff1 ", "error": "syntax"},
    ]

    ip_address = []
    for text in ["192.0.2.7", "0.0.0.0", "255.255.255.255", "2001:db8::7", "2001:DB8:0:0:0:0:0:7",
                 "::", "::1", "1::", "2001:db8:0:1:1:1:1:1", "2001:0:0:1:0:0:0:1", "2001:db8::1:0:0:1",
                 "fe80::1:2:3:4", "::ffff:192.0.2.1", "::ffff:c000:201", "64:ff9b::192.0.2.33",
                 "1:2:3:4:5:6:7:8", "0:0:0:0:0:0:0:1", "1:0:0:2:0:0:0:3"]:
        address = ipaddress.ip_address(text)
        canonical = str(address)
        # RFC 5952 section 5: IPv4-mapped addresses keep their dotted tail (Python
        # 3.11's str() does not do this; 3.13's does).
        if address.version == 6 and address.ipv4_mapped:
            canonical = "::ffff:" + str(address.ipv4_mapped)
        ip_address.append({"input": text, "canonical": canonical, "family": address.version,
                           "bytes": address.packed.hex()})
    ip_address += [{"input": text, "error": error} for text, error in [
        ("", "missing"), ("192.0.2", "syntax"), ("192.0.2.7.1", "syntax"), ("192.0.2.256", "syntax"),
        ("192.0.2.07", "syntax"), ("192.0.2.-1", "syntax"), (" 192.0.2.7", "syntax"),
        ("1:2:3:4:5:6:7:8:9", "syntax"), ("1::2::3", "syntax"), ("12345::1", "syntax"),
        (":1:2:3:4:5:6:7", "syntax"), ("1:2:3:4:5:6:7:", "syntax"), ("1:2:3:4:5:6:7:8::", "syntax"),
        ("::1:2:3:4:5:6:7:8", "syntax"), ("1::2:3:4:5:6:7:8", "syntax"),
        ("fe80::1%eth0", "unsupported"), ("::ffff:192.0.2.256", "syntax"), ("g::1", "syntax"),
        ("1.2.3.4::", "syntax"), ("localhost", "syntax")]]

    controller_address = [
        {"input": "192.0.2.7:5684", "canonical": "192.0.2.7:5684", "ip": "192.0.2.7", "port": 5684},
        {"input": "[2001:db8::7]:5684", "canonical": "[2001:db8::7]:5684", "ip": "2001:db8::7", "port": 5684},
        {"input": "[2001:DB8:0::7]:1", "canonical": "[2001:db8::7]:1", "ip": "2001:db8::7", "port": 1},
        {"input": "127.0.0.1:65535", "canonical": "127.0.0.1:65535", "ip": "127.0.0.1", "port": 65535},
        {"input": "", "error": "missing"},
        {"input": "192.0.2.7", "error": "missing"},
        {"input": "192.0.2.7:0", "error": "out_of_range"},
        {"input": "192.0.2.7:65536", "error": "out_of_range"},
        {"input": "192.0.2.7:123456", "error": "out_of_range"},
        {"input": "192.0.2.7:", "error": "missing"},
        {"input": "192.0.2.7:56a4", "error": "syntax"},
        {"input": "2001:db8::7:5684", "error": "syntax"},
        {"input": "[192.0.2.7]:5684", "error": "syntax"},
        {"input": "[2001:db8::7]5684", "error": "syntax"},
        {"input": "[2001:db8::7", "error": "syntax"},
    ]
    write("identifiers.json", {
        "description": "MS ID, Dev ID, OTP, Fingerprint, Dev URN, IP and Controller address: "
                       "valid inputs with their canonical text, invalid inputs with the error code.",
        "ms_id": {"from_value": ms_from_value, "from_host": ms_from_host,
                  "parse_number": ms_parse_number},
        "dev_id": dev_id, "otp": otp, "fingerprint": fingerprint, "urn": urn,
        "ip_address": ip_address, "controller_address": controller_address,
    })


# --- URLs --------------------------------------------------------------------

def urls():
    d = DRAFT
    canonical = enrollment_url(d["ms_id"], d["devid"], d["otp"])
    parse = [
        {"input": canonical, "policy": "allow_example", **device(**d), "canonical": canonical},
        {"input": canonical, "policy": "operational", "error": "reserved", "field": "ms_id"},
        # The draft's own example: comma separator and "DevID".
        {"input": "https://tte-000000.net/.well-known/tte?otp=123456789abcdef0,DevID=abcdef01",
         "policy": "allow_example", **device(**d), "canonical": canonical},
        {"input": "HTTPS://TTE-000000.NET/.well-known/tte?OTP=123456789ABCDEF0;DEVID=ABCDEF01",
         "policy": "allow_example", **device(**d), "canonical": canonical},
        {"input": "https://tte-000000.net:443/.well-known/tte?devid=abcdef01&otp=123456789abcdef0",
         "policy": "allow_example", **device(**d), "canonical": canonical},
        {"input": "https://tte-000000.net/.well-known/tte?otp=%31%32%33456789abcdef0&devid=abcdef01&x=y",
         "policy": "allow_example", **device(**d), "canonical": canonical},
        {"input": "https://tte-00000A.net/.well-known/tte?otp=1&devid=2",
         "policy": "operational", **device(10, 2, 1),
         "canonical": enrollment_url(10, 2, 1)},
        {"input": "https://tte-00000a.net/.well-known/tte?&otp=ffffffffffffffff&&devid=ffffffff&",
         "policy": "operational", **device(10, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF),
         "canonical": enrollment_url(10, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)},
    ]
    bad = [
        ("http://tte-00000A.net/.well-known/tte?otp=1&devid=2", "syntax", "url"),
        ("https://tte-00000A.net:8443/.well-known/tte?otp=1&devid=2", "unsupported", "url"),
        ("https://tte-00000A.net/.well-known/tte/?otp=1&devid=2", "syntax", "path"),
        ("https://tte-00000A.net/.well-known/TTE?otp=1&devid=2", "syntax", "path"),
        ("https://tte-00000A.net/?otp=1&devid=2", "syntax", "path"),
        ("https://example.com/.well-known/tte?otp=1&devid=2", "syntax", "host"),
        ("https://tte-100000A.net/.well-known/tte?otp=1&devid=2", "syntax", "host"),
        ("https://user@tte-00000A.net/.well-known/tte?otp=1&devid=2", "syntax", "url"),
        ("https://tte-00000A.net/.well-known/tte?otp=1&devid=2#x", "syntax", "url"),
        ("https://tte-00000A.net/.well-known/tte?otp=1", "missing", "devid"),
        ("https://tte-00000A.net/.well-known/tte?devid=2", "missing", "otp"),
        ("https://tte-00000A.net/.well-known/tte", "missing", "otp"),
        ("https://tte-00000A.net/.well-known/tte?otp=1&otp=1&devid=2", "duplicate", "otp"),
        ("https://tte-00000A.net/.well-known/tte?otp=1&devid=2&DEVID=2", "duplicate", "devid"),
        ("https://tte-00000A.net/.well-known/tte?otp=&devid=2", "missing", "otp"),
        ("https://tte-00000A.net/.well-known/tte?otp=1&devid=123456789", "too_long", "devid"),
        ("https://tte-00000A.net/.well-known/tte?otp=xyz&devid=2", "syntax", "otp"),
        ("https://tte-00000A.net/.well-known/tte?otp=1%&devid=2", "syntax", "query"),
        ("https://tte-00000A.net/.well-known/tte?otp=1%2&devid=2", "syntax", "query"),
        ("https://tte-00000A.net/.well-known/tte?otp=1%zz&devid=2", "syntax", "query"),
        ("https://tte-00000A.net/.well-known/tte?otp=" + "0" * 65 + "&devid=2", "too_long", "query"),
        ("https://tte-00000A.net/.well-known/tte?otp=1 &devid=2", "syntax", "otp"),
        ("tte-00000A.net/.well-known/tte?otp=1&devid=2", "syntax", "url"),
        ("", "syntax", "url"),
    ]
    parse += [{"input": url, "policy": "operational", "error": error, "field": field}
              for url, error, field in bad]

    key = bytes(range(16))
    box_canonical = "https://tte-00000A.net/.well-known/tte/box?first=00001000&count=24&key=%s" % key.hex()
    box = [
        {"input": box_canonical, "policy": "operational", "ms_id": 10, "first": "00001000", "count": 24,
         "key": key.hex(), "canonical": box_canonical},
        {"input": "https://TTE-00000a.net/.well-known/tte/box?KEY=%s,count=24;first=1000" % key.hex().upper(),
         "policy": "operational", "ms_id": 10, "first": "00001000", "count": 24, "key": key.hex(),
         "canonical": box_canonical},
        {"input": "https://tte-00000A.net/.well-known/tte/box?first=fffffff0&count=16&key=%s" % key.hex(),
         "policy": "operational", "ms_id": 10, "first": "fffffff0", "count": 16, "key": key.hex(),
         "canonical": "https://tte-00000A.net/.well-known/tte/box?first=fffffff0&count=16&key=%s" % key.hex()},
    ]
    box += [{"input": url, "policy": "operational", "error": error, "field": field} for url, error, field in [
        ("https://tte-00000A.net/.well-known/tte/box?first=fffffff0&count=17&key=%s" % key.hex(), "out_of_range", "count"),
        ("https://tte-00000A.net/.well-known/tte/box?first=1&count=0&key=%s" % key.hex(), "out_of_range", "count"),
        ("https://tte-00000A.net/.well-known/tte/box?first=1&count=10001&key=%s" % key.hex(), "out_of_range", "count"),
        ("https://tte-00000A.net/.well-known/tte/box?first=1&count=1x&key=%s" % key.hex(), "syntax", "count"),
        ("https://tte-00000A.net/.well-known/tte/box?first=1&count=2&key=%s" % key.hex()[:-2], "syntax", "key"),
        ("https://tte-00000A.net/.well-known/tte/box?first=1&count=2", "missing", "key"),
        ("https://tte-00000A.net/.well-known/tte/box?count=2&key=%s" % key.hex(), "missing", "first"),
        ("https://tte-00000A.net/.well-known/tte?first=1&count=2&key=%s" % key.hex(), "syntax", "path"),
        ("https://tte-000000.net/.well-known/tte/box?first=1&count=2&key=%s" % key.hex(), "reserved", "ms_id"),
    ]]
    write("enrollment_url.json", {
        "description": "Enrollment URLs (QR labels) and box URLs: accepted inputs with the fields "
                       "and the canonical form TTE emits; refused inputs with the error code and field.",
        "enrollment_url": parse, "box_url": box,
    })


# --- manual code -------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def gf32_mul(a, b):
    """Carry-less multiply modulo x^5 + x^2 + 1."""
    product = 0
    for bit in range(5):
        if (b >> bit) & 1:
            product ^= a << bit
    for bit in range(9, 4, -1):
        if (product >> bit) & 1:
            product ^= 0b100101 << (bit - 5)
    return product


def gf32_pow_x(n):
    result = 1
    for _ in range(n):
        result = gf32_mul(result, 2)
    return result


def manual_code(ms_id, devid, otp):
    payload = (ms_id & 0xFFFFFF).to_bytes(3, "big") + devid.to_bytes(4, "big") + otp.to_bytes(8, "big")
    data = [RFC4648.index(c) for c in base64.b32encode(payload).decode()]
    assert len(data) == 24
    check = 0
    for i, v in enumerate(data):
        check ^= gf32_mul(v, gf32_pow_x(24 - i))
    symbols = "".join(CROCKFORD[v] for v in data + [check])
    groups = [symbols[i:i + 4] for i in range(0, 25, 4)]
    return "TTE-" + "-".join(groups)


def manual_codes():
    devices = [(0, 0xABCDEF01, 0x123456789ABCDEF0), (10, 2, 1), (0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF),
               (0x123456, 0, 0), (1, 0x00C0FFEE, 0xDEADBEEF00112233)]
    encode = []
    for ms, dev, otp in devices:
        encode.append({**device(ms, dev, otp), "code": manual_code(ms, dev, otp)})
    example = manual_code(*devices[0])
    op = manual_code(*devices[1])
    flat = op.replace("-", "")
    decode = [
        {"input": example, "policy": "allow_example", **device(*devices[0])},
        {"input": example, "policy": "operational", "error": "reserved"},
        {"input": op, "policy": "operational", **device(*devices[1])},
        {"input": op.lower(), "policy": "operational", **device(*devices[1])},
        {"input": flat, "policy": "operational", **device(*devices[1])},
        {"input": flat[3:], "policy": "operational", **device(*devices[1])},
        {"input": " ".join(flat[i:i + 4] for i in range(0, len(flat), 4)), "policy": "operational",
         **device(*devices[1])},
        {"input": "", "policy": "operational", "error": "missing"},
        {"input": op[:-1], "policy": "operational", "error": "syntax"},
        {"input": op + "0", "policy": "operational", "error": "syntax"},
        {"input": op[:-1] + "U", "policy": "operational", "error": "syntax"},
        {"input": op[:-1] + "*", "policy": "operational", "error": "syntax"},
    ]
    # Look-alikes: O for 0, I and L for 1, wherever the code has them.
    lookalike = op.replace("0", "O").replace("1", "l")
    decode.append({"input": "TTE" + lookalike[3:], "policy": "operational", **device(*devices[1])})
    # A single wrong symbol and a swap of two adjacent different symbols.
    symbols = list(flat[3:])
    wrong = symbols.copy()
    wrong[5] = CROCKFORD[(CROCKFORD.index(wrong[5]) + 1) % 32]
    decode.append({"input": "TTE" + "".join(wrong), "policy": "operational", "error": "checksum"})
    for i in range(len(symbols) - 1):
        if symbols[i] != symbols[i + 1]:
            swapped = symbols.copy()
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            decode.append({"input": "TTE" + "".join(swapped), "policy": "operational", "error": "checksum"})
            break
    box_encode, box_decode = box_manual_codes()
    write("manual_code.json", {
        "description": "Manual codes: Crockford base32 of MS ID (low 3 bytes) | Dev ID | OTP, "
                       "big-endian, plus a GF(32) check symbol (x^5 + x^2 + 1, weights x^(24-i)). "
                       "Box codes: MS ID (low 3 bytes) | first Dev ID | count (2 bytes) | box key, "
                       "40 symbols and the same check (weights x^(40-i)), prefix TTB.",
        "encode": encode, "decode": decode, "box_encode": box_encode, "box_decode": box_decode,
    })


def box_manual_code(ms_id, first, count, key):
    payload = (ms_id & 0xFFFFFF).to_bytes(3, "big") + first.to_bytes(4, "big") + count.to_bytes(2, "big") + key
    data = [RFC4648.index(c) for c in base64.b32encode(payload).decode()]
    assert len(data) == 40
    check = 0
    for i, v in enumerate(data):
        check ^= gf32_mul(v, gf32_pow_x(40 - i))
    symbols = "".join(CROCKFORD[v] for v in data + [check])
    return "TTB-" + "-".join(symbols[i:i + 4] for i in range(0, 41, 4))


def box_manual_codes():
    key = bytes(range(16))
    boxes = [(10, 0x1000, 24, key), (10, 0xFFFFFFF0, 16, key), (0xFFFFFF, 1, 10000, bytes([0xFF] * 16))]

    def fields(ms, first, count, k):
        return {"ms_id": ms, "first": "%08x" % first, "count": count, "key": k.hex()}
    encode = [{**fields(*b), "code": box_manual_code(*b)} for b in boxes]
    code = box_manual_code(*boxes[0])
    flat = code.replace("-", "")
    wrong = list(flat[3:])
    wrong[7] = CROCKFORD[(CROCKFORD.index(wrong[7]) + 1) % 32]
    decode = [
        {"input": code, "policy": "operational", **fields(*boxes[0])},
        {"input": code.lower(), "policy": "operational", **fields(*boxes[0])},
        {"input": flat[3:], "policy": "operational", **fields(*boxes[0])},
        {"input": "TTB" + "".join(wrong), "policy": "operational", "error": "checksum"},
        {"input": code[:-1], "policy": "operational", "error": "syntax"},
        {"input": "", "policy": "operational", "error": "missing"},
        # count 0 and 10001 have valid check symbols but are no box
        {"input": box_manual_code(10, 1, 0, key), "policy": "operational", "error": "out_of_range"},
        {"input": box_manual_code(10, 1, 10001, key), "policy": "operational", "error": "out_of_range"},
        {"input": box_manual_code(10, 0xFFFFFFF0, 17, key), "policy": "operational", "error": "out_of_range"},
        {"input": box_manual_code(0, 1, 2, key), "policy": "operational", "error": "reserved"},
    ]
    return encode, decode


# --- LED frame ---------------------------------------------------------------

def led_frame(ms_id, devid, otp):
    body = (1).to_bytes(2, "big") + ms_id.to_bytes(4, "big") + devid.to_bytes(4, "big") + otp.to_bytes(8, "big")
    return body + bytes([(-sum(body)) & 0xFF])


def nrzi(frame, level):
    levels = []
    for byte in frame:
        for bit in range(7, -1, -1):
            if not (byte >> bit) & 1:
                level ^= 1
            levels.append(level)
    return "".join(map(str, levels))


def crc8_gsm_a(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1D) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def led_v2_bits(ms_id, devid, otp):
    """The version 2 pattern: fifteen 0s and a 1, then the body, a bit of the
    opposite value stuffed after every seven equal body bits."""
    body = bytes([2]) + ms_id.to_bytes(4, "big") + devid.to_bytes(4, "big") + otp.to_bytes(8, "big")
    body += bytes([crc8_gsm_a(body)])
    bits = [0] * 15 + [1]
    run, last = 0, None
    for byte in body:
        for i in range(7, -1, -1):
            for bit in ([(byte >> i) & 1]):
                run = run + 1 if bit == last else 1
                last = bit
                bits.append(bit)
                if run == 7:
                    last = 1 - last
                    run = 1
                    bits.append(last)
    return body, "".join(map(str, bits))


def nrzi_bits(bits, level):
    levels = []
    for bit in bits:
        if bit == "0":
            level ^= 1
        levels.append(level)
    return "".join(map(str, levels))


def led():
    frames = []
    for ms, dev, otp in [(0, 0xABCDEF01, 0x123456789ABCDEF0), (10, 2, 1),
                         (0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)]:
        frame = led_frame(ms, dev, otp)
        frames.append({**device(ms, dev, otp), "frame": frame.hex(), "levels_from_off": nrzi(frame, 0)})
    good = led_frame(10, 2, 1)
    invalid = [
        {"frame": (bytes([0x00, 0x02]) + good[2:18] + bytes([(good[18] - 1) & 0xFF])).hex(), "error": "syntax"},
        {"frame": (good[:18] + bytes([(good[18] + 1) & 0xFF])).hex(), "error": "checksum"},
        {"frame": (good[:12] + bytes([good[12] ^ 0x10]) + good[13:]).hex(), "error": "checksum"},
        {"frame": led_frame(0x01000000, 2, 1).hex(), "error": "reserved"},
    ]
    frames_v2 = []
    for ms, dev, otp in [(0, 0xABCDEF01, 0x123456789ABCDEF0), (10, 2, 1), (1, 5, 0x0C7A5A7397784C99),
                         (0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)]:
        body, bits = led_v2_bits(ms, dev, otp)
        frames_v2.append({**device(ms, dev, otp), "body": body.hex(), "bits": bits,
                          "levels_from_off": nrzi_bits(bits, 0)})
    write("led_frame.json", {
        "description": "LED frames (draft 5.1): 0x0001 | MS ID | Dev ID | OTP | checksum, and their "
                       "NRZI level sequence (0 toggles, 1 holds) starting from an LED that was off. "
                       "frames_v2: version 2 (docs/protocol.md 13.1.1), the preamble (fifteen 0s, a 1) "
                       "and the body 02 | MS ID | Dev ID | OTP | CRC-8/GSM-A, bit-stuffed (after seven "
                       "equal body bits, the opposite bit), as bits and as levels.",
        "frames": frames, "invalid_frames": invalid, "frames_v2": frames_v2,
        "crc8_check": {"input": "123456789", "crc": "%02x" % crc8_gsm_a(b"123456789")},
    })


# --- CBOR enrollment answer --------------------------------------------------

def enrollment_answer():
    fp_c = bytes.fromhex("98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4")
    psk = bytes(range(0xA0, 0xB0))
    valid = []
    for ip, port, with_psk in [("192.0.2.7", 5684, False), ("2001:db8::7", 5684, False),
                               ("127.0.0.1", 65535, False), ("10.1.2.3", 23, False),
                               ("192.0.2.7", 5684, True)]:
        address = ipaddress.ip_address(ip)
        content = {1: address.packed, 2: port, 3: fp_c}
        as_json = {"cip": str(address), "cport": port, "cfingerprint": fp_c.hex()}
        if with_psk:
            content[4] = psk
            as_json["cpsk"] = psk.hex()
        valid.append({"cbor": cbor2.dumps(content).hex(), "json": as_json})
    v4 = ipaddress.ip_address("192.0.2.7").packed
    decode_only = [
        # Keys in another order, an unknown integer key with a nested value, a text key.
        {"cbor": cbor2.dumps({3: fp_c, 99: [1, {"a": [2, 3]}], 2: 5684, "x": "y", 1: v4}).hex(),
         "json": {"cip": "192.0.2.7", "cport": 5684, "cfingerprint": fp_c.hex()}},
        # A port in a longer encoding than needed is still well-formed.
        {"cbor": "a3" + "0144c0000207" + "021a00001634" + "035820" + fp_c.hex(),
         "json": {"cip": "192.0.2.7", "cport": 5684, "cfingerprint": fp_c.hex()}},
    ]
    base = {1: v4, 2: 5684, 3: fp_c}
    invalid = [
        {"cbor": "", "error": "syntax", "why": "empty"},
        {"cbor": "a0", "error": "missing", "why": "no keys"},
        {"cbor": "80", "error": "syntax", "why": "an array, not a map"},
        {"cbor": cbor2.dumps({2: 5684, 3: fp_c}).hex(), "error": "missing", "why": "no cip"},
        {"cbor": cbor2.dumps({1: v4, 3: fp_c}).hex(), "error": "missing", "why": "no cport"},
        {"cbor": cbor2.dumps({1: v4, 2: 5684}).hex(), "error": "missing", "why": "no cfingerprint"},
        {"cbor": cbor2.dumps({**base, 1: v4 + b"\x00"}).hex(), "error": "syntax", "why": "cip of 5 bytes"},
        {"cbor": cbor2.dumps({**base, 1: "192.0.2.7"}).hex(), "error": "syntax", "why": "cip as text"},
        {"cbor": cbor2.dumps({**base, 2: 0}).hex(), "error": "out_of_range", "why": "cport 0"},
        {"cbor": cbor2.dumps({**base, 2: 65536}).hex(), "error": "out_of_range", "why": "cport 65536"},
        {"cbor": cbor2.dumps({**base, 2: -1}).hex(), "error": "syntax", "why": "negative cport"},
        {"cbor": cbor2.dumps({**base, 3: fp_c[:31]}).hex(), "error": "syntax", "why": "31-byte fingerprint"},
        {"cbor": cbor2.dumps({**base, 4: psk[:15]}).hex(), "error": "syntax", "why": "15-byte PSK"},
        {"cbor": "a4" + "0144c0000207" + "02191634" + "035820" + fp_c.hex() + "02191634",
         "error": "duplicate", "why": "cport twice"},
        {"cbor": cbor2.dumps(base).hex() + "00", "error": "syntax", "why": "trailing byte"},
        {"cbor": cbor2.dumps(base).hex()[:-2], "error": "syntax", "why": "truncated"},
        {"cbor": "bf" + "0144c0000207" + "02191634" + "035820" + fp_c.hex() + "ff",
         "error": "unsupported", "why": "indefinite-length map"},
        {"cbor": "a3" + "0144c0000207" + "021c" + "035820" + fp_c.hex(), "error": "syntax",
         "why": "reserved additional information 28"},
        {"cbor": "a4" + "81000144c0000207" + "02191634" + "035820" + fp_c.hex(), "error": "syntax",
         "why": "an array as a key"},
        {"cbor": "a4" + "1863" + "9bffffffffffffffff" + cbor2.dumps(base).hex()[2:], "error": "syntax",
         "why": "an unknown key whose value claims 2^64-1 elements"},
        {"cbor": "a2" + "1863" + "5a7fffffff", "error": "syntax", "why": "a string longer than the input"},
    ]
    write("enrollment_answer.json", {
        "description": "Message 10, the MotherShip's answer to a Device: CBOR map {1: cip, 2: cport, "
                       "3: cfingerprint, ?4: cpsk} and its JSON form (Accept 50). 'valid' round-trips "
                       "byte for byte; 'decode_only' decodes to 'json' but is not what TTE emits.",
        "valid": valid, "decode_only": decode_only, "invalid": invalid,
    })


# --- keys, digests, JSON messages --------------------------------------------

def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def key_vectors():
    keys = []
    for name in ["device", "mothership", "controller"]:
        cert = os.path.join(KEYS, name + "-test.crt")
        spki = openssl("x509", "-in", cert, "-pubkey", "-noout")
        spki_der = openssl("pkey", "-pubin", "-outform", "DER", data=spki)
        cert_der = openssl("x509", "-in", cert, "-outform", "DER")
        keys.append({"name": name, "certificate_pem": "keys/%s-test.crt" % name,
                     "public_key_pem": "keys/%s-test.pub" % name,
                     "private_key_pem": "keys/%s-test.key" % name,
                     "certificate_der_hex": cert_der.hex(), "public_key_der_hex": spki_der.hex(),
                     "fingerprint": hashlib.sha256(spki_der).hexdigest()})
    ed_der = openssl("pkey", "-in", os.path.join(KEYS, "ed25519-test.key"), "-pubout", "-outform", "DER")
    keys.append({"name": "ed25519", "private_key_pem": "keys/ed25519-test.key",
                 "public_key_der_hex": ed_der.hex(), "fingerprint": hashlib.sha256(ed_der).hexdigest()})
    server_key = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    digests = []
    for dev, otp in [(0xABCDEF01, 0x123456789ABCDEF0), (2, 1), (2, 2)]:
        message = dev.to_bytes(4, "big") + otp.to_bytes(8, "big")
        digests.append({"server_key": server_key.hex(), "devid": "%08x" % dev, "otp": "%016x" % otp,
                        "digest": hmac.new(server_key, message, hashlib.sha256).hexdigest()})
    box_key = bytes(range(16))
    box = []
    for dev in [0x1000, 0x1001, 0x1017, 0xFFFFFFFF]:
        mac = hmac.new(box_key, dev.to_bytes(4, "big"), hashlib.sha256).digest()
        box.append({"box_key": box_key.hex(), "devid": "%08x" % dev, "otp": mac[:8].hex()})
    write("crypto.json", {
        "description": "Fingerprints (SHA-256 of the DER SubjectPublicKeyInfo) of the test keys in "
                       "proto/keys (test use only), the MotherShip's stored OTP digest "
                       "HMAC-SHA256(key, devid || otp), and bulk-enrollment OTPs "
                       "HMAC-SHA256(box key, devid)[0:8].",
        "keys": keys, "otp_digest": digests, "box_otp": box,
    })


def messages():
    fp_d = "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486"
    fp_c = "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4"
    state_objects = [
        {"json": {"devid": "abcdef01", "urn": "urn:dev:mac:0024beffabcdef01", "fingerprint": fp_d,
                  "state": "unmapped", "mapped_at": None, "registered_at": None}},
        {"json": {"devid": "abcdef01", "urn": "urn:dev:ops:32473-Light-0001", "fingerprint": fp_d,
                  "state": "mapped", "mapped_at": "2026-11-28T05:28:40Z", "registered_at": None}},
        {"json": {"devid": "00000002", "urn": "urn:dev:ops:32473-Light-0002", "fingerprint": fp_d,
                  "state": "registered", "mapped_at": "2026-11-28T05:28:40Z",
                  "registered_at": "2026-11-28T06:00:00Z"}},
        {"json": {"devid": "00000003", "urn": "urn:dev:ops:32473-Light-0003", "fingerprint": fp_d,
                  "state": "revoked", "mapped_at": None, "registered_at": None}},
        # A PSK Device (docs/protocol.md 13.3) has no key pair: its fingerprint is null.
        {"json": {"devid": "00000005", "urn": "urn:dev:ops:32473-Light-0005", "fingerprint": None,
                  "state": "mapped", "mapped_at": "2026-11-28T05:28:40Z", "registered_at": None}},
    ]
    state_invalid = [
        {"text": "", "error": "syntax"},
        {"text": "[]", "error": "syntax"},
        {"text": "{\"devid\":\"abcdef01\"", "error": "syntax"},
        {"text": json.dumps({**state_objects[0]["json"], "state": "lost"}), "error": "syntax", "field": "state"},
        {"text": json.dumps({**state_objects[0]["json"], "devid": 5}), "error": "syntax", "field": "devid"},
        {"text": json.dumps({k: v for k, v in state_objects[0]["json"].items() if k != "urn"}),
         "error": "missing", "field": "urn"},
        {"text": json.dumps({**state_objects[1]["json"], "mapped_at": "2026-13-28T05:28:40Z"}),
         "error": "out_of_range", "field": "mapped_at"},
        {"text": json.dumps({**state_objects[0]["json"], "fingerprint": "abc"}), "error": "syntax",
         "field": "fingerprint"},
        # null is a PSK Device's; the member itself is not optional.
        {"text": json.dumps({k: v for k, v in state_objects[0]["json"].items() if k != "fingerprint"}),
         "error": "missing", "field": "fingerprint"},
    ]
    notices = [
        {"json": {"urn": "urn:dev:ops:32473-Light-0001", "fingerprint": fp_d, "devid": "abcdef01",
                  "otp": "123456789abcdef0", "mothership": "tte-00000A.net",
                  "description": "BLD30/2/361 - Thermostat"}},
        {"json": {"urn": "urn:dev:ops:32473-Light-0001", "fingerprint": fp_d, "devid": "abcdef01",
                  "otp": "123456789abcdef0", "mothership": "tte-00000A.net",
                  "description": "Küche – Deckenlicht", "psk": bytes(range(16)).hex()}},
        # A PSK Device (docs/protocol.md 13.3): no key, so no fingerprint; the link PSK instead.
        {"json": {"urn": "urn:dev:ops:32473-Light-0005", "fingerprint": None, "devid": "00000005",
                  "otp": "00000000deadbeef", "mothership": "tte-00000A.net", "description": "",
                  "psk": bytes(range(1, 17)).hex()}},
    ]
    psk_notice = notices[2]["json"]
    notice_invalid = [
        # Neither a fingerprint nor a PSK: nothing the Controller could admit the Device by.
        {"text": json.dumps({k: v for k, v in psk_notice.items() if k != "psk"}), "error": "missing",
         "field": "psk"},
        # The member is required, null or not.
        {"text": json.dumps({k: v for k, v in psk_notice.items() if k != "fingerprint"}),
         "error": "missing", "field": "fingerprint"},
        # All zeros is a placeholder, not a secret.
        {"text": json.dumps({**psk_notice, "psk": "00" * 16}), "error": "out_of_range", "field": "psk"},
        {"text": json.dumps({**psk_notice, "psk": "00" * 15}), "error": "syntax", "field": "psk"},
        # A member given twice (JSON allows it; a message that says two things is refused).
        {"text": json.dumps(psk_notice)[:-1] + ', "psk": "' + "11" * 16 + '"}', "error": "duplicate",
         "field": "json"},
        {"text": json.dumps({**notices[0]["json"], "mothership": "example.com"}), "error": "syntax",
         "field": "mothership"},
        {"text": json.dumps({**notices[0]["json"], "description": "a\nb"}), "error": "syntax",
         "field": "description"},
        {"text": json.dumps({**notices[0]["json"], "description": "x" * 257}), "error": "too_long",
         "field": "description"},
        {"text": json.dumps({k: v for k, v in notices[0]["json"].items() if k != "otp"}),
         "error": "missing", "field": "otp"},
    ]
    claim_ok = [
        {"query": "otp=123456789abcdef0&devid=abcdef01&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c,
         "body": "", "devid": "abcdef01", "otp": "123456789abcdef0", "controller": "192.0.2.7:5684",
         "cfingerprint": fp_c, "description": "",
         "canonical_query": "otp=123456789abcdef0&devid=abcdef01&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c},
        {"query": "otp=123456789abcdef0,DevID=abcdef01",
         "body": "cip=2001%3Adb8%3A%3A7&cport=5684&cfingerprint=" + fp_c.upper() +
                 "&description=BLD30%2F2%2F361+-+Thermostat",
         "devid": "abcdef01", "otp": "123456789abcdef0", "controller": "[2001:db8::7]:5684",
         "cfingerprint": fp_c, "description": "BLD30/2/361 - Thermostat",
         "canonical_query": "otp=123456789abcdef0&devid=abcdef01&cip=2001%3Adb8%3A%3A7&cport=5684"
                            "&cfingerprint=" + fp_c + "&description=BLD30%2F2%2F361%20-%20Thermostat"},
        # A bracketed IPv6 cip (as a URL's host is written) is taken too.
        {"query": "otp=123456789abcdef0&devid=abcdef01&cip=%5B2001:DB8::7%5D&cport=5684&cfingerprint=" + fp_c,
         "body": "", "devid": "abcdef01", "otp": "123456789abcdef0", "controller": "[2001:db8::7]:5684",
         "cfingerprint": fp_c, "description": "",
         "canonical_query": "otp=123456789abcdef0&devid=abcdef01&cip=2001%3Adb8%3A%3A7&cport=5684&cfingerprint=" + fp_c},
    ]
    claim_bad = [
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=5684", "body": "", "error": "missing",
         "field": "cfingerprint"},
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=0&cfingerprint=" + fp_c, "body": "",
         "error": "out_of_range", "field": "cport"},
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c, "body": "cport=5684",
         "error": "duplicate", "field": "cport"},
        {"query": "otp=1&devid=2&cip=host.example&cport=5684&cfingerprint=" + fp_c, "body": "",
         "error": "syntax", "field": "cip"},
        {"query": "otp=1&devid=2&cip=fe80::1%25eth0&cport=5684&cfingerprint=" + fp_c, "body": "",
         "error": "unsupported", "field": "cip"},
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c[:-1], "body": "",
         "error": "syntax", "field": "cfingerprint"},
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c,
         "body": "description=" + "x" * 257, "error": "too_long", "field": "description"},
        {"query": "otp=1&devid=2&cip=192.0.2.7&cport=5684&cfingerprint=" + fp_c,
         "body": "description=%FF", "error": "syntax", "field": "description"},
        {"query": "otp=1&devid=2&cip&cport=5684&cfingerprint=" + fp_c, "body": "",
         "error": "syntax", "field": "cip"},
        # Brackets hold IPv6 only, and a port belongs in cport.
        {"query": "otp=123456789abcdef0&devid=abcdef01&cip=%5B192.0.2.7%5D&cport=5684&cfingerprint=" + fp_c,
         "body": "", "error": "syntax", "field": "cip"},
        {"query": "otp=123456789abcdef0&devid=abcdef01&cip=%5B2001:db8::7%5D:5684&cport=5684&cfingerprint=" + fp_c,
         "body": "", "error": "syntax", "field": "cip"},
    ]
    problems = [
        {"json": {"type": "https://iana.org/assignments/http-problem-types#tte-otp-used",
                  "title": "OTP already used", "status": 409,
                  "detail": "This device's OTP has already been used to map it to a Controller.",
                  "device": state_objects[1]["json"]}},
        {"json": {"type": "https://iana.org/assignments/http-problem-types#tte-bad-parameter",
                  "title": "Malformed request", "status": 400, "detail": "cport must be 1-65535",
                  "field": "cport"}},
    ]
    times = [
        {"input": "2026-11-28T05:28:40Z", "seconds": 1795843720, "canonical": "2026-11-28T05:28:40Z"},
        {"input": "1970-01-01T00:00:00Z", "seconds": 0, "canonical": "1970-01-01T00:00:00Z"},
        {"input": "2026-11-28t06:28:40.123+01:00", "seconds": 1795843720, "canonical": "2026-11-28T05:28:40Z"},
        {"input": "2024-02-29T23:59:59-00:30", "seconds": 1709252999, "canonical": "2024-03-01T00:29:59Z"},
        {"input": "2026-02-29T00:00:00Z", "error": "out_of_range"},
        {"input": "2026-11-28 05:28:40Z", "error": "syntax"},
        {"input": "2026-11-28T05:28:40", "error": "syntax"},
        {"input": "2026-11-28T24:00:00Z", "error": "out_of_range"},
        {"input": "2026-11-28T05:28:40.Z", "error": "syntax"},
    ]
    import datetime
    for t in times:
        if "seconds" in t:
            assert datetime.datetime.fromisoformat(t["canonical"].replace("Z", "+00:00")).timestamp() == t["seconds"]
    write("messages.json", {
        "description": "JSON messages: state objects (draft 3.2), device notices (message 6), claim "
                       "requests (message 4: query plus optional form body), problem details, "
                       "RFC 3339 times.",
        "state_object": state_objects, "state_object_invalid": state_invalid,
        "device_notice": notices, "device_notice_invalid": notice_invalid,
        "claim_request": claim_ok, "claim_request_invalid": claim_bad,
        "problem": problems, "rfc3339": times,
    })


def provisioning_images():
    import struct
    import zlib
    key_der = openssl("ec", "-in", os.path.join(KEYS, "device-test.key"), "-outform", "DER")
    cert_der = openssl("x509", "-in", os.path.join(KEYS, "device-test.crt"), "-outform", "DER")
    ms_fp = bytes.fromhex("9bb17f2d42aac35857dab4dd02a7feb5bebd89ab6001bd261dc30783430be327")

    # Version 1 has no entropy seed; version 2 carries 32 bytes of it right after the fixed header.
    # A PSK Device's image (flag bit 1) carries its 16-byte factory PSK after the seed, and no key.
    # Flag bit 2: the Device blinks the version 2 LED frame (docs/protocol.md 13.1.1).
    def image(ms_id, devid, otp, urn, family, address, port, key, cert, seed=b"", psk=b"", led=1):
        header = b"TTEP" + bytes([2 if seed else 1,
                                  (1 if key else 0) | (2 if psk else 0) | (4 if led == 2 else 0)])
        size = 143 + len(seed) + len(psk) + len(key) + len(cert) + 4
        body = header + struct.pack(">HIIQ", size, ms_id, devid, otp)
        body += bytes([len(urn)]) + urn.encode().ljust(63, b"\0")
        body += bytes([family]) + address.ljust(16, b"\0") + struct.pack(">H", port) + ms_fp
        body += struct.pack(">HH", len(key), len(cert)) + seed + psk + key + cert
        assert len(body) == size - 4
        return body + struct.pack(">I", zlib.crc32(body))

    seed = hashlib.sha256(b"TTE test entropy seed").digest()
    factory_psk = hashlib.sha256(b"TTE test factory PSK").digest()[:16]
    valid = []
    for ms_id, devid, otp, urn, ip, port, with_key, with_seed, *with_psk in [
        (10, 0xABCDEF01, 0x123456789ABCDEF0, "urn:dev:ops:32473-Light-0001", "192.0.2.1", 5684, True, False),
        (10, 2, 1, "urn:dev:mac:0024beffff000002", "2001:db8::1", 5684, True, False),
        (0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, "urn:dev:os:32473-1", "127.0.0.1", 65535, False, False),
        (10, 3, 0x0123456789ABCDEF, "urn:dev:ops:32473-Light-0003", "10.0.2.2", 5684, True, True),
        (10, 4, 0xFEDCBA9876543210, "urn:dev:ops:32473-Light-0004", "192.0.2.1", 5684, False, True),
        (10, 5, 0x00000000DEADBEEF, "urn:dev:ops:32473-Light-0005", "192.0.2.1", 5684, False, True, True),
        (10, 6, 0x0C7A5A7397784C99, "urn:dev:ops:32473-Light-0006", "192.0.2.1", 5684, True, True, False, 2),
    ]:
        address = ipaddress.ip_address(ip)
        key, cert = (key_der, cert_der) if with_key else (b"", b"")
        device_seed = seed if with_seed else b""
        device_psk = factory_psk if with_psk and with_psk[0] else b""
        led = with_psk[1] if len(with_psk) > 1 else 1
        data = image(ms_id, devid, otp, urn, address.version, address.packed, port, key, cert,
                     device_seed, device_psk, led)
        valid.append({"ms_id": ms_id, "devid": "%08x" % devid, "otp": "%016x" % otp, "urn": urn,
                      "version": 2 if with_seed else 1,
                      "mothership": ("[%s]:%d" if address.version == 6 else "%s:%d") % (address, port),
                      "mothership_fingerprint": ms_fp.hex(), "private_key": key.hex(),
                      "certificate": cert.hex(), "entropy_seed": device_seed.hex(),
                      "factory_psk": device_psk.hex(), "led_frame": led, "image": data.hex()})
    good = bytes.fromhex(valid[0]["image"])
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    bad_magic = b"TTEX" + good[4:]
    bad_version = good[:4] + bytes([3]) + good[5:]
    bad_version = bad_version[:-4] + struct.pack(">I", zlib.crc32(bad_version[:-4]))
    # A version 1 image relabelled version 2 (its lengths no longer add up: no room for a seed).
    v1_as_v2 = good[:4] + bytes([2]) + good[5:]
    v1_as_v2 = v1_as_v2[:-4] + struct.pack(">I", zlib.crc32(v1_as_v2[:-4]))
    seeded = bytes.fromhex(valid[3]["image"])
    seeded_bad_crc = seeded[:150] + bytes([seeded[150] ^ 0x80]) + seeded[151:]
    long_length = good[:6] + struct.pack(">H", len(good) + 1) + good[8:]
    no_urn = bytearray(good)
    no_urn[24] = 0
    no_urn = bytes(no_urn[:-4]) + struct.pack(">I", zlib.crc32(bytes(no_urn[:-4])))
    flags = bytearray(good)
    flags[5] = 0
    flags = bytes(flags[:-4]) + struct.pack(">I", zlib.crc32(bytes(flags[:-4])))
    reserved = bytes.fromhex(valid[2]["image"])
    reserved = reserved[:8] + struct.pack(">I", 0x01000001) + reserved[12:-4]
    reserved = reserved + struct.pack(">I", zlib.crc32(reserved))
    def recrc(data):
        return data[:-4] + struct.pack(">I", zlib.crc32(data[:-4]))
    psk_image = bytes.fromhex(valid[5]["image"])
    # The PSK flag on a version 1 image; an unknown flag; the PSK flag beside a key.
    psk_v1 = recrc(good[:5] + bytes([good[5] | 2]) + good[6:])
    unknown_flag = recrc(psk_image[:5] + bytes([psk_image[5] | 8]) + psk_image[6:])
    psk_and_key = image(10, 3, 1, "urn:dev:ops:32473-Light-0003", 4, bytes([192, 0, 2, 1]), 5684,
                        key_der, cert_der, seed, factory_psk)
    invalid = [
        {"image": psk_v1.hex(), "error": "syntax"},
        {"image": unknown_flag.hex(), "error": "syntax"},
        {"image": psk_and_key.hex(), "error": "syntax"},
        {"image": bad_crc.hex(), "error": "checksum"},
        {"image": bad_magic.hex(), "error": "syntax"},
        {"image": bad_version.hex(), "error": "unsupported"},
        {"image": long_length.hex(), "error": "syntax"},
        {"image": good[:100].hex(), "error": "syntax"},
        {"image": no_urn.hex(), "error": "syntax"},
        {"image": flags.hex(), "error": "syntax"},
        {"image": reserved.hex(), "error": "reserved"},
        {"image": v1_as_v2.hex(), "error": "syntax"},
        {"image": seeded_bad_crc.hex(), "error": "checksum"},
    ]
    crc = [{"input_hex": b"123456789".hex(), "crc32": "%08x" % zlib.crc32(b"123456789")},
           {"input_hex": "", "crc32": "%08x" % zlib.crc32(b"")},
           {"input_hex": good[:-4].hex(), "crc32": "%08x" % zlib.crc32(good[:-4])}]
    write("provisioning_image.json", {
        "description": "Provisioning images (what the factory flashes into a Device; docs/device-provisioning.md): "
                       "version 1 without, version 2 with the 32-byte entropy seed (and, flag bit 1, a PSK "
                       "Device's 16-byte factory PSK after it); and CRC-32 (IEEE, as zlib).",
        "valid": valid, "invalid": invalid, "crc32": crc,
    })


def draft_example():
    d = DRAFT
    write("draft_example.json", {
        "description": "The draft's Section 2 example device in every encoding TTE has "
                       "(MS ID 0 is the reserved example ID: operational systems refuse it).",
        **device(**d),
        "host": host_of(d["ms_id"]),
        "enrollment_url": enrollment_url(d["ms_id"], d["devid"], d["otp"]),
        "draft_text_url": "https://tte-000000.net/.well-known/tte?otp=123456789abcdef0,DevID=abcdef01",
        "manual_code": manual_code(d["ms_id"], d["devid"], d["otp"]),
        "led_frame": led_frame(d["ms_id"], d["devid"], d["otp"]).hex(),
    })


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--out":
        VECTORS = os.path.abspath(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit("usage: make_vectors.py [--out DIR]")
    os.makedirs(VECTORS, exist_ok=True)
    identifiers()
    urls()
    manual_codes()
    led()
    enrollment_answer()
    key_vectors()
    messages()
    provisioning_images()
    draft_example()
