//! One page in one tab: its requests paused and judged, the document loaded,
//! the network waited on until it settles, the steps done, the DOM read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, FailRequestParams, HeaderEntry, RequestPattern,
    RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, FrameId};
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;
use tracing::debug;

use crate::config::BrowserSteps;

use super::{Blocked, BrowserError, Rendered, RequestGuard, cdp};

/// How long the network must be quiet for a page to count as loaded.
pub const NETWORK_IDLE: Duration = Duration::from_millis(500);
/// Requests in flight longer than this (long polls, streams) do not hold back network idle.
const LONG_REQUEST: Duration = Duration::from_secs(5);

/// What a page is doing, for the timeout message.
pub(super) struct Stage(SyncMutex<String>);

impl Stage {
    pub(super) fn new(stage: &str) -> Stage {
        Stage(SyncMutex::new(stage.to_string()))
    }

    fn set(&self, stage: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = stage;
    }

    pub(super) fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The page's network as the events tell it: requests in flight, the last
/// activity, the main document's response and whether it was refused.
#[derive(Default)]
struct Traffic(SyncMutex<TrafficState>);

struct TrafficState {
    in_flight: HashMap<String, Instant>,
    last_activity: Instant,
    document: Option<u16>,
    document_blocked: Option<Blocked>,
}

impl Default for TrafficState {
    fn default() -> Self {
        TrafficState {
            in_flight: HashMap::new(),
            last_activity: Instant::now(),
            document: None,
            document_blocked: None,
        }
    }
}

impl Traffic {
    fn with<T>(&self, f: impl FnOnce(&mut TrafficState) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn started(&self, id: &str) {
        self.with(|t| {
            t.in_flight.entry(id.to_string()).or_insert_with(Instant::now);
            t.last_activity = Instant::now();
        });
    }

    fn ended(&self, id: &str) {
        self.with(|t| {
            t.in_flight.remove(id);
            t.last_activity = Instant::now();
        });
    }

    /// Nothing started or ended for [`NETWORK_IDLE`], and what is still in flight is a long poll.
    fn idle(&self) -> bool {
        self.with(|t| {
            t.last_activity.elapsed() >= NETWORK_IDLE && t.in_flight.values().all(|s| s.elapsed() >= LONG_REQUEST)
        })
    }
}

/// Loads the page with its requests judged, waits, clicks, and reads it.
pub(super) async fn drive(
    page: &Page,
    guard: &RequestGuard<'_>,
    url: &str,
    steps: &BrowserSteps,
    stage: &Stage,
) -> Result<Rendered, BrowserError> {
    let traffic = &Traffic::default();
    let paused = page.event_listener::<EventRequestPaused>().await.map_err(cdp)?;
    let sent = page.event_listener::<EventRequestWillBeSent>().await.map_err(cdp)?;
    let finished = page.event_listener::<EventLoadingFinished>().await.map_err(cdp)?;
    let failed = page.event_listener::<EventLoadingFailed>().await.map_err(cdp)?;
    let responses = page.event_listener::<EventResponseReceived>().await.map_err(cdp)?;
    let main_frame = page.mainframe().await.map_err(cdp)?;
    let main_frame = main_frame.as_ref();
    let every_request = RequestPattern::builder().url_pattern("*").request_stage(RequestStage::Request).build();
    page.execute(EnableParams::builder().pattern(every_request).build()).await.map_err(cdp)?;

    // Each paused request is judged on its own (robots.txt or DNS may take a while).
    let judge = async {
        let mut pending = futures_util::stream::FuturesUnordered::new();
        let mut paused = paused;
        loop {
            tokio::select! {
                event = paused.next() => match event {
                    Some(event) => pending.push(decide(page, guard, traffic, event, main_frame)),
                    None => break,
                },
                Some(()) = pending.next(), if !pending.is_empty() => {}
            }
        }
    };
    let watch = async {
        let (mut sent, mut finished, mut failed, mut responses) = (sent, finished, failed, responses);
        loop {
            tokio::select! {
                Some(e) = sent.next() => traffic.started(e.request_id.inner()),
                Some(e) = finished.next() => traffic.ended(e.request_id.inner()),
                Some(e) = failed.next() => traffic.ended(e.request_id.inner()),
                Some(e) = responses.next() => {
                    if e.r#type == ResourceType::Document && is_main(main_frame, e.frame_id.as_ref()) {
                        traffic.with(|t| t.document = Some(e.response.status.clamp(0, 999) as u16));
                    }
                }
                else => break,
            }
        }
    };
    let work = async {
        let loaded = page.goto(url).await;
        let status = traffic.with(|t| t.document).unwrap_or(200);
        if let Err(e) = loaded {
            return Err(match traffic.with(|t| t.document_blocked.take()) {
                Some(b) if b.url == url => BrowserError::Blocked(b.reason),
                Some(b) => BrowserError::Blocked(format!("{} (a redirect to {})", b.reason, b.url)),
                None if !(200..300).contains(&status) => BrowserError::Status(status),
                None => cdp(format!("cannot load the page: {e}")),
            });
        }
        if !(200..300).contains(&status) {
            return Err(BrowserError::Status(status));
        }
        // Before the clicks, an idle network will do: the selector may be what the clicks reveal.
        settle(page, traffic, steps.wait_for.as_deref(), true, stage).await?;
        let mut clicked = false;
        for selector in &steps.click {
            stage.set(format!("clicking {selector:?}"));
            match page.find_element(selector.as_str()).await {
                Ok(element) => match element.click().await {
                    Ok(_) => clicked = true,
                    Err(e) => debug!(selector, error = %e, "Click failed; going on."),
                },
                Err(_) => debug!(selector, "Nothing to click; skipped."),
            }
        }
        if clicked || steps.wait_for.is_some() {
            settle(page, traffic, steps.wait_for.as_deref(), steps.wait_for.is_none(), stage).await?;
        }
        stage.set("reading the page".into());
        let html: String =
            page.evaluate("document.documentElement.outerHTML").await.map_err(cdp)?.into_value().map_err(cdp)?;
        let final_url = page.url().await.map_err(cdp)?.unwrap_or_else(|| url.to_string());
        let screenshot = if steps.screenshot {
            stage.set("taking the screenshot".into());
            let params = ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build();
            Some(page.screenshot(params).await.map_err(cdp)?)
        } else {
            None
        };
        Ok(Rendered { html, final_url, status, screenshot, blocked: Vec::new(), elapsed: Duration::ZERO })
    };
    tokio::select! {
        result = work => result,
        _ = judge => Err(cdp("the browser closed the page")),
        _ = watch => Err(cdp("the browser closed the page")),
    }
}

/// True for the page's main frame (any frame when it is not known).
fn is_main(main: Option<&FrameId>, frame: Option<&FrameId>) -> bool {
    main.is_none() || frame == main
}

/// Lets one paused request continue, or fails it when the guard refuses it.
async fn decide(
    page: &Page,
    guard: &RequestGuard<'_>,
    traffic: &Traffic,
    event: Arc<EventRequestPaused>,
    main_frame: Option<&FrameId>,
) {
    let url = &event.request.url;
    let sent = match guard.judge(url).await {
        Ok(()) => page.execute(continue_with(&event, guard.extra_headers(url))).await.map(drop),
        Err(reason) => {
            debug!(%url, %reason, "Browser request refused.");
            if event.resource_type == ResourceType::Document && is_main(main_frame, Some(&event.frame_id)) {
                let blocked = Blocked { url: url.clone(), reason };
                traffic.with(|t| t.document_blocked = Some(blocked));
            }
            let fail = FailRequestParams::new(event.request_id.clone(), ErrorReason::BlockedByClient);
            page.execute(fail).await.map(drop)
        }
    };
    if let Err(e) = sent {
        debug!(%url, error = %e, "The browser did not take the verdict on a request.");
    }
}

/// Lets a paused request go on, with `extra` headers replacing its own of the
/// same name (a `Cookie` of the page's own is kept, the watch's cookies after it).
fn continue_with(event: &EventRequestPaused, extra: Vec<(String, String)>) -> ContinueRequestParams {
    let mut params = ContinueRequestParams::new(event.request_id.clone());
    if extra.is_empty() {
        return params;
    }
    let mut headers: Vec<HeaderEntry> = event
        .request
        .headers
        .inner()
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| Some(HeaderEntry::new(name.clone(), value.as_str()?.to_string())))
        .collect();
    for (name, value) in extra {
        match headers.iter_mut().find(|h| h.name.eq_ignore_ascii_case(&name)) {
            Some(own) if name.eq_ignore_ascii_case("cookie") => own.value = format!("{}; {value}", own.value),
            Some(own) => own.value = value,
            None => headers.push(HeaderEntry::new(name, value)),
        }
    }
    params.headers = Some(headers);
    params
}

