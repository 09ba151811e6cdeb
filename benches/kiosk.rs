//! Kiosk benchmark: time to the first frame and resident memory of the kiosk screen
//! (software renderer, 1080×1920), and the time from the "confirm" tap to the last byte of
//! the ticket reaching the (simulated) printer, through a real hall service over loopback
//! HTTP. Run with `cargo bench --bench kiosk` (release build).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hallq::kiosk::controller::Input;
use hallq::kiosk::runtime::{Core, KioskOptions};
use hallq::service::{Hall, SimClock};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_ui::view::{Screen, TileId, UiAction};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    // First frame: platform, window, the home view, one full render.
    let started = Instant::now();
    let headless = hallq_ui::headless::Headless::init().unwrap();
    let window = hallq_ui::kiosk::new_window().unwrap();
    let mut c = hallq::kiosk::controller::Controller::new(Default::default(), 1);
    c.handle(Input::Catalog(hallq::kiosk::catalog_from_config(&hallq::config::Config::demo())));
    hallq_ui::kiosk::apply(&window, c.view());
    let frame = headless.render(1080, 1920);
    let first_frame = started.elapsed();
    assert!(frame.pixels().any(|p| p.0 != [244, 247, 250]), "the first frame has content");
    let rss_after_frame = rss_mb();
    let t = Instant::now();
    for _ in 0..20 {
        headless.render(1080, 1920);
    }
    let redraw = t.elapsed() / 20;

    // Tap to last byte.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut taps = rt.block_on(async {
        let clock = Arc::new(SimClock::parse("2026-11-27T09:30:00+08:00").unwrap());
        let mut config = hallq::config::Config::demo();
        for s in &mut config.services {
            s.daily_cap = 999;
        }
        let hall = Hall::start(config, dir.path(), clock).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let sim = SimPrinter::new();
        let opts = KioskOptions {
            journal: None,
            clock: None,
            server: format!("http://{addr}"),
            token: "demo-kiosk-1".into(),
            ca: None,
            printer: "sim://printer".into(),
            idcard: None,
            sim_printer: Some(sim.clone()),
            kiosk_id: "bench".into(),
            a4: None,
            scanner: None,
            sane_config_dir: None,
            work_dir: dir.path().join("work"),
            voice: hallq::kiosk::errands::VoiceOut::Off,
        };
        let core = Core::new(opts, Box::new(|_| {})).unwrap();
        core.input(Input::Catalog(hallq::kiosk::catalog_from_config(&hall.config())));
        let mut taps = Vec::new();
        for _ in 0..100 {
            for a in [UiAction::Tile(TileId::Hot), UiAction::Item("sfz-buling".into()), UiAction::TakeNumber, UiAction::SkipIdentity] {
                core.input(Input::Ui(a));
            }
            let before = sim.printed().len();
            let t = Instant::now();
            core.input(Input::Ui(UiAction::Confirm));
            // The simulator records a ticket when its last byte (the cut) arrives.
            while sim.printed().len() == before {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            taps.push(t.elapsed());
            while core.view().screen != Screen::Ticket {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            core.input(Input::Ui(UiAction::Home));
        }
        taps
    });
    taps.sort();
    let p = |q: f64| taps[((taps.len() as f64 * q) as usize).min(taps.len() - 1)].as_secs_f64() * 1e3;
    println!("kiosk benchmark (release, software renderer, 1080x1920)");
    println!("  time to first frame          : {:.1} ms (platform, window, home view, first render)", first_frame.as_secs_f64() * 1e3);
    println!("  full redraw                  : {:.1} ms", redraw.as_secs_f64() * 1e3);
    println!("  resident memory after frame  : {rss_after_frame:.1} MB (this benchmark process)");
    println!(
        "  confirm tap to last ticket byte: p50 {:.2} ms, p99 {:.2} ms over {} tickets (HTTP issue + status checks + ESC/POS)",
        p(0.5),
        p(0.99),
        taps.len()
    );
}
