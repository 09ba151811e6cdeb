//! Benchmark: restart time of the hall service with 1 million events in its log (snapshot
//! plus tail replay, as `hallq serve` starts), beside a full replay without snapshots and
//! a full chain verification and a backup (`hallq backup`). Run with `cargo bench --bench
//! restart`.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use hallq::config::Config;
use hallq::engine::{self, Command, IssueRequest, State, WindowAction};
use hallq::store::{self, Store};

const EVENTS: u64 = 1_000_000;

fn main() {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let config = Config::demo();
    let items: Vec<_> = config.services.iter().filter(|s| s.identity != hallq::config::IdentityRule::Required).cloned().collect();
    let windows: Vec<u32> = config.windows.iter().map(|w| w.number).collect();
    let t0 = Instant::now();
    let state = {
        let mut store = Store::open_dir(dir.path()).unwrap();
        let mut state = State::default();
        let mut day = 0i64;
        let mut n = 0u64;
        let mut batch = Vec::new();
        while store.last_seq() + (batch.len() as u64) < EVENTS {
            // A simulated day: tickets issued through the morning, each window calling in turn.
            let base = Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).unwrap() + chrono::Duration::days(day);
            for i in 0..1500u32 {
                let now = base + chrono::Duration::seconds(i as i64 * 10);
                let item = &items[i as usize % items.len()];
                n += 1;
                let issue = Command::Issue(IssueRequest {
                    actor: Default::default(),
                    request_id: format!("r{n}"),
                    service: item.id.clone(),
                    priority: Default::default(),
                    channel: Default::default(),
                    kiosk: Some("kiosk-1".into()),
                    holder: None,
                    appointment_slot: None,
                    token: format!("{n:032x}"),
                });
                let window = windows[i as usize % windows.len()];
                for command in [issue, Command::Window { window, action: WindowAction::CallNext, actor: engine::Actor::token("counter") }] {
                    let (events, _) = engine::execute(&mut state, &config, &command, now);
                    batch.extend(events.into_iter().map(|e| (now, e)));
                }
                if batch.len() >= 5000 {
                    store.append(&batch).unwrap();
                    batch.clear();
                    if store.snapshot_due() {
                        store.snapshot(&state).unwrap();
                    }
                }
            }
            day += 1;
        }
        store.append(&batch).unwrap();
        state
    };
    let db = dir.path().join("hallq.db");
    let size = std::fs::metadata(&db).unwrap().len();
    println!(
        "restart benchmark: built a log of {} events ({:.0} MB) in {:.1} s",
        Store::open(&db).unwrap().last_seq(),
        size as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let store = Store::open(&db).unwrap();
    let restored = store.load_state(&config).unwrap();
    let restart = t.elapsed();
    assert_eq!(restored, state, "restart rebuilt a different state");
    println!("  restart (open + newest snapshot + tail replay): {:.3} s", restart.as_secs_f64());

    let t = Instant::now();
    let clock = std::sync::Arc::new(hallq::service::SimClock::parse("2026-01-01T09:00:00+08:00").unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let hall = hallq::service::Hall::start(config.clone(), dir.path(), clock).unwrap();
        let started = t.elapsed();
        println!("  Hall::start as `hallq serve` does it:            {:.3} s", started.as_secs_f64());
        hall.shutdown().await;
    });

    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("DELETE FROM snapshots", []).unwrap();
    }
    let t = Instant::now();
    let full = Store::open(&db).unwrap().load_state(&config).unwrap();
    println!("  full replay without snapshots (for comparison): {:.3} s", t.elapsed().as_secs_f64());
    assert_eq!(full.date, restored.date);

    let t = Instant::now();
    match store::verify(&db).unwrap() {
        store::Verdict::Intact { events, .. } => {
            println!("  log verify of {events} events:                 {:.3} s", t.elapsed().as_secs_f64())
        }
        v => panic!("{v:?}"),
    }

    let out = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let backup = hallq::backup::backup(dir.path(), &out.path().join("hall.tar")).unwrap();
    println!(
        "  hallq backup (online copy, chain verify, tar):  {:.3} s, {:.0} MB",
        backup.elapsed.as_secs_f64(),
        backup.bytes as f64 / 1e6
    );
}
