//! Two cores for one chunk (V3): a chunk's SHA-256 commitment and its AES-GCM run at once, on
//! rayon's pool, so that a V3 path costs the slower of the two instead of their sum
//! (`docs/performance.md`). On one core, or for a short chunk, both run on the caller's thread
//! one after the other. Either way the results are the same; only who computes them changes.

use std::sync::OnceLock;

/// Chunks shorter than this are not worth a second thread (the hand-over costs a few µs).
pub(crate) const PARALLEL_MIN_LEN: usize = 16 << 10;

/// Whether rayon's pool has a second thread to run on.
fn parallel() -> bool {
    static PARALLEL: OnceLock<bool> = OnceLock::new();
    *PARALLEL.get_or_init(|| rayon::current_num_threads() > 1)
}

/// Runs `a` and `b`, on two threads when `len` (the bytes each touches) is worth it.
pub(crate) fn join<A, B, RA, RB>(len: usize, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if len >= PARALLEL_MIN_LEN && parallel() {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}
