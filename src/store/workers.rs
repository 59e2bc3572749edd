//! The `workers` table: each running `redline run` announces itself with a
//! heartbeat row (who, where, which roles, what it is doing), removed at a
//! clean shutdown. Rows whose heartbeat stopped are shown as gone, then pruned.
//! Also the worker id every claim of this process is leased to.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use super::sql::{Row, params};
use super::{Result, Store};

/// A worker whose heartbeat is older than this is shown as gone (its leases expire by themselves).
pub const GONE_AFTER_SECS: i64 = 60;
/// A gone worker's row is deleted this long after its last heartbeat.
pub const PRUNE_AFTER_SECS: i64 = 24 * 3600;

static ID: OnceLock<String> = OnceLock::new();

/// Names this process's worker (`redline run --name`), before any store is opened:
/// a named worker keeps its id across restarts, so that a restart can free the leases
/// its previous run left ([`Store::release_own_leases`]). False when the id was already
/// fixed (a store was opened first) and differs.
pub fn name_process_worker(name: &str) -> bool {
    ID.get_or_init(|| name.to_string()) == name
}

/// Why a worker name cannot be used.
pub fn check_worker_name(name: &str) -> std::result::Result<(), String> {
    let fine = |c: char| c.is_ascii_alphanumeric() || "-_.@:".contains(c);
    match name {
        "" => Err("a worker name cannot be empty".into()),
        n if n.len() > 100 => Err("a worker name is at most 100 characters".into()),
        n if !n.chars().all(fine) => Err(format!("worker name {n:?}: use letters, digits and - _ . @ : only")),
        _ => Ok(()),
    }
}

/// This process's worker id: its `--name`, or `host:pid:start-time:random`, unique across
/// machines and restarts (a pid is reused, the random suffix is not); fixed for the
/// process's life.
pub fn process_worker_id() -> &'static str {
    ID.get_or_init(|| {
        let started = chrono::Utc::now().timestamp();
        // RandomState is seeded from the OS for each process: a random suffix without a dependency.
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish() & 0xffff_ffff;
        format!("{}:{}:{started}:{random:08x}", host_name(), std::process::id())
    })
}

/// The machine's host name, or `localhost` when the system does not say.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match rc {
        0 if end > 0 => String::from_utf8_lossy(&buf[..end]).into_owned(),
        _ => "localhost".to_string(),
    }
}

/// A worker's heartbeat row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    /// Its worker id.
    pub id: String,
    /// Its machine.
    pub host: String,
    /// Its process id there.
    pub pid: i64,
    /// The loops it runs (`check,deliver,web`).
    pub roles: String,
    /// When it started.
    pub started_at: i64,
    /// Its last heartbeat.
    pub heartbeat_at: i64,
    /// What it was doing then ("checking 3 articles", "idle").
    pub doing: String,
}

impl WorkerRow {
    /// Whether its heartbeat stopped more than [`GONE_AFTER_SECS`] before `now`.
    pub fn is_gone(&self, now: i64) -> bool {
        now - self.heartbeat_at > GONE_AFTER_SECS
    }

    /// Whether this row, carrying this process's own (named) id, belongs to another
    /// process that still runs, rather than to this worker's previous run: its heartbeat
    /// is fresh and it names another machine, or another pid here that `alive` says lives.
    pub fn held_by_another(&self, now: i64, my_host: &str, my_pid: i64, alive: impl Fn(i64) -> bool) -> bool {
        if self.is_gone(now) {
            return false;
        }
        match self.host == my_host {
            true => self.pid != my_pid && alive(self.pid),
            false => true,
        }
    }

    /// Whether it runs the delivery loop (the `deliver` role): only such a worker sends alerts.
    pub fn delivers(&self) -> bool {
        self.roles.split(',').any(|r| r.trim() == "deliver")
    }

