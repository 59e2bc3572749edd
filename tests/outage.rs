//! Outages of the database's filesystem and of the daemon's surroundings, against the real
//! `redline run` and the simulated newsroom, with a webhook receiver that verifies signatures.
//!
//! The daemon must never stop silently: a full disk, a locked database or a read-only
//! filesystem turns `/healthz` to 503 with SQLite's own words, counts the failed writes in
//! `/metrics`, withholds the systemd watchdog ping, and once the fault is gone the daemon
//! resumes by itself and records every edit it missed exactly once, delivering every alert
//! once per `webhook-id` with one body per id. Beside that: one daemon per database,
//! `redline status` shows the health, systemd notifications, and the web UI's Host check.
//!
//! Each outage test reports every expectation it checked (`ok:` / `FAILED:` lines on stdout)
//! and fails at the end with the list of what was not met, so one run shows all of them;
//! `cargo test --test outage -- --nocapture` prints the figures (time to detect, time to
//! resume, versions, changes and alerts expected and found).
//!
//! The disk tests need root (they mount a tmpfs, and for the read-only case the FUSE
//! passthrough of tests/support/flipfs.py, which needs /dev/fuse and Python's fusepy:
//! scripts/test.sh installs python3-fusepy); without root they say "skipped" and return.
//! Mounts are undone by drop guards, after the daemon is killed.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Received, start_receiver, webhook};
use redline::newsroom::{Edit, Newsroom};
use rusqlite::{Connection, OpenFlags};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_redline");

// ---------------------------------------------------------------------------------------------
// Expectations: every check is printed; the test fails at the end with all that failed.

struct Report {
    test: &'static str,
    failed: Vec<String>,
}

impl Report {
    fn new(test: &'static str) -> Report {
        Report { test, failed: Vec::new() }
    }

    /// Records `expected`; when `ok` is false, `seen` says what was found instead.
    fn check(&mut self, ok: bool, expected: impl AsRef<str>, seen: impl AsRef<str>) -> bool {
        let (expected, seen) = (expected.as_ref(), seen.as_ref());
        if ok {
            println!("[{}] ok: {expected}", self.test);
        } else {
            println!("[{}] FAILED: expected {expected}; seen: {seen}", self.test);
            self.failed.push(format!("expected {expected}; seen: {seen}"));
        }
        ok
    }

    fn note(&self, line: impl AsRef<str>) {
        println!("[{}] {}", self.test, line.as_ref());
    }

