#!/usr/bin/env bash
# Interop test against the device plugin's own Android crypto code.
#
# Installs @capgo/capacitor-updater 8.51.23 (hex signed checksums) and 7.25.0 (base64, below
# 7.30.0) from the npm registry (--ignore-scripts), compiles each one's
# android/src/main/java/ee/forgr/capacitor_updater/CryptoCipher.java with javac against the
# stubs of stubs/ (android.util.Base64 with Android's decoding rules, android.util.Log, the
# plugin's Logger) and the driver of driver/, which calls it as the plugin's download path does.
# No plugin code is kept in this repository: it is downloaded here, at test time.
#
# For each plugin version, with both keys of spec/vectors/capgo-cli/keys:
#   - otaseal bundles (1 B to 5 MiB and a real zip) and a delta update, made with
#     --plugin-version: the plugin must accept them;
#   - tampered ones (flipped body byte, truncations, swapped checksum, swapped session key,
#     the other key, the other checksum form, an empty bundle): the plugin must refuse them;
#   - and for every case, `otaseal bundle decrypt` / `manifest apply --plugin-version` must give
#     the plugin's verdict. One documented difference (upper-case hex, spec/v2.md 8.4: the
#     plugin accepts it, otaseal refuses non-canonical hex) is checked as such.
# Prints "android interop: N passed, M failed" and exits non-zero on any mismatch.
#
# Env: OTASEAL_INTEROP_DIR (default interop/work), OTASEAL_BIN (default: cargo build),
#      OTASEAL_INTEROP_VERBOSE=1 to see the plugin's log lines.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${OTASEAL_INTEROP_DIR:-$root/interop/work}/android"
keys="$root/spec/vectors/capgo-cli/keys"
vectors="$root/spec/vectors/capgo-cli"
PLUGINS=(8.51.23 7.25.0)

need() { # $1 = command, $2 = Debian package
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "installing $2 (for $1)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
}
need javac openjdk-17-jdk-headless
need brotli brotli
need python3 python3

if [ -z "${OTASEAL_BIN:-}" ]; then
  cargo build -q -p otaseal-cli --manifest-path "$root/Cargo.toml"
fi
otaseal="${OTASEAL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/otaseal}"

# --- the plugin's code, compiled against the stubs --------------------------------------
classes_of() { echo "$work/classes-$1"; }
for v in "${PLUGINS[@]}"; do
  project="$work/plugin-$v"
  if [ ! -f "$project/node_modules/@capgo/capacitor-updater/package.json" ]; then
    mkdir -p "$project"
    printf '{"name":"otaseal-android-interop","version":"1.0.0","private":true}\n' > "$project/package.json"
    (cd "$project" && npm install --silent --no-audit --no-fund --ignore-scripts --legacy-peer-deps \
        "@capgo/capacitor-updater@$v" </dev/null >/dev/null)
  fi
  src=$(find "$project/node_modules/@capgo/capacitor-updater/android" -name CryptoCipher.java | head -n 1)
  [ -n "$src" ] || { echo "CryptoCipher.java not found in @capgo/capacitor-updater@$v"; exit 1; }
  out=$(classes_of "$v")
  rm -rf "$out" && mkdir -p "$out"
  javac -nowarn -encoding UTF-8 -d "$out" \
    $(find "$here/stubs" "$here/driver" -name '*.java') "$src"
done

# --- the cases --------------------------------------------------------------------------
data="$work/data"
rm -rf "$data" && mkdir -p "$data/web/assets"
for n in 1 15 16 17 1000 65536 1048576 5242880; do head -c "$n" /dev/urandom > "$data/rand-$n.bin"; done
echo '<!doctype html><title>otaseal</title><script src="assets/app.js"></script>' > "$data/web/index.html"
{ echo "CapacitorUpdater.notifyAppReady();"; head -c 30000 /dev/urandom | base64; } > "$data/web/assets/app.js"  # > 8 KiB, compresses: .br
head -c 3000 /dev/urandom > "$data/web/assets/logo.bin"
"$otaseal" bundle zip "$data/web" -o "$data/bundle.zip" --json >/dev/null

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
other_form() { if [ "$1" = 8.51.23 ]; then echo 7.25.0; else echo 8.51.23; fi; }

