//! The `hallq` command line as an installer and a newcomer use it: printing and checking
//! the configuration, verifying the log, and running the demo hall.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hallq");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run hallq");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn config_default_prints_a_file_that_checks() {
    let (ok, text, _) = run(&["config", "default"]);
    assert!(ok);
    assert!(text.contains("[[services]]") && text.contains("示例县市民之家"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    std::fs::write(&file, &text).unwrap();
    let (ok, out, _) = run(&["config", "check", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("OK — 10 departments, 9 queues, 45 service items, 26 windows"), "{out}");
    assert!(out.contains("warning: token \"demo-kiosk-1\""), "demo tokens should be warned about: {out}");
}

#[test]
fn config_check_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    let text = hallq::config::DEFAULT_TOML.replacen("queues = [\"B\"]", "queues = [\"Q\"]", 1);
    let line = text.lines().position(|l| l.contains("[\"Q\"]")).unwrap() + 1;
    std::fs::write(&file, text).unwrap();
    let (ok, _, err) = run(&["config", "check", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains(&format!("hall.toml:{line}: windows[3].queues[0]: no queue \"Q\" is defined")), "{err}");
    let (ok, _, err) = run(&["config", "check", "/no/such/hall.toml"]);
    assert!(!ok && err.contains("/no/such/hall.toml") && err.contains("cannot read"), "{err}");
}

#[test]
fn the_demo_issues_and_calls_and_leaves_a_verified_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (ok, out, err) = run(&["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--speed", "240", "--run-for", "6"]);
    assert!(ok, "{out}\n{err}");
    // The closing summary shows tickets taken and calls made in the simulated morning.
    let summary = out.lines().filter(|l| l.contains("已取号")).last().expect("a summary line");
    let issued: u32 = summary.split("已取号 ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(issued >= 10, "too few tickets in the demo: {summary}");
    assert!(out.contains("请") && out.contains("号窗口办理"), "no call shown: {out}");
    assert!(out.contains("event log: chain intact"), "{out}");
    let (ok, verify, _) = run(&["log", "verify", "--data", data.to_str().unwrap()]);
    assert!(ok && verify.contains("chain intact"), "{verify}");
}

#[test]
fn log_verify_names_the_first_broken_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (ok, _, err) = run(&["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--speed", "240", "--run-for", "3"]);
    assert!(ok, "{err}");
    let db = data.join("hallq.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE events SET body = replace(body, '\"window\":', '\"window\": ') WHERE seq = (SELECT MIN(seq) FROM events WHERE kind = 'ticket_called')", []).unwrap();
    }
    let first_called: u64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT MIN(seq) FROM events WHERE kind = 'ticket_called'", [], |r| r.get(0))
        .unwrap();
    let (ok, out, _) = run(&["log", "verify", "--db", db.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains(&format!("chain BROKEN at event {first_called}: hash mismatch")), "{out}");
}
