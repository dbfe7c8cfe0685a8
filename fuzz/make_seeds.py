#!/usr/bin/env python3
"""Writes the committed seed corpus fuzz/corpus/<target>/seed-* from spec/vectors.

Run from anywhere: python3 fuzz/make_seeds.py. Needs only Python 3 and the `openssl` command
(to re-encode the vector keys as DER in PKCS#8 and SPKI). The seeds are deterministic; rerun
after the vectors change and commit the result. Crash inputs found by fuzzing are added by hand
as fuzz/corpus/<target>/seed-crash-<what> and are not touched by this script.
"""
import base64
import hashlib
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
VEC = ROOT / "spec" / "vectors" / "capgo-cli"
CORPUS = ROOT / "fuzz" / "corpus"
MANIFEST = json.loads((VEC / "manifest.json").read_text())
SMALL = 70_000  # keep every seed small: libFuzzer mutates them many times per second


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"seed-{name}").write_bytes(data)


def type1(payload, k):
    return b"\x00\x01" + b"\xff" * (k - 3 - len(payload)) + b"\x00" + payload


def main():
    for d in CORPUS.glob("*/seed-*"):
        if not d.name.startswith("seed-crash-"):
            d.unlink()
    v2 = [e for e in MANIFEST["v2"] if e["plain_len"] <= SMALL]
    v1 = MANIFEST["v1"]

    # ivSessionKey: every vector's string, a V1 one, and raw iv || block for the encode side.
    for e in v2:
        write("iv_session_key", e["id"], e["iv_session_key"])
    write("iv_session_key", v1[0]["id"], v1[0]["iv_session_key"])
    write("iv_session_key", "raw-256", bytes(range(16)) + bytes(range(256)))
    write("iv_session_key", "raw-384", bytes(16) + b"\x07" * 384)

    # Signed checksums in both forms, and a raw block.
    for e in v2:
        if e["id"].startswith(("rand-17", "bundle-zip")):
            write("signed_checksum", e["id"], e["signed_checksum"])
    write("signed_checksum", "raw-256", bytes(range(256)))

    # Plain checksums, formats, versions, key ids.
    for e in v2[:3]:
        write("checksum", "sha256-" + e["id"], e["sha256"])
    for e in v1[:2]:
        write("checksum", "crc32-" + e["id"], e["crc32"])
    for word in ["hex", "base64", "v1", "v2", "v3"]:
        write("checksum", word, word)
    write("checksum", "key-id", "MIIBCgKCAQEAuGbpniuu")
    write("checksum", "pem", (VEC / "keys" / "k1.pub").read_text())

    # Type-1 blocks with each payload length.
    for n in (16, 32, 48):
        write("type1", f"k256-p{n}", type1(bytes(range(n)), 256))
    write("type1", "k512-p16", type1(b"\x42" * 16, 512))

    # Keys: the vector PEM files and their DER forms.
    keys = VEC / "keys"
    for name in ["k1.key", "k1.pub", "k2.pub", "v1k1.key"]:
        write("key_decode", name.replace(".", "-") + "-pem", (keys / name).read_bytes())
    der = {
        "k1-pkcs1-der": ["openssl", "rsa", "-in", keys / "k1.key", "-outform", "DER", "-traditional"],
        "k1-pkcs8-der": ["openssl", "pkey", "-in", keys / "k1.key", "-outform", "DER"],
        "k1-spki-der": ["openssl", "pkey", "-in", keys / "k1.key", "-pubout", "-outform", "DER"],
        "k1-pub-pkcs1-der": ["openssl", "rsa", "-in", keys / "k1.key", "-RSAPublicKey_out", "-outform", "DER"],
        "k1-pkcs8-pem": ["openssl", "pkey", "-in", keys / "k1.key"],
        "k1-spki-pem": ["openssl", "pkey", "-in", keys / "k1.key", "-pubout"],
    }
    for name, cmd in der.items():
        out = subprocess.run([str(c) for c in cmd], check=True, capture_output=True).stdout
        write("key_decode", name, out)

    # V2 decrypt: modes 0..2 on the fixed vector, mode 3 with every small k1 vector.
    fixed = (VEC / "v2" / "rand-1024.k1.hex.enc").read_bytes()
    for mode in (0, 1, 2):
        write("v2_decrypt", f"mode{mode}-rand-1024", bytes([mode]) + fixed)
    write("v2_decrypt", "mode1-chunk-7", bytes([1 + 4 * 7]) + fixed)
    for e in v2:
        if e["key"] != "k1":
            continue
        body = (VEC / e["encrypted"]).read_bytes()
        data = f"{e['iv_session_key']}\n{e['signed_checksum']}\n".encode() + body
        write("v2_decrypt", "mode3-" + e["id"], b"\x03" + data)

    # Round trip: arbitrary-structured bytes; the vector plaintexts as the tail.
    for e in v2:
        if e["key"] == "k1" and e["checksum_format"] == "hex":
            plain = (VEC / e["plain"]).read_bytes()
            head = hashlib.sha256(e["id"].encode()).digest() * 2
            write("roundtrip", e["id"], head + plain)


if __name__ == "__main__":
    main()