    fn finish(self) {
        assert!(
            self.failed.is_empty(),
            "{}: {} expectation(s) not met:\n- {}",
            self.test,
            self.failed.len(),
            self.failed.join("\n- ")
        );
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn one_line(text: &str) -> String {
    let t = text.trim().replace('\n', " | ");
    if t.len() > 300 { format!("{}…", &t[..t.floor_char_boundary(300)]) } else { t }
}

// ---------------------------------------------------------------------------------------------
// The daemon as a child process.

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    /// `redline --config CONFIG ARGS…` with stderr into `log`.
    fn spawn(config: &Path, args: &[&str], log: &Path, env: &[(&str, String)]) -> Daemon {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(config).args(args);
        cmd.env("RUST_LOG", "redline=info")
            .env("NO_COLOR", "1")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        Daemon { child, log: log.to_path_buf() }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stderr so far, without colour codes.
    fn stderr(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        regex::Regex::new("\x1b\\[[0-9;]*m").unwrap().replace_all(&text, "").into_owned()
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Sends SIGTERM; waits up to `grace` for the exit.
    fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.exited() {
            return Some(status);
        }
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `redline --config CONFIG ARGS…` to its end, at most `limit`; (exit status or None
/// when it was still running and got killed, stdout, stderr, time taken).
async fn run_bounded(config: &Path, args: &[&str], limit: Duration) -> (Option<ExitStatus>, String, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = start.elapsed();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (status, read(&out), read(&err), took)
}

// ---------------------------------------------------------------------------------------------
// HTTP: raw HTTP/1.0 requests, so that the Host header is exactly what the test says.

async fn http_get(addr: &str, path: &str, host: &str) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no header end in {text:?}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("no status in {head:?}"))?;
        Ok((status, body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange).await.map_err(|_| "no answer within 5 s".to_string())?
}

/// `/healthz` with the usual Host.
async fn healthz(addr: &str) -> Result<(u16, String), String> {
    http_get(addr, "/healthz", addr).await
}

/// `/metrics` as (name with labels → value).
async fn metrics(addr: &str) -> Result<HashMap<String, f64>, String> {
    let (status, body) = http_get(addr, "/metrics", addr).await?;
    if status != 200 {
        return Err(format!("/metrics answered {status}: {}", one_line(&body)));
    }
    Ok(body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect())
}

/// The line of `redline status` starting `health`, with the indented lines right under it.
fn health_block(status: &str) -> Option<String> {
    let mut lines = status.lines().skip_while(|l| !l.starts_with("health"));
    let first = lines.next()?;
    let more: Vec<&str> = lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')).collect();
    Some(std::iter::once(first).chain(more).collect::<Vec<_>>().join("\n"))
}

fn describe(r: &Result<(u16, String), String>) -> String {
    match r {
        Ok((status, body)) => format!("{status} {:?}", one_line(body)),
        Err(e) => format!("no answer ({e})"),
    }
}

// ---------------------------------------------------------------------------------------------
// The database, read through short-lived read-only connections.

fn read_only(db: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    Ok(conn)
}

#[derive(Debug, Default)]
struct DbState {
    /// (url, number, content hash)
    versions: Vec<(String, i64, String)>,
    /// (url, from number, to number, kinds JSON)
    changes: Vec<(String, i64, i64, String)>,
    /// (event id, payload, status, url, to number)
    deliveries: Vec<(String, String, String, String, i64)>,
}

impl DbState {
    fn versions_of(&self, url: &str) -> Vec<i64> {
        self.versions.iter().filter(|v| v.0 == url).map(|v| v.1).collect()
    }

    fn changes_of(&self, url: &str) -> Vec<&(String, i64, i64, String)> {
        self.changes.iter().filter(|c| c.0 == url).collect()
    }
}

fn read_state(db: &Path) -> Result<DbState, String> {
    let read = || -> rusqlite::Result<DbState> {
        let conn = read_only(db)?;
        let mut s = DbState::default();
        let mut stmt = conn.prepare(
            "SELECT a.url, v.number, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id
             ORDER BY a.url, v.number",
        )?;
        s.versions = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(
            "SELECT a.url, f.number, t.number, c.kinds FROM changes c JOIN articles a ON a.id = c.article_id
             JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version ORDER BY c.id",
        )?;
        s.changes =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(
            "SELECT d.event_id, d.payload, d.status, a.url, t.number FROM deliveries d
             JOIN changes c ON c.id = d.change_id JOIN articles a ON a.id = c.article_id
             JOIN versions t ON t.id = c.to_version ORDER BY d.id",
        )?;
        s.deliveries = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        Ok(s)
    };
    read().map_err(|e| format!("reading {}: {e}", db.display()))
}

/// Article checks in the fetch log.
fn article_checks(db: &Path) -> i64 {
    read_only(db)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM fetch_log WHERE article_id IS NOT NULL", [], |r| r.get(0)))
        .unwrap_or(0)
}

fn integrity_check(db: &Path) -> String {
    match read_only(db).and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))) {
        Ok(s) => s,
        Err(e) => format!("cannot run integrity_check: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// systemd notifications: a datagram socket the test binds, read on a thread.

struct Notifications {
    path: PathBuf,
    got: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Notifications {
    fn bind(path: PathBuf) -> Notifications {
        let socket = UnixDatagram::bind(&path).unwrap();
        socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            // Ends when the test (and so the Arc's other owner) is gone.
            while Arc::strong_count(&sink) > 1 {
                if let Ok(n) = socket.recv(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    sink.lock().unwrap().push((Instant::now(), text));
                }
            }
        });
        // The harness itself: a message sent to the socket is seen.
        let probe = UnixDatagram::unbound().unwrap();
        probe.send_to(b"HARNESS=1", &path).unwrap();
        let start = Instant::now();
        while !got.lock().unwrap().iter().any(|(_, m)| m == "HARNESS=1") {
            assert!(start.elapsed() < Duration::from_secs(5), "the notify socket harness does not receive");
            std::thread::sleep(Duration::from_millis(10));
        }
        got.lock().unwrap().clear();
        Notifications { path, got }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("NOTIFY_SOCKET", self.path.display().to_string()), ("WATCHDOG_USEC", "2000000".to_string())]
    }

    /// Times at which a message carrying the line `line` (e.g. "WATCHDOG=1") arrived.
    fn times(&self, line: &str) -> Vec<Instant> {
        self.got.lock().unwrap().iter().filter(|(_, m)| m.lines().any(|l| l == line)).map(|(t, _)| *t).collect()
    }

    fn all(&self) -> Vec<String> {
        self.got.lock().unwrap().iter().map(|(_, m)| m.replace('\n', "\\n")).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A config with a short schedule against the newsroom's feed, the web UI on a free port, a webhook.

fn write_config(dir: &Path, db: &Path, feed: &str, port: u16, hook: Option<&str>) -> PathBuf {
    let path = dir.join("redline.toml");
    let hook = hook.map(webhook).unwrap_or_default();
    let text = format!(
        "[storage]\npath = {db:?}\n\n[web]\nlisten = \"127.0.0.1:{port}\"\n\n\
         [fetch]\nallow_private = true\nrobots = false\nper_host_concurrency = 4\nper_host_delay = \"0s\"\ntimeout = \"10s\"\n\n\
         [[watch]]\nfeed = {feed:?}\nevery = \"2s\"\nrevisit = [[\"100000d\", \"2s\"]]\n\n{hook}\n",
        db = db.display().to_string(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Faults.

/// Something that makes the database's writes fail, and then stops doing so.
trait Fault {
    /// What SQLite says while it lasts (any of these words).
    fn reasons(&self) -> &'static [&'static str];
    fn begin(&mut self, report: &Report);
    fn end(&mut self, report: &Report);
}

/// A tmpfs mounted for the test; unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(Tmpfs { dir: dir.to_path_buf() })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        unmount(&self.dir);
    }
}

fn unmount(dir: &Path) {
    let ok = Command::new("umount").arg(dir).status().is_ok_and(|s| s.success());
    if !ok {
        // Something still has it open: detach it now, the kernel frees it when the last user goes.
        let _ = Command::new("umount").arg("-l").arg(dir).status();
    }
}

/// Fills the filesystem of the database until not a byte more fits.
struct DiskFull {
    db: PathBuf,
    fillers: Vec<PathBuf>,
    filled: u64,
}

impl DiskFull {
    fn new(db: &Path) -> DiskFull {
        let dir = db.parent().unwrap();
        DiskFull { db: db.to_path_buf(), fillers: vec![dir.join("filler-1"), dir.join("filler-2")], filled: 0 }
    }
}

/// Writes to `path` until ENOSPC, with smaller and smaller chunks; the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = match std::fs::File::create(path) {
        Ok(f) => f,
        Err(_) => return 0, // not even an inode or a directory entry left
    };
    let mut written = 0u64;
    let mut chunk = 1 << 20;
    let buf = vec![0x5au8; chunk];
    while chunk > 0 {
        match file.write(&buf[..chunk]) {
            Ok(0) => chunk /= 2,
            Ok(n) => written += n as u64,
            Err(_) => chunk /= 2,
        }
    }
    let _ = file.sync_all();
    written
}

impl Fault for DiskFull {
    fn reasons(&self) -> &'static [&'static str] {
        &["database or disk is full"]
    }

    fn begin(&mut self, report: &Report) {
        // First an empty WAL, so that the daemon's next commit must grow the file and meets the
        // full disk at once, not only after reusing the pages the WAL already has.
        let conn = Connection::open(&self.db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        let checkpoint = tokio::task::block_in_place(|| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        });
        drop(conn);
        report.note(format!("wal_checkpoint(TRUNCATE) before filling: {checkpoint:?} (busy, wal frames)"));
        self.filled = self.fillers.iter().map(|f| fill(f)).sum();
        report.note(format!("disk filled: {} bytes of filler", self.filled));
    }

    fn end(&mut self, report: &Report) {
        for f in &self.fillers {
            let _ = std::fs::remove_file(f);
        }
        report.note("filler deleted: the disk has room again");
    }
}

/// Holds the database's write lock from a connection of the test's own.
struct WriteLock {
    db: PathBuf,
    conn: Option<Connection>,
}

impl Fault for WriteLock {
    fn reasons(&self) -> &'static [&'static str] {
        &["database is locked"]
    }

