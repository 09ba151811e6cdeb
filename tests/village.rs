//! The village point end to end: the hall service embedded in the kiosk's process
//! (`hallq kiosk --embedded-service`), the kiosk issuing through its loopback port, and the
//! counter — a tablet over Wi-Fi — calling the ticket through the service's listener.
#![cfg(feature = "ui")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use hallq::kiosk::controller::Input;
use hallq::kiosk::errands::VoiceOut;
use hallq::kiosk::runtime::{start, Core, KioskOptions};
use hallq::server::ServeOptions;
use hallq::service::SimClock;
use hallq_drivers::printer::sim::SimPrinter;
use hallq_proto::{HallClient, WindowAction, WindowNo};
use hallq_ui::view::{Screen, TileId, UiAction};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_machine_issues_and_a_tablet_calls() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let data = dir.path().join("data");
    let lan: std::net::SocketAddr = format!("127.0.0.1:{}", common::free_port()).parse().unwrap();
    let clock = Arc::new(SimClock::parse("2026-12-01T09:30:00+08:00").unwrap());
    let (c, d, cl) = (config.clone(), data.clone(), clock.clone());
    let embedded =
        tokio::task::spawn_blocking(move || hallq::kiosk::village::start(&c, &d, ServeOptions::plain(lan), cl)).await.unwrap().unwrap();
    assert!(embedded.url.starts_with("http://127.0.0.1:"));
    assert_ne!(embedded.url, format!("http://{lan}"), "the kiosk has its own loopback listener");

    // A LAN listener that is not loopback and not TLS is refused, as for `hallq serve`.
    let exposed = ServeOptions::plain("0.0.0.0:0".parse().unwrap());
    let e = hallq::kiosk::village::start(&config, &dir.path().join("other"), exposed, clock.clone()).err().expect("refused");
    assert!(e.to_string().contains("--insecure-http"), "{e}");

    let printer = SimPrinter::new();
    let core = Core::new(
        KioskOptions {
            journal: None,
            clock: Some(clock.clone()),
            server: embedded.url.clone(),
            token: "demo-kiosk-1".into(),
            ca: None,
            printer: "sim://printer".into(),
            idcard: None,
            sim_printer: Some(printer.clone()),
            kiosk_id: "village".into(),
            a4: None,
            scanner: None,
            sane_config_dir: None,
            work_dir: dir.path().join("kiosk"),
            voice: VoiceOut::Off,
        },
        Box::new(|_| {}),
    )
    .unwrap();
    start(core.clone());
    // The hot items once the hall's catalogue has arrived.
    common::within(30, "the hall's items", async {
        loop {
            core.input(Input::Ui(UiAction::Home));
            core.input(Input::Ui(UiAction::Tile(TileId::Hot)));
            core.input(Input::Ui(UiAction::Item("linshi-sfz".into())));
            if core.view().screen == Screen::Item {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    core.input(Input::Ui(UiAction::TakeNumber));
    if core.view().screen == Screen::Identity {
        core.input(Input::Ui(UiAction::SkipIdentity));
    }
    core.input(Input::Ui(UiAction::Confirm));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let v = loop {
        let v = core.view();
        if matches!(v.screen, Screen::Ticket | Screen::Message | Screen::OutOfService) {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "no ticket: {:?} {:?} {:?}", v.screen, v.title, v.message_body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(v.screen, Screen::Ticket, "{}", v.message_body);
    assert_eq!(v.ticket.number, "B001");
    assert!(printer.printed().last().unwrap().text().contains("B001"));

    // The counter tablet, over the service's LAN listener.
    let tablet = HallClient::with_timeout(&format!("http://{lan}"), "demo-counter-1-6", Duration::from_secs(10));
    let w = tablet.window_action(WindowNo(4), WindowAction::CallNext, &Default::default()).await.unwrap();
    assert_eq!(w.window.current.unwrap().number.to_string(), "B001");
    // The data is the hall's, where --data says.
    assert!(data.join("events.db").exists() || std::fs::read_dir(&data).unwrap().count() > 0);
    let out = std::process::Command::new(common::BIN).args(["log", "verify", "--data"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
