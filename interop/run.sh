#!/usr/bin/env bash
# Interop test against the real Capgo tools, installed from the npm registry by this script:
#   @capgo/cli@8.68.1 with @capgo/capacitor-updater@8.51.23 (hex signed checksums) and
#   @capgo/capacitor-updater@7.25.0 (legacy base64 signed checksums).
#
# 1. otaseal encrypts, the real `capgo bundle decrypt` decrypts and verifies (both forms).
# 2. the real `capgo bundle encrypt` encrypts, otaseal decrypts and verifies.
# 3. a tampered otaseal bundle is refused by capgo.
# 4. V1 bundles migrated by `otaseal migrate bundle` (when that command exists) pass capgo.
# 5. In a project with each plugin installed (and one with only a package.json dependency),
#    otaseal picks the same signed-checksum form as the real `capgo bundle encrypt`.
# 6. Capgo's documented commands, unchanged, with otaseal in place of capgo: `bundle zip`
#    (no arguments, and APPID --path --bundle --name), `bundle encrypt ZIP CHECKSUM`,
#    `bundle decrypt`: the same file names and JSON keys, zips with the same files, and each
#    tool decrypts what the other encrypted.
# 7. a bundle made with a key in a SoftHSM2 token (pkcs11: URI) passes capgo.
#
# Usage: interop/run.sh            (CI runs it from .ci/run)
# Env:   OTASEAL_INTEROP_DIR=...   where to install npm packages (default interop/work)
#        OTASEAL_BIN=...           an already built otaseal binary (default: cargo build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${OTASEAL_INTEROP_DIR:-$root/interop/work}"
CLI_VERSION=8.68.1
keys="$root/spec/vectors/capgo-cli/keys"
export CI=true NO_COLOR=1 CAPGO_DISABLE_TELEMETRY=1

if [ -z "${OTASEAL_BIN:-}" ]; then
  cargo build -q -p otaseal-cli --manifest-path "$root/Cargo.toml"
fi
otaseal="${OTASEAL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/otaseal}"

setup_project() { # $1 = dir, $2 = plugin version
  local dir="$1" plugin="$2"
  if [ -x "$dir/node_modules/.bin/capgo" ] && [ -d "$dir/node_modules/@capgo/capacitor-updater" ]; then return; fi
  mkdir -p "$dir/dist"
  echo '<html></html>' > "$dir/dist/index.html"
  printf '{"name":"otaseal-interop","version":"1.0.0","private":true}\n' > "$dir/package.json"
  printf '{"appId":"com.otaseal.interop","appName":"interop","webDir":"dist"}\n' > "$dir/capacitor.config.json"
  (cd "$dir" && npm install --silent --no-audit --no-fund --ignore-scripts --legacy-peer-deps \
      "@capgo/cli@$CLI_VERSION" "@capgo/capacitor-updater@$plugin" </dev/null >/dev/null)
}

hex_project="$work/plugin-8.51.23"
b64_project="$work/plugin-7.25.0"
setup_project "$hex_project" 8.51.23
setup_project "$b64_project" 7.25.0

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

