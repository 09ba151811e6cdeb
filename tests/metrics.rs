//! The monitoring's view: `/metrics` scraped and parsed as Prometheus reads it (OpenMetrics
//! text), its figures following what the hall does; who may read it; `/health` and `/ready`.

mod common;

use std::collections::HashMap;

use common::*;
use hallq_proto::{ErrorCode, WindowAction, WindowCommand, WindowNo};

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses the text exposition strictly enough to catch a malformed line: every line is a
/// `# TYPE/HELP/UNIT` comment, `# EOF` (last), or a sample whose family was typed before.
fn parse(text: &str) -> (HashMap<String, String>, Vec<Sample>) {
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "the exposition ends with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap(), parts.next().expect("a metric name"));
            assert!(matches!(kind, "TYPE" | "HELP" | "UNIT"), "{line}");
            if kind == "TYPE" {
                types.insert(name.to_string(), parts.next().expect("a type").to_string());
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value {v:?} in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let labels = body
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("label {p:?} in {line}"));
                        (k.to_string(), v.trim_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), HashMap::new()),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        let family = types.keys().filter(|f| name.starts_with(f.as_str())).max_by_key(|f| f.len());
        assert!(family.is_some(), "sample {name} has no # TYPE before it");
        samples.push(Sample { name, labels, value });
    }
    (types, samples)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples.iter().find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))).map(|s| s.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_the_hall_and_parse() {
    within(120, "metrics", async {
        let h = TestHall::start().await;
        let monitor = h.client("demo-metrics");
        let (kiosk, counter) = (h.client("demo-kiosk-1"), h.client("demo-counter-1-6"));

        let (types, before) = parse(&monitor.metrics().await.unwrap());
        assert_eq!(types.get("hallq_tickets_issued").map(String::as_str), Some("counter"));
        assert_eq!(types.get("hallq_queue_waiting").map(String::as_str), Some("gauge"));
        assert_eq!(types.get("hallq_event_log_append_seconds").map(String::as_str), Some("histogram"));
        assert_eq!(types.get("hallq_stream_clients").map(String::as_str), Some("gauge"));
        let queue = h.hall.config().services.iter().find(|s| s.id == "linshi-sfz").unwrap().queue.clone();
        assert_eq!(value(&before, "hallq_queue_waiting", &[("queue", &queue)]), Some(0.0));
        assert_eq!(value(&before, "hallq_tickets_issued_total", &[("queue", &queue)]), Some(0.0));

        // Three tickets, a window opens and calls one, a device fails, a stream connects.
        for i in 0..3 {
            kiosk.issue(&issue_req(&format!("m-{i}"), "linshi-sfz")).await.unwrap();
        }
        h.advance(chrono::Duration::minutes(10));
        let window = h.hall.config().windows.iter().find(|w| h.hall.config().window_serves(w, &queue) && w.number <= 6).unwrap().number;
        counter.window_action(WindowNo(window), WindowAction::CallNext, &WindowCommand::default()).await.unwrap();
        kiosk.device_status("ticket-printer", Some("paper out")).await.unwrap();
        let mut feed = h.client("demo-display").events(Some(0));
        // The stream is open once its first event arrives.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next()).await.expect("the display's stream");

        let text = h.client("demo-manager").metrics().await.unwrap();
        let (_, after) = parse(&text);
        assert_eq!(value(&after, "hallq_tickets_issued_total", &[("queue", &queue)]), Some(3.0), "{text}");
        assert_eq!(value(&after, "hallq_tickets_called_total", &[("queue", &queue)]), Some(1.0), "{text}");
        assert_eq!(value(&after, "hallq_queue_waiting", &[("queue", &queue)]), Some(2.0), "{text}");
        let longest = value(&after, "hallq_queue_longest_wait_seconds", &[("queue", &queue)]).unwrap();
        assert!((600.0..700.0).contains(&longest), "longest wait {longest} s after 10 minutes");
        assert_eq!(value(&after, "hallq_device_faults_total", &[("kiosk", "kiosk-1"), ("device", "ticket-printer")]), Some(1.0));
        assert_eq!(value(&after, "hallq_device_in_fault", &[("kiosk", "kiosk-1"), ("device", "ticket-printer")]), Some(1.0));
        assert!(value(&after, "hallq_stream_clients", &[]).unwrap() >= 1.0, "{text}");
        assert_eq!(value(&after, "hallq_event_log_seq", &[]), Some(h.hall.last_seq() as f64));
        // Every committed batch was timed, and every one falls in a bucket.
        let appends = value(&after, "hallq_event_log_append_seconds_count", &[]).unwrap();
        assert!(appends >= 5.0, "{appends} appends timed (three issues, a call, a device report)");
        assert_eq!(value(&after, "hallq_event_log_append_seconds_bucket", &[("le", "+Inf")]), Some(appends));
        assert!(value(&after, "hallq_event_log_append_seconds_sum", &[]).unwrap() > 0.0);
        // Nothing personal, no tokens.
        assert!(!text.contains("demo-") && !text.contains("holder"), "{text}");
        drop(feed);
        h.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_monitoring_and_managers_read_metrics_and_anyone_asks_if_it_is_up() {
    within(60, "metrics access", async {
        let h = TestHall::start().await;
        for token in ["demo-metrics", "demo-manager"] {
            assert!(h.client(token).metrics().await.is_ok(), "{token}");
        }
        for token in ["demo-kiosk-1", "demo-counter-1-6", "demo-display", "demo-system", "demo-rating-1"] {
            assert_eq!(refusal(h.client(token).metrics().await), (403, ErrorCode::ForbiddenRole), "{token}");
        }
        assert_eq!(refusal(h.client("").metrics().await), (401, ErrorCode::Unauthorized));
        // The monitoring's token reads nothing else.
        let monitor = h.client("demo-metrics");
        assert_eq!(refusal(monitor.state().await), (403, ErrorCode::ForbiddenRole));
        assert_eq!(refusal(monitor.catalog().await), (403, ErrorCode::ForbiddenRole));
        assert_eq!(refusal(monitor.issue(&issue_req("x", "linshi-sfz")).await), (403, ErrorCode::ForbiddenRole));

        // Alive and ready, without a token and without hall data.
        let anon = h.client("");
        assert_eq!(anon.health().await.unwrap().status, "ok");
        assert_eq!(anon.ready().await.unwrap().status, "ready");
        let raw = client().get(h.url("/ready")).send().await.unwrap();
        assert_eq!(raw.status(), 200);
        assert_eq!(raw.text().await.unwrap(), r#"{"status":"ready"}"#);

        // Once the writer has stopped, the service is alive but not ready.
        h.hall.shutdown().await;
        assert_eq!(refusal(anon.ready().await), (503, ErrorCode::NotReady));
        assert_eq!(anon.health().await.unwrap().status, "ok");
    })
    .await
}
