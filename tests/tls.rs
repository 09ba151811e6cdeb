//! TLS on the hall LAN: `hallq tls init` makes a hall CA and a server certificate;
//! `hallq serve --tls-cert --tls-key` serves HTTPS and WSS; HallClient, the display feed
//! and the kiosk runtime trust the hall CA given to them; a missing or wrong CA, or a
//! certificate without the address, is refused with a message an installer can act on;
//! plain HTTP is refused on a LAN address; the public listener serves the visitor and
//! nothing else.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use hallq::config::Config;
use hallq::service::{Hall, SimClock};
use hallq::tls::{InitOptions, Written};
use hallq_proto::{ClientError, FeedItem, HallClient, TicketId, WindowAction, WindowCommand, WindowNo};

/// The words every "not trusted" message starts with.
const UNTRUSTED: &str = "叫号系统的证书不受信任";

fn init(dir: &Path, hall: &str, hosts: &[&str]) -> Written {
    hallq::tls::init(&InitOptions { hall: hall.into(), out: dir.to_path_buf(), hosts: hosts.iter().map(|h| h.to_string()).collect() })
        .unwrap()
}

/// A hall service over TLS (and its public listener), in this process.
struct TlsHall {
    hall: Hall,
    addr: SocketAddr,
    public: SocketAddr,
    certs: Written,
    _dir: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TlsHall {
    async fn start() -> TlsHall {
        Self::start_on("127.0.0.1").await
    }

    async fn start_on(ip: &str) -> TlsHall {
        let dir = tempfile::tempdir().unwrap();
        let certs = init(&dir.path().join("certs"), "测试县市民之家", &[]);
        let clock = Arc::new(SimClock::parse(MORNING).unwrap());
        let hall = Hall::start(Config::demo(), &dir.path().join("data"), clock).unwrap();
        let tls = hallq::tls::server_config(&certs.cert, &certs.key).unwrap();
        let main = tokio::net::TcpListener::bind(format!("{ip}:0")).await.unwrap();
        let public = tokio::net::TcpListener::bind(format!("{ip}:0")).await.unwrap();
        let (addr, public_addr) = (main.local_addr().unwrap(), public.local_addr().unwrap());
        let tasks = vec![
            tokio::spawn(hallq::server::serve_on(main, Some(tls.clone()), hallq::server::app(hall.clone()), std::future::pending())),
            tokio::spawn(hallq::server::serve_on(public, Some(tls), hallq::server::public_app(hall.clone()), std::future::pending())),
        ];
        TlsHall { hall, addr, public: public_addr, certs, _dir: dir, tasks }
    }

    fn server(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn public_server(&self) -> String {
        format!("https://{}", self.public)
    }

    fn client(&self, token: &str) -> HallClient {
        HallClient::builder(&self.server(), token).ca_file(&self.certs.ca).timeout(CALL_TIMEOUT).build().unwrap()
    }

    /// A raw HTTPS client that trusts the hall CA (for pages and refusals).
    fn raw(&self) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&self.certs.ca).unwrap()).unwrap();
        reqwest::Client::builder().add_root_certificate(ca).timeout(CALL_TIMEOUT).build().unwrap()
    }
}

