//! The kiosk and the hall service apart: a kiosk runtime and a child `hallq serve` with a
//! TCP proxy between them that the test cuts, stalls and restores. On a simulated clock:
//! a morning peak offline with a service restart in the middle and a lease used up; a
//! kiosk killed (SIGKILL) while offline whose journal is uploaded by the next start; a
//! partition across midnight. Every printed ticket reaches the hall exactly once, numbers
//! are unique, and the log's chain verifies.
#![cfg(feature = "ui")]

mod common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ChildGuard, BIN};
use hallq::kiosk::controller::Input;
use hallq::kiosk::errands::VoiceOut;
use hallq::kiosk::journal::Journal;
use hallq::kiosk::runtime::{start, Core, KioskOptions};
use hallq::service::{Clock, SimClock};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_proto::{HallClient, TicketId};
use hallq_ui::view::{KioskView, Screen, TileId, UiAction};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------
// The proxy the test cuts.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Link {
    Open,
    /// Connections are refused (closed at once) and open ones dropped: a switch reboot.
    Cut,
    /// Connections are accepted and never answered: a link that swallows packets.
    Stall,
}

struct Proxy {
    addr: SocketAddr,
    link: Arc<Mutex<Link>>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let link = Arc::new(Mutex::new(Link::Open));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (l, o) = (link.clone(), open.clone());
        tokio::spawn(async move {
            let mut stalled = Vec::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                let mode = *l.lock().unwrap();
                match mode {
                    Link::Cut => drop(inbound),
                    Link::Stall => stalled.push(inbound),
                    Link::Open => {
                        let task = tokio::spawn(async move {
                            if let Ok(mut out) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                            }
                        });
                        o.lock().unwrap().push(task.abort_handle());
                    }
                }
            }
        });
        Proxy { addr, link, open }
    }

    fn set(&self, link: Link) {
        *self.link.lock().unwrap() = link;
        if link != Link::Open {
            for t in self.open.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

// ---------------------------------------------------------------------------------------
// The hall service, a child process on a simulated clock.

struct Service {
    child: ChildGuard,
    port: u16,
    data: PathBuf,
    config: PathBuf,
    clock: String,
}

impl Service {
    async fn start(dir: &Path, block: u32, clock: &str) -> Service {
        let config = dir.join("hall.toml");
        let text = hallq::config::DEFAULT_TOML
            .replacen("idle_seconds_elderly = 120", &format!("idle_seconds_elderly = 120\noffline_block = {block}"), 1)
            // A hall open every day, so the partition across midnight can issue on both days.
            .replacen(
                "open_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
                "open_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]",
                1,
            );
        assert!(text.contains(&format!("offline_block = {block}")));
        std::fs::write(&config, text).unwrap();
        let data = dir.join("data");
        let port = common::free_port();
        let child = Self::spawn(&config, &data, port, clock);
        let s = Service { child, port, data, config, clock: clock.to_string() };
        common::wait_healthy(&format!("{}/api/v1", s.url())).await;
        s
    }

    fn spawn(config: &Path, data: &Path, port: u16, clock: &str) -> ChildGuard {
        ChildGuard(
            std::process::Command::new(BIN)
                .args(["serve", "--demo", "--config"])
                .arg(config)
                .arg("--data")
                .arg(data)
                .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", clock])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start hallq serve"),
        )
    }

    fn addr(&self) -> SocketAddr {
        format!("127.0.0.1:{}", self.port).parse().unwrap()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn client(&self, token: &str) -> HallClient {
        HallClient::with_timeout(&self.url(), token, Duration::from_secs(10))
    }

    /// Killed and started again on the same data and port, the clock going on from where
    /// the first one's would be.
    async fn restart(&mut self, now: chrono::DateTime<chrono::Utc>) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        let speed = self.clock.split_once('@').map(|(_, s)| s.to_string()).unwrap_or_else(|| "1".into());
        let clock = format!("{}@{speed}", now.to_rfc3339());
        self.child = Self::spawn(&self.config, &self.data, self.port, &clock);
        common::wait_healthy(&format!("{}/api/v1", self.url())).await;
    }

    /// `hallq log verify` on the service's data: the chain holds.
    fn verify(&self) {
        let out = std::process::Command::new(BIN).args(["log", "verify", "--data"]).arg(&self.data).output().unwrap();
        assert!(out.status.success(), "log verify: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
}

// ---------------------------------------------------------------------------------------
// A kiosk runtime in this process.

struct Kiosk {
    core: Arc<Core>,
    printer: SimPrinter,
}

fn kiosk_options(server: String, work: &Path, clock: &str) -> (KioskOptions, SimPrinter) {
    let printer = SimPrinter::new();
    let opts = KioskOptions {
        journal: Some(work.join("journal.db")),
        clock: Some(Arc::new(SimClock::parse(clock).unwrap())),
        server,
        token: "demo-kiosk-1".into(),
        ca: None,
        printer: "sim://printer".into(),
        idcard: None,
        sim_printer: Some(printer.clone()),
        kiosk_id: "k-partition".into(),
        a4: None,
        scanner: None,
        sane_config_dir: None,
        work_dir: work.to_path_buf(),
        voice: VoiceOut::Off,
    };
    (opts, printer)
}

impl Kiosk {
    fn start(server: String, work: &Path, clock: &str) -> Kiosk {
        let (opts, printer) = kiosk_options(server, work, clock);
        let core = Core::new(opts, Box::new(|_| {})).unwrap();
        start(core.clone());
        Kiosk { core, printer }
    }

    async fn until(&self, what: &str, secs: u64, ok: impl Fn(&KioskView) -> bool) -> KioskView {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.core.view();
            if ok(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "kiosk never showed {what}: {:?} {:?} {:?}",
                v.screen,
                v.welcome,
                v.message_body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A visitor takes a number for 临时身份证 (no card): the ticket screen, or the message.
    async fn take_number(&self) -> KioskView {
        self.core.input(Input::Ui(UiAction::Home));
        self.until("home", 10, |v| v.screen == Screen::Home).await;
        for a in [UiAction::Tile(TileId::Hot), UiAction::Item("linshi-sfz".into()), UiAction::TakeNumber] {
            self.core.input(Input::Ui(a));
        }
        if self.core.view().screen == Screen::Identity {
            self.core.input(Input::Ui(UiAction::SkipIdentity));
        }
        self.core.input(Input::Ui(UiAction::Confirm));
        let v = self.until("the ticket or a message", 30, |v| matches!(v.screen, Screen::Ticket | Screen::Message)).await;
        self.core.input(Input::Ui(UiAction::Home));
        v
    }

    fn offline(&self) -> bool {
        self.core.view().welcome.contains("离线取号")
    }
}

/// Waits until the kiosk holds a lease of `queue` (the manager sees it in /state): the
/// numbers left.
async fn leased(manager: &HallClient, kiosk: &str, queue: &str) -> u32 {
    common::within(30, "a lease", async {
        loop {
            if let Ok(s) = manager.state().await {
                let left: u32 = s
                    .kiosks
                    .unwrap_or_default()
                    .iter()
                    .filter(|k| k.kiosk == kiosk)
                    .flat_map(|k| &k.leases)
                    .filter(|l| l.queue.as_str() == queue)
                    .map(|l| l.left)
                    .sum();
                if left > 0 {
                    return left;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
}

/// Each printed number is in the hall exactly once (by id), issued offline where it was.
async fn in_hall_once(manager: &HallClient, date: &str, numbers: &[String], offline: bool) {
    for n in numbers {
        let id = TicketId::new(format!("{date}-{n}"));
        let t = common::within(60, "the uploaded ticket", async {
            loop {
                match manager.ticket(&id).await {
                    Ok(t) => return t,
                    Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
                }
            }
        })
        .await;
        assert_eq!(t.number.to_string(), *n);
        assert_eq!(t.offline, offline, "{n}");
    }
}

fn printed_numbers(p: &SimPrinter) -> Vec<String> {
    p.printed()
        .iter()
        .filter_map(|t| {
            let text = t.text();
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            lines.iter().position(|l| *l == "您的号码").and_then(|i| lines.get(i + 1)).map(|s| s.to_string())
        })
        .collect()
}

/// Tuesday morning, the clock 60 times real time: ten minutes pass in ten seconds.
const PEAK: &str = "2026-12-01T09:00:00+08:00@60";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_minutes_offline_at_the_morning_peak_with_a_restart_and_a_lease_used_up() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SimClock::parse(PEAK).unwrap();
    let mut hall = Service::start(dir.path(), 3, PEAK).await;
    let proxy = Proxy::start(hall.addr()).await;
    let k = Kiosk::start(proxy.url(), &dir.path().join("kiosk"), PEAK);
    let manager = hall.client("demo-manager");
    let other = hall.client("demo-kiosk-2");
    assert_eq!(leased(&manager, "kiosk-1", "B").await, 3, "a block of the configured size");

    // Online: numbers from the hall.
    let online = k.take_number().await;
    assert_eq!(online.screen, Screen::Ticket);
    assert_eq!(online.ticket.number, "B001");
    assert!(!online.ticket.offline);

    // The switch goes down: within seconds the kiosk says it issues offline.
    proxy.set(Link::Cut);
    let cut_at = clock.now();
    k.until("the offline line", 15, |v| v.welcome.contains("离线取号")).await;
    let mut offline = Vec::new();
    let first = k.take_number().await;
    assert_eq!(first.screen, Screen::Ticket, "{}", first.message_body);
    assert!(first.ticket.offline);
    offline.push(first.ticket.number.clone());
    // Meanwhile another kiosk issues online.
    let mut elsewhere = Vec::new();
    for i in 0..2 {
        elsewhere.push(other.issue(&common::issue_req(&format!("k2-{i}"), "linshi-sfz")).await.unwrap().ticket.number.to_string());
    }
    // The hall restarts during the partition, and the link swallows packets for a while.
    hall.restart(clock.now()).await;
    proxy.set(Link::Stall);
    for _ in 0..2 {
        let v = k.take_number().await;
        assert_eq!(v.screen, Screen::Ticket, "{}", v.message_body);
        assert!(v.ticket.offline);
        offline.push(v.ticket.number.clone());
    }
    // The lease is used up: a clear refusal, no number.
    let used_up = k.take_number().await;
    assert_eq!(used_up.screen, Screen::Message);
    assert!(used_up.message_body.contains("离线号段已用完") && used_up.message_body.contains("服务台"), "{}", used_up.message_body);
    proxy.set(Link::Cut);
    // Ten minutes of the hall's clock offline.
    while clock.now() - cut_at < chrono::Duration::minutes(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(k.offline(), "still offline after ten minutes");

    // Back: every offline ticket reaches the hall, once, placed by the time it was printed.
    proxy.set(Link::Open);
    k.until("online again", 20, |v| !v.welcome.contains("离线取号")).await;
    in_hall_once(&manager, "20261201", &offline, true).await;
    let printed = printed_numbers(&k.printer);
    assert_eq!(printed.len(), 4, "{printed:?}");
    assert_eq!(printed[1..], offline[..]);
    let mut all: Vec<String> = printed.iter().chain(&elsewhere).cloned().collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "numbers unique: {all:?}");
    all.sort();
    // The offline tickets came before the other kiosk's later ones in line.
    let state = manager.state().await.unwrap();
    let link = state.kiosks.unwrap().into_iter().find(|k| k.kiosk == "kiosk-1").unwrap();
    assert_eq!(link.uploaded_today, 3);
    let t = manager.ticket(&TicketId::new(format!("20261201-{}", offline[0]))).await.unwrap();
    let later = manager.ticket(&TicketId::new(format!("20261201-{}", elsewhere[1]))).await.unwrap();
    assert!(t.issued_at < later.issued_at, "{} {}", t.issued_at, later.issued_at);
    // Uploading again changes nothing: the journal is empty and the hall has each once.
    let journal = Journal::open(&dir.path().join("kiosk/journal.db")).unwrap();
    assert_eq!(journal.counts().unwrap(), (3, 0, 0));
    // And the kiosk takes a fresh lease once back.
    common::within(30, "a new lease", async {
        loop {
            let s = manager.state().await.unwrap();
            let k1 = s.kiosks.unwrap().into_iter().find(|k| k.kiosk == "kiosk-1").unwrap();
            if k1.leases.iter().map(|l| l.left).sum::<u32>() > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    hall.verify();
}

/// Runs as a child process (`kiosk_child` below): a kiosk that issues offline and is then
/// killed with SIGKILL by the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_killed_while_offline_uploads_its_journal_when_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let hall = Service::start(dir.path(), 5, PEAK).await;
    let proxy = Proxy::start(hall.addr()).await;
    let manager = hall.client("demo-manager");
    let work = dir.path().join("kiosk");
    let mut child = ChildGuard(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "kiosk_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env("HALLQ_PARTITION_CHILD", format!("{}|{}", proxy.url(), work.display()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>, what: &str) -> String {
        common::within(60, what, async {
            loop {
                let l = rx.recv().await.expect("the child kiosk ended");
                // libtest's "test kiosk_child ... " may stand before it on the line.
                if let Some(i) = l.find("KIOSK ") {
                    return l[i..].to_string();
                }
            }
        })
        .await
    }
    assert_eq!(next(&mut rx, "the child's lease").await, "KIOSK leased");
    proxy.set(Link::Cut);
    let mut printed = Vec::new();
    for _ in 0..3 {
        printed.push(next(&mut rx, "an offline ticket").await.trim_start_matches("KIOSK printed ").to_string());
    }
    // Killed at once after the third ticket printed: no goodbye, no upload.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    for n in &printed {
        assert!(manager.ticket(&TicketId::new(format!("20261201-{n}"))).await.is_err(), "{n} not in the hall yet");
    }
    // Started again while the hall is still unreachable: it offers what its journal kept
    // (the catalogue, the rest of the lease) and issues from it.
    let k = Kiosk::start(proxy.url(), &work, PEAK);
    k.until("the offline line after a restart", 30, |v| v.welcome.contains("离线取号")).await;
    let v = k.take_number().await;
    assert_eq!(v.screen, Screen::Ticket, "{}", v.message_body);
    assert!(v.ticket.offline && !printed.contains(&v.ticket.number), "{} after {printed:?}", v.ticket.number);
    printed.push(v.ticket.number.clone());
    // The link back: the journal goes up, each ticket once.
    proxy.set(Link::Open);
    in_hall_once(&manager, "20261201", &printed, true).await;
    common::within(30, "the journal emptied", async {
        while Journal::open(&work.join("journal.db")).unwrap().counts().unwrap().1 > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    // The next number online does not collide with the ones printed offline.
    let v = k.take_number().await;
    assert_eq!(v.screen, Screen::Ticket);
    assert!(!printed.contains(&v.ticket.number));
    hall.verify();
}

/// The child kiosk of the test above; does nothing unless started by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of a_kiosk_killed_while_offline_uploads_its_journal_when_started_again"]
async fn kiosk_child() {
    let Ok(spec) = std::env::var("HALLQ_PARTITION_CHILD") else { return };
    let (server, work) = spec.split_once('|').unwrap();
    let k = Kiosk::start(server.to_string(), Path::new(work), PEAK);
    let journal = Journal::open(&Path::new(work).join("journal.db")).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    while journal.left(today).unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("KIOSK leased");
    k.until("the offline line", 30, |v| v.welcome.contains("离线取号")).await;
    for _ in 0..3 {
        let v = k.take_number().await;
        assert!(v.ticket.offline, "{}", v.message_body);
        println!("KIOSK printed {}", v.ticket.number);
    }
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_across_midnight() {
    const LATE: &str = "2026-12-01T23:59:00+08:00@4";
    let dir = tempfile::tempdir().unwrap();
    let hall = Service::start(dir.path(), 5, LATE).await;
    let proxy = Proxy::start(hall.addr()).await;
    let k = Kiosk::start(proxy.url(), &dir.path().join("kiosk"), LATE);
    let manager = hall.client("demo-manager");
    leased(&manager, "kiosk-1", "B").await;
    proxy.set(Link::Cut);
    k.until("the offline line", 15, |v| v.welcome.contains("离线取号")).await;
    let before = k.take_number().await;
    assert!(before.ticket.offline, "{}", before.message_body);
    // Past midnight on the kiosk's clock: yesterday's lease is not today's.
    let clock = SimClock::parse(LATE).unwrap();
    let midnight: chrono::DateTime<chrono::Utc> = "2026-12-01T16:00:01Z".parse().unwrap();
    while clock.now() < midnight {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = k.take_number().await;
    assert_eq!(after.screen, Screen::Message, "no number from yesterday's lease");
    assert!(after.message_body.contains("服务台"), "{}", after.message_body);
    // Back: yesterday's ticket is recorded in the log (closed with its day), today's queue
    // is not given a ticket nobody will wait for.
    proxy.set(Link::Open);
    let t = common::within(60, "yesterday's ticket", async {
        loop {
            if let Ok(t) = manager.ticket(&TicketId::new(format!("20261201-{}", before.ticket.number))).await {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    assert!(t.offline);
    assert_eq!(t.status, hallq_proto::Status::Expired);
    let state = manager.state().await.unwrap();
    assert_eq!(state.date, chrono::NaiveDate::from_ymd_opt(2026, 12, 2));
    // Today the kiosk leases again (for today: before opening hours, so no ticket yet).
    common::within(30, "today's lease", async {
        loop {
            let s = manager.state().await.unwrap();
            let k1 = s.kiosks.unwrap().into_iter().find(|k| k.kiosk == "kiosk-1").unwrap();
            if k1.leases.iter().any(|l| l.date == chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    drop(k);
    hall.verify();
}
