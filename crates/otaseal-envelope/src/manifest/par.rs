//! A tiny work-sharing `map` over scoped threads: no thread pool dependency.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of threads to use when the caller does not say: the available parallelism.
pub(crate) fn default_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Applies `f` to every item on up to `threads` threads and returns the results in item
/// order. Threads take the next item from a shared counter, so uneven items balance out.
/// After the first error no new item is started, and that error is returned.
pub(crate) fn try_map<T, R, E, F>(items: &[T], threads: NonZeroUsize, f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let n = threads.get().min(items.len());
    if n <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<(usize, E)>> = Mutex::new(None);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        match f(item) {
                            Ok(r) => done.push((i, r)),
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                if let Ok(mut slot) = first_error.lock() {
                                    // Keep the error of the lowest index, for a stable report.
                                    if slot.as_ref().is_none_or(|(j, _)| i < *j) {
                                        *slot = Some((i, e));
                                    }
                                }
                                break;
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in `f` is a bug: pass it on rather than lose results.
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if let Some((_, e)) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    for (i, r) in parts.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(r);
        }
    }
    // Every index below items.len() was taken by exactly one thread and succeeded.
    Ok(slots.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_reports_errors() {
        let items: Vec<u32> = (0..1000).collect();
        let four = NonZeroUsize::new(4).unwrap_or(NonZeroUsize::MIN);
        let out: Result<Vec<u32>, ()> = try_map(&items, four, |x| Ok(x * 2));
        assert_eq!(
            out.unwrap(),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        let err: Result<Vec<u32>, u32> =
            try_map(&items, four, |&x| if x == 500 { Err(x) } else { Ok(x) });
        assert_eq!(err, Err(500));
    }
}