capgo() { # $1 = project dir, rest = capgo args
  local dir="$1"; shift
  (cd "$dir" && ./node_modules/.bin/capgo "$@" </dev/null)
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

data="$work/data"
rm -rf "$data" && mkdir -p "$data/web/assets"
: > "$data/empty.bin"
printf 'x' > "$data/one.bin"
head -c 16 /dev/urandom > "$data/sixteen.bin"
head -c 1048576 /dev/urandom > "$data/mebibyte.bin"
echo '<!doctype html><title>otaseal</title><script src="assets/app.js"></script>' > "$data/web/index.html"
{ echo 'CapacitorUpdater.notifyAppReady();'; head -c 20000 /dev/urandom | base64; } > "$data/web/assets/app.js"
"$otaseal" bundle zip "$data/web" -o "$data/bundle.zip" --json >/dev/null

# 1. otaseal -> capgo, in both checksum forms.
for form in hex base64; do
  project="$hex_project"; [ "$form" = base64 ] && project="$b64_project"
  for f in one.bin sixteen.bin mebibyte.bin bundle.zip; do
    src="$data/$f"
    enc="$data/$f.$form.enc"
    out=$("$otaseal" bundle encrypt "$src" --key "$keys/k1.key" --checksum-format "$form" -o "$enc" --json)
    ivsk=$(json_field ivSessionKey <<<"$out")
    signed=$(json_field checksum <<<"$out")
    rm -f "${enc}_decrypted.zip" "${enc%.*}_decrypted.zip"
    if log=$(capgo "$project" bundle decrypt "$enc" "$ivsk" --checksum "$signed" --key "$keys/k1.pub" 2>&1); then
      dec=$(ls "$data"/"$f.$form"*decrypted* 2>/dev/null | head -n 1)
      if [ -n "$dec" ] && cmp -s "$dec" "$src"; then ok "otaseal encrypt ($form) -> capgo decrypt: $f"
      else ko "otaseal encrypt ($form) -> capgo decrypt: $f: output differs or missing"; echo "$log"; fi
      rm -f "$dec"
    else
      ko "otaseal encrypt ($form) -> capgo decrypt: $f"; echo "$log"
    fi
  done
done

# otaseal refuses to encrypt an empty file (no zip is 0 bytes; plugin 8.51.14+ refuses it).
if "$otaseal" bundle encrypt "$data/empty.bin" --key "$keys/k1.key" -o "$data/empty.enc" >/dev/null 2>&1; then
  ko "otaseal encrypted an empty input"
else
  ok "otaseal refuses an empty input"
fi

# 2. capgo -> otaseal.
for f in empty.bin one.bin mebibyte.bin bundle.zip; do
  src="$data/$f"
  sha=$(sha256sum "$src" | cut -d' ' -f1)
  cp "$src" "$data/capgo-$f"
  if out=$(capgo "$hex_project" bundle encrypt "$data/capgo-$f" "$sha" --key "$keys/k1.key" --json 2>/dev/null); then
    ivsk=$(json_field ivSessionKey <<<"$out")
    signed=$(json_field checksum <<<"$out")
    enc=$(json_field filename <<<"$out")
    if "$otaseal" bundle decrypt "$enc" "$ivsk" --key "$keys/k1.pub" --checksum "$signed" -o "$data/otaseal-$f" >/dev/null \
      && cmp -s "$data/otaseal-$f" "$src"; then ok "capgo encrypt -> otaseal decrypt: $f"
    else ko "capgo encrypt -> otaseal decrypt: $f"; fi
  else
    ko "capgo encrypt: $f"
  fi
done

# 3. A tampered bundle is refused by capgo.
enc="$data/tamper.enc"
out=$("$otaseal" bundle encrypt "$data/mebibyte.bin" --key "$keys/k1.key" -o "$enc" --json)
python3 - "$enc" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[1000] ^= 1
open(p, 'wb').write(b)
PY
if capgo "$hex_project" bundle decrypt "$enc" "$(json_field ivSessionKey <<<"$out")" \
     --checksum "$(json_field checksum <<<"$out")" --key "$keys/k1.pub" >/dev/null 2>&1; then
  ko "capgo accepted a tampered otaseal bundle"
else
  ok "capgo refuses a tampered otaseal bundle"
fi

# 4. V1 bundles migrated to V2 by otaseal pass capgo's V2 decrypt.
if "$otaseal" migrate bundle --help >/dev/null 2>&1; then
  v1="$root/spec/vectors/capgo-cli/v1"
  python3 - "$root/spec/vectors/capgo-cli/manifest.json" > "$data/v1.tsv" <<'PY'
import json, sys
for v in json.load(open(sys.argv[1]))["v1"]:
    print(v["encrypted"], v["iv_session_key"], v["plain"], sep="\t")
PY
  while IFS=$'\t' read -r encrypted ivsk plain; do
    name=$(basename "$encrypted")
    out=$("$otaseal" migrate bundle "$root/spec/vectors/capgo-cli/$encrypted" --v1-key "$keys/v1k1.key" \
          --iv-session-key "$ivsk" --key "$keys/k1.key" -o "$data/$name.v2" --json)
    rm -f "$data/$name.v2"*decrypted*
    if capgo "$hex_project" bundle decrypt "$data/$name.v2" "$(json_field ivSessionKey <<<"$out")" \
         --checksum "$(json_field checksum <<<"$out")" --key "$keys/k1.pub" >/dev/null 2>&1 \
       && cmp -s "$(ls "$data/$name.v2"*decrypted* | head -n 1)" "$root/spec/vectors/capgo-cli/$plain"; then
      ok "otaseal migrate (V1 -> V2) -> capgo decrypt: $name"
    else
      ko "otaseal migrate (V1 -> V2) -> capgo decrypt: $name"
    fi
  done < "$data/v1.tsv"
fi

# 5. The form chosen from the project's plugin, as the real CLI chooses it.
form_of() { if [[ "$1" =~ ^[0-9a-f]+$ ]]; then echo hex; else echo base64; fi; }
dep_project="$work/plugin-dependency-7"
mkdir -p "$dep_project"
printf '{"name":"otaseal-interop-dep","version":"1.0.0","private":true,"dependencies":{"@capgo/capacitor-updater":"^7.25.0"}}\n' > "$dep_project/package.json"
printf '{"appId":"com.otaseal.interop","appName":"interop","webDir":"dist"}\n' > "$dep_project/capacitor.config.json"
for project in "$hex_project" "$b64_project" "$dep_project"; do
  cp "$data/one.bin" "$project/form-probe.bin"
  sha=$(sha256sum "$project/form-probe.bin" | cut -d' ' -f1)
  theirs=$( (cd "$project" && "$hex_project/node_modules/.bin/capgo" bundle encrypt form-probe.bin "$sha" \
             --key "$keys/k1.key" --json </dev/null 2>/dev/null) | json_field checksum || true)
  ours=$( (cd "$project" && "$otaseal" bundle encrypt form-probe.bin --key "$keys/k1.key" -o form-probe.enc --force --json 2>/dev/null) \
          | json_field checksum || true)
  name=$(basename "$project")
  if [ -n "$theirs" ] && [ -n "$ours" ] && [ "$(form_of "$theirs")" = "$(form_of "$ours")" ]; then
    ok "project form, as @capgo/cli picks it: $name ($(form_of "$ours"))"
  else
    ko "project form, as @capgo/cli picks it: $name (capgo: ${theirs:+$(form_of "$theirs")}, otaseal: ${ours:+$(form_of "$ours")})"
  fi
done

# 6. Capgo's documented commands run unchanged with otaseal.
docs_project="$work/docs-project"
rm -rf "$docs_project" && mkdir -p "$docs_project/dist/assets"
ln -s "$hex_project/node_modules" "$docs_project/node_modules"
printf '{"name":"otaseal-docs","version":"1.4.2","private":true,"dependencies":{"@capgo/capacitor-updater":"8.51.23"}}\n' > "$docs_project/package.json"
printf '{"appId":"com.otaseal.docs","appName":"docs","webDir":"dist"}\n' > "$docs_project/capacitor.config.json"
cp "$data/web/index.html" "$docs_project/dist/index.html"
cp "$data/web/assets/app.js" "$docs_project/dist/assets/app.js"
json_keys() { python3 -c 'import json,sys; print(",".join(sorted(json.load(sys.stdin))))'; }
zip_names() { python3 -c 'import zipfile,sys; print(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if not n.endswith("/")))' "$1"; }
zip_same_files() { python3 - "$1" "$2" <<'PY'
import sys, zipfile
a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])
files = lambda z: {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
sys.exit(0 if files(a) == files(b) else 1)
PY
}
for args in "" "com.otaseal.docs --path dist --bundle 1.4.3" "com.otaseal.docs --path dist --name named.zip"; do
  # shellcheck disable=SC2086
  theirs=$(capgo "$docs_project" bundle zip $args --json --no-code-check 2>/dev/null || true)
  t_file=$(json_field filename <<<"$theirs" 2>/dev/null || true)
  if [ -n "$t_file" ]; then mv "$docs_project/$t_file" "$docs_project/capgo-$t_file"; fi
  # shellcheck disable=SC2086
  ours=$( (cd "$docs_project" && "$otaseal" bundle zip $args --json) 2>/dev/null || true)
  o_file=$(json_field filename <<<"$ours" 2>/dev/null || true)
  if [ -n "$t_file" ] && [ "$t_file" = "$o_file" ] \
     && [ "$(json_keys <<<"$theirs")" = "$(json_keys <<<"$ours")" ] \
     && [ "$(json_field bundle <<<"$theirs")" = "$(json_field bundle <<<"$ours")" ] \
     && zip_same_files "$docs_project/capgo-$t_file" "$docs_project/$o_file" \
     && [ "$(json_field checksum <<<"$ours")" = "$(sha256sum "$docs_project/$o_file" | cut -d' ' -f1)" ]; then
    ok "bundle zip ${args:-(no arguments)}: $o_file, keys $(json_keys <<<"$ours"), same files"
  else
    ko "bundle zip ${args:-(no arguments)}: capgo $theirs / otaseal $ours"
  fi
