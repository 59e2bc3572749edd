//! A real Matrix homeserver for the tests: Synapse from PyPI in a virtualenv
//! under target/ (made on first use), started on 127.0.0.1 with a generated
//! config whose shared secret registers users.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A Python virtualenv with Synapse, under target/ (made by the first run: about 30 s with PyPI reachable).
pub fn synapse_python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/synapse-venv");
    let python = venv.join("bin/python");
    let ready = || Command::new(&python).args(["-c", "import synapse"]).status().is_ok_and(|s| s.success());
    if !ready() {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().unwrap();
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new("timeout")
            .args(["600"])
            .arg(venv.join("bin/pip"))
            .args(["install", "--quiet", "matrix-synapse"])
            .status()
            .unwrap();
        assert!(pip.success() && ready(), "pip install matrix-synapse failed");
    }
    python
}

/// A Synapse homeserver on 127.0.0.1, stopped on drop.
pub struct Synapse {
    child: std::process::Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const SYNAPSE_SECRET: &str = "registration-secret-of-this-test";

pub async fn start_synapse() -> Synapse {
    let python = tokio::task::spawn_blocking(synapse_python).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = dir.path().display();
    let limits = "{per_second: 1000, burst_count: 1000}";
    let config = format!(
        "server_name: \"localhost\"\npid_file: {d}/homeserver.pid\nlisteners:\n  - port: {port}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    tls: false\n    x_forwarded: false\n    resources:\n      - names: [client]\n        compress: false\ndatabase:\n  name: sqlite3\n  args:\n    database: {d}/homeserver.db\nmedia_store_path: {d}/media\nsigning_key_path: {d}/signing.key\nregistration_shared_secret: \"{SYNAPSE_SECRET}\"\nmacaroon_secret_key: \"macaroon-of-this-test\"\nform_secret: \"form-of-this-test\"\nreport_stats: false\nenable_metrics: false\ntrusted_key_servers: []\nsuppress_key_server_warning: true\nrc_message: {limits}\nrc_login:\n  address: {limits}\n  account: {limits}\n  failed_attempts: {limits}\nrc_registration: {limits}\n"
    );
    let config_path = dir.path().join("homeserver.yaml");
    std::fs::write(&config_path, config).unwrap();
    let keys = Command::new(&python)
        .args(["-m", "synapse.app.homeserver", "--generate-keys", "-c"])
        .arg(&config_path)
        .output()
        .unwrap();
    assert!(keys.status.success(), "{}", String::from_utf8_lossy(&keys.stderr));
    let log = std::fs::File::create(dir.path().join("synapse.log")).unwrap();
    let child = Command::new(&python)
        .args(["-m", "synapse.app.homeserver", "-c"])
        .arg(&config_path)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let synapse = Synapse { child, base, _dir: dir };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let started = Instant::now();
    loop {
        let up = client.get(format!("{}/_matrix/client/versions", synapse.base)).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        let log = std::fs::read_to_string(synapse._dir.path().join("synapse.log")).unwrap_or_default();
        assert!(started.elapsed() < Duration::from_secs(90), "Synapse did not start within 90 s:\n{log}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    synapse
}

/// A JSON request to the homeserver; the answer's JSON.
pub async fn matrix_call(method: reqwest::Method, url: String, token: Option<&str>, body: Option<Value>) -> Value {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut request = client.request(method, &url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}
