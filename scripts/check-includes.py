#!/usr/bin/env python3
"""Every include_str!/include_bytes! of a library crate (code, doc comments, README) names a
file inside that crate's folder, so that the packaged .crate builds and its doctests run."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
pattern = re.compile(r'include_(?:str|bytes)!\("([^"]+)"\)')
bad = []
for crate in sorted((root / "crates").iterdir()):
    if not (crate / "Cargo.toml").is_file():
        continue
    for f in list(crate.rglob("*.rs")) + [crate / "README.md"]:
        if not f.is_file() or "target" in f.parts:
            continue
        text = f.read_text(encoding="utf-8")
        for m in pattern.finditer(text):
            rel = m.group(1)
            # A README's doctests run from the crate's folder: its paths are relative to it.
            base = crate if f.name == "README.md" else f.parent
            target = (base / rel).resolve()
            inside = crate.resolve() in target.parents
            if not inside or not target.is_file():
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{f.relative_to(root)}:{line}: {rel} -> {target} "
                           + ("is outside the crate" if not inside else "does not exist"))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
