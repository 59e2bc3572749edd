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
#[derive(Debug)]
pub struct DbLock {
    /// The locked file; None for an in-memory database.
    file: Option<File>,
    lock: Option<PathBuf>,
}

impl DbLock {
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
