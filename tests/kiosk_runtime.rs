//! The kiosk's IO against a real hall service: an appointment checked in by code prints
//! its ticket; a result delivered by the approval system prints on the (simulated) A4
//! printer and is marked collected; pages scanned through SANE's test backend reach the
//! counter attached to the ticket; a manager's configuration change reaches the kiosk's
//! home screen without a restart.
#![cfg(feature = "ui")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::*;
use hallq::kiosk::controller::Input;
use hallq::kiosk::errands::VoiceOut;
use hallq::kiosk::runtime::{start, Core, KioskOptions};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_proto::{BookAppointment, DeliverResult, Priority, TicketId};
use hallq_ui::view::{KioskView, Screen, TileId, UiAction};

struct Kiosk {
    core: Arc<Core>,
    printer: SimPrinter,
    work: tempfile::TempDir,
    /// A kiosk without a reader offers nothing that needs a card (cards are placed
    /// through `Input::Card` below; the simulated reader makes the kiosk have one).
    _reader: hallq_drivers::idcard::sim::SimReader,
}

impl Kiosk {
    fn start(t: &TestHall) -> Kiosk {
        Kiosk::start_at(format!("http://{}", t.addr))
    }

    /// A kiosk speaking to the hall at `server` (such as a recording proxy in front of it).
    fn start_at(server: String) -> Kiosk {
        let work = tempfile::tempdir().unwrap();
        let printer = SimPrinter::new();
        let reader = hallq_drivers::idcard::sim::SimReader::start().unwrap();
        let opts = KioskOptions {
            journal: None,
            clock: None,
            server,
            token: "demo-kiosk-1".into(),
            ca: None,
            printer: "sim://printer".into(),
            idcard: Some(reader.uri()),
            sim_printer: Some(printer.clone()),
            kiosk_id: "k-test".into(),
            a4: Some("sim://a4".into()),
            scanner: Some("sane:test:0".into()),
            sane_config_dir: Some(hallq_drivers::scanner::test_backend_config(&work.path().join("sane")).unwrap()),
            work_dir: work.path().join("work"),
            voice: VoiceOut::Dir(work.path().join("voice")),
        };
        let core = Core::new(opts, Box::new(|_| {})).unwrap();
        start(core.clone());
        Kiosk { core, printer, work, _reader: reader }
    }

    fn tap(&self, a: UiAction) {
        self.core.input(Input::Ui(a));
    }

