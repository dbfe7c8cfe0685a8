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


def openssl(args, data):
    """Runs openssl with `data` on standard input; returns its standard output."""
    cmd = ["openssl"] + [str(a) for a in args]
    return subprocess.run(cmd, input=data, check=True, capture_output=True).stdout


def aes_cbc(key, iv, plain):
    """AES-128-CBC with PKCS#7 padding (openssl enc)."""
    return openssl(["enc", "-aes-128-cbc", "-K", key.hex(), "-iv", iv.hex()], plain)


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

    # Bodies longer than the 64 KiB streaming buffer, so that the logic that holds back the
    # last block across reads is fuzzed: a mode-1 body under the fixed vector's session key,
    # and a whole mode-3 bundle made here with k1 (openssl: RSA type-1 signing, AES-128-CBC).
    plain = bytes((i * 7 + 3) % 251 for i in range(100_000))
    fixed_ivsk = next(e for e in MANIFEST["v2"] if e["id"] == "rand-1024.k1.hex")["iv_session_key"]
    iv_b64, block_b64 = fixed_ivsk.split(":")
    session = openssl(["pkeyutl", "-verifyrecover", "-pubin", "-inkey", keys / "k1.pub",
                       "-pkeyopt", "rsa_padding_mode:pkcs1"], base64.b64decode(block_b64))
    body = aes_cbc(session, base64.b64decode(iv_b64), plain)
    write("v2_decrypt", "mode1-100000-crosses-64k", b"\x01" + body)
    write("v2_decrypt", "mode1-100000-chunk-3844", bytes([1 + 4 * 63]) + body)
    key16 = hashlib.sha256(b"fuzz seed session key").digest()[:16]
    iv16 = hashlib.sha256(b"fuzz seed iv").digest()[:16]
    body = aes_cbc(key16, iv16, plain)
    wrapped = openssl(["pkeyutl", "-sign", "-inkey", keys / "k1.key",
                       "-pkeyopt", "rsa_padding_mode:pkcs1"], key16)
    signed = openssl(["pkeyutl", "-sign", "-inkey", keys / "k1.key",
                      "-pkeyopt", "rsa_padding_mode:pkcs1"], hashlib.sha256(plain).digest())
    ivsk = base64.b64encode(iv16).decode() + ":" + base64.b64encode(wrapped).decode()
    data = f"{ivsk}\n{signed.hex()}\n".encode() + body
    write("v2_decrypt", "mode3-100000-crosses-64k", b"\x03" + data)

    # Round trip: arbitrary-structured bytes; the vector plaintexts as the tail.
    for e in v2:
        if e["key"] == "k1" and e["checksum_format"] == "hex":
            plain = (VEC / e["plain"]).read_bytes()
            head = hashlib.sha256(e["id"].encode()).digest() * 2
            write("roundtrip", e["id"], head + plain)

    # V1 decrypt: modes 0 and 1 on the fixed vector, mode 2 with every V1 vector.
    fixed = (VEC / "v1" / "rand-1024.v1k1.enc").read_bytes()
    write("v1_decrypt", "mode0-rand-1024", b"\x00" + fixed)
    write("v1_decrypt", "mode1-rand-1024", b"\x01" + fixed)
    for e in v1:
        body = (VEC / e["encrypted"]).read_bytes()
        data = f"{e['iv_session_key']}\n{e['crc32']}\n".encode() + body
        write("v1_decrypt", "mode2-" + e["id"], b"\x02" + data)

    # Protocol: the golden fixtures of otaseal-protocol, each behind its message-type byte.
    fixtures = ROOT / "crates" / "otaseal-protocol" / "tests" / "fixtures"
    methods = ["set", "get", "delete", "list"]

    def selector(kind, method=0):
        return next(w for w in range(256) if w % 12 == kind and (w >> 4) % 4 == method)

    for f in sorted(fixtures.glob("*.json")):
        n, doc = f.name, f.read_bytes()
        kinds = []
        if n.startswith("update.request"):
            kinds.append(0)
        elif n.startswith("update."):
            kinds += [1, 11]
            if n.startswith(("update.available", "update.manifest")):
                kinds.append(2)
            if n.startswith(("update.up-to-date", "update.blocked")):
                kinds.append(3)
            if n.startswith("update.rate-limited"):
                kinds.append(4)
        elif n.startswith("error.") or n == "channel.error.json":
            kinds.append(5)
        elif n.startswith(("stats.batch", "stats.single")):
            kinds.append(6)
        elif n.startswith("stats.response"):
            kinds.append(7)
        if n == "channel.list.query.json":
            kinds.append(8)
        for m, method in enumerate(methods):
            if n == f"channel.{method}.request.json":
                write("protocol", f"{n}-{9}", bytes([selector(9, m)]) + doc)
            if n == f"channel.{method}.response.json":
                write("protocol", f"{n}-{10}", bytes([selector(10, m)]) + doc)
        for k in kinds:
            write("protocol", f"{n}-{k}", bytes([selector(k)]) + doc)

    # Manifests: a valid one built from vector strings, and names and globs.
    sig = MANIFEST["v2"][0]["signed_checksum"]
    entries = [
        {"file_name": "index.html", "file_hash": sig, "download_url": "https://cdn.example/1/index.html"},
        {"file_name": "assets/app%402x.png", "file_hash": sig, "download_url": "https://cdn.example/1/a"},
        {"file_name": "assets/app.js.br", "file_hash": sig, "download_url": "https://cdn.example/1/b"},
    ]
    write("manifest", "three-entries", json.dumps(entries, indent=2))
    write("manifest", "empty", "[]")
    write("manifest", "name", "assets/%C3%A9/x(1).js")
    write("manifest", "glob", "assets/**/*.js\nassets/js/app.js")

    # V3: the headers and small sealed files of spec/vectors/v3.
    v3 = ROOT / "spec" / "vectors" / "v3"
    for f in sorted(v3.glob("*.v3")):
        data = f.read_bytes()
        if len(data) <= SMALL:
            write("v3_open", f.stem, data)
        hlen = int.from_bytes(data[10:14], "big") if len(data) >= 14 else 0
        if f.stem.startswith("ok-") and 0 < hlen <= len(data):
            write("v3_header", f.stem, data[:hlen])
            write("v3_header", f.stem + "-signed", data[: min(len(data), hlen + 600)])

    # V3 rotation statements (spec/v3.md 8): to the header target (parsing) and, behind an odd
    # kind byte, to the state target (acceptance by {signer1}); verifier state files (11.2)
    # behind an even one.
    for f in sorted(v3.glob("rotation-*.bin")):
        data = f.read_bytes()
        write("v3_header", f.stem, data)
        write("v3_state", f.stem, b"\x01" + data)
    v3_manifest = json.loads((v3 / "manifest.json").read_text())
    for e in v3_manifest["states"]:
        for which in ("state", "state_after"):
            if e.get(which) is not None:
                write("v3_state", f"{e['name']}-{which}", b"\x00" + json.dumps(e[which], indent=2).encode())


if __name__ == "__main__":
    main()