done
zip="com.otaseal.docs_1.4.2.zip"
sha=$(sha256sum "$docs_project/$zip" | cut -d' ' -f1)
cp "$docs_project/$zip" "$docs_project/capgo-in.zip"
theirs=$(capgo "$docs_project" bundle encrypt capgo-in.zip "$sha" --key "$keys/k1.key" --json 2>/dev/null || true)
ours=$( (cd "$docs_project" && "$otaseal" bundle encrypt "$zip" "$sha" --key "$keys/k1.key" --json) 2>/dev/null || true)
if [ -n "$theirs" ] && [ -n "$ours" ] \
   && [ "$(json_field filename <<<"$ours")" = "${zip}_encrypted.zip" ] \
   && capgo "$docs_project" bundle decrypt "${zip}_encrypted.zip" "$(json_field ivSessionKey <<<"$ours")" \
        --checksum "$(json_field checksum <<<"$ours")" --key "$keys/k1.pub" >/dev/null 2>&1 \
   && (cd "$docs_project" && "$otaseal" bundle decrypt capgo-in.zip_encrypted.zip "$(json_field ivSessionKey <<<"$theirs")" \
        --checksum "$(json_field checksum <<<"$theirs")" --key "$keys/k1.pub" >/dev/null 2>&1) \
   && cmp -s "$docs_project/${zip}_encrypted.zip_decrypted.zip" "$docs_project/$zip" \
   && cmp -s "$docs_project/capgo-in.zip_encrypted.zip_decrypted.zip" "$docs_project/$zip"; then
  ok "bundle encrypt ZIP CHECKSUM and bundle decrypt, each way, Capgo's file names"
