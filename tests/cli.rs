//! The `hallq` command line as an installer and a newcomer use it: printing and checking
//! the configuration, verifying the log, and running the demo hall.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hallq");

/// Runs hallq and gives its success, stdout and stderr. A run that takes longer than
/// `deadline` is killed with everything it started (it runs in its own process group) and
/// fails the test, so no test can hang on it.
fn run_within(deadline: Duration, args: &[&str]) -> (bool, String, String) {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run hallq");
    let pipe = |mut r: Box<dyn Read + Send>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
        rx
    };
    let out = pipe(Box::new(child.stdout.take().expect("piped")));
    let err = pipe(Box::new(child.stderr.take().expect("piped")));
    let until = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for hallq") {
            break Some(status);
        }
        if Instant::now() >= until {
            // The whole group: hallq and anything it started that may hold the pipes.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // A process hallq started and left running could keep the pipes open: read what came
    // within a few seconds.
    let read = |rx: std::sync::mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| "(still open)".into());
    let (out, err) = (read(out), read(err));
    let Some(status) = status else {
        panic!("hallq {} did not finish within {deadline:?} and was killed\nstdout:\n{out}\nstderr:\n{err}", args.join(" "));
    };
    (status.success(), out, err)
}

/// The demos of these tests run one at a time: two at once on a small machine leave each
/// too little of it, and fewer visitors than their tests count on.
fn one_demo_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static DEMOS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DEMOS.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(args: &[&str]) -> (bool, String, String) {
    run_within(Duration::from_secs(60), args)
}