# Per plugin: cases.tsv for the driver, expect.tsv (id, want: accept|reject|stricter) and
# otaseal.tsv (id, kind, args of the otaseal verdict).
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

flip() { python3 - "$1" "$2" "$3" <<'PY'
import sys
src, dst, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(src, 'rb').read())
b[min(at, len(b) - 1)] ^= 1
open(dst, 'wb').write(b)
PY
}
cut_tail() { python3 - "$1" "$2" "$3" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(b[:len(b) - int(sys.argv[3])])
PY
}

for v in "${PLUGINS[@]}"; do
  d="$data/$v"
  mkdir -p "$d"
  cases="$d/cases.tsv" expect="$d/expect.tsv"
  : > "$cases"; : > "$expect"
  add() { # id want file ivsk checksum pub
    printf '%s\tbundle\t%s\t%s\t%s\t%s\n' "$1" "$3" "$4" "$5" "$6" >> "$cases"
    printf '%s\t%s\n' "$1" "$2" >> "$expect"
  }
  for k in k1 k2; do
    other=k2; [ "$k" = k2 ] && other=k1
    declare -A ivsk=() sum=()
    for f in rand-1 rand-15 rand-16 rand-17 rand-1000 rand-65536 rand-1048576 rand-5242880 bundle; do
      src="$data/$f.bin"; [ "$f" = bundle ] && src="$data/bundle.zip"
      enc="$d/$f.$k.enc"
      out=$("$otaseal" bundle encrypt "$src" --key "$keys/$k.key" --plugin-version "$v" -o "$enc" --json 2>/dev/null)
      ivsk[$f]=$(json_field ivSessionKey <<<"$out")
      sum[$f]=$(json_field checksum <<<"$out")
      add "$f.$k" accept "$enc" "${ivsk[$f]}" "${sum[$f]}" "$keys/$k.pub"
    done
    base="$d/rand-65536.$k.enc"
    flip "$base" "$d/flip.$k.enc" 30000
    add "tamper-flipped-byte.$k" reject "$d/flip.$k.enc" "${ivsk[rand-65536]}" "${sum[rand-65536]}" "$keys/$k.pub"
    flip "$d/bundle.$k.enc" "$d/flip-last.$k.enc" 1000000000
    add "tamper-flipped-last-byte.$k" reject "$d/flip-last.$k.enc" "${ivsk[bundle]}" "${sum[bundle]}" "$keys/$k.pub"
    cut_tail "$base" "$d/cut16.$k.enc" 16
    add "tamper-truncated-block.$k" reject "$d/cut16.$k.enc" "${ivsk[rand-65536]}" "${sum[rand-65536]}" "$keys/$k.pub"
    cut_tail "$base" "$d/cut1.$k.enc" 1
    add "tamper-truncated-byte.$k" reject "$d/cut1.$k.enc" "${ivsk[rand-65536]}" "${sum[rand-65536]}" "$keys/$k.pub"
    add "tamper-swapped-checksum.$k" reject "$base" "${ivsk[rand-65536]}" "${sum[rand-1000]}" "$keys/$k.pub"
    add "tamper-swapped-session-key.$k" reject "$base" "${ivsk[rand-1000]}" "${sum[rand-65536]}" "$keys/$k.pub"
    add "tamper-other-key.$k" reject "$base" "${ivsk[rand-65536]}" "${sum[rand-65536]}" "$keys/$other.pub"
    # The other checksum form, made for the other plugin version.
    out=$("$otaseal" bundle encrypt "$data/rand-1000.bin" --key "$keys/$k.key" --plugin-version "$(other_form "$v")" -o "$d/form.$k.enc" --json 2>/dev/null)
    add "wrong-form.$k" reject "$d/form.$k.enc" "$(json_field ivSessionKey <<<"$out")" "$(json_field checksum <<<"$out")" "$keys/$k.pub"
    # Empty bundles (made by the real @capgo/cli; otaseal refuses to make them).
    e=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); x=[e for e in m["v2"] if e["id"]==sys.argv[2]][0]; print(x["iv_session_key"]+"\t"+x["signed_checksum"])' "$vectors/manifest.json" "rand-0.$k.hex")
    add "empty-bundle-hex.$k" reject "$vectors/v2/rand-0.$k.hex.enc" "${e%%$'\t'*}" "${e#*$'\t'}" "$keys/$k.pub"
    if [ "$v" = 8.51.23 ]; then
      # Documented difference: upper-case hex is read by the plugin, refused by otaseal.
      add "stricter-upper-case-hex.$k" stricter "$d/rand-1000.$k.enc" "${ivsk[rand-1000]}" "$(tr a-f A-F <<<"${sum[rand-1000]}")" "$keys/$k.pub"
    fi
    # A delta update made for this plugin, a tampered one, and one in the other form.
    for variant in good tampered otherform; do
      plugin="$v"; [ "$variant" = otherform ] && plugin=$(other_form "$v")
      m="$d/delta-$variant.$k"
      rm -rf "$m"
      out=$("$otaseal" manifest create "$data/web" --key "$keys/$k.key" --base-url https://cdn.example/ \
            --out-dir "$m" --plugin-version "$plugin" --json 2>/dev/null)
      divsk=$(json_field ivSessionKey <<<"$out")
      python3 - "$m/manifest.json" > "$m/entries.tsv" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1])):
    print(e["file_name"], e["file_hash"], sep="\t")
