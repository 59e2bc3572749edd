//! Runs a loop's passes until shutdown. A pass that fails (or panics) is
//! logged with its cause, counted in [`Health`], and tried again after a
//! capped, jittered backoff; the loop itself never ends before shutdown.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;
use tracing::warn;

use crate::health::Health;

/// First wait after a failed pass.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Longest wait after failed passes: work resumes within this once the cause is gone.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// A loop of the daemon: it waits for a reason to work, then makes one pass.
pub trait Pass: Send {
    /// The error of a failed pass.
    type Error: Display + Send;

    /// Waits until a pass is due (its tick, or work that finished).
    fn wait(&mut self) -> impl Future<Output = ()> + Send;

    /// One pass over the loop's work.
    fn pass(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Exponential backoff, doubled per failure up to a cap, each wait drawn
/// between half and all of it so that recovering loops do not retry in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `base`, never more than `cap`.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap, failures: 0 }
    }

    /// The wait after one more failure; `jitter` in [0, 1).
    pub fn next(&mut self, jitter: f64) -> Duration {
        let full = self.base.saturating_mul(1 << self.failures.min(20)).min(self.cap);
        self.failures = self.failures.saturating_add(1);
        full.mul_f64(0.5 + jitter.clamp(0.0, 1.0) * 0.5)
    }

    /// A pass succeeded: start again from `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// Runs `work` under the name `name` until `stop` turns true; returns it so
/// that the caller can let its in-flight work finish. `bound` is how long the
/// loop may go without a completed pass before health reports it stuck.
pub async fn supervise<P: Pass>(
    name: &'static str,
    bound: Duration,
    health: &Health,
    mut stop: watch::Receiver<bool>,
    mut work: P,
) -> P {
    health.register(name, bound);
    let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
    while !*stop.borrow() {
        tokio::select! {
            _ = work.wait() => {}
            _ = stop.changed() => break,
        }
        let error = match AssertUnwindSafe(work.pass()).catch_unwind().await {
            Ok(Ok(())) => {
                health.pass_ok(name);
                backoff.reset();
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(panic) => format!("the pass panicked: {}", panic_message(&panic)),
        };
        health.loop_error(name, &error);
        let wait = backoff.next(rand::random());
        warn!(task = name, %error, retry_in = ?wait, "Pass failed; retrying after a backoff.");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
    }
    work
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::Instant;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let full: Vec<u64> = (0..7).map(|_| b.next(0.999_999).as_secs()).collect();
        assert_eq!(full, [0, 1, 3, 7, 15, 29, 29], "just under 1, 2, 4, 8, 16, 30, 30");
        assert_eq!(b.next(0.0), Duration::from_secs(15), "half of the cap at the least");
        b.reset();
        assert_eq!(b.next(0.0), Duration::from_millis(500));
    }

    /// Fails its first `failures` passes, then succeeds; ticks every second.
    struct Flaky {
        failures: usize,
        passes: Arc<AtomicUsize>,
        times: Vec<Instant>,
    }

    impl Pass for Flaky {
        type Error = String;

        async fn wait(&mut self) {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }

        async fn pass(&mut self) -> Result<(), String> {
            self.times.push(Instant::now());
            let n = self.passes.fetch_add(1, Ordering::SeqCst);
            if n == 1 {
                panic!("a bug in one pass");
            }
            if n < self.failures { Err("database or disk is full".into()) } else { Ok(()) }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failed_and_panicking_passes_are_retried_with_backoff_until_stop() {
        let health = Arc::new(Health::default());
        let (stop_tx, stop) = watch::channel(false);
        let passes = Arc::new(AtomicUsize::new(0));
        let work = Flaky { failures: 6, passes: Arc::clone(&passes), times: Vec::new() };
        let h = Arc::clone(&health);
        let task = tokio::spawn(async move { supervise("scheduler", Duration::from_secs(60), &h, stop, work).await });
        tokio::time::sleep(Duration::from_secs(200)).await;
        assert!(passes.load(Ordering::SeqCst) > 8, "the loop went on after failures and a panic");
        assert!(health.problems().is_empty(), "well again after a good pass: {:?}", health.problems());
        assert_eq!(health.loops()[0].errors, 6);
        stop_tx.send(true).unwrap();
        let work = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
        // Between failed passes: the 1 s tick plus a backoff that grows and stays under the cap.
        let gaps: Vec<Duration> = work.times.windows(2).map(|w| w[1] - w[0]).collect();
        for gap in &gaps[..5] {
            assert!(*gap >= Duration::from_millis(1500) && *gap <= Duration::from_secs(31), "{gaps:?}");
        }
        assert!(gaps[4] > gaps[0], "backoff grows: {gaps:?}");
        assert_eq!(gaps[6], Duration::from_secs(1), "after a good pass, back to the tick: {gaps:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_keeps_failing_is_reported_stuck() {
        let health = Arc::new(Health::default());
        let (_stop_tx, stop) = watch::channel(false);
        let work = Flaky { failures: usize::MAX, passes: Arc::new(AtomicUsize::new(0)), times: Vec::new() };
        let h = Arc::clone(&health);
        tokio::spawn(async move { supervise("delivery", Duration::from_secs(60), &h, stop, work).await });
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert!(health.problems().is_empty());
        tokio::time::sleep(Duration::from_secs(30)).await;
        let problems = health.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("delivery: no pass completed for "), "{problems:?}");
        assert!(problems[0].ends_with(": database or disk is full"), "{problems:?}");
    }
}
