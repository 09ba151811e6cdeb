//! `hallq doctor` as an installer runs it, against a running `hallq serve`: one line per
//! check with OK, WARN or FAIL and what to do, a summary, and a non-zero exit on a FAIL.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct Run {
    ok: bool,
    out: String,
    took: Duration,
}

impl Run {
    /// The line of one check (the first, when a check has several).
    fn line(&self, check: &str) -> &str {
        self.out.lines().find(|l| l.split_whitespace().nth(1) == Some(check)).unwrap_or_else(|| panic!("no {check} line in:\n{}", self.out))
    }

    fn level(&self, check: &str) -> &str {
        self.line(check).split_whitespace().next().unwrap()
    }

    fn fails(&self) -> usize {
        self.out.lines().filter(|l| l.starts_with("FAIL")).count()
    }
}

fn doctor(args: &[&str]) -> Run {
    let started = Instant::now();
    let out = Command::new(BIN).arg("doctor").args(args).output().expect("run hallq doctor");
    let run = Run {
        ok: out.status.success(),
        out: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        took: started.elapsed(),
    };
    // Every line is a finding or the summary; the exit status follows the FAILs.
    for l in run.out.lines() {
        assert!(["OK ", "WARN", "FAIL"].iter().any(|p| l.starts_with(p)) || l.contains(" checks: "), "unexpected line {l:?}");
    }
    let summary = run.out.lines().next_back().unwrap_or("");
    assert!(summary.contains(&format!("{} failed", run.fails())), "{summary}");
    assert_eq!(run.ok, run.fails() == 0, "{}", run.out);
    run
}

/// The demo configuration with the hall's own tokens and no demo staff.
fn own_config() -> String {
    let mut text = hallq::config::DEFAULT_TOML.replace("token = \"demo-", "token = \"hall-own-");
    text.truncate(text.find("[[staff]]").expect("the default ends with its staff"));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_server_is_checked_and_a_missing_hall_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, own, data) = (dir.path().join("demo.toml"), dir.path().join("hall.toml"), dir.path().join("data"));
    std::fs::write(&demo, hallq::config::DEFAULT_TOML).unwrap();
    std::fs::write(&own, own_config()).unwrap();
    let port = free_port();
    let mut serve = spawn_serve(&demo, &data, port);
    let url = format!("http://127.0.0.1:{port}");
    wait_healthy(&format!("{url}/api/v1")).await;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();

    let args = |config: &std::path::Path, hall: &str| {
        vec![
            "--role".to_string(),
            "server".into(),
            "--hall".into(),
            hall.into(),
            "--data".into(),
            data.display().to_string(),
            "--config".into(),
            config.display().to_string(),
        ]
    };
    let a = args(&own, &url);
    let good = tokio::task::spawn_blocking(move || doctor(&a.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap();
    assert_eq!(good.level("config"), "OK", "{}", good.out);
    assert_eq!(good.level("data"), "OK", "{}", good.out);
    assert!(good.line("data").contains("700") && good.line("data").contains("events in the log"), "{}", good.out);
    assert_ne!(good.level("disk"), "FAIL", "{}", good.out);
    assert_eq!(good.level("hall"), "OK", "{}", good.out);
    assert_eq!(good.level("ready"), "OK", "{}", good.out);
    assert!(["OK", "WARN"].contains(&good.level("time")), "{}", good.out);
    assert!(good.ok, "{}", good.out);

    // The demo configuration and a hall that does not answer: FAILs that say what to do,
    // within the doctor's deadlines.
    let a = args(&demo, &format!("http://127.0.0.1:{}", free_port()));
    let bad = tokio::task::spawn_blocking(move || doctor(&a.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap();
    assert!(!bad.ok);
    assert_eq!(bad.level("config"), "FAIL");
    assert!(bad.line("config").contains("demo tokens"), "{}", bad.out);
    assert_eq!(bad.level("hall"), "FAIL");
    assert!(bad.line("hall").contains("does not answer"), "{}", bad.out);
    assert!(bad.took < Duration::from_secs(30), "took {:?}", bad.took);

    // A data directory others may read is a warning; one that is missing fails.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = data.display().to_string();
    let o = own.display().to_string();
    let open = tokio::task::spawn_blocking(move || doctor(&["--role", "server", "--data", &d, "--config", &o])).await.unwrap();
    assert_eq!(open.level("data"), "WARN");
    assert!(open.line("data").contains("chmod 700"), "{}", open.out);
    let missing = dir.path().join("nothing-here").display().to_string();
    let o = own.display().to_string();
    let gone = tokio::task::spawn_blocking(move || doctor(&["--role", "server", "--data", &missing, "--config", &o])).await.unwrap();
    assert_eq!(gone.level("data"), "FAIL");

    let _ = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status();
    let _ = serve.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_and_a_display_box_get_every_check_and_a_bad_ca_fails() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.toml");
    std::fs::write(&demo, hallq::config::DEFAULT_TOML).unwrap();
    let port = free_port();
    let mut serve = spawn_serve(&demo, &dir.path().join("data"), port);
    let url = format!("http://127.0.0.1:{port}");
    wait_healthy(&format!("{url}/api/v1")).await;

    let u = url.clone();
    let kiosk = tokio::task::spawn_blocking(move || doctor(&["--role", "kiosk", "--hall", &u])).await.unwrap();
    // Whatever this machine has, each check of a kiosk is reported (the screen and devices
    // depend on the hardware; the hall answers).
    for check in ["time", "fonts", "devices", "cups", "sane", "screen", "touch", "hall", "ready"] {
        kiosk.line(check);
    }
    assert_eq!(kiosk.level("hall"), "OK", "{}", kiosk.out);
    if kiosk.level("fonts") == "FAIL" {
        assert!(kiosk.line("fonts").contains("fonts-noto-cjk"), "{}", kiosk.out);
    }
    if kiosk.level("screen") == "FAIL" {
        assert!(kiosk.line("screen").contains("/dev/dri"), "{}", kiosk.out);
    }
    assert!(kiosk.took < Duration::from_secs(60), "took {:?}", kiosk.took);

    let u = url.clone();
    let display = tokio::task::spawn_blocking(move || doctor(&["--role", "display", "--hall", &u])).await.unwrap();
    for check in ["time", "fonts", "screen", "touch", "hall", "ready"] {
        display.line(check);
    }
    assert!(!display.out.lines().any(|l| l.split_whitespace().nth(1) == Some("sane")), "a display box has no scanner");

    // A CA file that is not a certificate: FAIL, with the file named.
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let c = ca.display().to_string();
    let bad = tokio::task::spawn_blocking(move || doctor(&["--role", "display", "--hall", &url, "--ca", &c])).await.unwrap();
    assert_eq!(bad.level("tls"), "FAIL", "{}", bad.out);
    assert!(bad.line("tls").contains("ca.pem"), "{}", bad.out);
    assert!(!bad.ok);

    let _ = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status();
    let _ = serve.wait();
}
