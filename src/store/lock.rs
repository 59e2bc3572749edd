//! One daemon per database: an exclusive OS lock on `<database>.lock` beside
//! the database file, holding the pid of its owner.
//!
//! The lock is an advisory `flock`-style lock (std [`File::try_lock`]), taken
//! without waiting and released by the OS when the holder exits, however it
//! exits: a crash leaves no stale lock, only a file whose pid nobody holds.
//! The file is never deleted (deleting it would let a second process lock a
//! new file while the first still holds the old one). Locks belong to an open
//! file, so a second [`DbLock::acquire`] fails even inside the same process.
//!
//! In-memory databases (`:memory:`) are nobody else's: they get no lock file.
//!
//! On PostgreSQL there is no such lock: any number of workers share one database
//! (claims are leases, see `store::leases`). Who runs there is read from the
//! workers' heartbeat rows instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Why the database could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "another Redline{} is already running on {} (lock file {}); stop it first, or point [storage] path elsewhere",
        pid_text(*.pid),
        .path.display(),
        .lock.display()
    )]
    Held {
        /// The database file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The holder's pid, when the file names one.
        pid: Option<u32>,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot take the lock file {} of the database {}{}", .lock.display(), .path.display(), io_hint(.source))]
    Io {
        /// The database file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What the operator can do about a lock file that cannot be written.
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => " (the folder is on a read-only file system)",
        std::io::ErrorKind::StorageFull => " (the disk is full)",
        std::io::ErrorKind::PermissionDenied => " (this user may not write the folder)",
        std::io::ErrorKind::NotFound => " (the folder does not exist)",
        _ => "",
    }
}

fn pid_text(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

/// The exclusive lock on a database, held as long as this value lives.
pub struct DbLock {
    /// The locked file; None for an in-memory database.
    file: Option<File>,
    lock: Option<PathBuf>,
}

impl std::fmt::Debug for DbLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbLock").field("lock", &self.lock).finish()
    }
}

/// The pid of a worker whose heartbeat is fresh on the PostgreSQL database at `url`
/// (this process's own row left out), if any.
fn pg_live_worker(url: &str) -> Option<u32> {
    let store = crate::store::Store::open_url(url).ok()?;
    let now = chrono::Utc::now().timestamp();
    let me = crate::store::process_worker_id();
    store.workers().ok()?.into_iter().find(|w| w.id != me && !w.is_gone(now)).and_then(|w| u32::try_from(w.pid).ok())
}

impl DbLock {
    /// Locks the database a config's `[storage]` names: its file. A PostgreSQL database
    /// is shared by every worker and gets no lock (an empty [`DbLock`]).
    pub fn acquire_storage(storage: &crate::config::StorageConfig) -> Result<DbLock, LockError> {
        match &storage.url {
            Some(_) => Ok(DbLock { file: None, lock: None }),
            None => DbLock::acquire(&storage.path),
        }
    }

    /// Locks the database at `db_path` for this process, without waiting, and
    /// writes this process's pid into the lock file.
    pub fn acquire(db_path: &Path) -> Result<DbLock, LockError> {
        let Some(lock) = lock_path(db_path) else {
            return Ok(DbLock { file: None, lock: None });
        };
        let io = |source| LockError::Io { path: db_path.to_path_buf(), lock: lock.clone(), source };
        // Not truncated on open: until the lock is ours, the pid in it is the holder's.
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&lock).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = read_pid(&mut file);
                return Err(LockError::Held { path: db_path.to_path_buf(), lock: lock.clone(), pid });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(DbLock { file: Some(file), lock: Some(lock) })
    }

    /// The lock file, None for an in-memory database.
    pub fn lock_file(&self) -> Option<&Path> {
        self.lock.as_deref()
    }

    /// Whether a lock is held (false for an in-memory database).
    pub fn is_held(&self) -> bool {
        self.file.is_some()
    }
}

