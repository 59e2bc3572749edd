//! The store as the daemon's tasks use it: each call runs on tokio's blocking
//! pool (SQLite blocks), and every write's outcome is reported to [`Health`],
//! so that `/healthz` says when the database stops accepting writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Store, StoreError, StoreFault};
use crate::health::Health;

/// Runs `f` on tokio's blocking pool (SQLite calls, extraction): a panic inside
/// it is resumed in the caller; a call the runtime cancelled at shutdown is
/// [`StoreError::Cancelled`], so nothing of the check it belongs to is recorded.
pub async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(StoreError::Cancelled),
    }
}

/// A shared store handle for async tasks: one connection, or on PostgreSQL a few
/// ([`Db::with_pool`]) so that a worker's checks in flight do not queue behind one
/// connection's round trips. Each call runs on one connection from start to end.
#[derive(Clone)]
pub struct Db {
    stores: Arc<[Arc<Store>]>,
    next: Arc<AtomicUsize>,
    health: Arc<Health>,
}

impl Db {
    /// Wraps `store`, reporting writes to `health`.
    pub fn new(store: Arc<Store>, health: Arc<Health>) -> Db {
        Db::with_pool(store, Vec::new(), health)
    }

    /// Wraps `store` and `more` connections to the same database (PostgreSQL),
    /// taken in turn.
    pub fn with_pool(store: Arc<Store>, more: Vec<Arc<Store>>, health: Arc<Health>) -> Db {
        let stores: Vec<Arc<Store>> = std::iter::once(store).chain(more).collect();
        Db { stores: stores.into(), next: Arc::default(), health }
    }

    /// The store itself, for synchronous callers.
    pub fn store(&self) -> &Arc<Store> {
        &self.stores[0]
    }

    /// How many connections calls are spread over.
    pub fn connections(&self) -> usize {
        self.stores.len()
    }

    /// Runs a read. A panic inside `f` is resumed in the caller.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.stores.len();
        let store = Arc::clone(&self.stores[turn]);
        blocking(move || f(&store)).await?
    }

    /// Runs a write (one transaction, or several that may each fail alone) and
    /// tells health whether the store accepted it.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        // The explanation is read on the blocking pool too: it takes the
        // connection's lock, which a write waiting out a busy database holds.
        let outcome = self
            .read(move |s| {
                let result = f(s);
                let explained = result.as_ref().err().map(|e| explain(s, e));
                Ok((result, explained))
            })
            .await;
        let (result, explained) = match outcome {
            Ok(pair) => pair,
            Err(e) => (Err(e), None),
        };
        match (&result, explained) {
            (Ok(_), _) => self.health.write_ok(),
            (Err(e), explained) => {
                let error = explained.unwrap_or_else(|| e.to_string());
                tracing::warn!(%error, "Store write failed; rolled back.");
                self.health.write_failed(&error);
            }
        }
        result
    }
}

/// The error, with what the operating system said when SQLite only says "disk I/O error".
fn explain(store: &Store, e: &StoreError) -> String {
    match e.fault() {
        Some(StoreFault::Io | StoreFault::ReadOnly) => match store.os_error() {
            Some(os) => format!("{e} ({})", os.to_string().to_lowercase()),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}
