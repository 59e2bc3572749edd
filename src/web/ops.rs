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

/// An alert due this long and still not sent means the delivery worker is stuck.
pub const OUTBOX_STUCK_SECS: i64 = 300;

/// `/healthz`: 200 `ok` when the database answers and, under the daemon, every
/// loop completes its passes, the store accepts writes and the outbox moves;
/// else 503 with one line per problem.
pub(super) async fn healthz(State(state): State<WebState>) -> Response {
    let problems = problems(&state).await;
    if problems.is_empty() {
        return (StatusCode::OK, "ok\n").into_response();
    }
    (StatusCode::SERVICE_UNAVAILABLE, problems.join("\n") + "\n").into_response()
}

/// What is wrong, as `/healthz` and `redline status` show it.
pub(super) async fn problems(state: &WebState) -> Vec<String> {
    let Some(health) = state.health() else {
        // `redline serve` alone: its health is the database's.
        return match state.read(|s| s.ping()).await {
            Ok(_) => Vec::new(),
            Err(f) => vec![format!("store: database unavailable: {}", f.message)],
        };
    };
    let mut problems = health.problems();
    let now = super::now();
    match state.read(move |s| s.oldest_overdue_delivery(now)).await {
        Ok(Some(due)) if now - due > OUTBOX_STUCK_SECS => {
            let late = crate::health::human(std::time::Duration::from_secs((now - due) as u64));
            problems.push(format!("delivery: outbox stuck: an alert due {late} ago is not sent yet"));
        }
        Ok(_) => {}
        Err(f) => problems.push(format!("store: database unavailable: {}", f.message)),
    }
    problems
}

/// `/metrics`.
pub(super) async fn metrics(State(state): State<WebState>) -> Result<Response, Failure> {
    let now = super::now();
    let m = state.read(move |s| s.metrics(now)).await?;
    let mut text = exposition(&m);
    if let Some(health) = state.health() {
        text.push_str(&loop_exposition(health));
    }
    let mut r = text.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(r)
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// One metric: its HELP and TYPE lines, then a line per sample (labels, value).
fn write_metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, i64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in samples {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

fn exposition(m: &Metrics) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, i64)]| {
        write_metric(&mut out, name, kind, help, samples);
    };
    let checks: Vec<(String, i64)> =
        m.checks.iter().map(|(o, n)| (format!("{{outcome=\"{}\"}}", label(o)), *n)).collect();
    metric(
        "redline_checks",
        "gauge",
        "Checks in the hour up to the latest one, by outcome (error = failed, wall = a consent wall, paywall, bot challenge... served instead of the article).",
        &checks,
    );
    let failures =
        m.checks.iter().filter(|(o, _)| crate::store::FAILED_OUTCOMES.contains(&o.as_str())).map(|(_, n)| n).sum();
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

/// The daemon's own figures: each loop's last pass and errors, failed writes.
fn loop_exposition(health: &crate::health::Health) -> String {
    let loops = health.loops();
    let by_loop = |value: &dyn Fn(&crate::health::LoopReport) -> Option<i64>| -> Vec<(String, i64)> {
        loops.iter().filter_map(|l| Some((format!("{{loop=\"{}\"}}", l.name), value(l)?))).collect()
    };
    let mut out = String::new();
    write_metric(
        &mut out,
        "redline_loop_last_pass_timestamp_seconds",
        "gauge",
        "When each loop last completed a pass.",
        &by_loop(&|l| l.last_pass),
    );
    write_metric(
        &mut out,
        "redline_loop_errors_total",
        "counter",
        "Errors met by each loop (failed passes and failed pieces of work).",
        &by_loop(&|l| Some(l.errors as i64)),
    );
    let unlabelled = |v: i64| [(String::new(), v)];
    write_metric(
        &mut out,
        "redline_store_write_errors_total",
        "counter",
        "Store writes that failed.",
        &unlabelled(health.write_errors() as i64),
    );
    write_metric(
        &mut out,
        "redline_story_grouping_failures_total",
        "counter",
        "Story groupings that failed (the version was recorded anyway).",
        &unlabelled(crate::story::GROUPING_FAILURES.load(std::sync::atomic::Ordering::Relaxed) as i64),
    );
    write_metric(
        &mut out,
        "redline_healthy",
        "gauge",
        "1 when every loop is healthy and the store accepts writes.",
        &unlabelled(i64::from(health.problems().is_empty())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_help_type_and_a_complete_histogram() {
        let m = Metrics {
            checks: vec![("error".into(), 2), ("changed".into(), 3), ("wall".into(), 1)],
            fetch_buckets: vec![(50, 1), (100, 4)],
            fetch_count: 5,
            fetch_sum_ms: 1234,
            ..Metrics::default()
        };
        let text = exposition(&m);
        assert!(text.contains("redline_checks{outcome=\"error\"} 2\n"));
        assert!(text.contains("redline_checks{outcome=\"wall\"} 1\n"));
        assert!(text.contains("redline_check_failures 3\n"), "walls are failed checks");
        assert!(text.contains("redline_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("redline_fetch_duration_seconds_bucket{le=\"+Inf\"} 5\n"));
        assert!(text.contains("redline_fetch_duration_seconds_sum 1.234\n"));
        assert!(text.contains("redline_deliveries{status=\"failed\"} 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(line.split(' ').count(), 2, "{line}");
        }
    }

    #[test]
    fn loop_figures_are_exposed() {
        let health = crate::health::Health::default();
        health.register("scheduler", std::time::Duration::from_secs(30));
        health.register("delivery", std::time::Duration::from_secs(60));
        health.pass_ok("scheduler");
        health.loop_error("delivery", "database or disk is full");
        health.write_failed("database or disk is full");
        let text = loop_exposition(&health);
        assert!(text.contains("redline_loop_last_pass_timestamp_seconds{loop=\"scheduler\"} "), "{text}");
        assert!(!text.contains("redline_loop_last_pass_timestamp_seconds{loop=\"delivery\"}"), "{text}");
        assert!(text.contains("redline_loop_errors_total{loop=\"delivery\"} 1\n"), "{text}");
        assert!(text.contains("redline_store_write_errors_total 1\n"), "{text}");
        assert!(text.contains("redline_healthy 0\n"), "{text}");
    }
}
