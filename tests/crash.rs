//! Crash safety: a child `hallq serve` is killed with SIGKILL again and again while
//! clients issue and call. After every restart each acknowledged ticket is there, numbers
//! are unique, requests whose answer was lost get exactly one ticket on retry, and the
//! hash chain verifies.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use hallq_proto::{ClientError, HallClient, TicketId, WindowAction, WindowCommand, WindowNo};

#[derive(Default)]
struct Ledger {
    /// request_id -> ticket id, for every answer a client received.
    acknowledged: BTreeMap<String, String>,
    /// Requests sent whose answer never came (the service died meanwhile).
    in_doubt: BTreeSet<String>,
}

const ITEMS: &[&str] =
    &["linshi-sfz", "sfz-buling", "fapiao-lingqu", "shui-kaihu", "danwei-shebao-dengji", "gjj-jiaocun", "geshui-huisuan"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_service_loses_no_acknowledged_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    // Caps high enough for the load below (numbers still have three digits).
    let text: String = hallq::config::DEFAULT_TOML
        .lines()
        .map(|l| if l.starts_with("daily_cap = ") { "daily_cap = 999" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, text).unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let server = format!("http://127.0.0.1:{port}");
    let manager = HallClient::with_timeout(&server, "demo-manager", Duration::from_secs(5));
    let kiosk1 = manager.with_token("demo-kiosk-1");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut next_request = 0u64;

    for round in 0..6 {
        let mut child = spawn_serve(&config, &data, port);
        wait_healthy(&base).await;

        // Everything acknowledged before the crash is there.
        let acknowledged = ledger.lock().unwrap().acknowledged.clone();
        for (req, id) in &acknowledged {
            let r = manager.ticket(&TicketId::new(id.as_str())).await;
            assert!(r.is_ok(), "round {round}: acknowledged ticket {id} ({req}) is gone: {r:?}");
        }
        // Requests whose answer was lost get exactly one ticket when retried.
        let doubtful: Vec<String> = std::mem::take(&mut ledger.lock().unwrap().in_doubt).into_iter().collect();
        for (i, req) in doubtful.iter().enumerate() {
            let t = kiosk1.issue(&issue_req(req, ITEMS[i % ITEMS.len()])).await.unwrap_or_else(|e| panic!("retry of {req}: {e}"));
            ledger.lock().unwrap().acknowledged.insert(req.clone(), t.ticket.id.to_string());
        }

        // Clients issue and counters call until the kill.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut clients = Vec::new();
        for c in 0..6 {
            let (kiosk, counter, ledger, stop) =
                (manager.with_token("demo-manager"), manager.with_token("demo-counter-1-6"), ledger.clone(), stop.clone());
            let first = next_request + c * 10_000;
            clients.push(tokio::spawn(async move {
                let mut n = first;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let req = format!("round{round}-c{c}-{n}");
                    ledger.lock().unwrap().in_doubt.insert(req.clone());
                    match kiosk.issue(&issue_req(&req, ITEMS[n as usize % ITEMS.len()])).await {
                        Ok(t) => {
                            let mut l = ledger.lock().unwrap();
                            l.in_doubt.remove(&req);
                            l.acknowledged.insert(req, t.ticket.id.to_string());
                        }
                        // The service is gone (or its answer was cut off): the request stays in doubt.
                        Err(ClientError::Unreachable(_) | ClientError::Protocol(_)) => break,
                        Err(e) => panic!("unexpected answer: {e:?}"),
                    }
                    if c == 0 {
                        let _ = counter.window_action(WindowNo(4), WindowAction::CallNext, &WindowCommand::default()).await;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }));
        }
        next_request += 100_000;
        tokio::time::sleep(Duration::from_millis(300 + 150 * round)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in clients {
            c.await.unwrap();
        }
        let l = ledger.lock().unwrap();
        assert!(!l.acknowledged.is_empty(), "round {round}: no ticket was issued before the kill");
    }

    // A final start: every acknowledged ticket, unique numbers, an intact chain.
    let mut child = spawn_serve(&config, &data, port);
    wait_healthy(&base).await;
    let acknowledged = ledger.lock().unwrap().acknowledged.clone();
    let mut numbers = BTreeSet::new();
    for id in acknowledged.values() {
        let t = manager.ticket(&TicketId::new(id.as_str())).await.unwrap_or_else(|e| panic!("ticket {id} lost: {e}"));
        numbers.insert(t.number.to_string());
    }
    let ids: BTreeSet<&String> = acknowledged.values().collect();
    assert_eq!(ids.len(), acknowledged.len(), "two requests share a ticket");
    assert_eq!(numbers.len(), ids.len(), "a number was issued twice");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = Command::new(BIN).args(["log", "verify", "--data"]).arg(&data).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("chain intact"), "{text}");
    eprintln!("{} tickets acknowledged over 6 kills; {text}", ids.len());
}