else
  ko "bundle encrypt ZIP CHECKSUM / bundle decrypt: capgo $theirs / otaseal $ours"
fi
if (cd "$docs_project" && "$otaseal" bundle encrypt "$zip" "$(printf '0%.0s' {1..64})" --key "$keys/k1.key" >/dev/null 2>&1); then
  ko "otaseal signed a CHECKSUM it did not compute"
else
  ok "otaseal refuses a CHECKSUM that is not the zip's SHA-256"
fi

# 7. A bundle signed by a key that never leaves a PKCS#11 token (SoftHSM2) passes capgo.
softhsm_module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
         /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  [ -f "$m" ] && softhsm_module="$m" && break
done
if [ -n "$softhsm_module" ] && command -v softhsm2-util >/dev/null 2>&1; then
  hsm="$data/softhsm"
  mkdir -p "$hsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
    "$hsm/tokens" > "$hsm/softhsm2.conf"
  export SOFTHSM2_CONF="$hsm/softhsm2.conf"
  softhsm2-util --init-token --free --label otaseal --pin 1234 --so-pin 5678 >/dev/null
  # softhsm2-util imports PKCS#8; otaseal key files are PKCS#1 (as Capgo's).
  openssl pkcs8 -topk8 -nocrypt -in "$keys/k1.key" -out "$hsm/k1.p8"
  softhsm2-util --import "$hsm/k1.p8" --token otaseal --label capgo --id 01 --pin 1234 >/dev/null
  rm -f "$hsm/k1.p8"
  printf '1234\n' > "$hsm/pin" && chmod 600 "$hsm/pin"
  uri="pkcs11:token=otaseal;object=capgo;type=private?module-path=$softhsm_module&pin-source=file:$hsm/pin"
  for f in one.bin bundle.zip; do
    enc="$data/$f.token.enc"
    rm -f "$data/$f.token"*decrypted*
    if out=$("$otaseal" bundle encrypt "$data/$f" --key "$uri" -o "$enc" --json) \
       && capgo "$hex_project" bundle decrypt "$enc" "$(json_field ivSessionKey <<<"$out")" \
            --checksum "$(json_field checksum <<<"$out")" --key "$keys/k1.pub" >/dev/null 2>&1 \
       && cmp -s "$(ls "$data/$f.token"*decrypted* | head -n 1)" "$data/$f"; then
      ok "otaseal encrypt with a PKCS#11 token key -> capgo decrypt: $f"
    else
      ko "otaseal encrypt with a PKCS#11 token key -> capgo decrypt: $f"
    fi
  done
  unset SOFTHSM2_CONF
elif [ -n "${OTASEAL_REQUIRE_SOFTHSM:-}" ]; then
  ko "SoftHSM2 is not installed (apt-get install softhsm2) and OTASEAL_REQUIRE_SOFTHSM is set"
else
  echo "skip PKCS#11 token case: SoftHSM2 is not installed (apt-get install softhsm2)"
fi

echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