    fn begin(&mut self, report: &Report) {
        let conn = Connection::open(&self.db).unwrap();
        // The daemon writes all the time; wait for a gap like any other writer.
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        tokio::task::block_in_place(|| conn.execute_batch("BEGIN IMMEDIATE")).expect("BEGIN IMMEDIATE");
        report.note("write lock taken (BEGIN IMMEDIATE, transaction left open)");
        self.conn = Some(conn);
    }

    fn end(&mut self, report: &Report) {
        if let Some(conn) = self.conn.take() {
            conn.execute_batch("ROLLBACK").expect("ROLLBACK");
        }
        report.note("write lock released");
    }
}

/// The FUSE filesystem of tests/support/flipfs.py: `backing` seen at `mount`, refusing writes
/// with EROFS while `control` exists. Unmounted on drop.
struct FlipFs {
    mount: PathBuf,
    control: PathBuf,
    child: Child,
}

/// A Python that has fusepy (Debian's python3-fusepy installs it for /usr/bin/python3).
fn python_with_fusepy() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "try:\n    import fusepy\nexcept ImportError:\n    import fuse"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn is_mounted(dir: &Path) -> bool {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let dir = dir.display().to_string();
    mountinfo.lines().any(|l| l.split(' ').nth(4) == Some(dir.as_str()))
}