/// The lock file of a database: `<file name>.lock` in the same folder; None
/// for an in-memory database (or a path with no file name).
pub fn lock_path(db_path: &Path) -> Option<PathBuf> {
    if db_path.as_os_str() == ":memory:" {
        return None;
    }
    let mut name = db_path.file_name()?.to_os_string();
    name.push(".lock");
    Some(db_path.with_file_name(name))
}

/// The pid of the process holding the lock of the database a config names, or None
/// when nobody holds it. On PostgreSQL: a worker whose heartbeat is fresh (None when
/// none is, or the database does not answer).
pub fn holder_storage(storage: &crate::config::StorageConfig) -> Option<u32> {
    match &storage.url {
        Some(url) => pg_live_worker(url),
        None => holder(&storage.path),
    }
}

/// The pid of the process holding the database's lock, or None when nobody
/// holds it. Tries the lock without keeping it (a process starting at that very
/// instant may then find it taken). Also None when the holder has not written
/// its pid yet (it has only just started).
pub fn holder(db_path: &Path) -> Option<u32> {
    let mut file = OpenOptions::new().read(true).open(lock_path(db_path)?).ok()?;
    match file.try_lock() {
        Ok(()) => None, // Free: released when `file` closes.
        Err(TryLockError::WouldBlock) => read_pid(&mut file),
        Err(TryLockError::Error(_)) => None,
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_even_in_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("redline.db");
        assert_eq!(holder(&db), None, "no lock file yet");
        let first = DbLock::acquire(&db).unwrap();
        assert!(first.is_held());
        assert_eq!(first.lock_file(), Some(dir.path().join("redline.db.lock").as_path()));
        let me = std::process::id();
        assert_eq!(holder(&db), Some(me));
        // A second open file of the same lock conflicts with the first.
        let err = DbLock::acquire(&db).unwrap_err();
        match &err {
            LockError::Held { pid, .. } => assert_eq!(*pid, Some(me)),
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains(&format!("another Redline (pid {me}) is already running on {}", db.display())), "{text}");
        assert!(text.contains("redline.db.lock") && text.contains("[storage] path"), "{text}");
        // holder() tried the lock and let it go again: still held by `first`.
        assert!(DbLock::acquire(&db).is_err());
        drop(first);
        assert_eq!(holder(&db), None, "a released lock has no holder, whatever pid the file still names");
        let again = DbLock::acquire(&db).unwrap();
        assert_eq!(holder(&db), Some(me));
        drop(again);
    }

    #[test]
    fn postgres_takes_no_lock_and_its_holder_is_a_live_worker() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        let storage = crate::config::StorageConfig { url: Some(db.url.clone()), ..Default::default() };
        assert_eq!(holder_storage(&storage), None, "no worker yet");
        let first = DbLock::acquire_storage(&storage).unwrap();
        let second = DbLock::acquire_storage(&storage).unwrap();
        assert!(!first.is_held() && !second.is_held(), "several workers share one database");
        let other = crate::store::Store::open_url(&db.url).unwrap().with_worker("box:4242:0:00000001");
        let now = chrono::Utc::now().timestamp();
        other.heartbeat("check", now, now, "idle").unwrap();
        assert_eq!(holder_storage(&storage), Some(std::process::id()), "the row names this test's pid");
        other.heartbeat("check", now, now - 3600, "idle").unwrap();
        assert_eq!(holder_storage(&storage), None, "a worker gone an hour runs nothing");
    }

    #[test]
    fn a_stale_pid_is_overwritten_and_memory_needs_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        std::fs::write(dir.path().join("r.db.lock"), "4294967295999\n").unwrap();
        let lock = DbLock::acquire(&db).unwrap();
        let text = std::fs::read_to_string(dir.path().join("r.db.lock")).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        drop(lock);
        let memory = DbLock::acquire(Path::new(":memory:")).unwrap();
        assert!(!memory.is_held() && memory.lock_file().is_none());
        assert_eq!(holder(Path::new(":memory:")), None);
    }
}
