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
//! On PostgreSQL the lock is a session-level advisory lock ([`PG_DAEMON_LOCK`]) held
//! by a connection of its own: the server releases it when that session ends, however
//! the process ends. The holder's pid is read from its session's `application_name`
//! (`redline <pid>`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::store::pg::PgConn;

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
    /// Another process holds the PostgreSQL database's advisory lock.
    #[error(
        "another Redline{} is already running on {target} (advisory lock {PG_DAEMON_LOCK}); stop it first, or point [storage] url elsewhere",
        pid_text(*.pid)
    )]
    HeldPg {
        /// `user@host:port/db`.
        target: String,
        /// The holder's pid, when its session names one.
        pid: Option<u32>,
    },
    /// The PostgreSQL database could not be reached to take its lock.
    #[error("cannot take the lock of the database: {0}")]
    Pg(Box<crate::store::StoreError>),
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

/// The key of the advisory lock one daemon holds on a PostgreSQL database ("redline!").
pub const PG_DAEMON_LOCK: i64 = 0x7265_646c_696e_6521;

/// The exclusive lock on a database, held as long as this value lives.
pub struct DbLock {
    /// The locked file; None for an in-memory database.
    file: Option<File>,
    lock: Option<PathBuf>,
    /// The session holding the advisory lock, on PostgreSQL.
    session: Option<PgConn>,
}

impl std::fmt::Debug for DbLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbLock")
            .field("lock", &self.lock)
            .field("session", &self.session.as_ref().map(PgConn::target))
            .finish()
    }
}

/// The pid of the Redline whose session holds the daemon lock, if any.
fn pg_holder(conn: &mut PgConn) -> Result<Option<u32>, crate::store::StoreError> {
    let rows = conn.query(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND CAST(l.classid AS BIGINT) = ?1 AND CAST(l.objid AS BIGINT) = ?2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        crate::store::sql::params![PG_DAEMON_LOCK >> 32, PG_DAEMON_LOCK & 0xffff_ffff],
    )?;
    let name: Option<String> = match rows.first() {
        Some(r) => r.get(0)?,
        None => return Ok(None),
    };
    Ok(name.and_then(|n| n.strip_prefix("redline ").and_then(|pid| pid.parse().ok())))
}

fn pg_session(url: &str) -> Result<PgConn, crate::store::StoreError> {
    let config = crate::store::pg::config(url).map_err(crate::store::StoreError::Value)?;
    PgConn::connect(&config, &format!("redline {}", std::process::id()))
}

impl DbLock {
    /// Locks the database a config's `[storage]` names: its file, or its PostgreSQL database.
    pub fn acquire_storage(storage: &crate::config::StorageConfig) -> Result<DbLock, LockError> {
        let Some(url) = &storage.url else {
            return DbLock::acquire(&storage.path);
        };
        let pg = |e| LockError::Pg(Box::new(e));
        let mut session = pg_session(url).map_err(pg)?;
        let taken: bool = session
            .query("SELECT pg_try_advisory_lock(?1)", crate::store::sql::params![PG_DAEMON_LOCK])
            .and_then(|rows| rows.first().map_or(Ok(false), |r| r.get(0)))
            .map_err(pg)?;
        if !taken {
            let pid = pg_holder(&mut session).ok().flatten();
            return Err(LockError::HeldPg { target: session.target().to_string(), pid });
        }
        Ok(DbLock { file: None, lock: None, session: Some(session) })
    }

    /// Locks the database at `db_path` for this process, without waiting, and
    /// writes this process's pid into the lock file.
    pub fn acquire(db_path: &Path) -> Result<DbLock, LockError> {
        let Some(lock) = lock_path(db_path) else {
            return Ok(DbLock { file: None, lock: None, session: None });
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
        Ok(DbLock { file: Some(file), lock: Some(lock), session: None })
    }

    /// The lock file, None for an in-memory database.
    pub fn lock_file(&self) -> Option<&Path> {
        self.lock.as_deref()
    }

    /// Whether a lock is held (false for an in-memory database).
    pub fn is_held(&self) -> bool {
        self.file.is_some() || self.session.is_some()
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
/// when nobody holds it (or a PostgreSQL database does not answer).
pub fn holder_storage(storage: &crate::config::StorageConfig) -> Option<u32> {
    match &storage.url {
        Some(url) => pg_holder(&mut pg_session(url).ok()?).ok().flatten(),
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
    fn one_daemon_per_postgres_database_and_the_lock_goes_with_its_session() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        let storage = crate::config::StorageConfig { url: Some(db.url.clone()), ..Default::default() };
        assert_eq!(holder_storage(&storage), None);
        let first = DbLock::acquire_storage(&storage).unwrap();
        assert!(first.is_held() && first.lock_file().is_none());
        let me = std::process::id();
        assert_eq!(holder_storage(&storage), Some(me));
        let err = DbLock::acquire_storage(&storage).unwrap_err();
        assert!(matches!(err, LockError::HeldPg { pid: Some(p), .. } if p == me), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("another Redline (pid {me}) is already running on ")), "{text}");
        assert!(text.contains("/redline_test_"), "{text}");
        assert!(text.contains("[storage] url"), "{text}");
        // The session ending (as when the process dies) frees it.
        drop(first);
        let mut again = None;
        for _ in 0..50 {
            match DbLock::acquire_storage(&storage) {
                Ok(lock) => {
                    again = Some(lock);
                    break;
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        assert!(again.is_some(), "the lock is free once its session is gone");
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