#[test]
fn config_default_prints_a_file_that_checks() {
    let (ok, text, _) = run(&["config", "default"]);
    assert!(ok);
    assert!(text.contains("[[services]]") && text.contains("示例县市民之家"));
    // With its tokens and staff replaced by a hall's own, it checks.
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own.toml");
    let mut own_text = text.replace("token = \"demo-", "token = \"own-hall-");
    own_text.truncate(own_text.find("[[staff]]").unwrap());
    std::fs::write(&own, &own_text).unwrap();
    let (ok, out, err) = run(&["config", "check", own.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("OK — 10 departments, 9 queues, 45 service items, 26 windows"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    std::fs::write(&file, &text).unwrap();
    // It is a valid configuration, but its tokens and staff are published: check fails.
    let (ok, out, err) = run(&["config", "check", file.to_str().unwrap()]);
    assert!(!ok && !out.contains("OK"), "{out}");
    assert!(err.contains("token \"demo-kiosk-1\"") && err.contains("published demo token"), "demo tokens should fail the check: {err}");
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
    let _one = one_demo_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // 10 s at 240 times real time: 40 simulated minutes, about 120 visitors when the machine
    // is idle. Under a full test run on two cores the demo's start (its headless kiosk, the
    // ticket renderer) has taken most of a shorter run: once only 5 tickets came in 6 s.
    let (ok, out, err) = run(&["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--speed", "240", "--run-for", "10"]);
    assert!(ok, "{out}\n{err}");
    // The closing summary shows tickets taken and calls made in the simulated morning.
    let summary = out.lines().rfind(|l| l.contains("已取号")).expect("a summary line");
    let issued: u32 = summary.split("已取号 ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(issued >= 10, "too few tickets in the demo: {summary}");
    assert!(out.contains("请") && out.contains("号窗口办理"), "no call shown: {out}");
    assert!(out.contains("event log: chain intact"), "{out}");
    let (ok, verify, _) = run(&["log", "verify", "--data", data.to_str().unwrap()]);
    assert!(ok && verify.contains("chain intact"), "{verify}");
}

#[test]
fn log_verify_names_the_first_broken_event() {
    let _one = one_demo_at_a_time();
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

/// Issue 11: a day's digest is filed, and `verify --digest` holds the log to it: a row of
/// that day edited in the database afterwards fails the check, naming the day.
#[test]
fn log_digest_is_filed_and_a_tampered_day_fails_verify() {
    let _one = one_demo_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (ok, _, err) = run(&["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--speed", "240", "--run-for", "3"]);
    assert!(ok, "{err}");
    let data_s = data.to_str().unwrap();
    let (ok, all, err) = run(&["log", "digest", "--data", data_s]);
    assert!(ok, "{err}");
    let first: serde_json::Value = serde_json::from_str(all.lines().next().unwrap()).unwrap();
    let date = first["date"].as_str().unwrap().to_string();
    assert_eq!(first["format"], "hallq-digest/1");
    assert!(first["tickets_issued"].as_u64().unwrap() > 0 && first["calls"].as_u64().unwrap() > 0, "{first}");
    assert_eq!(first["last_hash"].as_str().unwrap().len(), 64);
    // One day by its date: the same line.
    let (ok, one, _) = run(&["log", "digest", "--date", &date, "--data", data_s]);
    assert!(ok);
    assert_eq!(one.trim(), all.lines().next().unwrap());
    let (ok, _, err) = run(&["log", "digest", "--date", "2001-01-01", "--data", data_s]);
    assert!(!ok && err.contains("no day 2001-01-01"), "{err}");
    // Kept in the data directory as well (for the console's supervision page), appended.
    for _ in 0..2 {
        let (ok, kept, err) = run(&["log", "digest", "--date", &date, "--data", data_s, "--keep"]);
        assert!(ok && kept == one, "{err}");
    }
    assert_eq!(std::fs::read_to_string(data.join("digests.jsonl")).unwrap(), one.repeat(2));
    let (ok, _, _) = run(&["log", "digest", "--db", data.join("hallq.db").to_str().unwrap(), "--keep"]);
    assert!(!ok, "--keep needs --data");

    let filed = dir.path().join("digests.jsonl");
    std::fs::write(&filed, &all).unwrap();
    let (ok, out, err) = run(&["log", "verify", "--data", data_s, "--digest", filed.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("{date}: matches the filed digest")), "{out}");

    // A call of that day rewritten in the database.
    let db = data.join("hallq.db");
    let seq: u64 = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let seq = conn.query_row("SELECT MIN(seq) FROM events WHERE kind = 'ticket_called'", [], |r| r.get(0)).unwrap();
        conn.execute("UPDATE events SET body = replace(body, '\"window\":', '\"window\": ') WHERE seq = ?1", [seq]).unwrap();
        seq
    };
    let (ok, out, _) = run(&["log", "verify", "--data", data_s, "--digest", filed.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("chain BROKEN at event {seq}")), "{out}");
    assert!(out.contains(&format!("{date}: DOES NOT MATCH the filed digest: event {seq} of this day")), "{out}");
}

/// Issue 9: the demo runs a whole simulated day, with its headless kiosk's visitors and the
/// booking and approval systems' appointments and results for them, through the evening
/// and the skipped night into the next morning, without a panic or a refusal.
#[test]
fn the_demo_runs_a_whole_day_with_its_kiosk_visitors() {
    let _one = one_demo_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // 2400 times real time: 20 s are 13 simulated hours, from 08:58 past closing (18:00),
    // when the demo skips the night, into the next morning.
    let args = ["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--speed", "2400", "--run-for", "20"];
    let (ok, out, err) = run_within(Duration::from_secs(50), &args);
    assert!(ok, "{out}\n{err}");
    assert!(!err.contains("panicked"), "the demo panicked:\n{err}");
    // The booking and approval systems' requests were all taken.
    assert!(!err.contains("demo:"), "the demo's outside systems were refused or could not send:\n{err}");
    let start = out
        .lines()
        .find_map(|l| l.split("simulated day starting ").nth(1))
        .and_then(|s| chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
        .unwrap_or_else(|| panic!("no start of the simulated day: {out}"));
    let summary = out.lines().rfind(|l| l.contains("已取号")).expect("a summary line");
    let at = summary.split("模拟时间 ").nth(1).and_then(|s| s.get(..16)).unwrap_or_else(|| panic!("no simulated time: {summary}"));
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{at}: {e}"));
    assert!(at.date() > start, "the demo did not reach the next day (started {start}): {summary}");
    // The log holds both days, the appointments of the booking system and the visitors
    // the counters served; the documents hold the approval system's results.
    let log = rusqlite::Connection::open(data.join("hallq.db")).unwrap();
    let count = |kind: &str| -> u32 { log.query_row("SELECT COUNT(*) FROM events WHERE kind = ?1", [kind], |r| r.get(0)).unwrap() };
    assert!(count("day_opened") >= 2, "one day only: {summary}");
    #[cfg(feature = "ui")]
    assert_eq!(count("appointment_booked"), 100, "the booking system books one appointment for every fourth of 400 kiosk visitors");
    let (issued, finished) = (count("ticket_issued"), count("ticket_finished"));
    assert!(issued >= 20 && finished >= 10, "too little happened in a whole demo day: {issued} tickets issued, {finished} finished");
    #[cfg(feature = "ui")]
    {
        // The booking and approval systems serve the kiosk's visitors: with the kiosk only.
        let documents = rusqlite::Connection::open(data.join("documents.db")).unwrap();
        let results: u32 = documents.query_row("SELECT COUNT(*) FROM results", [], |r| r.get(0)).unwrap();
        assert_eq!(results, 100, "the approval system delivers a result for every fourth of 400 kiosk visitors");
    }
    assert!(out.contains("event log: chain intact"), "{out}");
    // The headless kiosk (built with the Slint UI) ran and drew its screens.
    #[cfg(feature = "ui")]
    {
        let screens = std::fs::read_dir(data.join("kiosk"))
            .map(|d| d.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().starts_with("kiosk-")).count())
            .unwrap_or(0);
        assert!(screens >= 2, "the demo kiosk drew {screens} screens\n{out}\n{err}");
    }
    let (ok, verify, _) = run_within(Duration::from_secs(10), &["log", "verify", "--data", data.to_str().unwrap()]);
    assert!(ok && verify.contains("chain intact"), "{verify}");
}

/// The deadline of these tests' runs: a hallq that does not finish is killed.
#[test]
#[should_panic(expected = "did not finish within 2s and was killed")]
fn a_run_past_its_deadline_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let data = dir.path().join("data");
    // The service runs until it is stopped.
    run_within(
        Duration::from_secs(2),
        &["serve", "--demo", "--config", config.to_str().unwrap(), "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"],
    );
}
