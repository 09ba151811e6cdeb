//! The hall's secrets: the published demo tokens and staff are refused outside `--demo`,
//! tokens may be kept as SHA-256, `GET /config` never shows one in clear (and its text put
//! back keeps them working), and the data files are private to the service's user.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{refusal, within, ChildGuard, BIN, CALL_TIMEOUT, MORNING};
use hallq::config::{redact_tokens, sha256_hex, DEFAULT_TOML};
use hallq_proto::{ErrorCode, HallClient};

const MANAGER: &str = "manager-token-of-this-hall-only";
const KIOSK: &str = "hall-own-kiosk-1";

/// Runs hallq with a deadline past which it is killed with its process group; gives its
/// success and stderr.
fn run_within(deadline: Duration, args: &[&str]) -> (bool, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run hallq");
    let mut stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let until = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for hallq") {
            break status;
        }
        if Instant::now() >= until {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("hallq {} did not finish within {deadline:?} and was killed", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default())
}

/// The demo configuration with the hall's own tokens (the manager's written as SHA-256)
/// and without the demo staff.
fn own_config() -> String {
    let mut text = DEFAULT_TOML
        .replacen("token = \"demo-manager\"", &format!("token_sha256 = \"{}\"", sha256_hex(MANAGER)), 1)
        .replace("token = \"demo-", "token = \"hall-own-");
    text.truncate(text.find("[[staff]]").expect("the default ends with its staff"));
    text
}

#[test]
fn serve_refuses_the_demo_configuration_without_demo() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    let data = dir.path().join("data");
    let (c, d) = (config.to_str().unwrap(), data.to_str().unwrap());
    for text in [DEFAULT_TOML.to_string(), redact_tokens(DEFAULT_TOML).unwrap()] {
        std::fs::write(&config, &text).unwrap();
        let (ok, err) = run_within(Duration::from_secs(30), &["serve", "--config", c, "--data", d, "--listen", "127.0.0.1:0"]);
        assert!(!ok, "{err}");
        assert!(err.contains("refusing to start") && err.contains("--demo") && err.contains("published demo token"), "{err}");
        assert!(err.contains("staff 1001"), "the demo staff are named too: {err}");
        assert!(!data.exists(), "nothing is opened or written before the refusal");
    }
    // One demo token among the hall's own is enough.
    let one = own_config().replacen("token = \"hall-own-display\"", "token = \"demo-display\"", 1);
    std::fs::write(&config, &one).unwrap();
    let line = one.lines().position(|l| l.contains("\"demo-display\"")).unwrap() + 1;
    let (ok, err) = run_within(Duration::from_secs(30), &["serve", "--config", c, "--data", d, "--listen", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains(&format!("hall.toml:{line}: tokens[")) && err.contains("\"demo-display\""), "{err}");
}

