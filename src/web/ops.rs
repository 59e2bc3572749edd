//! `/healthz` and `/metrics` (Prometheus text exposition format 0.0.4).
//!
//! The numbers come from the tables, so `redline serve` reports the daemon's work
//! as well as the daemon's own server does. Check counts and fetch latency cover the
//! hour up to the latest check (`METRICS_WINDOW_SECS`), so they are gauges, not counters.

use std::fmt::Write;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Failure, WebState};
use crate::store::browse::Metrics;

/// `/healthz`: 200 `ok` when the database answers.
pub(super) async fn healthz(State(state): State<WebState>) -> Response {
    match state.read(|s| s.ping()).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(f) => (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {}\n", f.message)).into_response(),
    }
}

/// `/metrics`.
pub(super) async fn metrics(State(state): State<WebState>) -> Result<Response, Failure> {
    let now = super::now();
    let m = state.read(move |s| s.metrics(now)).await?;
    let mut r = exposition(&m).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(r)
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn exposition(m: &Metrics) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, i64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let checks: Vec<(String, i64)> =
        m.checks.iter().map(|(o, n)| (format!("{{outcome=\"{}\"}}", label(o)), *n)).collect();
    metric("redline_checks", "gauge", "Checks in the hour up to the latest one, by outcome (error = failed).", &checks);
    let failures = m.checks.iter().filter(|(o, _)| o == "error").map(|(_, n)| n).sum();
    metric(
        "redline_check_failures",
        "gauge",
        "Failed checks in the hour up to the latest one.",
        &[(String::new(), failures)],
    );
    if let Some(last) = m.last_check {
        metric("redline_last_check_timestamp_seconds", "gauge", "Time of the latest check.", &[(String::new(), last)]);
    }
    metric("redline_changes_total", "counter", "Changes recorded.", &[(String::new(), m.changes)]);
    metric("redline_versions", "gauge", "Versions stored.", &[(String::new(), m.versions)]);
    metric("redline_articles", "gauge", "Articles watched.", &[(String::new(), m.articles)]);
    metric(
        "redline_articles_failing",
        "gauge",
        "Articles whose last check failed.",
        &[(String::new(), m.articles_failing)],
    );
    metric("redline_watches_enabled", "gauge", "Watches being checked.", &[(String::new(), m.watches_enabled)]);
    let deliveries: Vec<(String, i64)> = ["pending", "delivered", "failed"]
        .iter()
        .map(|s| (format!("{{status=\"{s}\"}}"), m.deliveries.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n)))
        .collect();
    metric("redline_deliveries", "gauge", "Alert deliveries in the outbox, by status.", &deliveries);
    metric(
        "redline_delivery_queue_depth",
        "gauge",
        "Pending alert deliveries already due.",
        &[(String::new(), m.deliveries_due)],
    );
    metric(
        "redline_check_queue_depth",
        "gauge",
        "Articles already due for a check.",
        &[(String::new(), m.articles_due)],
    );
    let name = "redline_fetch_duration_seconds";
    let _ = writeln!(out, "# HELP {name} Fetch latency in the hour up to the latest check.\n# TYPE {name} histogram");
    for (ms, n) in &m.fetch_buckets {
        let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {n}", *ms as f64 / 1000.0);
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", m.fetch_count);
    let _ = writeln!(out, "{name}_sum {}", m.fetch_sum_ms as f64 / 1000.0);
    let _ = writeln!(out, "{name}_count {}", m.fetch_count);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_help_type_and_a_complete_histogram() {
        let m = Metrics {
            checks: vec![("error".into(), 2), ("changed".into(), 3)],
            fetch_buckets: vec![(50, 1), (100, 4)],
            fetch_count: 5,
            fetch_sum_ms: 1234,
            ..Metrics::default()
        };
        let text = exposition(&m);
        assert!(text.contains("redline_checks{outcome=\"error\"} 2\n"));
        assert!(text.contains("redline_check_failures 2\n"));
        assert!(text.contains("redline_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("redline_fetch_duration_seconds_bucket{le=\"+Inf\"} 5\n"));
        assert!(text.contains("redline_fetch_duration_seconds_sum 1.234\n"));
        assert!(text.contains("redline_deliveries{status=\"failed\"} 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(line.split(' ').count(), 2, "{line}");
        }
    }
}
