// Baseline for benches/manifest.rs: Node's crypto.privateEncrypt with RSA_PKCS1_PADDING, the
// operation @capgo/cli's encryptChecksumV3 runs once per manifest file, over the same 10,000
// hashes (SHA-256 of i as 8-byte little-endian for i < 9,500; entries 9,500..10,000 repeat hash
// (j * 19) % 9,500) and the same key, spec/vectors/capgo-cli/keys/k1.key.
//
// Run: node crates/otaseal-manifest/benches/manifest_node.js
// @capgo/cli signs every entry, duplicates included, one at a time on the main thread.
//
// With a folder (benches/manifest_compare.sh):
//   node manifest_node.js --dir DIST --manifest OUT/manifest.json [--runs 3]
// hashes every file of DIST (SHA-256, as @capgo/cli), then times the bare single-thread loop of
// privateEncrypt over those hashes with the key parsed once (best of --runs), and checks that the
// signatures are byte for byte the file_hash values of otaseal's manifest.json.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const argv = process.argv.slice(2)
const opt = name => { const i = argv.indexOf(name); return i < 0 ? undefined : argv[i + 1] }
if (opt('--dir')) {
  const keyPem = fs.readFileSync(opt('--key') || path.join(__dirname, '..', '..', '..', 'spec', 'vectors', 'capgo-cli', 'keys', 'k1.key'), 'utf8')
  const keyObject = crypto.createPrivateKey(keyPem)
  const files = []
  const walk = d => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else files.push(p) } }
  walk(opt('--dir'))
  const sums = files.map(f => crypto.createHash('sha256').update(fs.readFileSync(f)).digest())
  const runs = Number(opt('--runs') || 3)
  let best = Infinity
  let sigs
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint()
    const out = new Array(sums.length)
    for (let i = 0; i < sums.length; i++) out[i] = crypto.privateEncrypt({ key: keyObject, padding: crypto.constants.RSA_PKCS1_PADDING }, sums[i])
    const secs = Number(process.hrtime.bigint() - start) / 1e9
    if (secs < best) best = secs
    sigs = out
  }
  const mine = sigs.map(s => s.toString('hex')).sort()
  const theirs = JSON.parse(fs.readFileSync(opt('--manifest'), 'utf8')).map(e => e.file_hash).sort()
  const same = mine.length === theirs.length && mine.every((s, i) => s === theirs[i])
  console.log(JSON.stringify({ node: process.version, files: files.length, best_secs: best, runs, identical: same }))
  process.exit(same ? 0 : 1)
}

const TOTAL = 10000
const DISTINCT = 9500
const keyPath = path.join(__dirname, '..', '..', '..', 'spec', 'vectors', 'capgo-cli', 'keys', 'k1.key')
const key = fs.readFileSync(keyPath, 'utf8')

const hashes = []
for (let i = 0; i < DISTINCT; i++) {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(i))
  hashes.push(crypto.createHash('sha256').update(b).digest())
}
for (let j = DISTINCT; j < TOTAL; j++) hashes.push(hashes[(j * 19) % DISTINCT])

// @capgo/cli passes the PEM text (finalKeyData) to privateEncrypt, so Node parses the key on
// every call; a KeyObject parsed once is the best Node can do. Both are timed.
const keyObject = crypto.createPrivateKey(key)
const modes = [['PEM string per call (as @capgo/cli)', key], ['KeyObject parsed once', keyObject]]
for (const [label, k] of modes) {
  const sign = h => crypto.privateEncrypt({ key: k, padding: crypto.constants.RSA_PKCS1_PADDING }, h)
  // Warm up (JIT).
  for (let i = 0; i < 50; i++) sign(hashes[i])
  const start = process.hrtime.bigint()
  let check = 0
  for (const h of hashes) check ^= sign(h)[0]
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  console.log(`node ${process.version} privateEncrypt RSA_PKCS1_PADDING, ${label}, ${TOTAL} hashes, one thread: ` +
    `${secs.toFixed(2)} s, ${(TOTAL / secs).toFixed(0)} files/s, ${(secs * 1e3 / TOTAL).toFixed(3)} ms each (check ${check})`)
  // The first signature, to compare with otaseal's (type-1 signing is deterministic).
  console.log(`first block: ${sign(hashes[0]).toString('hex').slice(0, 32)}...`)
}