    /// Its line in `redline status`: id, host, pid, roles, heartbeat age, what it does
    /// (or `gone` once its heartbeat stopped).
    pub fn status_line(&self, now: i64) -> String {
        let doing = if self.is_gone(now) { "gone" } else { self.doing.as_str() };
        format!(
            "{}  host {}  pid {}  roles {}  beat {} ago  {doing}",
            self.id,
            self.host,
            self.pid,
            self.roles,
            age(now - self.heartbeat_at)
        )
    }
}

/// A duration in seconds as `42s`, `5m`, `3h` or `2d`.
fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

fn worker_row(r: &Row) -> Result<WorkerRow> {
    Ok(WorkerRow {
        id: r.get(0)?,
        host: r.get(1)?,
        pid: r.get(2)?,
        roles: r.get(3)?,
        started_at: r.get(4)?,
        heartbeat_at: r.get(5)?,
        doing: r.get(6)?,
    })
}

impl Store {
    /// Writes this worker's heartbeat row at `now` (created on the first beat).
    pub fn heartbeat(&self, roles: &str, started_at: i64, now: i64, doing: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO workers (id, host, pid, roles, started_at, heartbeat_at, doing)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET roles = ?4, heartbeat_at = ?6, doing = ?7",
            params![&self.worker, host_name(), i64::from(std::process::id()), roles, started_at, now, doing],
        )?;
        Ok(())
    }

    /// This worker's own row, if its heartbeat was written (by this run or, for a named
    /// worker, a previous one).
    pub fn own_worker_row(&self) -> Result<Option<WorkerRow>> {
        Ok(self.workers()?.into_iter().find(|w| w.id == self.worker))
    }

    /// Removes this worker's row (a clean shutdown).
    pub fn remove_worker(&self) -> Result<()> {
        self.conn().execute("DELETE FROM workers WHERE id = ?1", params![&self.worker])?;
        Ok(())
    }

    /// Deletes the rows of workers whose last heartbeat is older than
    /// [`PRUNE_AFTER_SECS`] at `now`; returns how many.
    pub fn prune_workers(&self, now: i64) -> Result<usize> {
        self.conn().execute("DELETE FROM workers WHERE heartbeat_at < ?1", params![now - PRUNE_AFTER_SECS])
    }

    /// A worker other than this process whose heartbeat is fresh at `now` and that
    /// delivers alerts: the one that sends what is queued. None when only checkers
    /// (or web replicas) run, or nobody.
    pub fn live_deliverer(&self, now: i64) -> Result<Option<WorkerRow>> {
        Ok(self.workers()?.into_iter().find(|w| w.id != self.worker && !w.is_gone(now) && w.delivers()))
    }

    /// Every worker row, the most recent heartbeat first.
    pub fn workers(&self) -> Result<Vec<WorkerRow>> {
        self.conn()
            .query(
                "SELECT id, host, pid, roles, started_at, heartbeat_at, doing FROM workers
                 ORDER BY heartbeat_at DESC, id",
                &[],
            )?
            .iter()
            .map(worker_row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::each_store;

    #[test]
    fn the_worker_id_names_this_process_and_stays_the_same() {
        let id = process_worker_id();
        let parts: Vec<&str> = id.rsplitn(4, ':').collect();
        assert_eq!(parts.len(), 4, "{id}");
        assert_eq!(parts[2], std::process::id().to_string());
        assert_eq!(parts[0].len(), 8);
        assert_eq!(process_worker_id(), id);
    }

    #[test]
    fn a_named_worker_tells_its_previous_run_from_a_twin_that_still_runs() {
        let row = |host: &str, pid: i64, beat: i64| WorkerRow {
            id: "check-1".into(),
            host: host.into(),
            pid,
            roles: "check".into(),
            started_at: 0,
            heartbeat_at: beat,
            doing: "idle".into(),
        };
        let alive = |pid: i64| pid == 77;
        assert!(!row("box", 77, 0).held_by_another(1000, "box", 5, alive), "a gone row is a previous run's");
        assert!(row("box", 77, 990).held_by_another(1000, "box", 5, alive), "a live twin on this machine");
        assert!(!row("box", 78, 990).held_by_another(1000, "box", 5, alive), "its pid is dead: killed just now");
        assert!(!row("box", 5, 990).held_by_another(1000, "box", 5, alive), "the same pid (a container's 1)");
        assert!(row("other", 5, 990).held_by_another(1000, "box", 5, alive), "a live twin elsewhere");
        assert!(check_worker_name("check-1").is_ok() && check_worker_name("web@b.example").is_ok());
        assert!(check_worker_name("").is_err() && check_worker_name("a b").is_err());
    }

    #[test]
    fn status_lines_show_the_heartbeat_age_and_gone_workers() {
        let w = WorkerRow {
            id: "box:42:100:0000abcd".into(),
            host: "box".into(),
            pid: 42,
            roles: "check,deliver".into(),
            started_at: 100,
            heartbeat_at: 1000,
            doing: "checking 3 articles".into(),
        };
        assert_eq!(
            w.status_line(1003),
            "box:42:100:0000abcd  host box  pid 42  roles check,deliver  beat 3s ago  checking 3 articles"
        );
        assert!(w.status_line(1000 + 61).ends_with("beat 1m ago  gone"));
        assert!(w.status_line(1000 + 7200).contains("beat 2h ago"));
        assert!(w.status_line(1000 + 3 * 86_400).contains("beat 3d ago"));
        assert_eq!(age(-5), "0s", "a clock behind the heartbeat's");
    }

    #[test]
    fn only_a_live_worker_with_the_deliver_role_sends_alerts() {
        crate::store::fixtures::each_shared_store(|w1, w2| {
            assert_eq!(w1.live_deliverer(100).unwrap(), None, "nobody runs");
            w2.heartbeat("check", 100, 100, "checking 2 articles").unwrap();
            w2.heartbeat("web", 100, 100, "idle").unwrap();
            assert_eq!(w1.live_deliverer(100).unwrap(), None, "a checker and a web replica deliver nothing");
            w1.heartbeat("check,deliver", 100, 100, "idle").unwrap();
            assert_eq!(w1.live_deliverer(100).unwrap(), None, "this process itself is not the running one");
            assert_eq!(w2.live_deliverer(100).unwrap().map(|w| w.id), Some("w1".to_string()));
            assert_eq!(w2.live_deliverer(101 + GONE_AFTER_SECS).unwrap(), None, "its heartbeat stopped");
        });
        let row = |roles: &str| WorkerRow {
            id: "x".into(),
            host: "h".into(),
            pid: 1,
            roles: roles.into(),
            started_at: 0,
            heartbeat_at: 0,
            doing: "idle".into(),
        };
        assert!(row("deliver").delivers() && row("check,deliver,web").delivers());
        assert!(!row("check,web").delivers() && !row("none").delivers() && !row("").delivers());
    }

    #[test]
    fn heartbeats_update_one_row_per_worker_and_old_rows_are_pruned() {
        each_store(|store| {
            store.heartbeat("check,deliver,web", 100, 100, "idle").unwrap();
            store.heartbeat("check,deliver,web", 100, 105, "checking 3 articles").unwrap();
            let rows = store.workers().unwrap();
            assert_eq!(rows.len(), 1);
            let me = &rows[0];
            assert_eq!((me.id.as_str(), me.started_at, me.heartbeat_at), (store.worker(), 100, 105));
            assert_eq!((me.pid, me.doing.as_str()), (i64::from(std::process::id()), "checking 3 articles"));
            assert!(!me.is_gone(105 + GONE_AFTER_SECS) && me.is_gone(106 + GONE_AFTER_SECS));
            store.remove_worker().unwrap();
            assert!(store.workers().unwrap().is_empty(), "a clean shutdown removes the row");
            store.heartbeat("check", 100, 200, "idle").unwrap();
            assert_eq!(store.prune_workers(200 + PRUNE_AFTER_SECS).unwrap(), 0, "a day old exactly stays");
            assert_eq!(store.prune_workers(201 + PRUNE_AFTER_SECS).unwrap(), 1);
            assert!(store.workers().unwrap().is_empty());
        });
    }
}