PY
      if [ "$variant" = tampered ]; then flip "$m/files/assets/app.js.br" "$m/files/assets/app.js.br" 40; fi
      want=accept; [ "$variant" = good ] || want=reject
      printf '%s\tdelta\t%s\t%s\t%s\t%s\n' "delta-$variant.$k" "$m/entries.tsv" "$divsk" "$m/files" "$keys/$k.pub" >> "$cases"
      printf '%s\t%s\n' "delta-$variant.$k" "$want" >> "$expect"
    done
  done

  # The plugin's verdicts.
  # (7.x prints stack traces of the refusals: kept in plugin.err unless OTASEAL_INTEROP_VERBOSE.)
  if [ -n "${OTASEAL_INTEROP_VERBOSE:-}" ]; then
    java -cp "$(classes_of "$v")" otaseal.interop.Driver "$v" "$cases" > "$d/plugin.tsv"
  else
    java -cp "$(classes_of "$v")" otaseal.interop.Driver "$v" "$cases" > "$d/plugin.tsv" 2>"$d/plugin.err"
  fi

  # otaseal's verdicts with --plugin-version, and the comparison.
  while IFS=$'\t' read -r id kind a3 ivsk a5 pub; do
    want=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$expect")
    plugin=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$d/plugin.tsv")
    why=$(awk -F'\t' -v id="$id" '$1 == id { print $3 }' "$d/plugin.tsv")
    rm -rf "$d/out"
    if [ "$kind" = bundle ]; then
      if "$otaseal" bundle decrypt "$a3" "$ivsk" --checksum "$a5" --key "$pub" --plugin-version "$v" \
           -o "$d/out" >/dev/null 2>"$d/otaseal.err"; then ours=accept; else ours=reject; fi
    else
      m=$(dirname "$a3")
      if "$otaseal" manifest apply "$m/manifest.json" --files "$a5" --key "$pub" --iv-session-key "$ivsk" \
           --out-dir "$d/out" --plugin-version "$v" >/dev/null 2>"$d/otaseal.err"; then ours=accept; else ours=reject; fi
    fi
    if [ "$want" = stricter ]; then
      if [ "$plugin" = accept ] && [ "$ours" = reject ]; then ok
      else ko "$v $id: documented difference not seen (plugin $plugin, otaseal $ours)"; fi
    elif [ "$plugin" = "$want" ] && [ "$ours" = "$want" ]; then ok
    else
      ko "$v $id: wanted $want, plugin $plugin${why:+ ($why)}, otaseal $ours"
      [ "$ours" = reject ] && sed 's/^/     otaseal: /' "$d/otaseal.err"
    fi
  done < "$cases"
  echo "plugin $v: $(wc -l < "$cases") cases run"
done

echo "android interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
