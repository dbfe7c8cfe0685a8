//! SHA-256 on a second core: the hash of a stream and its cipher run on two threads, so that a
//! path costs the slower of the two instead of their sum (`docs/performance.md`).
//!
//! [`Sha256Pipe`] is a drop-in for `sha2::Sha256::update`/`finalize`: it hashes inline until
//! [`PIPE_AFTER`] bytes were seen (small bundles never pay for a thread), then, when the machine
//! has a second core, moves the hash state to a helper thread and feeds it copies of the data
//! through a bounded queue of recycled buffers ([`QUEUE_DEPTH`] of [`crate::STREAM_BUFFER_LEN`]
//! bytes at most: memory stays bounded). The digest is the same either way; only who computes
//! it changes. Nothing here decides what is released: callers still verify before they persist.

use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// Bytes hashed inline before the hash moves to a helper thread.
pub(crate) const PIPE_AFTER: u64 = 1 << 20;
/// Buffers in flight between the threads.
pub(crate) const QUEUE_DEPTH: usize = 4;

/// Whether a second core is there to hash on.
pub(crate) fn second_core() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n > NonZeroUsize::MIN)
}

/// A SHA-256 whose work moves to another thread once the stream is long enough.
pub(crate) enum Sha256Pipe {
    /// Hashing on the caller's thread.
    Inline {
        /// The hash state.
        hasher: Sha256,
        /// Bytes hashed so far.
        seen: u64,
        /// Whether to move to a thread after [`PIPE_AFTER`] bytes.
        may_pipe: bool,
    },
    /// Hashing on a helper thread.
    Piped(Worker),
}

/// The helper thread and its queues.
pub(crate) struct Worker {
    to_worker: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    handle: Option<JoinHandle<Sha256>>,
    in_flight: usize,
    /// Small updates are gathered here up to one buffer before they are sent.
    pending: Vec<u8>,
}

impl Sha256Pipe {
    /// A new hash that may move to a helper thread (if there is a second core).
    pub(crate) fn new() -> Self {
        Self::Inline {
            hasher: Sha256::new(),
            seen: 0,
            may_pipe: second_core(),
        }
    }

    /// A new hash that always stays on the caller's thread.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn inline() -> Self {
        Self::Inline {
            hasher: Sha256::new(),
            seen: 0,
            may_pipe: false,
        }
    }

    /// Hashes `data` (inline, or by handing a copy to the helper thread).
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Sha256Pipe::Inline {
                hasher,
                seen,
                may_pipe,
            } => {
                hasher.update(data);
                *seen = seen.saturating_add(data.len() as u64);
                if *may_pipe && *seen >= PIPE_AFTER {
                    let state = std::mem::take(hasher);
                    if let Some(worker) = Worker::start(state.clone()) {
                        *self = Sha256Pipe::Piped(worker);
                    } else {
                        *hasher = state;
                        *may_pipe = false;
                    }
                }
            }
            Sha256Pipe::Piped(worker) => worker.send(data),
        }
    }

    /// The digest of everything given to [`update`](Self::update).
    ///
    /// # Errors
    /// If the helper thread stopped before the end (it cannot, short of a panic in SHA-256):
    /// then there is no digest, rather than the digest of part of the data.
    pub(crate) fn finalize(self) -> std::io::Result<[u8; 32]> {
        match self {
            Sha256Pipe::Inline { hasher, .. } => Ok(hasher.finalize().into()),
            Sha256Pipe::Piped(worker) => worker.finish(),
        }
    }
}

impl Worker {
    /// Starts the helper thread with `state`; `None` if the OS refuses a thread.
    fn start(state: Sha256) -> Option<Self> {
        let (to_worker, from_main) = sync_channel::<Vec<u8>>(QUEUE_DEPTH);
        let (to_main, spare) = sync_channel::<Vec<u8>>(QUEUE_DEPTH);
        let handle = std::thread::Builder::new()
            .name("otaseal-sha256".into())
            .spawn(move || {
                let mut hasher = state;
                for buf in from_main {
                    hasher.update(&buf);
                    // Not wiped here: the next fill overwrites it, and every buffer is wiped
                    // once before it is freed (below, and `Worker::wipe_spares`). Wiping each
                    // 64 KiB on the way back (volatile byte stores) cost the hash thread a
                    // third of its time: it bounded V2 decryption (docs/performance.md).
                    // The main thread may have finished: then wipe what cannot go back.
                    if let Err(
                        std::sync::mpsc::TrySendError::Full(mut b)
                        | std::sync::mpsc::TrySendError::Disconnected(mut b),
                    ) = to_main.try_send(buf)
                    {
                        b.zeroize();
                    }
                }
                hasher
            })
            .ok()?;
        Some(Self {
            to_worker: Some(to_worker),
            spare,
            handle: Some(handle),
            in_flight: 0,
            pending: Vec::with_capacity(crate::STREAM_BUFFER_LEN),
        })
    }

    /// Gathers `data` and sends every full buffer.
    fn send(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = crate::STREAM_BUFFER_LEN - self.pending.len();
            let n = room.min(data.len());
            self.pending.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.pending.len() == crate::STREAM_BUFFER_LEN {
                self.flush();
            }
        }
    }

    /// Sends what was gathered, in a recycled buffer.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // Reuse a buffer the worker gave back; wait for one when QUEUE_DEPTH are in flight.
        let mut buf = match self.spare.try_recv() {
            Ok(b) => {
                self.in_flight -= 1;
                b
            }
            Err(_) if self.in_flight >= QUEUE_DEPTH => match self.spare.recv() {
                Ok(b) => {
                    self.in_flight -= 1;
                    b
                }
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        buf.clear();
        buf.reserve(crate::STREAM_BUFFER_LEN);
        std::mem::swap(&mut buf, &mut self.pending);
        if let Some(tx) = &self.to_worker
            && tx.send(buf).is_ok()
        {
            self.in_flight += 1;
        }
    }

    fn finish(mut self) -> std::io::Result<[u8; 32]> {
        self.flush();
        drop(self.to_worker.take());
        let hasher = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .ok_or_else(|| std::io::Error::other("the SHA-256 thread stopped"))?;
        self.wipe_spares();
        Ok(hasher.finalize().into())
    }

    /// Wipes the buffers the helper thread gave back (their whole capacity: a buffer may hold
    /// plaintext from any earlier fill).
    fn wipe_spares(&mut self) {
        for mut b in self.spare.try_iter() {
            b.zeroize();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.pending.zeroize();
        drop(self.to_worker.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.wipe_spares();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn piped_and_inline_digests_agree() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
        let want: [u8; 32] = Sha256::digest(&data).into();
        for piece in [1usize, 7, 4096, 65_536, 300_000] {
            let mut piped = Sha256Pipe::new();
            let mut inline = Sha256Pipe::inline();
            for part in data.chunks(piece) {
                piped.update(part);
                inline.update(part);
            }
            assert_eq!(piped.finalize().unwrap(), want, "piece {piece}");
            assert_eq!(inline.finalize().unwrap(), want, "piece {piece}");
        }
        assert_eq!(
            Sha256Pipe::new().finalize().unwrap(),
            <[u8; 32]>::from(Sha256::digest(b""))
        );
    }
}