/// Waits until `wait_for` matches, or until the network is idle when there is
/// no `wait_for` or `idle_will_do`.
async fn settle(
    page: &Page,
    traffic: &Traffic,
    wait_for: Option<&str>,
    idle_will_do: bool,
    stage: &Stage,
) -> Result<(), BrowserError> {
    let probe = wait_for.map(|s| format!("document.querySelector({}) !== null", serde_json::Value::from(s)));
    stage.set(match wait_for {
        Some(selector) => format!("waiting for {selector:?} (wait_for) to match"),
        None => "waiting for the network to go idle".into(),
    });
    loop {
        if (idle_will_do || probe.is_none()) && traffic.idle() {
            return Ok(());
        }
        if let Some(probe) = &probe {
            let found: bool = page.evaluate(probe.as_str()).await.map_err(cdp)?.into_value().map_err(cdp)?;
            if found {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_idle_after_quiet_and_despite_long_polls() {
        let traffic = Traffic::default();
        traffic.started("a");
        assert!(!traffic.idle());
        traffic.with(|t| t.last_activity -= NETWORK_IDLE);
        assert!(!traffic.idle(), "a request in flight");
        traffic.with(|t| *t.in_flight.get_mut("a").unwrap() -= LONG_REQUEST);
        assert!(traffic.idle(), "a long poll does not count");
        traffic.ended("a");
        assert!(!traffic.idle(), "just ended");
    }
}
