//! What kind of trouble a storage error is, for the operator and for a loop
//! deciding whether to go on: a full disk, a read-only database, a lock held by
//! another connection, or an I/O error. Read from SQLite's primary result code,
//! or from PostgreSQL's SQLSTATE (a lost connection counts as I/O).

use std::fmt;

use rusqlite::ErrorCode;
use tokio_postgres::error::SqlState;

use super::StoreError;

/// A storage failure that comes from the machine rather than from Redline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFault {
    /// The disk (or the database's size limit) is full (`SQLITE_FULL`).
    Full,
    /// The database cannot be written (`SQLITE_READONLY`).
    ReadOnly,
    /// Another connection holds the lock (`SQLITE_BUSY`, `SQLITE_LOCKED`).
    Busy,
    /// Reading or writing the file failed, or it could not be opened (`SQLITE_IOERR`,
    /// `SQLITE_CANTOPEN`, `SQLITE_PROTOCOL`).
    Io,
}

impl fmt::Display for StoreFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreFault::Full => "database or disk is full",
            StoreFault::ReadOnly => "database is read-only (read-only file system?)",
            StoreFault::Busy => "database is locked by another connection",
            StoreFault::Io => "disk I/O error",
        })
    }
}

impl StoreError {
    /// The machine-side fault behind this error, if it is one (not for a
    /// constraint, a corrupt stored value or a schema that is too new).
    pub fn fault(&self) -> Option<StoreFault> {
        let source = match self {
            StoreError::Sqlite(e) | StoreError::Open { source: e, .. } => e,
            StoreError::Postgres(e) | StoreError::PgOpen { source: e, .. } => return pg_fault(e),
            StoreError::Json(_) | StoreError::TooNew { .. } | StoreError::Cancelled | StoreError::Value(_) => {
                return None;
            }
        };
        match source.sqlite_error_code()? {
            ErrorCode::DiskFull => Some(StoreFault::Full),
            ErrorCode::ReadOnly => Some(StoreFault::ReadOnly),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(StoreFault::Busy),
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::FileLockingProtocolFailed => {
                Some(StoreFault::Io)
            }
            _ => None,
        }
    }
}

/// The fault of a PostgreSQL error: its SQLSTATE, or I/O when the server never answered.
fn pg_fault(e: &tokio_postgres::Error) -> Option<StoreFault> {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection failed or closed (a constraint or a bad query always has one).
        return (e.is_closed() || std::error::Error::source(e).is_some()).then_some(StoreFault::Io);
    };
    match code {
        c if *c == SqlState::DISK_FULL => Some(StoreFault::Full),
        c if *c == SqlState::READ_ONLY_SQL_TRANSACTION || *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            Some(StoreFault::ReadOnly)
        }
        c if *c == SqlState::LOCK_NOT_AVAILABLE || *c == SqlState::T_R_DEADLOCK_DETECTED => Some(StoreFault::Busy),
        c if *c == SqlState::IO_ERROR
            || *c == SqlState::ADMIN_SHUTDOWN
            || *c == SqlState::CANNOT_CONNECT_NOW
            || c.code().starts_with("08") =>
        {
            Some(StoreFault::Io)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags, TransactionBehavior, ffi};

    use super::*;

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None))
    }

    #[test]
    fn result_codes_map_to_faults() {
        assert_eq!(sqlite(ffi::SQLITE_FULL).fault(), Some(StoreFault::Full));
        assert_eq!(sqlite(ffi::SQLITE_READONLY).fault(), Some(StoreFault::ReadOnly));
        // Extended codes count by their primary code.
        assert_eq!(sqlite(ffi::SQLITE_READONLY_DBMOVED).fault(), Some(StoreFault::ReadOnly));
        assert_eq!(sqlite(ffi::SQLITE_BUSY).fault(), Some(StoreFault::Busy));
        assert_eq!(sqlite(ffi::SQLITE_LOCKED).fault(), Some(StoreFault::Busy));
        assert_eq!(sqlite(ffi::SQLITE_IOERR_WRITE).fault(), Some(StoreFault::Io));
        assert_eq!(sqlite(ffi::SQLITE_CANTOPEN).fault(), Some(StoreFault::Io));
        assert_eq!(sqlite(ffi::SQLITE_CONSTRAINT_UNIQUE).fault(), None);
        assert_eq!(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows).fault(), None);
        let open = StoreError::Open {
            path: "/x/r.db".into(),
            hint: String::new(),
            source: rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_CANTOPEN), None),
        };
        assert_eq!(open.fault(), Some(StoreFault::Io));
        let too_new = StoreError::TooNew { path: "/x/r.db".into(), found: 9, known: 6 };
        assert_eq!(too_new.fault(), None);
        assert_eq!(StoreFault::Full.to_string(), "database or disk is full");
        assert_eq!(StoreFault::Busy.to_string(), "database is locked by another connection");
    }

    #[test]
    fn real_sqlite_failures_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let writer = Connection::open(&path).unwrap();
        writer.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB);").unwrap();

        // A connection that may not write.
        let reader = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let err = StoreError::from(reader.execute("INSERT INTO t VALUES (1)", []).unwrap_err());
        assert_eq!(err.fault(), Some(StoreFault::ReadOnly), "{err}");

        // A write lock held elsewhere, and no patience.
        let mut other = Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let mut held = Connection::open(&path).unwrap();
        let tx = held.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
        let err = StoreError::from(other.transaction_with_behavior(TransactionBehavior::Immediate).unwrap_err());
        assert_eq!(err.fault(), Some(StoreFault::Busy), "{err}");
        drop(tx);

        // The database at its size limit behaves as a full disk.
        let pages: i64 = writer.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        writer.pragma_update(None, "max_page_count", pages).unwrap();
        let err = StoreError::from(writer.execute("INSERT INTO t VALUES (zeroblob(100000))", []).unwrap_err());
        assert_eq!(err.fault(), Some(StoreFault::Full), "{err}");
    }
}
