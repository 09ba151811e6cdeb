//! Load benchmark: 231 windows calling at a busy hall's rate while 300 display clients
//! follow the event stream. Prints p50/p99 call-to-display latency (from the call request
//! to the event arriving on a display's socket) and the service's CPU and memory, with the
//! service as a separate `hallq serve` process. Run with `cargo bench --bench calls`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallq_proto::{ClientError, EventView, FeedItem, HallClient, IssueTicket, WindowAction, WindowCommand, WindowNo};

const WINDOWS: u32 = 231;
const DISPLAYS: usize = 300;
const RUN: Duration = Duration::from_secs(30);

/// The demo hall with 231 windows (205 more comprehensive ones on floors 3 and 4) and
/// 26 queues of 999 numbers, so there is always someone to call.
fn config_text() -> String {
    let mut text = hallq::config::DEFAULT_TOML.replace("daily_cap = 600", "daily_cap = 999").replace("daily_cap = 300", "daily_cap = 999");
    for n in 27..=WINDOWS {
        text.push_str(&format!(
            "\n[[windows]]\nnumber = {n}\nname = \"综合窗口\"\nkind = \"comprehensive\"\nfloor = {}\nqueues = []\n",
            3 + n % 2
        ));
    }
    text
}

fn proc_stat(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (ticks / 100.0, rss_kb)
}

fn pct(v: &[Duration], p: f64) -> f64 {
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, config_text()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hallq"))
        .args(["serve", "--demo", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", "2026-11-27T09:00:00+08:00"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let child = KillOnDrop(child);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (latencies, calls, elapsed, cpu, rss) = rt.block_on(async {
        let manager = HallClient::new(&format!("http://127.0.0.1:{port}"), "demo-manager");
        while manager.health().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // People waiting: 8000 tickets over the demo's items that need no ID card.
        let items = [
            "linshi-sfz",
            "sfz-buling",
            "fapiao-lingqu",
            "shui-kaihu",
            "ranqi-guohu",
            "qiye-kaiban",
            "gjj-jiaocun",
            "danwei-shebao-dengji",
            "geshui-huisuan",
        ];
        let mut issuing = Vec::new();
        for c in 0..16 {
            let hall = manager.clone();
            issuing.push(tokio::spawn(async move {
                for i in (c..6000).step_by(16) {
                    let req = IssueTicket {
                        request_id: format!("l{i}").into(),
                        service: items[i % items.len()].into(),
                        identity: None,
                        priority: Default::default(),
                        appointment_slot: None,
                    };
                    let _ = hall.issue(&req).await;
                }
            }));
        }
        for t in issuing {
            t.await.unwrap();
        }
        // 300 displays follow the stream.
        let sent: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
        let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let mut displays = Vec::new();
        for _ in 0..DISPLAYS {
            let mut feed = manager.with_token("demo-display").events(None);
            // Connected before the calls start.
            assert!(matches!(feed.next().await, Some(FeedItem::Connected { .. })));
            let (sent, latencies) = (sent.clone(), latencies.clone());
            displays.push(tokio::spawn(async move {
                while let Some(item) = feed.next().await {
                    if let FeedItem::Event { event, .. } = item {
                        if let EventView::TicketCalled { window, .. } = event.event {
                            if let Some(at) = sent.lock().unwrap().get(&window.get()) {
                                latencies.lock().unwrap().push(at.elapsed());
                            }
                        }
                    }
                }
            }));
        }
        let (cpu0, _) = proc_stat(pid);
        let start = Instant::now();
        // Each window calls about every 10 s (a busy hall: 23 calls a second in all),
        // finishing the previous visitor as it does.
        let calls = Arc::new(Mutex::new(0u64));
        let mut windows = Vec::new();
        for w in 1..=WINDOWS {
            let (hall, sent, calls) = (manager.clone(), sent.clone(), calls.clone());
            windows.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(w as u64 * 10_000 / WINDOWS as u64)).await;
                while start.elapsed() < RUN {
                    sent.lock().unwrap().insert(w, Instant::now());
                    match hall.window_action(WindowNo(w), WindowAction::CallNext, &WindowCommand::default()).await {
                        Ok(_) => *calls.lock().unwrap() += 1,
                        // A window whose queues are empty (no one took those items) stays idle.
                        Err(ClientError::Refused { code: hallq_proto::ErrorCode::NothingWaiting, .. }) => {
                            sent.lock().unwrap().remove(&w);
                        }
                        Err(e) => panic!("call-next at window {w}: {e}"),
                    }
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            }));
        }
        for w in windows {
            w.await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let elapsed = start.elapsed();
        let (cpu1, rss) = proc_stat(pid);
        for d in displays {
            d.abort();
        }
        let mut l = latencies.lock().unwrap().clone();
        l.sort();
        let calls = *calls.lock().unwrap();
        (l, calls, elapsed, cpu1 - cpu0, rss)
    });
    drop(child);
    println!("call benchmark: {WINDOWS} windows, {DISPLAYS} display clients on the event stream, hallq serve as its own process");
    println!("  calls made              : {calls} in {:.1} s ({:.1} calls/s)", elapsed.as_secs_f64(), calls as f64 / elapsed.as_secs_f64());
    println!("  deliveries measured     : {} (calls x displays)", latencies.len());
    println!("  call-to-display p50     : {:.2} ms", pct(&latencies, 0.50));
    println!("  call-to-display p99     : {:.2} ms", pct(&latencies, 0.99));
    println!("  service CPU             : {:.1}% of one core ({:.2} s over the run)", cpu / elapsed.as_secs_f64() * 100.0, cpu);
    println!("  service resident memory : {:.1} MB", rss as f64 / 1024.0);
}
