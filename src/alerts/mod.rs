//! Alerts for managers: a queue waiting too long, a window paused too long, a kiosk's device
//! in fault, a kiosk or a display gone silent. Evaluated on the hall's clock every second
//! from the read view and from who the API has heard ([`Presence`]); each alert is raised
//! once, kept while its condition holds and cleared when it ends (a change of severity
//! clears one and raises another). Raises and clears are logged, listed in
//! `GET /api/v1/alerts`, and POSTed to `[alerts] webhook_url` (signed, retried with growing
//! delays, every try under a deadline) from the `hallq-alerts` thread, so neither the engine
//! nor a request ever waits for the webhook.
//!
//! Alerts carry no personal data: queues, windows (a staff number at most), kiosk and
//! display token names, device faults as the kiosk words them.

mod conditions;
mod presence;
mod webhook;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallq_proto::{self as proto, Alert, AlertChange, AlertDelivery, DeliveryOutcome};

use crate::config::{Config, Role};
use crate::engine::{State, Ts};
use crate::service::WeakHall;

pub use conditions::{evaluate, Condition, Inputs, Tracker};
pub use presence::{DisplayConn, DisplayStream, Presence};
use webhook::Outgoing;
pub use webhook::{signature, webhook_body, BACKOFF_FIRST, BACKOFF_MAX, SIGNATURE_HEADER, WEBHOOK_SCHEMA};

/// How often the conditions are looked at (real time; the times compared are the hall's).
pub const EVALUATE_EVERY: Duration = Duration::from_secs(1);
/// Webhook attempts kept for `GET /alerts`.
pub const DELIVERIES_KEPT: usize = 100;
/// Raises and clears waiting for the webhook; more are given up (and logged as such).
pub const OUTBOX: usize = 256;

/// One per hall: who was heard from, the alerts raised, the webhook's recent attempts.
pub struct Alerts {
    pub presence: Arc<Presence>,
    started: Ts,
    tracker: Mutex<Tracker>,
    deliveries: Mutex<VecDeque<AlertDelivery>>,
    stopped: AtomicBool,
}

impl Alerts {
    pub fn new(started: Ts) -> Alerts {
        Alerts {
            presence: Arc::default(),
            started,
            tracker: Mutex::default(),
            deliveries: Mutex::default(),
            stopped: AtomicBool::new(false),
        }
    }

    /// When the service started (silence is counted from then for what was never heard).
    pub fn started(&self) -> Ts {
        self.started
    }

    /// The alerts raised now, most severe and newest first.
    pub fn active(&self) -> Vec<Alert> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner()).active()
    }

    /// The webhook's recent attempts, newest first.
    pub fn deliveries(&self) -> Vec<AlertDelivery> {
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).iter().rev().cloned().collect()
    }

    fn record(&self, d: AlertDelivery) {
        let mut m = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        m.push_back(d);
        while m.len() > DELIVERIES_KEPT {
            m.pop_front();
        }
    }

    /// Ends the evaluation thread (at the service's shutdown).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Looks at the hall now; returns what was raised and cleared.
    pub fn evaluate(&self, config: &Config, state: &State, now: Ts) -> Vec<(AlertChange, Alert)> {
        let kiosks = self.presence.kiosks();
        let displays = self.presence.displays();
        let inputs = Inputs { config, state, now, started: self.started, kiosks: &kiosks, displays: &displays };
        let conditions = evaluate(&inputs);
        self.tracker.lock().unwrap_or_else(|p| p.into_inner()).update(conditions, now, config.offset())
    }

    /// Every display token of the configuration (and any other heard from) with its
    /// streams, for managers.
    pub fn display_links(&self, config: &Config, now: Ts) -> Vec<proto::DisplayLink> {
        let mut displays = self.presence.displays();
        for t in config.tokens.iter().filter(|t| t.role == Role::Display) {
            displays.entry(t.name.clone()).or_default();
        }
        let offset = config.offset();
        let local = |t: Ts| t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let limit = config.alerts.display_silent_seconds;
        displays
            .into_iter()
            .map(|(display, c)| {
                let since = c.disconnected_at.unwrap_or(self.started);
                proto::DisplayLink {
                    connections: c.open,
                    connected_at: c.connected_at.map(local),
                    last_heard: c.last_heard.map(local),
                    disconnected_at: c.disconnected_at.filter(|_| c.open == 0).map(local),
                    silent: c.open == 0 && limit > 0 && now - since >= chrono::Duration::seconds(limit as i64),
                    display,
                }
            })
            .collect()
    }
}

/// Starts the `hallq-alerts` thread: evaluates every second and feeds the webhook, until
/// the service stops. It runs its own small runtime, so nothing it does waits on the
/// service's.
pub fn spawn(hall: WeakHall) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("hallq-alerts".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("alerts: cannot start their runtime: {e}; no alerts will be raised");
                return;
            }
        };
        rt.block_on(run(hall));
    })
}

async fn run(weak: WeakHall) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Outgoing>(OUTBOX);
    tokio::spawn(webhook::deliver_all(weak.clone(), rx));
    let mut tick = tokio::time::interval(EVALUATE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(hall) = weak.upgrade() else { return };
        let alerts = hall.alerts().clone();
        if alerts.stopped.load(Ordering::SeqCst) {
            return;
        }
        let config = hall.config();
        let now = hall.now();
        let changes = {
            let view = hall.view();
            alerts.evaluate(&config, &view.state, now)
        };
        drop(hall);
        for (change, alert) in changes {
            match change {
                AlertChange::Raised => {
                    tracing::warn!(alert = %alert.id, severity = alert.severity.as_str(), "alert raised: {}", alert.message_en)
                }
                AlertChange::Cleared => tracing::info!(alert = %alert.id, "alert cleared: {}", alert.message_en),
            }
            if config.alerts.webhook_url.is_empty() {
                continue;
            }
            let body = serde_json::to_vec(&webhook_body(&config, change, &alert, now)).expect("an alert serializes");
            if tx.try_send(Outgoing { alert: alert.id.clone(), change, body }).is_err() {
                tracing::error!(alert = %alert.id, "alert webhook: {OUTBOX} raises and clears already waiting; this one is given up");
                alerts.record(AlertDelivery {
                    alert: alert.id,
                    change,
                    attempt: 0,
                    at: local(&config, now),
                    status: None,
                    error: Some(format!("{OUTBOX} raises and clears already waiting for the webhook")),
                    outcome: DeliveryOutcome::GivenUp,
                    retry_in_secs: None,
                });
            }
        }
    }
}

fn local(config: &Config, t: Ts) -> String {
    t.with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