#[test]
fn config_check_fails_on_demo_tokens_and_staff() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    let f = file.to_str().unwrap();
    // The hall's own tokens (one as SHA-256), no demo staff: it checks.
    std::fs::write(&file, own_config()).unwrap();
    let (ok, err) = run_within(Duration::from_secs(30), &["config", "check", f]);
    assert!(ok, "{err}");
    // A demo token in clear, or written as its SHA-256, or a demo staff account: it fails.
    let demo_kiosk = own_config().replacen("token = \"hall-own-kiosk-2\"", "token = \"demo-kiosk-2\"", 1);
    let demo_hashed =
        own_config().replacen("token = \"hall-own-kiosk-2\"", &format!("token_sha256 = \"{}\"", sha256_hex("demo-kiosk-2")), 1);
    let staff = &DEFAULT_TOML[DEFAULT_TOML.find("[[staff]]").unwrap()..];
    let demo_staff = own_config() + staff;
    for (text, expect) in [(demo_kiosk, "\"demo-kiosk-2\""), (demo_hashed, "tokens[1].token_sha256"), (demo_staff, "staff 1001")] {
        std::fs::write(&file, &text).unwrap();
        let (ok, err) = run_within(Duration::from_secs(30), &["config", "check", f]);
        assert!(!ok, "{text}");
        assert!(err.contains(expect) && err.contains("demo"), "{err}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sha256_tokens_work_are_never_shown_and_survive_a_put_back_and_files_are_0600() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    let data = dir.path().join("data");
    let text = own_config();
    std::fs::write(&config, &text).unwrap();
    let port = common::free_port();
    // No --demo: this hall has its own secrets.
    let mut child = ChildGuard(
        Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--data")
            .arg(&data)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", MORNING])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hallq serve"),
    );
    let server = format!("http://127.0.0.1:{port}");
    within(60, "hallq serve with the hall's own tokens", async {
        common::wait_healthy(&format!("{server}/api/v1")).await;
        let hall = |token: &str| HallClient::with_timeout(&server, token, CALL_TIMEOUT);
        let (manager, kiosk) = (hall(MANAGER), hall(KIOSK));

        // The manager's token is only in the file as SHA-256, and works.
        let c = manager.config().await.unwrap();
        assert_eq!(c.version, 1);
        let shown = c.toml.expect("the text of version 1");
        // No token appears in clear; each is there as its SHA-256.
        for clear in [MANAGER, KIOSK, "hall-own-counter-1-6", "hall-own-system"] {
            assert!(!shown.contains(clear), "{clear} is shown in clear");
            assert!(shown.contains(&format!("token_sha256 = \"{}\"", sha256_hex(clear))), "{clear}");
        }
        assert!(shown.contains("# Access tokens."), "the comments are kept");
        assert!(kiosk.catalog().await.is_ok());
        assert_eq!(refusal(hall("demo-manager").config().await), (401, ErrorCode::Unauthorized));
        assert_eq!(refusal(hall(&sha256_hex(MANAGER)).config().await), (401, ErrorCode::Unauthorized), "the digest is not the token");

        // The redacted text put back as it is: the same tokens keep working.
        let saved = manager.put_config(&shown, Some(1)).await.unwrap();
        assert_eq!(saved.version, 2);
        assert!(kiosk.catalog().await.is_ok());
        assert!(hall("hall-own-counter-1-6").me().await.is_ok());
        let c = manager.config().await.unwrap();
        assert_eq!((c.version, c.toml.as_deref()), (2, Some(shown.as_str())));

        // A hall without the demo secrets is not given them back through the API.
        let with_demo = shown.clone() + "\n[[tokens]]\ntoken = \"demo-kiosk-9\"\nrole = \"kiosk\"\nname = \"kiosk-9\"\n";
        match manager.put_config(&with_demo, Some(2)).await {
            Err(hallq_proto::ClientError::Refused { status: 422, code: ErrorCode::InvalidConfig, message, .. }) => {
                assert!(message.contains("demo"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(manager.config().await.unwrap().version, 2);
        // One ticket, so the log and the documents have something in them.
        kiosk.issue(&common::issue_req("secrets-1", "linshi-sfz")).await.unwrap();
        // While it runs, SQLite's -wal and -shm files are there, as private as the database.
        for f in ["hallq.db-wal", "hallq.db-shm"] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
    })
    .await;

    // A clean stop (SIGTERM: the snapshot is written), then every data file is 0600.
    let pid = child.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let until = Instant::now() + Duration::from_secs(30);
    while child.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < until, "hallq serve did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut files = vec![data.join("hallq.db"), data.join("documents.db"), data.join("identity.key"), data.join("config/source")];
    files.extend(["v000001.toml", "v000002.toml"].map(|v| data.join("config").join(v)));
    for f in ["hallq.db-wal", "hallq.db-shm", "documents.db-wal", "documents.db-shm"].map(|f| data.join(f)) {
        if f.exists() {
            files.push(f);
        }
    }
    for f in &files {
        assert_eq!(mode(f), 0o600, "{} is {:o}", f.display(), mode(f));
    }
    // The version files hold what was given: version 1 the file, version 2 the redacted text.
    assert_eq!(std::fs::read_to_string(data.join("config/v000001.toml")).unwrap(), text);
}

/// `hallq serve --demo` runs the demo configuration (as the tests and `hallq demo` do).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_demo_runs_the_demo_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, DEFAULT_TOML).unwrap();
    let port = common::free_port();
    let _child = ChildGuard(common::spawn_serve(&config, &dir.path().join("data"), port));
    let server = format!("http://127.0.0.1:{port}");
    within(60, "hallq serve --demo", async {
        common::wait_healthy(&format!("{server}/api/v1")).await;
        let c = HallClient::with_timeout(&server, "demo-manager", CALL_TIMEOUT).config().await.unwrap();
        assert!(!c.toml.unwrap().contains("\"demo-manager\""));
    })
    .await;
}