    async fn until(&self, what: &str, ok: impl Fn(&KioskView) -> bool) -> KioskView {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.core.view();
            if ok(&v) {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("kiosk never showed {what}; screen {:?}, progress {:?}, message {:?}", v.screen, v.progress, v.message_body);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn card(id: &str) -> hallq::kiosk::controller::Card {
    hallq::kiosk::controller::Card { id_number: id.into(), name: "李四".into(), masked: "李*".into(), expired_on: String::new() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errands_at_the_kiosk_reach_the_hall() {
    let t = TestHall::start().await;
    let (system, manager, kiosk) = (t.client("demo-system"), t.client("demo-manager"), t.client("demo-kiosk-1"));
    let person = id_number("19800101", 7);
    let k = Kiosk::start(&t);
    k.until("the home screen with the hall's tiles", |v| v.screen == Screen::Home && v.tiles.iter().any(|t| t.id == TileId::Results)).await;

    // 1. Appointments: one checked in by its typed (or QR-scanned) code, one found by the
    // visitor's ID card; each prints its ticket.
    let slot = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00+08:00").unwrap();
    system.book_appointment(&BookAppointment { code: "YY1001".into(), service: "linshi-sfz".into(), slot, identity: None }).await.unwrap();
    let booked =
        BookAppointment { code: "YY2002".into(), service: "hukou-qianru".into(), slot, identity: Some(identity(&person, "李四")) };
    system.book_appointment(&booked).await.unwrap();
    k.tap(UiAction::Tile(TileId::Appointment));
    for ch in "yy1001".chars() {
        k.tap(UiAction::CodeKey(ch));
    }
    k.tap(UiAction::CodeEnter);
    let v = k.until("the first appointment's ticket", |v| v.screen == Screen::Ticket).await;
    assert_eq!(v.ticket.number, "B001");
    assert!(v.ticket.wait.starts_with("请在") && v.ticket.wait.ends_with("等候，留意叫号"), "{}", v.ticket.wait);
    let printed = k.printer.printed();
    assert!(printed.iter().any(|p| p.text().contains("B001")), "the ticket went to the printer");
    k.tap(UiAction::Home);
    k.tap(UiAction::Tile(TileId::Appointment));
    k.core.input(Input::Card(card(&person)));
    let v = k.until("the visitor's appointments", |v| v.screen == Screen::Choices).await;
    assert_eq!(v.choices.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["YY2002"]);
    k.tap(UiAction::Choose("YY2002".into()));
    let v = k.until("the second appointment's ticket", |v| v.screen == Screen::Ticket).await;
    assert_eq!(v.ticket.number, "C001");
    let ticket = manager.ticket(&TicketId::new("20261127-C001")).await.unwrap();
    assert_eq!(ticket.priority, Priority::Appointment);

    // 2. A result delivered by the approval system prints on the A4 printer, once.
    let pdf = b"%PDF-1.4\n% a result\n".to_vec();
    let body = DeliverResult {
        external_id: "SP-1".into(),
        identity: identity(&person, "李四"),
        title: "营业执照".into(),
        department: String::new(),
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
        keep_days: None,
    };
    system.deliver_result(&body).await.unwrap();
    k.tap(UiAction::Home);
    k.tap(UiAction::Tile(TileId::Results));
    k.core.input(Input::Card(card(&person)));
    let v = k.until("the results list", |v| v.screen == Screen::Choices && !v.choices.is_empty()).await;
    assert_eq!(v.choices[1].title, "营业执照");
    k.tap(UiAction::Choose("all".into()));
    // The A4 printer's own 100 % comes first; then the kiosk says all are printed.
    let v = k.until("printing done", |v| v.screen == Screen::Documents && v.progress.contains("已为您登记领取")).await;
    assert!(v.progress.contains("已打印 1 份") && v.progress_percent == 100, "{}", v.progress);
    let filed: Vec<_> =
        std::fs::read_dir(k.work.path().join("work/a4")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    assert_eq!(filed, vec![pdf], "the result's PDF reached the A4 printer");
    let left = kiosk.find_results(&identity(&person, "李四")).await.unwrap();
    assert_eq!(left.results, vec![], "marked collected");

    // 3. Pages scanned through SANE reach the counter attached to the ticket.
    k.tap(UiAction::Home);
    k.tap(UiAction::Tile(TileId::Scan));
    k.tap(UiAction::Item("linshi-sfz".into()));
    k.tap(UiAction::TakeNumber);
    k.tap(UiAction::SkipIdentity);
    k.until("the scan screen", |v| v.screen == Screen::Scan).await;
    k.tap(UiAction::ScanFlatbed);
    k.until("a scanned page", |v| v.pages.len() == 1 && v.progress_percent == 0).await;
    k.tap(UiAction::ScanFlatbed);
    let v = k.until("two pages", |v| v.pages.len() == 2 && v.progress_percent == 0).await;
    assert!(v.pages[0].width > 50 && v.pages[0].rgb.len() == (v.pages[0].width * v.pages[0].height * 3) as usize);
    k.tap(UiAction::Submit);
    let v = k.until("the ticket", |v| v.screen == Screen::Ticket).await;
    let id = TicketId::new(format!("20261127-{}", v.ticket.number));
    let counter = t.client("demo-counter-1-6");
    // A counter reads the materials of the tickets its windows called: window 4 calls it.
    counter.window_action(hallq_proto::WindowNo(4), hallq_proto::WindowAction::Open, &Default::default()).await.unwrap();
    let call = hallq_proto::WindowCommand { ticket: Some(id.clone()), reason: Some("预审材料".into()), ..Default::default() };
    counter.window_action(hallq_proto::WindowNo(4), hallq_proto::WindowAction::Call, &call).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let list = loop {
        let l = counter.attachments(&id).await.unwrap();
        if !l.attachments.is_empty() || tokio::time::Instant::now() > deadline {
            break l;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(list.attachments[0].pages, 2, "{list:?}");
    let got = counter.attachment_pdf(&list.attachments[0].id).await.unwrap();
    assert!(got.starts_with(b"%PDF-"), "a PDF of the pages");

    // 4. A manager changes the tiles and the welcome line; the kiosk shows them without a restart.
    k.tap(UiAction::Home);
    let text = hallq::config::DEFAULT_TOML
        .replacen("tiles = [\"personal\", \"business\", \"hot\", \"departments\", \"search\", \"floors\", \"appointment\", \"results\", \"scan\"]", "tiles = [\"hot\", \"appointment\"]", 1)
        .replacen("welcome = \"欢迎光临，请选择您要办理的事项\"", "welcome = \"今日社保业务在2楼办理\"", 1)
        .replacen("footer = [\"最多跑一次 · 感谢您的耐心等候\"]", "footer = [\"今日延时服务至18:00\"]", 1);
    assert!(text.contains("今日延时服务至18:00"), "the edit applies to the demo configuration");
    manager.put_config(&text, None).await.unwrap();
    let v = k.until("the new tiles", |v| v.tiles.len() == 2).await;
    assert_eq!(v.tiles.iter().map(|t| t.id).collect::<Vec<_>>(), [TileId::Hot, TileId::Appointment]);
    assert_eq!(v.welcome, "今日社保业务在2楼办理");
    // The next ticket carries the new footer.
    k.tap(UiAction::Tile(TileId::Hot));
    k.tap(UiAction::Item("sfz-buling".into()));
    k.tap(UiAction::TakeNumber);
    k.tap(UiAction::SkipIdentity);
    k.tap(UiAction::Confirm);
    let v = k.until("the ticket", |v| v.screen == Screen::Ticket).await;
    let last = k.printer.printed().pop().unwrap();
    assert!(last.text().contains(&v.ticket.number) && last.text().contains("今日延时服务至18:00"), "{}", last.text());
    assert!(!last.text().contains("最多跑一次"));

    // 5. Elderly mode speaks the screen (espeak-ng; written as WAV on a kiosk without sound).
    k.tap(UiAction::Home);
    k.tap(UiAction::ToggleElderly);
    let wav = k.work.path().join("voice/prompt-0001.wav");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !wav.exists() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bytes = std::fs::read(&wav).expect("a spoken prompt");
    assert!(bytes.starts_with(b"RIFF") && bytes.len() > 10_000, "a WAV of the home screen's prompt ({} bytes)", bytes.len());
}

/// Takes an appointment's ticket by its typed code; the QR printed on it.
async fn qr_of_appointment(t: &TestHall, k: &Kiosk, code: &str) -> (String, String) {
    let slot = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00+08:00").unwrap();
    t.client("demo-system")
        .book_appointment(&BookAppointment { code: code.into(), service: "linshi-sfz".into(), slot, identity: None })
        .await
        .unwrap();
    let before = k.printer.printed().len();
    k.tap(UiAction::Home);
    k.tap(UiAction::Tile(TileId::Appointment));
    for ch in code.to_lowercase().chars() {
        k.tap(UiAction::CodeKey(ch));
    }
    k.tap(UiAction::CodeEnter);
    let v = k.until("the appointment's ticket", |v| v.screen == Screen::Ticket).await;
    let printed = k.printer.printed();
    assert_eq!(printed.len(), before + 1, "one ticket printed");
    let qr = printed.last().unwrap().qr.clone();
    assert_eq!(qr.len(), 1, "one QR on the ticket: {qr:?}");
    assert_eq!(v.ticket.status_url, qr[0], "the screen's QR is the printed one");
    (qr[0].clone(), v.ticket.number.clone())
}

/// `[hall] public_url`: the ticket QR sends visitors' phones to the hall's public address,
/// not to the kiosk's `--server` (the staff listener); without it, to `--server`, and the
/// kiosk follows a configuration change without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_qr_points_to_the_public_url() {
    within(90, "test", async {
        let text = hallq::config::DEFAULT_TOML.replacen("public_url = \"\"", "public_url = \"https://hall.example.cn/\"", 1);
        assert!(text.contains("https://hall.example.cn/"), "the default configuration has a public_url line");
        let config = hallq::config::Config::parse(&text, "hall.toml").unwrap();
        let t = TestHall::start_with(config, MORNING).await;
        let k = Kiosk::start(&t);
        // The hall's catalogue (and with it the public URL) has arrived once its name shows.
        k.until("the home screen with the hall's catalogue", |v| v.screen == Screen::Home && !v.hall_name.is_empty() && v.tiles.iter().any(|t| t.id == TileId::Appointment)).await;
        let (qr, number) = qr_of_appointment(&t, &k, "YY3003").await;
        let id = format!("20261127-{number}");
        assert!(qr.starts_with(&format!("https://hall.example.cn/t/{id}?token=")), "{qr}");
        assert!(qr.len() > format!("https://hall.example.cn/t/{id}?token=").len(), "the ticket's token is in the QR: {qr}");
        assert!(!qr.contains(&t.addr.to_string()), "{qr}");

        // The manager clears it (and trims the tiles, to see the new catalogue arrive):
        // the next QR points to the kiosk's --server.
        let cleared = hallq::config::DEFAULT_TOML.replacen(
            "tiles = [\"personal\", \"business\", \"hot\", \"departments\", \"search\", \"floors\", \"appointment\", \"results\", \"scan\"]",
            "tiles = [\"hot\", \"appointment\"]",
            1,
        );
        t.client("demo-manager").put_config(&cleared, None).await.unwrap();
        k.until("the new catalogue", |v| v.tiles.len() == 2).await;
        let (qr, number) = qr_of_appointment(&t, &k, "YY4004").await;
        assert!(qr.starts_with(&format!("http://{}/t/20261127-{number}?token=", t.addr)), "{qr}");
        t.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_running_low_is_a_warning_for_managers_and_paper_out_a_fault() {
    use hallq_drivers::printer::sim::Paper;
    use hallq_proto::{AlertKind, AlertSeverity};
    within(120, "test", async {
        let t = TestHall::start().await;
        let k = Kiosk::start(&t);
        let manager = t.client("demo-manager");
        // What managers see of kiosk-1's ticket printer, once it reads `wanted`.
        let printer_until = |wanted: &'static str| {
            let manager = manager.clone();
            async move {
                within(30, &format!("the printer reported as {wanted:?}"), async {
                    loop {
                        let devices = manager.state().await.unwrap().devices.unwrap_or_default();
                        let d = devices.into_iter().find(|d| d.kiosk == "kiosk-1" && d.device == "ticket-printer");
                        if let Some(d) = d.filter(|d| d.fault.as_deref().unwrap_or("ok").contains(wanted)) {
                            return d;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                })
                .await
            }
        };
        let alert_until = |severity: AlertSeverity| {
            let manager = manager.clone();
            async move {
                within(30, &format!("a {severity:?} printer alert"), async {
                    loop {
                        let a = manager.alerts().await.unwrap();
                        if a.active.iter().any(|x| {
                            x.kind == AlertKind::DeviceFault
                                && x.severity == severity
                                && x.subject.device.as_deref() == Some("ticket-printer")
                        }) {
                            return a;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                })
                .await
            }
        };
        k.printer.set_paper(Paper::NearEnd);
        printer_until("即将用完").await;
        alert_until(AlertSeverity::Warning).await;
        // It still prints: the kiosk stays in service.
        assert_ne!(k.core.view().screen, Screen::OutOfService);
        k.printer.set_paper(Paper::Out);
        printer_until("缺纸").await;
        alert_until(AlertSeverity::Critical).await;
        k.printer.set_paper(Paper::Ok);
        let d = printer_until("ok").await;
        assert!(d.ok && d.fault.is_none(), "{d:?}");
        let a = manager.alerts().await.unwrap();
        within(10, "the printer alerts cleared", async {
            let mut a = a;
            while a.active.iter().any(|x| x.kind == AlertKind::DeviceFault) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                a = manager.alerts().await.unwrap();
            }
        })
        .await;
        t.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_staff_reaches_the_service_desk() {
    let t = TestHall::start().await;
    let k = Kiosk::start(&t);
    k.until("the home screen", |v| v.screen == Screen::Home && !v.tiles.is_empty()).await;
    k.tap(UiAction::CallStaff);
    k.until("staff told", |v| v.help == "已通知工作人员，请在此稍候").await;
    let calls = t.client("demo-manager").help_calls().await.unwrap();
    let listed: Vec<(&str, &str)> = calls.calls.iter().map(|c| (c.kiosk.as_str(), c.place.as_str())).collect();
    assert_eq!(listed, [("kiosk-1", "1楼大厅东侧")], "the kiosk (its token's name) and its configured place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_fetched_once_and_waits_follow_the_events() {
    let t = TestHall::start().await;
    let k = Kiosk::start(&t);
    k.until("the home screen", |v| v.screen == Screen::Home && !v.tiles.is_empty()).await;
    k.tap(UiAction::Tile(TileId::Personal));
    k.until("the personal items", |v| v.items.iter().any(|i| i.name == "户口迁入登记")).await;
    // A ticket issued elsewhere: the kiosk's list shows the wait soon after the event (the
    // figures, debounced), long before the 15 s fallback.
    let started = std::time::Instant::now();
    let who = identity(&id_number("19800101", 3), "王五");
    t.client("demo-kiosk-1").issue(&issue_with_card("elsewhere-1", "hukou-qianru", &who)).await.unwrap();
    k.until("the new wait", |v| v.items.iter().any(|i| i.name == "户口迁入登记" && i.waiting == 1)).await;
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());

    // The kiosk's catalogue polls send the ETag held: an unchanged catalogue is a 304
    // without a body (seen through a recording proxy).
    let (server, log) = recording_proxy(&format!("http://{}", t.addr)).await;
    let hall = hallq_proto::HallClient::new(&server, "demo-kiosk-1");
    let mut etag = None;
    assert!(hallq::kiosk::runtime::fetch_catalog(&hall, &mut etag).await.unwrap().is_some());
    assert!(etag.is_some());
    assert!(hallq::kiosk::runtime::fetch_catalog(&hall, &mut etag).await.unwrap().is_none(), "304");
    let seen: Vec<(u16, usize)> = log.lock().unwrap().iter().map(|e| (e.status, e.body.len())).collect();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1], (304, 0));
    assert!(seen[0].1 > 1000);
    // A kiosk through the proxy fetches the full catalogue once, then only figures.
    let k2 = Kiosk::start_at(server);
    k2.until("its home screen", |v| v.screen == Screen::Home && !v.tiles.is_empty()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let full = log.lock().unwrap().iter().filter(|e| e.path.ends_with("/catalog") && e.status == 200).count();
    assert_eq!(full, 2, "the test's own fetch and the kiosk's first");
}
