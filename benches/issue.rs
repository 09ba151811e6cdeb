//! Benchmark: durable tickets per second and issue latency (p50/p99) with 32 concurrent
//! clients over loopback HTTP, against a real SQLite file, beside this disk's fsync rate
//! measured in the same run. Run with `cargo bench --bench issue`.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hallq::config::{Config, IdentityRule, Queue, Service};
use hallq::service::{Hall, SimClock};

const CLIENTS: usize = 32;
const TICKETS: usize = 20_000;

/// The demo hall widened to 26 queues (A-Z) of 999 numbers, so one simulated day holds
/// the whole run.
fn bench_config() -> Config {
    let mut c = Config::demo();
    let template = c.services.iter().find(|s| s.identity != IdentityRule::Required).cloned().expect("an item without ID");
    for letter in 'A'..='Z' {
        let id = letter.to_string();
        if c.queue(&id).is_none() {
            c.queues.push(Queue {
                id: id.clone(),
                name: format!("队列{id}"),
                name_en: format!("Queue {id}"),
                prefix: id.clone(),
                daily_cap: 999,
                service_minutes: 5,
                waiting_area: None,
                waiting_area_en: None,
                wait_warning_minutes: None,
                wait_critical_minutes: None,
            });
        }
        c.services.push(Service {
            id: format!("bench-{id}"),
            queue: id.clone(),
            daily_cap: 999,
            identity: IdentityRule::None,
            ..template.clone()
        });
    }
    for q in &mut c.queues {
        q.daily_cap = 999;
    }
    c
}

fn fsync_rate(dir: &std::path::Path) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = [0u8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        f.write_all(&block).unwrap();
        f.sync_data().unwrap();
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(path);
    rate
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let fsyncs = fsync_rate(dir.path());
    let (elapsed, mut latencies) = rt.block_on(async {
        let clock = Arc::new(SimClock::parse("2026-11-27T09:30:00+08:00").unwrap());
        let hall = Hall::start(bench_config(), dir.path(), clock).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            tasks.push(tokio::spawn(async move {
                // The manager's token: a kiosk may issue only so many a minute.
                let kiosk = hallq_proto::HallClient::new(&format!("http://{addr}"), "demo-manager");
                let mut lat = Vec::new();
                for i in (c..TICKETS).step_by(CLIENTS) {
                    let letter = (b'A' + (i % 26) as u8) as char;
                    let req = hallq_proto::IssueTicket {
                        request_id: format!("b{i}").into(),
                        service: format!("bench-{letter}").into(),
                        identity: None,
                        priority: Default::default(),
                        appointment_slot: None,
                    };
                    let t = Instant::now();
                    let issued = kiosk.issue(&req).await.unwrap();
                    assert!(!issued.repeated);
                    lat.push(t.elapsed());
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed();
        hall.shutdown().await;
        (elapsed, all)
    });
    latencies.sort();
    println!("issue benchmark: {TICKETS} tickets, {CLIENTS} concurrent clients, loopback HTTP, SQLite WAL synchronous=FULL");
    println!("  durable tickets/s : {:.0}", TICKETS as f64 / elapsed.as_secs_f64());
    println!("  issue latency p50 : {:.2} ms", pct(&latencies, 0.50).as_secs_f64() * 1e3);
    println!("  issue latency p99 : {:.2} ms", pct(&latencies, 0.99).as_secs_f64() * 1e3);
    println!("  disk fsync rate   : {fsyncs:.0} fsync/s (4 KiB write + fdatasync, same directory)");
    println!("  (one commit carries a batch of tickets, so tickets/s can exceed the fsync rate)");
}
