//! `hallq backup` while the hall is busy, and `hallq restore`: the backup is one consistent
//! moment of the log (its chain verified) even with clients issuing throughout, and the
//! restored directory runs a hall with exactly the tickets of that moment.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::*;
use hallq::config::Config;
use hallq::service::{Hall, SimClock};
use hallq::store::{self, Verdict};

const ISSUERS: &[&str] = &["demo-manager", "demo-counter-1-6", "demo-counter-7-16"];

fn hallq(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().expect("run hallq");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Services of the demo hall that a ticket can be issued for without an ID card.
fn open_services() -> Vec<String> {
    Config::demo().services.iter().filter(|s| s.identity != hallq_proto::IdentityRule::Required).map(|s| s.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_is_consistent_and_restores() {
    within(300, "backup under load", async {
        let h = TestHall::start().await;
        let services = open_services();
        assert!(!services.is_empty(), "no service without an ID card in the demo hall");
        // A day's worth of log first, so the backup has something to copy.
        let mut n = 0u32;
        while h.hall.last_seq() < 600 {
            let svc = &services[n as usize % services.len()];
            let r = h.client("demo-manager").issue(&issue_req(&format!("pre-{n}"), svc)).await;
            n += 1;
            assert!(n < 5000, "the hall stopped issuing: {r:?}");
        }

        // Clients issue throughout the backup.
        let stop = Arc::new(AtomicBool::new(false));
        let issued_during = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for (i, token) in ISSUERS.iter().enumerate() {
            let (client, stop, count, services) = (h.client(token), stop.clone(), issued_during.clone(), services.clone());
            tasks.push(tokio::spawn(async move {
                let mut k = 0usize;
                // Bounded: at most 2000 requests per client.
                while !stop.load(Ordering::Relaxed) && k < 2000 {
                    let svc = &services[(k + i) % services.len()];
                    if client.issue(&issue_req(&format!("load-{i}-{k}"), svc)).await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    k += 1;
                }
            }));
        }
        // Let the load start.
        while issued_during.load(Ordering::Relaxed) < 20 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let before = h.hall.last_seq();
        let file = tempfile::tempdir().unwrap();
        let backup = file.path().join("hall.backup");
        let (data, to) = (h.dir.path().to_str().unwrap().to_string(), backup.to_str().unwrap().to_string());
        let started = Instant::now();
        let (ok, out) = tokio::task::spawn_blocking(move || hallq(&["backup", "--data", &data, "--to", &to])).await.unwrap();
        let took = started.elapsed();
        let during_at_end = issued_during.load(Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        assert!(ok, "hallq backup failed: {out}");
        let after = h.hall.last_seq();
        eprintln!("backup: {} in {took:?} ({before}..{after} events while it ran)", out.trim());
        assert!(out.contains("chain verified"), "{out}");

        // The backup is one moment: between the events before and after it, chain intact.
        let manifest = hallq::backup::read_manifest(&backup).unwrap();
        assert!(manifest.events >= before && manifest.events <= after, "{} not in {before}..={after}", manifest.events);
        assert!(during_at_end > 20, "the clients did not issue during the backup");
        assert_eq!(manifest.schema_version, store::SCHEMA_VERSION);
        for f in ["hallq.db", "documents.db", "identity.key"] {
            assert!(manifest.files.iter().any(|x| x == f), "{f} missing from {:?}", manifest.files);
        }
        assert!(!manifest.files.iter().any(|f| f.ends_with("-wal") || f.ends_with("-shm")), "{:?}", manifest.files);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600, "the backup holds the identity key");

        // Restore into a new directory: the chain, the key and the state of that moment.
        let restored = file.path().join("restored");
        let (ok, out) = hallq(&["restore", "--from", backup.to_str().unwrap(), "--data", restored.to_str().unwrap()]);
        assert!(ok, "hallq restore failed: {out}");
        assert_eq!(store::verify(&restored.join("hallq.db")).unwrap(), Verdict::Intact { events: manifest.events, purged_personal: 0 });
        assert_eq!(std::fs::read(restored.join("identity.key")).unwrap(), std::fs::read(h.dir.path().join("identity.key")).unwrap());
        assert_eq!(std::fs::metadata(&restored).unwrap().permissions().mode() & 0o777, 0o700);

        // The restored hall holds exactly the tickets logged up to the backup's event.
        let live_conn = store::open_reader(&h.dir.path().join("hallq.db")).unwrap();
        let expected: i64 = live_conn
            .query_row("SELECT COUNT(*) FROM events WHERE kind = 'ticket_issued' AND seq <= ?1", [manifest.events], |r| r.get(0))
            .unwrap();
        let dir = h.stop().await;
        let clock = Arc::new(SimClock::parse(MORNING).unwrap());
        let hall = Hall::start(Config::demo(), &restored, clock).unwrap();
        assert_eq!(hall.last_seq(), manifest.events);
        assert_eq!(hall.view().state.tickets.len() as i64, expected);
        hall.shutdown().await;
        drop(dir);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_data_directory_in_use_and_a_broken_log() {
    within(120, "restore refusals", async {
        let h = TestHall::start().await;
        h.client("demo-manager").issue(&issue_req("r-1", &open_services()[0])).await.unwrap();
        let dir = h.stop().await;
        let work = tempfile::tempdir().unwrap();
        let backup = work.path().join("b.tar");
        let (ok, out) = hallq(&["backup", "--data", dir.path().to_str().unwrap(), "--to", backup.to_str().unwrap()]);
        assert!(ok, "{out}");

        // Not over a data directory that holds something, unless --force; then it is kept.
        let (ok, out) = hallq(&["restore", "--from", backup.to_str().unwrap(), "--data", dir.path().to_str().unwrap()]);
        assert!(!ok && out.contains("not empty") && out.contains("--force"), "{out}");
        let target = work.path().join("data");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("note.txt"), b"before").unwrap();
        let (ok, out) = hallq(&["restore", "--from", backup.to_str().unwrap(), "--data", target.to_str().unwrap(), "--force"]);
        assert!(ok, "{out}");
        assert!(target.join("hallq.db").exists() && !target.join("note.txt").exists());
        let kept: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("data.replaced-"))
            .collect();
        assert_eq!(kept.len(), 1, "{out}");
        assert_eq!(std::fs::read(kept[0].path().join("note.txt")).unwrap(), b"before");

        // A log whose chain is broken is not backed up.
        let conn = rusqlite::Connection::open(dir.path().join("hallq.db")).unwrap();
        conn.execute("UPDATE events SET body = body || ' ' WHERE seq = 1", []).unwrap();
        drop(conn);
        let (ok, out) = hallq(&["backup", "--data", dir.path().to_str().unwrap(), "--to", work.path().join("c.tar").to_str().unwrap()]);
        assert!(!ok && out.contains("broken at event 1"), "{out}");
        assert!(!work.path().join("c.tar").exists());

        // A backup whose event log was altered after it was taken is refused before the data
        // directory is touched: the chain is verified first.
        let unpacked = work.path().join("unpacked");
        tar::Archive::new(std::fs::File::open(&backup).unwrap()).unpack(&unpacked).unwrap();
        let conn = rusqlite::Connection::open(unpacked.join("hallq.db")).unwrap();
        conn.execute("UPDATE events SET at = replace(at, '2026', '2025') WHERE seq = 2", []).unwrap();
        drop(conn);
        let forged = work.path().join("forged.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&forged).unwrap());
        b.append_path_with_name(unpacked.join(hallq::backup::MANIFEST), hallq::backup::MANIFEST).unwrap();
        for f in hallq::backup::read_manifest(&backup).unwrap().files {
            b.append_path_with_name(unpacked.join(&f), &f).unwrap();
        }
        b.finish().unwrap();
        drop(b);
        let target = work.path().join("untouched");
        let (ok, out) = hallq(&["restore", "--from", forged.to_str().unwrap(), "--data", target.to_str().unwrap()]);
        assert!(!ok && out.contains("broken at event 2"), "{out}");
        assert!(!target.exists(), "a refused restore left {}", target.display());

        // Something that is not a backup is refused before anything is touched.
        let (ok, out) = hallq(&[
            "restore",
            "--from",
            dir.path().join("identity.key").to_str().unwrap(),
            "--data",
            work.path().join("x").to_str().unwrap(),
        ]);
        assert!(!ok, "{out}");
        assert!(!work.path().join("x").exists());
    })
    .await
}
