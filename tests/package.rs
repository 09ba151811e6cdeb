//! The Debian package as a hall's IT installs it: `./dev test` builds it (`cargo deb
//! --profile dist`) and runs these with `HALLQ_DEB` naming the file (they are ignored in a
//! plain `cargo test`, which has no package to test).
//!
//! The package is inspected (`dpkg-deb`), then installed on this machine with `apt-get
//! install ./hallq_….deb` (root only, as CI runs): the service user in the device groups, the data directory 0700,
//! the configuration as a conffile, `systemd-analyze verify` on every installed unit,
//! `hallq serve` started from the installed binary and configuration as the hallq user,
//! a ticket issued and called, then the package removed (the data stays) and purged.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use hallq_proto::{WindowAction, WindowCommand, WindowNo};

fn deb() -> PathBuf {
    let p = PathBuf::from(std::env::var("HALLQ_DEB").expect("HALLQ_DEB names the .deb (./dev test builds it)"));
    assert!(p.is_file(), "{} does not exist", p.display());
    p
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {}: {text}", args.join(" "));
    text
}

const UNITS: &[&str] =
    &["hallq-serve.service", "hallq-kiosk.service", "hallq-display@.service", "hallq-backup.service", "hallq-backup.timer"];

#[test]
#[ignore = "needs the .deb: ./dev test builds it and runs this with HALLQ_DEB"]
fn the_package_holds_a_stripped_binary_the_units_and_a_conffile() {
    let deb = deb();
    let size = std::fs::metadata(&deb).unwrap().len();
    eprintln!("{}: {:.1} MB", deb.display(), size as f64 / 1e6);
    let info = run("dpkg-deb", &["-I", deb.to_str().unwrap()]);
    assert!(info.contains("Package: hallq"), "{info}");
    assert!(info.contains("Depends:") && info.contains("adduser"), "{info}");
    for script in ["postinst", "prerm", "postrm", "conffiles"] {
        assert!(info.contains(script), "no {script}: {info}");
    }
    let conffiles = run("dpkg-deb", &["-I", deb.to_str().unwrap(), "conffiles"]);
    assert!(conffiles.lines().any(|l| l.trim() == "/etc/hallq/hall.toml"), "{conffiles}");
    let listing = run("dpkg-deb", &["-c", deb.to_str().unwrap()]);
    for path in ["./usr/bin/hallq", "./etc/hallq/hall.toml", "./lib/udev/rules.d/99-hallq.rules", "./usr/share/doc/hallq/install.md"] {
        assert!(listing.lines().any(|l| l.ends_with(path)), "{path} missing:\n{listing}");
    }
    for unit in UNITS {
        assert!(listing.lines().any(|l| l.ends_with(&format!("./lib/systemd/system/{unit}"))), "{unit} missing");
    }
    // The binary: stripped of symbols and debug information, and it runs.
    let root = tempfile::tempdir().unwrap();
    run("dpkg-deb", &["-x", deb.to_str().unwrap(), root.path().to_str().unwrap()]);
    let bin = root.path().join("usr/bin/hallq");
    let sections = run("readelf", &["-S", "-W", bin.to_str().unwrap()]);
    assert!(!sections.contains(".symtab") && !sections.contains(".debug_info"), "not stripped:\n{sections}");
    let version = run(bin.to_str().unwrap(), &["--version"]);
    assert!(version.starts_with("hallq "), "{version}");
    // The packaged configuration is the documented default (demo secrets that serve refuses).
    assert_eq!(std::fs::read_to_string(root.path().join("etc/hallq/hall.toml")).unwrap(), hallq::config::DEFAULT_TOML);
}