impl Drop for TlsHall {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Runs the hallq binary with a deadline past which it is killed with its process group.
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
    let until = Instant::now() + deadline;
    loop {
        if child.try_wait().expect("wait for hallq").is_some() {
            break;
        }
        if Instant::now() >= until {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("hallq {} did not finish within {deadline:?} and was killed", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("hallq's output");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn tls_init_writes_the_ca_and_server_certificate_and_tells_how_to_trust_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tls");
    let out_s = out.to_str().unwrap();
    let (ok, text, err) = run_within(
        Duration::from_secs(30),
        &["tls", "init", "--hall", "测试县市民之家", "--out", out_s, "--host", "hall.lan", "--host", "192.168.1.10"],
    );
    assert!(ok, "{err}");
    for f in ["ca.pem", "ca.key", "server.pem", "server.key"] {
        assert!(out.join(f).exists(), "{f} written");
    }
    assert_eq!(mode(&out.join("server.key")), 0o600);
    assert_eq!(mode(&out.join("ca.key")), 0o600);
    // Both languages, every device: kiosks and displays with --ca, browsers and Debian
    // through the system store, and how to start the service with the files.
    for needle in [
        "hallq kiosk --server https://hall.lan:8443 --ca",
        "hallq display --server https://hall.lan:8443 --ca",
        "/usr/local/share/ca-certificates/hallq-ca.crt",
        "update-ca-certificates",
        "--tls-cert",
        "--tls-key",
        "server.key",
        "localhost, 127.0.0.1, ::1, hall.lan, 192.168.1.10",
        "自助机和显示屏",
        "Kiosks and display boxes",
        "新建了大厅 CA",
    ] {
        assert!(text.contains(needle), "the instructions name {needle:?}:\n{text}");
    }

    // Again, with one more host: the CA is kept (devices keep trusting it), the server
    // certificate is new and chains to the old ca.pem.
    let ca_before = std::fs::read(out.join("ca.pem")).unwrap();
    let cert_before = std::fs::read(out.join("server.pem")).unwrap();
    let (ok, text, err) = run_within(
        Duration::from_secs(30),
        &["tls", "init", "--hall", "测试县市民之家", "--out", out_s, "--host", "hall.lan,192.168.1.11"],
    );
    assert!(ok, "{err}");
    assert!(text.contains("沿用已有的大厅 CA"), "{text}");
    assert!(text.contains("192.168.1.11"), "{text}");
    assert_eq!(std::fs::read(out.join("ca.pem")).unwrap(), ca_before);
    assert_ne!(std::fs::read(out.join("server.pem")).unwrap(), cert_before);

    // A different hall name cannot reuse the CA: refused before anything is replaced.
    let (ok, _, err) = run_within(Duration::from_secs(30), &["tls", "init", "--hall", "另一个大厅", "--out", out_s]);
    assert!(!ok);
    assert!(err.contains("--hall"), "{err}");
    // A URL is not a host.
    let (ok, _, err) =
        run_within(Duration::from_secs(30), &["tls", "init", "--hall", "x", "--out", out_s, "--host", "https://hall.lan:8443"]);
    assert!(!ok);
    assert!(err.contains("--host"), "{err}");
}

#[test]
fn plain_http_is_refused_on_a_lan_address_without_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let (c, d) = (config.to_str().unwrap(), dir.path().join("data"));
    let d = d.to_str().unwrap();
    // Refused before anything is bound or opened.
    let (ok, _, err) = run_within(Duration::from_secs(30), &["serve", "--config", c, "--data", d, "--listen", "0.0.0.0:0"]);
    assert!(!ok);
    assert!(err.contains("明文 HTTP") && err.contains("--tls-cert") && err.contains("--insecure-http"), "{err}");
    assert!(!dir.path().join("data").join("hallq.db").exists(), "nothing opened");
    // The public listener counts too.
    let (ok, _, err) = run_within(
        Duration::from_secs(30),
        &["serve", "--config", c, "--data", d, "--listen", "127.0.0.1:0", "--public-listen", "0.0.0.0:0"],
    );
    assert!(!ok);
    assert!(err.contains("0.0.0.0:0"), "{err}");

    // The rule itself: loopback is fine, TLS is fine, --insecure-http is a warning.
    use hallq::server::ServeOptions;
    let lan: SocketAddr = "192.168.1.10:8080".parse().unwrap();
    assert!(ServeOptions::plain("127.0.0.1:8080".parse().unwrap()).check().unwrap().is_none());
    assert!(ServeOptions::plain("[::1]:8080".parse().unwrap()).check().unwrap().is_none());
    assert!(ServeOptions::plain(lan).check().is_err());
    let tls = ServeOptions { tls: Some(("server.pem".into(), "server.key".into())), ..ServeOptions::plain(lan) };
    assert!(tls.check().unwrap().is_none());
    let insecure = ServeOptions { insecure_http: true, ..ServeOptions::plain(lan) };
    assert!(insecure.check().unwrap().unwrap().contains("--insecure-http"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hallq_serve_with_tls_cert_serves_https() {
    let dir = tempfile::tempdir().unwrap();
    let certs = init(&dir.path().join("tls"), "测试县市民之家", &[]);
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let port = free_port();
    let _serve = ChildGuard(
        Command::new(BIN)
            .args(["serve", "--demo", "--config"])
            .arg(&config)
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", MORNING, "--tls-cert"])
            .arg(&certs.cert)
            .arg("--tls-key")
            .arg(&certs.key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hallq serve"),
    );
    let server = format!("https://127.0.0.1:{port}");
    let client = HallClient::builder(&server, "").ca_file(&certs.ca).timeout(Duration::from_secs(2)).build().unwrap();
    within(60, "hallq serve answering over https", async {
        while client.health().await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    // The same port in plain HTTP is told to use https.
    let plain = HallClient::with_timeout(&format!("http://127.0.0.1:{port}"), "", Duration::from_secs(5));
    match plain.health().await {
        Err(ClientError::Protocol(m)) => assert!(m.contains("https://"), "{m}"),
        other => panic!("plain HTTP to the TLS port: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hall_client_with_the_hall_ca_calls_and_follows_the_stream_over_wss() {
    let t = TlsHall::start().await;
    within(60, "HallClient over TLS", async {
        let health = t.client("").health().await.unwrap();
        assert_eq!(health.seq, t.hall.last_seq());
        let mut feed = t.client("demo-display").events(None);
        match feed.next().await {
            Some(FeedItem::Connected { .. }) => {}
            other => panic!("the stream over wss connects: {other:?}"),
        }
        let issued = t.client("demo-kiosk-1").issue(&issue_req("tls-1", "linshi-sfz")).await.unwrap();
        loop {
            match feed.next().await {
                Some(FeedItem::Event { event, live: true }) if event.seq == t.hall.last_seq() => break,
                Some(FeedItem::Event { .. }) => continue,
                other => panic!("an event over wss: {other:?}"),
            }
        }
        // A client with a longer deadline keeps the trust.
        let slow = t.client("demo-manager").with_deadline(Duration::from_secs(60));
        assert_eq!(slow.ticket(&issued.ticket.id).await.unwrap().number, issued.ticket.number);
        // The CA as PEM text works the same.
        let pem = std::fs::read(&t.certs.ca).unwrap();
        HallClient::builder(&t.server(), "").ca_pem(pem).build().unwrap().health().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_ca_is_refused_with_the_installers_message() {
    let t = TlsHall::start().await;
    let other = tempfile::tempdir().unwrap();
    let wrong = init(other.path(), "另一个大厅", &[]);
    within(60, "untrusted clients", async {
        // No CA: the system's store does not hold the hall CA.
        match HallClient::with_timeout(&t.server(), "", Duration::from_secs(5)).health().await {
            Err(ClientError::Tls(m)) => {
                assert!(m.starts_with(UNTRUSTED) && m.contains("--ca") && m.contains("ca.pem"), "{m}");
                assert!(!m.contains("UnknownIssuer"), "no rustls debug text: {m}");
            }
            other => panic!("no CA: {other:?}"),
        }
        // Another hall's CA.
        let c = HallClient::builder(&t.server(), "demo-display").ca_file(&wrong.ca).timeout(Duration::from_secs(5)).build().unwrap();
        let e = c.health().await.unwrap_err();
        assert!(matches!(&e, ClientError::Tls(m) if m.starts_with(UNTRUSTED)), "{e:?}");
        assert!(e.is_transient(), "the kiosk keeps its work and tries again");
        // The stream says the same when it drops.
        let mut feed = c.events(None);
        match feed.next().await {
            Some(FeedItem::Disconnected { reason, .. }) => assert!(reason.starts_with(UNTRUSTED), "{reason}"),
            other => panic!("wss with the wrong CA: {other:?}"),
        }
        // A CA file that is not there, or is a key.
        let e = HallClient::builder(&t.server(), "").ca_file(other.path().join("nope.pem")).build().unwrap_err();
        assert!(matches!(&e, ClientError::Tls(m) if m.contains("无法读取大厅 CA 证书") && m.contains("nope.pem")), "{e:?}");
        let e = HallClient::builder(&t.server(), "").ca_file(&wrong.key).build().unwrap_err();
        assert!(matches!(&e, ClientError::Tls(m) if m.contains("没有证书")), "{e:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_without_the_servers_address_is_named() {
    // 127.0.0.2 is loopback, but not in the certificate (localhost, 127.0.0.1, ::1).
    if std::net::TcpListener::bind("127.0.0.2:0").is_err() {
        eprintln!("127.0.0.2 cannot be bound here; skipped");
        return;
    }
    let t = TlsHall::start_on("127.0.0.2").await;
    let e = within(30, "a call to an address the certificate does not name", t.client("").health()).await.unwrap_err();
    assert!(matches!(&e, ClientError::Tls(m) if m.contains("hallq tls init --host")), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_listener_serves_the_visitor_and_nothing_else() {
    let t = TlsHall::start().await;
    let raw = t.raw();
    within(60, "the public listener", async {
        let issued = t.client("demo-kiosk-1").issue(&issue_req("pub-1", "linshi-sfz")).await.unwrap().ticket;
        let token = issued.token.clone().expect("the issuing answer has the token");
        let id = issued.id.as_str().to_string();
        let public = t.public_server();

        // The visitor's page, its files, its ticket with its token, its stream.
        let r = raw.get(format!("{public}/t/{id}?token={token}")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("排队进度"));
        for f in ["/static/hallq.js", "/static/hallq.css"] {
            assert_eq!(raw.get(format!("{public}{f}")).send().await.unwrap().status(), 200, "{f}");
        }
        let visitor = HallClient::builder(&public, "").ca_file(&t.certs.ca).build().unwrap();
        let seen = visitor.ticket_as_visitor(&TicketId::new(id.clone()), &token).await.unwrap();
        assert_eq!(seen.number, issued.number);
        assert!(seen.token.is_none());
        let (status, hello) = public_stream(&t, &format!("ticket={id}&token={token}")).await;
        assert_eq!(status, 101);
        assert!(hello.contains("\"hello\""), "{hello}");

        // Nothing else: staff and device pages and endpoints are 404, whatever the token.
        for path in [
            "/",
            "/overview",
            "/counter",
            "/display/hall",
            "/display/window",
            "/rate",
            "/api/v1/health",
            "/api/v1/state",
            "/api/v1/catalog",
            "/api/v1/openapi.json",
            "/api/v1/me",
            "/api/v1/config",
            "/static/../api/v1/state",
        ] {
            let r = raw.get(format!("{public}{path}")).bearer_auth("demo-manager").send().await.unwrap();
            assert_eq!(r.status(), 404, "{path} on the public listener");
        }
        let r = raw
            .post(format!("{public}/api/v1/windows/1/call-next"))
            .bearer_auth("demo-manager")
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = raw
            .post(format!("{public}/api/v1/tickets"))
            .bearer_auth("demo-kiosk-1")
            .json(&issue_req("pub-2", "linshi-sfz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        // The ticket without its token, or with a role token instead, is not found.
        for q in ["", "?token=wrong", "?token=demo-manager"] {
            let r = raw.get(format!("{public}/api/v1/tickets/{id}{q}")).bearer_auth("demo-manager").send().await.unwrap();
            assert_eq!(r.status(), 404, "ticket{q}");
        }
        // The stream without the ticket's token: no display's view of the hall either.
        let (status, _) = public_stream(&t, "since=0").await;
        assert_eq!(status, 404);
        let (status, _) = public_stream(&t, &format!("ticket={id}&token=demo-display")).await;
        assert_eq!(status, 404);
        // A rating needs the ticket's token: a manager's header does not count here.
        let r = raw
            .post(format!("{public}/api/v1/tickets/{id}/evaluation?token=demo-manager"))
            .bearer_auth("demo-manager")
            .json(&serde_json::json!({ "rating": "very_satisfied" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // The main listener still serves everyone.
        assert_eq!(raw.get(format!("{}/counter", t.server())).send().await.unwrap().status(), 200);
        t.client("demo-manager").state().await.unwrap();
    })
    .await;
}

/// Opens the public listener's event stream over wss with `query`: the HTTP status of the
/// upgrade, and the first message when it opened.
async fn public_stream(t: &TlsHall, query: &str) -> (u16, String) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::{Error, Message};
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::pem::PemObject::pem_file_iter(&t.certs.ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("wss://{}/api/v1/events?{query}", t.public);
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(config));
    match tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector)).await {
        Ok((mut ws, resp)) => {
            let first = match ws.next().await {
                Some(Ok(Message::Text(t))) => t.to_string(),
                other => format!("{other:?}"),
            };
            (resp.status().as_u16(), first)
        }
        Err(Error::Http(r)) => (r.status().as_u16(), String::new()),
        Err(e) => panic!("wss to the public listener: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_display_feed_follows_the_hall_over_https_with_the_hall_ca() {
    use hallq::display::{DisplayOptions, Feed, Mode, Update};
    let t = TlsHall::start().await;
    let other = tempfile::tempdir().unwrap();
    let wrong = init(other.path(), "另一个大厅", &[]);
    let start = |ca: &Path| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let opts = DisplayOptions {
            server: t.server(),
            token: "demo-display".into(),
            ca: Some(ca.to_path_buf()),
            mode: Mode::Hall,
            scope: Default::default(),
            english: false,
        };
        tokio::spawn(Feed::new(opts).run(tx));
        rx
    };
    let mut right = start(&t.certs.ca);
    let mut untrusted = start(&wrong.ca);
    within(60, "the hall display over https", async {
        loop {
            if let Some(Update::View(v)) = right.recv().await {
                if v.connected {
                    break;
                }
            }
        }
        let manager = t.client("demo-manager");
        manager.window_action(WindowNo(1), WindowAction::Open, &WindowCommand::default()).await.unwrap();
        t.client("demo-kiosk-1").issue(&issue_req("disp-1", "linshi-sfz")).await.unwrap();
        let called = manager.window_action(WindowNo(1), WindowAction::CallNext, &WindowCommand::default()).await.unwrap();
        let number = called.window.current.expect("a ticket was called").number.to_string();
        loop {
            if let Some(Update::Call { number: n, .. }) = right.recv().await {
                assert_eq!(n, number);
                break;
            }
        }
        // The display with another hall's CA says why it cannot connect.
        loop {
            if let Some(Update::View(v)) = untrusted.recv().await {
                assert!(!v.connected);
                if v.problem.starts_with(UNTRUSTED) {
                    break;
                }
            }
        }
    })
    .await;
}

#[cfg(feature = "ui")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_issues_and_prints_over_https_with_the_hall_ca() {
    use hallq::kiosk::controller::Input;
    use hallq::kiosk::errands::VoiceOut;
    use hallq::kiosk::runtime::{start, Core, KioskOptions};
    use hallq_drivers::printer::sim::SimPrinter;
    use hallq_ui::view::{Screen, TileId, UiAction};
    let t = TlsHall::start().await;
    let other = tempfile::tempdir().unwrap();
    let wrong = init(other.path(), "另一个大厅", &[]);
    let work = tempfile::tempdir().unwrap();
    let kiosk = |ca: &Path, printer: &SimPrinter| {
        let opts = KioskOptions {
            journal: None,
            clock: None,
            server: t.server(),
            token: "demo-kiosk-1".into(),
            ca: Some(ca.to_path_buf()),
            printer: "sim://printer".into(),
            idcard: None,
            sim_printer: Some(printer.clone()),
            kiosk_id: "k-tls".into(),
            a4: None,
            scanner: None,
            sane_config_dir: None,
            work_dir: work.path().join("work"),
            voice: VoiceOut::Off,
        };
        let core = Core::new(opts, Box::new(|_| {})).unwrap();
        start(core.clone());
        core
    };
    let until = |core: Arc<Core>, what: &'static str, ok: fn(&hallq_ui::view::KioskView) -> bool| async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = core.view();
            if ok(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "kiosk never showed {what}; screen {:?}, message {:?}", v.screen, v.message_body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let printer = SimPrinter::new();
    let k = kiosk(&t.certs.ca, &printer);
    until(k.clone(), "the hall's tiles over https", |v| v.screen == Screen::Home && !v.hall_name.is_empty() && !v.clock.is_empty()).await;
    for a in
        [UiAction::Tile(TileId::Hot), UiAction::Item("sfz-buling".into()), UiAction::TakeNumber, UiAction::SkipIdentity, UiAction::Confirm]
    {
        k.input(Input::Ui(a));
    }
    let v = until(k.clone(), "the ticket issued over https", |v| v.screen == Screen::Ticket).await;
    assert!(printer.printed().iter().any(|p| p.text().contains(&v.ticket.number)), "printed {}", v.ticket.number);

    // Another hall's CA: the kiosk is out of service for visitors (it never issues
    // through an untrusted connection).
    let k = kiosk(&wrong.ca, &SimPrinter::new());
    until(k, "out of service with an untrusted hall", |v| v.screen == Screen::OutOfService).await;
    // A CA file that cannot be read stops the kiosk at start, saying so.
    let bad = KioskOptions {
        journal: None,
        clock: None,
        server: t.server(),
        token: "demo-kiosk-1".into(),
        ca: Some(work.path().join("missing-ca.pem")),
        printer: "sim://printer".into(),
        idcard: None,
        sim_printer: Some(SimPrinter::new()),
        kiosk_id: "k-tls".into(),
        a4: None,
        scanner: None,
        sane_config_dir: None,
        work_dir: work.path().join("work"),
        voice: VoiceOut::Off,
    };
    let e = Core::new(bad, Box::new(|_| {})).err().expect("refused").to_string();
    assert!(e.contains("--ca") && e.contains("missing-ca.pem"), "{e}");
}
