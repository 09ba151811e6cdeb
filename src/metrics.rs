//! What `GET /api/v1/metrics` exposes to the hall's monitoring (Prometheus text, OpenMetrics
//! flavour): counters kept by the service since it started (tickets issued and called, device
//! faults reported, the event log's append latency, open event streams) and gauges read from
//! the durable view at scrape time (waiting per queue, the longest wait, devices in fault).
//!
//! Nothing personal: queues, kiosks and device names only.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::engine::{Event, State, Ts};

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    pub queue: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeviceLabel {
    pub kiosk: String,
    pub device: String,
}

/// The service's own counters. Cheap to clone (each metric is shared).
#[derive(Clone)]
pub struct Metrics {
    issued: Family<QueueLabel, Counter>,
    called: Family<QueueLabel, Counter>,
    device_faults: Family<DeviceLabel, Counter>,
    append_seconds: Histogram,
    append_failures: Counter,
    streams: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            issued: Family::default(),
            called: Family::default(),
            device_faults: Family::default(),
            // 100 µs … ~3.3 s: an fsync on a good SSD is well under a millisecond, on an SD
            // card tens of milliseconds.
            append_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            append_failures: Counter::default(),
            streams: Gauge::default(),
        }
    }
}

impl Metrics {
    /// One batch appended to the event log (one transaction, one fsync) in `seconds`.
    pub fn observe_append(&self, seconds: f64) {
        self.append_seconds.observe(seconds);
    }

    pub fn append_failed(&self) {
        self.append_failures.inc();
    }

    /// Counts what a committed event means for the counters; `state` is the state after it
    /// (to find a called ticket's queue).
    pub fn count(&self, state: &State, event: &Event) {
        match event {
            Event::TicketIssued { ticket } => {
                self.issued.get_or_create(&QueueLabel { queue: ticket.queue.clone() }).inc();
            }
            Event::TicketCalled { ticket, .. } => {
                let queue = state.tickets.get(ticket).map(|t| t.queue.clone()).unwrap_or_default();
                self.called.get_or_create(&QueueLabel { queue }).inc();
            }
            Event::DeviceStatusChanged { kiosk, device, fault: Some(_) } => {
                self.device_faults.get_or_create(&DeviceLabel { kiosk: kiosk.clone(), device: device.clone() }).inc();
            }
            _ => {}
        }
    }

    /// The open event streams gauge (every listener's streams together).
    pub fn streams(&self) -> Gauge {
        self.streams.clone()
    }

    /// The exposition: these counters plus gauges read from `state` at `now`.
    pub fn render(&self, state: &State, queues: &[String], last_seq: u64, now: Ts) -> String {
        let mut r = Registry::with_prefix("hallq");
        r.register("tickets_issued", "Tickets issued since the service started, by queue", self.issued.clone());
        r.register("tickets_called", "Tickets called (not recalls) since the service started, by queue", self.called.clone());
        r.register("device_faults", "Faults reported by kiosks' devices since the service started", self.device_faults.clone());
        r.register(
            "event_log_append_seconds",
            "Time to append one batch of events to the event log (one transaction, one fsync)",
            self.append_seconds.clone(),
        );
        r.register("event_log_append_failures", "Appends to the event log that failed", self.append_failures.clone());
        r.register("stream_clients", "Open event streams (WebSocket)", self.streams.clone());

        let waiting = Family::<QueueLabel, Gauge>::default();
        let longest = Family::<QueueLabel, Gauge<f64, AtomicU64>>::default();
        for q in queues {
            let label = QueueLabel { queue: q.clone() };
            // Every queue is in the counters from the start (at 0), so rates need no gaps.
            let _ = self.issued.get_or_create(&label);
            let _ = self.called.get_or_create(&label);
            let ids = state.waiting.get(q);
            waiting.get_or_create(&label).set(ids.map_or(0, |w| w.len()) as i64);
            let oldest = ids.into_iter().flatten().filter_map(|id| state.tickets.get(id)).map(|t| t.wait_since).min();
            let secs = oldest.map_or(0.0, |since| (now - since).num_milliseconds().max(0) as f64 / 1000.0);
            longest.get_or_create(&label).set(secs);
        }
        r.register("queue_waiting", "Tickets waiting, by queue", waiting);
        r.register("queue_longest_wait_seconds", "How long the ticket waiting longest has waited, by queue", longest);

        let faulty = Family::<DeviceLabel, Gauge>::default();
        for (key, fault) in &state.devices {
            let (kiosk, device) = key.split_once('/').unwrap_or((key.as_str(), ""));
            faulty.get_or_create(&DeviceLabel { kiosk: kiosk.into(), device: device.into() }).set(i64::from(fault.is_some()));
        }
        r.register("device_in_fault", "1 while a kiosk's device reports a fault, 0 when it works", faulty);
        let seq = Gauge::<i64>::default();
        seq.set(last_seq as i64);
        r.register("event_log_seq", "Sequence number of the newest event in the log", seq);

        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &r).expect("writing to a String does not fail");
        out
    }
}