fn installed() -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "hallq"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn groups_of(user: &str) -> Vec<String> {
    run("id", &["-nG", user]).split_whitespace().map(String::from).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .deb and root: ./dev test runs this with HALLQ_DEB"]
async fn install_serve_issue_call_and_remove() {
    let deb = deb();
    assert_eq!(run("id", &["-u"]).trim(), "0", "dpkg -i needs root (CI runs as root)");
    assert!(!installed(), "hallq is already installed on this machine: this test installs and removes it, remove it first");
    let had_data = Path::new("/var/lib/hallq").exists();
    // As the installer does it: apt resolves the package's dependencies (here all present).
    let path = std::fs::canonicalize(&deb).unwrap();
    let out = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .arg(&path)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .expect("apt-get");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && installed(), "apt-get install {}:\n{text}", path.display());
    assert!(!text.contains("Warning: The home dir"), "{text}");

    // The service user, its groups, its private data directory, the readable configuration.
    let groups = groups_of("hallq");
    for g in ["lp", "dialout", "scanner", "video", "input", "render"] {
        assert!(groups.iter().any(|x| x == g), "hallq is not in group {g}: {groups:?}");
    }
    let data = std::fs::metadata("/var/lib/hallq").unwrap();
    assert_eq!(data.permissions().mode() & 0o777, 0o700);
    let uid: u32 = run("id", &["-u", "hallq"]).trim().parse().unwrap();
    assert_eq!(data.uid(), uid);
    let conf = std::fs::metadata("/etc/hallq/hall.toml").unwrap();
    assert_eq!(conf.permissions().mode() & 0o777, 0o640, "the configuration holds tokens");
    assert_eq!(std::fs::read_to_string("/etc/hallq/hall.toml").unwrap(), hallq::config::DEFAULT_TOML);

    // Every installed unit passes systemd-analyze verify (the template as an instance).
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for unit in UNITS {
        let installed = Path::new("/lib/systemd/system").join(unit);
        let text = std::fs::read_to_string(&installed).unwrap_or_else(|e| panic!("{}: {e}", installed.display()));
        let copy = dir.path().join(unit.replace("@.", "@hall."));
        std::fs::write(&copy, text).unwrap();
        files.push(copy);
    }
    let out = Command::new("systemd-analyze").arg("verify").args(&files).output().expect("systemd-analyze");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && !text.lines().any(|l| l.contains("hallq")), "systemd-analyze verify:\n{text}");

    // hallq serve from the installed files, as the hallq user, on the service's data
    // directory (the packaged configuration holds the demo tokens: --demo).
    let port = free_port();
    let mut serve = Command::new("runuser")
        .args(["-u", "hallq", "--", "/usr/bin/hallq", "serve", "--demo", "--config", "/etc/hallq/hall.toml", "--data", "/var/lib/hallq"])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", MORNING])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runuser");
    let base = format!("http://127.0.0.1:{port}");
    let result = std::panic::AssertUnwindSafe(async {
        wait_healthy(&format!("{base}/api/v1")).await;
        let kiosk = hallq_proto::HallClient::with_timeout(&base, "demo-kiosk-1", CALL_TIMEOUT);
        let issued = kiosk.issue(&issue_req("package-1", "linshi-sfz")).await.unwrap();
        let counter = hallq_proto::HallClient::with_timeout(&base, "demo-counter-1-6", CALL_TIMEOUT);
        let window = (1..=6).find(|n| {
            let c = hallq::config::Config::demo();
            c.window(*n).is_some_and(|w| c.window_serves(w, &issued.ticket.queue.id))
        });
        let called = counter.window_action(WindowNo(window.unwrap()), WindowAction::CallNext, &WindowCommand::default()).await.unwrap();
        assert_eq!(called.window.current.map(|t| t.number), Some(issued.ticket.number.clone()));
        issued.ticket.id
    });
    let outcome = futures_util::FutureExt::catch_unwind(result).await;
    Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().unwrap();
    let _ = serve.wait();
    let ticket = outcome.unwrap_or_else(|p| std::panic::resume_unwind(p));
    // The service's files belong to the service user and are private.
    let db = std::fs::metadata("/var/lib/hallq/hallq.db").unwrap();
    assert_eq!((db.uid(), db.permissions().mode() & 0o077), (uid, 0));

    // Removal keeps the data (and, until purged, the edited configuration).
    run("apt-get", &["remove", "-y", "hallq"]);
    assert!(!Path::new("/usr/bin/hallq").exists());
    assert!(Path::new("/etc/hallq/hall.toml").exists(), "a removed package keeps its conffiles");
    run("apt-get", &["purge", "-y", "hallq"]);
    assert!(!Path::new("/etc/hallq/hall.toml").exists());
    let log = hallq::store::verify(Path::new("/var/lib/hallq/hallq.db")).unwrap();
    assert!(matches!(log, hallq::store::Verdict::Intact { events, .. } if events >= 2), "{log:?} after purge");
    let conn = hallq::store::open_reader(Path::new("/var/lib/hallq/hallq.db")).unwrap();
    let found: i64 = conn.query_row("SELECT COUNT(*) FROM events WHERE ticket = ?1", [ticket.as_str()], |r| r.get(0)).unwrap();
    assert!(found >= 2, "the ticket's issue and call are kept");
    drop(conn);

    // Leave the machine as it was: this test's data, directories and user.
    if !had_data {
        let _ = std::fs::remove_dir_all("/var/lib/hallq");
        let _ = std::fs::remove_dir_all("/var/lib/hallq-kiosk");
        let _ = std::fs::remove_dir_all("/var/backups/hallq");
        let _ = std::fs::remove_dir("/etc/hallq");
        let _ = Command::new("deluser").args(["--system", "hallq"]).output();
        let _ = Command::new("delgroup").args(["--system", "hallq"]).output();
    }
}