impl FlipFs {
    fn start(python: &str, backing: &Path, mount: &Path, control: &Path, log: &Path) -> Result<FlipFs, String> {
        std::fs::create_dir_all(backing).unwrap();
        std::fs::create_dir_all(mount).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/flipfs.py");
        let child = Command::new(python)
            .arg(&script)
            .args([backing, mount, control])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .map_err(|e| format!("cannot start {python} {}: {e}", script.display()))?;
        let mut fs = FlipFs { mount: mount.to_path_buf(), control: control.to_path_buf(), child };
        let start = Instant::now();
        while !is_mounted(mount) {
            if let Some(status) = fs.child.try_wait().unwrap() {
                return Err(format!(
                    "flipfs.py exited ({status}): {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ));
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("flipfs.py did not mount {} within 10 s", mount.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(fs)
    }
}

impl Drop for FlipFs {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.control);
        unmount(&self.mount);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes the FUSE filesystem answer EROFS to every write, then accept them again.
struct ReadOnly {
    control: PathBuf,
}

impl Fault for ReadOnly {
    fn reasons(&self) -> &'static [&'static str] {
        &["read-only", "readonly"]
    }

    fn begin(&mut self, report: &Report) {
        std::fs::write(&self.control, b"ro\n").unwrap();
        report.note("filesystem flipped to read-only (every write answers EROFS)");
    }

    fn end(&mut self, report: &Report) {
        std::fs::remove_file(&self.control).unwrap();
        report.note("filesystem writable again");
    }
}

// ---------------------------------------------------------------------------------------------
// The outage scenario shared by the disk-full, locked and read-only tests.

struct Outage<'a> {
    test: &'static str,
    /// Where the database lives (a tmpfs, a FUSE mount, or a plain directory).
    db_dir: &'a Path,
    /// Where config, logs and the notify socket live (never on the faulty filesystem).
    work_dir: &'a Path,
    /// How long the fault lasts.
    hold: Duration,
}

async fn outage(o: Outage<'_>, make_fault: impl FnOnce(&Path) -> Box<dyn Fault>) {
    let mut report = Report::new(o.test);
    let newsroom = Newsroom::start().await.unwrap();
    let (hook, received) = start_receiver().await;
    let db = o.db_dir.join("redline.db");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let config = write_config(o.work_dir, &db, &newsroom.feed_url(), port, Some(&hook));
    let notify = Notifications::bind(o.work_dir.join("notify.sock"));
    let first_articles = newsroom.article_urls();
    let mut daemon = Daemon::spawn(&config, &["run"], &o.work_dir.join("daemon.log"), &notify.env());
    let mut fault = make_fault(&db);

    // Before the fault: the daemon is up, every article's version 1 is stored, and articles are
    // being checked again (the short revisit plan works).
    let start = Instant::now();
    let wanted = first_articles.len();
    let mut checks;
    loop {
        let stored = read_state(&db).map(|s| s.versions.len()).unwrap_or(0);
        checks = article_checks(&db);
        let health = healthz(&addr).await;
        if stored >= wanted && checks >= 2 * wanted as i64 && matches!(&health, Ok((200, _))) {
            break;
        }
        if let Some(status) = daemon.exited() {
            panic!("{}: the daemon exited ({status}) before the fault:\n{}", o.test, tail(&daemon.stderr(), 20));
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: setup: expected version 1 of all {wanted} articles stored, every article checked twice and \
             /healthz answering 200 within 60 s; seen {stored} versions, {checks} article checks, /healthz {}; \
             daemon log:\n{}",
            o.test,
            describe(&health),
            tail(&daemon.stderr(), 20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    report.note(format!(
        "{wanted} first versions stored and {checks} article checks logged after {:.1} s",
        start.elapsed().as_secs_f64()
    ));
    let healthy = healthz(&addr).await;
    report.check(
        matches!(&healthy, Ok((200, body)) if body.starts_with("ok")),
        "/healthz 200 with a body starting `ok` while healthy",
        describe(&healthy),
    );
    let m = metrics(&addr).await.unwrap_or_default();
    for name in [
        "redline_loop_last_pass_timestamp_seconds{loop=\"scheduler\"}",
        "redline_loop_last_pass_timestamp_seconds{loop=\"delivery\"}",
        "redline_loop_errors_total{loop=\"scheduler\"}",
        "redline_store_write_errors_total",
    ] {
        report.check(m.contains_key(name), format!("/metrics to have `{name}` while healthy"), "it is missing");
    }

    // The fault, and edits the daemon must record once it is over.
    let fault_at = Instant::now();
    fault.begin(&report);
    let edits: Vec<Edit> = newsroom.publish_all_edits();
    let new_stories: Vec<String> =
        newsroom.article_urls().into_iter().filter(|u| !first_articles.contains(u)).collect();
    report.note(format!("{} edits and {} new stories published during the fault", edits.len(), new_stories.len()));
    let reasons = fault.reasons();
    let names_reason = |body: &str| reasons.iter().any(|r| body.to_lowercase().contains(r));
    let mut detected: Option<Duration> = None;
    let mut first_503: Option<Instant> = None;
    let mut last_503: Option<Instant> = None;
    let mut last_answer = String::new();
    let mut answers_503 = BTreeSet::new();
    let mut status_run = None;
    let (mut polls, mut unanswered) = (0, 0);
    while fault_at.elapsed() < o.hold {
        let r = healthz(&addr).await;
        last_answer = describe(&r);
        polls += 1;
        if r.is_err() {
            unanswered += 1;
        }
        if let Ok((503, body)) = &r {
            first_503.get_or_insert_with(Instant::now);
            last_503 = Some(Instant::now());
            answers_503.insert(one_line(body));
            if detected.is_none() && names_reason(body) {
                detected = Some(fault_at.elapsed());
                // `redline status` beside the unhealthy daemon, while the polling goes on.
                let config = config.clone();
                status_run =
                    Some(tokio::spawn(async move { run_bounded(&config, &["status"], Duration::from_secs(20)).await }));
            }
        }
        if daemon.exited().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    report.check(
        unanswered == 0,
        "/healthz to answer (within 5 s) throughout the fault",
        format!("{unanswered} of {polls} polls got no answer; last: {last_answer}"),
    );
    let during = metrics(&addr).await;
    if let Some(run) = status_run {
        let (status, out, err, _) = run.await.unwrap();
        let health = health_block(&out);
        report.check(
            status.is_some_and(|s| s.success()) && health.as_deref().is_some_and(names_reason),
            format!(
                "`redline status` during the fault: exit 0 and a line starting `health` naming {reasons:?} \
                 (on that line or the indented lines right under it)"
            ),
            format!("{status:?}; health {health:?}; stderr {}", tail(&err, 2)),
        );
    }
    let still_running = daemon.exited();
    report.check(still_running.is_none(), "the daemon still running during the fault", format!("{still_running:?}"));
    report.check(
        detected.is_some(),
        format!("/healthz 503 naming {reasons:?} within {} s of the fault (while it lasts)", o.hold.as_secs()),
        format!("last answer {last_answer}; 503 bodies seen: {answers_503:?}"),
    );
    if let Some(d) = detected {
        report.note(format!("time to detect: {:.1} s", d.as_secs_f64()));
        let lines_ok = answers_503.iter().all(|b| b.split(" | ").all(|l| l.contains(": ")));
        report.check(lines_ok, "every 503 line shaped `<part>: <problem>`", format!("{answers_503:?}"));
    }
    let write_errors = during.as_ref().ok().and_then(|m| m.get("redline_store_write_errors_total").copied());
    report.check(
        write_errors.is_some_and(|n| n > 0.0),
        "/metrics redline_store_write_errors_total > 0 during the fault",
        match &during {
            Ok(_) => format!("{write_errors:?}"),
            Err(e) => e.clone(),
        },
    );
    let log = daemon.stderr();
    report.check(
        names_reason(&log),
        format!("the daemon's log to name the error ({reasons:?})"),
        format!("last lines:\n{}", tail(&log, 8)),
    );

    // Over: the daemon must resume by itself.
    fault.end(&report);
    let ended_at = Instant::now();
    let expected_changes = edits.len();
    let mut resumed: Option<Duration> = None;
    let mut state = DbState::default();
    let mut why_not = String::new();
    while ended_at.elapsed() < Duration::from_secs(60) {
        state = read_state(&db).unwrap_or_default();
        let health = healthz(&addr).await;
        let last_health = describe(&health);
        let changes_done = edits.iter().all(|e| !state.changes_of(&e.url).is_empty());
        let new_done = new_stories.iter().all(|u| !state.versions_of(u).is_empty());
        let delivered = state.deliveries.iter().filter(|d| d.2 == "delivered").count();
        let deliveries_done = delivered >= expected_changes && state.deliveries.iter().all(|d| d.2 == "delivered");
        let ids: BTreeSet<String> = received.lock().unwrap().iter().map(|r| r.id.clone()).collect();
        let healthy = matches!(&health, Ok((200, b)) if b.starts_with("ok"));
        why_not = format!(
            "{} of {expected_changes} edited articles have a change, {} of {} new stories stored, \
             {delivered} of {} deliveries delivered, {} webhook ids received, /healthz {last_health}",
            edits.iter().filter(|e| !state.changes_of(&e.url).is_empty()).count(),
            new_stories.iter().filter(|u| !state.versions_of(u).is_empty()).count(),
            new_stories.len(),
            state.deliveries.len(),
            ids.len(),
        );
        if changes_done && new_done && deliveries_done && ids.len() >= expected_changes && healthy {
            resumed = Some(ended_at.elapsed());
            break;
        }
        if daemon.exited().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    report.check(
        resumed.is_some(),
        "within 60 s of the fault's end: a change for every edit, every new story stored, every alert delivered, \
         /healthz 200",
        &why_not,
    );
    if let Some(r) = resumed {
        report.note(format!("time to resume: {:.1} s after the fault ended", r.as_secs_f64()));
        // Anything sent twice would arrive now.
        tokio::time::sleep(Duration::from_secs(3)).await;
        state = read_state(&db).unwrap_or_default();
    }

    // What was recorded: one change per edit, with the newsroom's kinds; nothing else.
    for edit in &edits {
        let changes = state.changes_of(&edit.url);
        let ok = changes.len() == 1 && changes[0].1 == 1 && changes[0].2 == 2;
        report.check(ok, format!("{}: exactly one change, v1 → v2", edit.slug), format!("{changes:?}"));
        if let Some(c) = changes.first() {
            let missing: Vec<&str> =
                edit.expected_kinds.iter().map(|k| k.as_str()).filter(|k| !c.3.contains(&format!("\"{k}\""))).collect();
            report.check(
                missing.is_empty(),
                format!("{}: kinds include {:?} ({})", edit.slug, edit.expected_kinds, edit.description),
                format!("kinds {} lack {missing:?}", c.3),
            );
        }
    }
    for url in &first_articles {
        if !edits.iter().any(|e| &e.url == url) {
            let changes = state.changes_of(url);
            report.check(changes.is_empty(), format!("{url}: not edited, no change"), format!("{changes:?}"));
        }
    }
    for url in &new_stories {
        let versions = state.versions_of(url);
        report.check(versions == [1], format!("{url}: new story stored as version 1 only"), format!("{versions:?}"));
    }
    let mut pairs = BTreeMap::new();
    for c in &state.changes {
        *pairs.entry((c.0.clone(), c.2)).or_insert(0) += 1;
    }
    let dup: Vec<_> = pairs.iter().filter(|(_, n)| **n > 1).collect();
    report.check(dup.is_empty(), "no version with two changes", format!("{dup:?}"));
    let mut by_url: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for v in &state.versions {
        by_url.entry(&v.0).or_default().push(v.1);
    }
    let gaps: Vec<_> = by_url.iter().filter(|(_, ns)| ns.iter().enumerate().any(|(i, n)| *n != i as i64 + 1)).collect();
    report.check(gaps.is_empty(), "versions numbered 1..n without gaps", format!("{gaps:?}"));

    // Alerts: one delivery per change, each received under its id with its stored body, signed.
    let got: Vec<Received> = received.lock().unwrap().clone();
    report.check(
        state.deliveries.len() == state.changes.len(),
        "one delivery row per change",
        format!("{} deliveries for {} changes", state.deliveries.len(), state.changes.len()),
    );
    let mut bodies: HashMap<&str, BTreeSet<&[u8]>> = HashMap::new();
    for r in &got {
        bodies.entry(&r.id).or_default().insert(&r.body);
    }
    let two_bodies: Vec<&&str> = bodies.iter().filter(|(_, b)| b.len() > 1).map(|(id, _)| id).collect();
    report.check(two_bodies.is_empty(), "one body per webhook id", format!("ids with several bodies: {two_bodies:?}"));
    let unverified: Vec<&str> = got.iter().filter(|r| !r.verified).map(|r| r.id.as_str()).collect();
    report.check(unverified.is_empty(), "every webhook signature verifies", format!("{unverified:?}"));
    for (id, payload, status, url, to) in &state.deliveries {
        let sends: Vec<&Received> = got.iter().filter(|r| &r.id == id).collect();
        report.check(
            status == "delivered" && !sends.is_empty() && sends.iter().all(|r| r.body == payload.as_bytes()),
            format!("{url} v{to}: delivered under {id} with the stored body"),
            format!("status {status}, received {} time(s)", sends.len()),
        );
        report.check(
            sends.len() == 1,
            format!("{url} v{to}: {id} received once (the receiver always answers 200)"),
            format!("received {} times", sends.len()),
        );
    }
    let stray: Vec<&str> =
        got.iter().filter(|r| !state.deliveries.iter().any(|d| d.0 == r.id)).map(|r| r.id.as_str()).collect();
    report.check(stray.is_empty(), "no webhook under an id the outbox does not hold", format!("{stray:?}"));

    // systemd: READY, pings while healthy, none while unhealthy.
    let pings = notify.times("WATCHDOG=1");
    report.check(!notify.times("READY=1").is_empty(), "READY=1 on the notify socket", format!("{:?}", notify.all()));
    if let (Some(a), Some(b)) = (first_503, last_503) {
        // Allow for a ping in flight when the state flipped (interval ≤ 1 s).
        let (from, to) = (a + Duration::from_millis(1500), b);
        if to > from + Duration::from_secs(2) {
            let during: Vec<_> = pings.iter().filter(|t| **t > from && **t < to).collect();
            report.check(
                during.is_empty(),
                format!("no WATCHDOG=1 while /healthz said 503 ({:.1} s)", (to - from).as_secs_f64()),
                format!("{} pings in that window", during.len()),
            );
        }
        let after = pings.iter().filter(|t| **t > b).count();
        report.check(after >= 1, "WATCHDOG=1 again once healthy", format!("{after} pings after the last 503"));
    }
    let m = metrics(&addr).await.unwrap_or_default();
    let now = chrono::Utc::now().timestamp() as f64;
    for lp in ["scheduler", "delivery"] {
        let name = format!("redline_loop_last_pass_timestamp_seconds{{loop=\"{lp}\"}}");
        let at = m.get(&name).copied();
        report.check(
            at.is_some_and(|t| now - t < 30.0),
            format!("after resuming, `{name}` within the last 30 s"),
            format!("{at:?} (now {now})"),
        );
    }

    let check = integrity_check(&db);
    report.check(check == "ok", "PRAGMA integrity_check ok", &check);
    let log = daemon.stderr();
    report.check(!log.contains("panicked"), "no panic in the daemon's log", tail(&log, 10));
    let exit = tokio::task::block_in_place(|| daemon.terminate(Duration::from_secs(15)));
    report.check(exit.is_some(), "the daemon exits within 15 s of SIGTERM", "still running");
    report.note(format!("daemon exit {exit:?}; last log lines:\n{}", tail(&daemon.stderr(), 3)));

    let delivered_ids: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    report.note(format!(
        "figures: time to detect {}; time to resume {}; versions expected {} found {}; \
         changes expected {} found {}; alerts expected {} ids received {} ({} requests)",
        detected.map_or("never".into(), |d| format!("{:.1} s", d.as_secs_f64())),
        resumed.map_or("never (60 s)".into(), |d| format!("{:.1} s", d.as_secs_f64())),
        wanted + expected_changes + new_stories.len(),
        state.versions.len(),
        expected_changes,
        state.changes.len(),
        expected_changes,
        delivered_ids.len(),
        got.len(),
    ));
    newsroom.shutdown().await;
    report.finish();
}

// ---------------------------------------------------------------------------------------------
// 1. A full disk.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_is_detected_and_survived() {
    if !is_root() {
        println!("skipped: needs root to mount a tmpfs");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    let mount = match Tmpfs::mount(&disk, "32m") {
        Ok(m) => m,
        Err(e) => panic!("running as root but cannot mount a tmpfs: {e}"),
    };
    let db_dir = mount.dir.clone();
    outage(Outage { test: "disk_full", db_dir: &db_dir, work_dir: dir.path(), hold: Duration::from_secs(20) }, |db| {
        Box::new(DiskFull::new(db))
    })
    .await;
    drop(mount);
}

// ---------------------------------------------------------------------------------------------
// 2. A database locked by another writer for longer than the daemon's busy_timeout.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_database_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    std::fs::create_dir_all(&db_dir).unwrap();
    outage(Outage { test: "locked", db_dir: &db_dir, work_dir: dir.path(), hold: Duration::from_secs(28) }, |db| {
        Box::new(WriteLock { db: db.to_path_buf(), conn: None })
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 3. A filesystem that turns read-only under the daemon's open files, and writable again.
//
// Linux refuses `mount -o remount,ro` while files are open for writing, and ext4's
// errors=remount-ro cannot be undone, so the database lives on a FUSE passthrough
// (tests/support/flipfs.py) that answers EROFS to every write while a control file exists.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_filesystem_is_survived() {
    if !is_root() {
        println!("skipped: needs root to mount a FUSE filesystem");
        return;
    }
    if !Path::new("/dev/fuse").exists() {
        println!("skipped: /dev/fuse is missing, no FUSE filesystem can be mounted here");
        return;
    }
    let python = python_with_fusepy().expect(
        "read_only_filesystem_is_survived needs Python's fusepy: apt-get install python3-fusepy \
         (scripts/test.sh installs it)",
    );
    let dir = tempfile::tempdir().unwrap();
    let control = dir.path().join("read-only");
    let fs = FlipFs::start(
        python,
        &dir.path().join("backing"),
        &dir.path().join("disk"),
        &control,
        &dir.path().join("flipfs.log"),
    )
    .unwrap_or_else(|e| panic!("running as root with /dev/fuse but cannot mount the FUSE filesystem: {e}"));
    let db_dir = fs.mount.clone();
    outage(Outage { test: "read_only", db_dir: &db_dir, work_dir: dir.path(), hold: Duration::from_secs(20) }, |_| {
        Box::new(ReadOnly { control: control.clone() })
    })
    .await;
    drop(fs);
}

// ---------------------------------------------------------------------------------------------
// 4. One daemon per database.

/// A daemon against the newsroom, up and with every first version stored.
async fn started_daemon(test: &str, dir: &Path, env: &[(&str, String)]) -> (Newsroom, PathBuf, String, Daemon) {
    let newsroom = Newsroom::start().await.unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let db = dir.join("redline.db");
    let config = write_config(dir, &db, &newsroom.feed_url(), port, None);
    let mut daemon = Daemon::spawn(&config, &["run"], &dir.join("daemon.log"), env);
    let wanted = newsroom.article_urls().len();
    let start = Instant::now();
    loop {
        let stored = read_state(&db).map(|s| s.versions.len()).unwrap_or(0);
        let health = healthz(&addr).await;
        if stored >= wanted && matches!(&health, Ok((200, _))) {
            break;
        }
        if let Some(status) = daemon.exited() {
            panic!("{test}: the daemon exited ({status}):\n{}", tail(&daemon.stderr(), 20));
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{test}: setup: expected {wanted} first versions and /healthz 200 within 60 s; seen {stored}, {}:\n{}",
            describe(&health),
            tail(&daemon.stderr(), 20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (newsroom, config, addr, daemon)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_daemon_refuses() {
    let mut report = Report::new("second_daemon");
    let dir = tempfile::tempdir().unwrap();
    let (newsroom, config, addr, mut first) = started_daemon("second_daemon", dir.path(), &[]).await;
    let pid = first.pid();
    for args in [&["run"][..], &["run", "--once"]] {
        let (status, _, err, took) = run_bounded(&config, args, Duration::from_secs(8)).await;
        let what = format!("`redline {}` beside the running daemon (pid {pid})", args.join(" "));
        report.check(
            status.is_some_and(|s| !s.success()) && took <= Duration::from_secs(5),
            format!("{what} to exit non-zero within 5 s"),
            match status {
                Some(s) => format!("{s} after {:.1} s; stderr: {}", took.as_secs_f64(), tail(&err, 3)),
                None => format!("still running after 8 s (killed); stderr: {}", tail(&err, 3)),
            },
        );
        report.check(
            err.contains("already running") && err.contains(&format!("pid {pid}")),
            format!("{what}: stderr names `already running` and `pid {pid}`"),
            tail(&err, 3),
        );
    }
    let url = newsroom.article_urls().remove(0);
    for args in [&["list"][..], &["status"], &["log", &url]] {
        let (status, out, err, _) = run_bounded(&config, args, Duration::from_secs(30)).await;
        report.check(
            status.is_some_and(|s| s.success()) && !out.is_empty(),
            format!("`redline {}` to work beside the daemon", args.join(" ")),
            format!("{status:?}; stdout {:?}; stderr {}", one_line(&out), tail(&err, 3)),
        );
        if args == ["status"] {
            let health = out.lines().find(|l| l.starts_with("health"));
            report.check(
                health.is_some_and(|l| l.split_whitespace().nth(1) == Some("ok")),
                "`redline status` beside a healthy daemon prints a line starting `health` that reads `ok`",
                format!("{health:?} in:\n{out}"),
            );
        }
        if args[0] == "log" {
            report.check(out.contains("v1"), format!("`redline log {url}` shows v1"), one_line(&out));
        }
    }
    report.check(first.exited().is_none(), "the first daemon still running", format!("{:?}", first.exited()));
    let health = healthz(&addr).await;
    report.check(matches!(&health, Ok((200, _))), "the first daemon still healthy", describe(&health));
    drop(first);
    newsroom.shutdown().await;
    report.finish();
}

// ---------------------------------------------------------------------------------------------
// 5. systemd notifications.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_notify() {
    let mut report = Report::new("systemd_notify");
    let dir = tempfile::tempdir().unwrap();
    let notify = Notifications::bind(dir.path().join("notify.sock"));
    let newsroom = Newsroom::start().await.unwrap();
    let port = free_port();
    let config = write_config(dir.path(), &dir.path().join("redline.db"), &newsroom.feed_url(), port, None);
    let started = Instant::now();
    let mut daemon = Daemon::spawn(&config, &["run"], &dir.path().join("daemon.log"), &notify.env());
    let ready = loop {
        if let Some(t) = notify.times("READY=1").first() {
            break Some(*t);
        }
        if started.elapsed() > Duration::from_secs(10) || daemon.exited().is_some() {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    report.check(
        ready.is_some(),
        "READY=1 within 10 s of the start (NOTIFY_SOCKET set)",
        format!("messages {:?}; daemon {:?}; log: {}", notify.all(), daemon.exited(), tail(&daemon.stderr(), 5)),
    );
    if let Some(t) = ready {
        report.note(format!("READY=1 after {:.2} s", (t - started).as_secs_f64()));
    }
    let from = ready.unwrap_or_else(Instant::now);
    while from.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pings: Vec<Instant> =
        notify.times("WATCHDOG=1").into_iter().filter(|t| *t >= from && *t <= from + Duration::from_secs(5)).collect();
    report.check(
        pings.len() >= 3,
        "WATCHDOG=1 at least 3 times in the 5 s after READY (WATCHDOG_USEC=2000000: at least every second)",
        format!("{} times; all messages {:?}", pings.len(), notify.all()),
    );
    let gaps: Vec<f64> = pings.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
    report.note(format!("watchdog gaps: {gaps:.2?} s"));
    let term = Instant::now();
    let exit = tokio::task::block_in_place(|| daemon.terminate(Duration::from_secs(15)));
    report.check(exit.is_some(), "the daemon exits within 15 s of SIGTERM", "still running");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = notify.times("STOPPING=1");
    report.check(
        stopping.iter().any(|t| *t >= term),
        "STOPPING=1 after SIGTERM",
        format!("messages {:?}", notify.all()),
    );
    newsroom.shutdown().await;
    report.finish();
}

// ---------------------------------------------------------------------------------------------
// 6. The web UI refuses foreign Host headers (DNS rebinding) on a token-less loopback install.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_header_is_checked() {
    let mut report = Report::new("host_header");
    let dir = tempfile::tempdir().unwrap();
    let (newsroom, _, addr, daemon) = started_daemon("host_header", dir.path(), &[]).await;
    let port = addr.rsplit_once(':').unwrap().1;
    for path in ["/", "/api/changes"] {
        for host in
            [addr.clone(), format!("localhost:{port}"), "localhost".into(), "127.0.0.1".into(), format!("[::1]:{port}")]
        {
            let r = http_get(&addr, path, &host).await;
            report.check(matches!(r, Ok((200, _))), format!("GET {path} with Host: {host} → 200"), describe(&r));
        }
        for host in [
            "evil.example".to_string(),
            format!("evil.example:{port}"),
            format!("localhost.evil.example:{port}"),
            format!("127.0.0.1.evil.example:{port}"),
        ] {
            let r = http_get(&addr, path, &host).await;
            report.check(matches!(r, Ok((403, _))), format!("GET {path} with Host: {host} → 403"), describe(&r));
        }
    }
    drop(daemon);
    newsroom.shutdown().await;
    report.finish();
}
