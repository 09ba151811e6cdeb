//! `hallq demo`: the demo hall in one process. The hall service runs on a simulated day
//! (a clock the demo controls, so the demo works at any hour in any time zone), scripted
//! visitors take numbers and scripted counters call and serve them, and the terminal shows
//! a live summary. The pages and API are at the listen address as with `hallq serve`.

use hallq_proto::ErrorCode;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveTime, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::Rng;

use crate::config::{Config, IdentityRule};
use crate::engine::{self, Command, Event, Outcome, Priority, Rating, Status, WindowAction};
use crate::service::{Clock, Hall, ServiceError, SimClock};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::Template;
use hallq_drivers::printer::TicketPrinter;

#[derive(Clone)]
pub struct DemoOptions {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub speed: f64,
    pub run_for: Option<Duration>,
    /// The kiosk runs in a window on this machine's display (started by the caller), so
    /// the demo does not run its headless kiosk.
    pub kiosk_window: bool,
}

/// Sleeps for `sim` of simulated time.
async fn sim_sleep(clock: &SimClock, sim: chrono::Duration) {
    let real = sim.num_milliseconds().max(0) as f64 / clock.speed();
    tokio::time::sleep(Duration::from_millis(real.max(5.0) as u64)).await;
}

fn local_time(config: &Config, clock: &SimClock) -> NaiveTime {
    engine::local(config, clock.now()).time()
}

pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    let mut config = Config::demo();
    // The demo's appointments are all at noon; its kiosk visitors come all day.
    config.rules.appointment_checkin_early_minutes = 12 * 60;
    config.rules.appointment_checkin_late_minutes = 12 * 60;
    let offset = config.offset();
    let today = Utc::now().with_timezone(&offset).date_naive();
    let start = offset
        .from_local_datetime(&today.and_hms_opt(8, 58, 0).expect("valid time"))
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc);
    let clock = Arc::new(SimClock::new(start, opts.speed));
    let listener = crate::server::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let hall = Hall::start(config.clone(), &opts.data, clock.clone())?;

    println!("hallq demo — {} ({})", config.hall.name, config.hall.name_en);
    println!("  simulated day starting {} at {}x speed; data in {}", start.with_timezone(&offset).format("%Y-%m-%d %H:%M"), opts.speed, opts.data.display());
    println!("  hall overview:  http://{addr}/?token=demo-display");
    println!("  API:            http://{addr}/api/v1/state  (Authorization: Bearer demo-display)");
    println!("  OpenAPI:        http://{addr}/api/v1/openapi.json");
    println!("  printed tickets (simulated printer): {}/DATE/NUMBER.png", opts.data.join("tickets").display());
    println!("  Ctrl-C stops the demo; `hallq log verify --data {}` checks its log.", opts.data.display());
    println!();

    let server = tokio::spawn({
        let app = crate::server::app(hall.clone());
        async move { axum::serve(listener, app).await }
    });
    let mut tasks = vec![crate::server::spawn_ticker(hall.clone())];
    let tickets_dir = opts.data.join("tickets");
    tasks.push(tokio::spawn(visitors(hall.clone(), clock.clone(), tickets_dir.clone(), addr)));
    for w in &config.windows {
        tasks.push(tokio::spawn(counter(hall.clone(), clock.clone(), w.number)));
    }
    tasks.push(tokio::spawn(night(hall.clone(), clock.clone())));
    #[cfg(feature = "ui")]
    if !opts.kiosk_window {
        start_kiosk(&opts.data, addr);
    }
    tasks.push(tokio::spawn(summary(hall.clone(), addr)));

    match opts.run_for {
        Some(d) => tokio::select! {
            _ = tokio::time::sleep(d) => {},
            _ = crate::server::shutdown_signal() => {},
        },
        None => crate::server::shutdown_signal().await,
    }
    for t in tasks {
        t.abort();
    }
    server.abort();
    print_summary(&hall, addr, false);
    hall.shutdown().await;
    match crate::store::verify(hall.db_path())? {
        crate::store::Verdict::Intact { events, .. } => println!("event log: chain intact, {events} events"),
        crate::store::Verdict::Broken { seq, reason } => println!("event log: BROKEN at {seq}: {reason}"),
    }
    Ok(())
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"];
const REGIONS: &[&str] = &["430102", "430103", "430104", "430105", "430111", "430121", "430181"];

/// A random visitor with a valid (synthetic) ID number.
fn visitor(rng: &mut impl Rng) -> (String, String) {
    let year = rng.random_range(1938..=2006);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let first17 = format!("{}{year:04}{month:02}{day:02}{:03}", REGIONS.choose(rng).expect("non-empty"), rng.random_range(0..1000));
    let name = format!("{}{}", SURNAMES.choose(rng).expect("non-empty"), GIVEN.choose(rng).expect("non-empty"));
    (crate::identity::with_check_char(&first17), name)
}

/// Prints a newly issued ticket on the simulated printer and keeps its picture as
/// `DIR/DATE/NUMBER.png`.
fn print_ticket(hall: &Hall, printer: &mut TicketPrinter, sim: &SimPrinter, template: &Template, dir: &std::path::Path, id: &str) {
    let Some(ticket) = hall.view().state.tickets.get(id).cloned() else { return };
    let model = crate::tickets::model(&hall.config(), &ticket, ticket.people_ahead_at_issue, ticket.estimate_minutes_at_issue);
    if let Err(e) = printer.print_ticket(template, &model) {
        tracing::warn!("demo ticket printer: {e}");
        return;
    }
    let day = dir.join(ticket.date.to_string());
    if std::fs::create_dir_all(&day).is_err() {
        return;
    }
    for p in sim.take_printed() {
        if let Err(e) = p.save_png(&day.join(format!("{}.png", ticket.number))) {
            tracing::warn!("cannot save the demo ticket: {e}");
        }
    }
}

/// Visitors arrive about three a simulated minute, more for popular items.
async fn visitors(hall: Hall, clock: Arc<SimClock>, tickets_dir: PathBuf, addr: SocketAddr) {
    let config = hall.config().clone();
    let sim = SimPrinter::new();
    let mut printer = TicketPrinter::new(Box::new(sim.transport()));
    let template = Template { status_url: format!("http://{addr}/t/{{id}}?token={{token}}"), ..Template::default() };
    let weights: Vec<(usize, u32)> = config.services.iter().enumerate().map(|(i, s)| (i, if s.hot { 4 } else { 1 })).collect();
    loop {
        let gap = {
            let mut rng = rand::rng();
            chrono::Duration::milliseconds(rng.random_range(4_000..36_000))
        };
        sim_sleep(&clock, gap).await;
        let now = clock.now();
        let request = {
            let mut rng = rand::rng();
            let (index, _) = *weights.choose_weighted(&mut rng, |(_, w)| *w).expect("weights");
            let service = &config.services[index];
            let wants_id = match service.identity {
                IdentityRule::Required => true,
                IdentityRule::Optional => rng.random_bool(0.5),
                IdentityRule::None => false,
            };
            let holder = if wants_id {
                let (id, name) = visitor(&mut rng);
                crate::identity::holder(&id, &name, hall.identity_key()).ok()
            } else {
                None
            };
            let appointment = rng.random_bool(0.05);
            let slot = appointment.then(|| now + chrono::Duration::minutes(rng.random_range(2..6) * 10));
            engine::IssueRequest {
                request_id: format!("demo-{:032x}", rng.random::<u128>()),
                service: service.id.clone(),
                priority: if appointment {
                    Priority::Appointment
                } else if rng.random_bool(0.02) {
                    Priority::Green
                } else {
                    Priority::Normal
                },
                channel: if appointment { engine::Channel::Appointment } else { engine::Channel::Kiosk },
                kiosk: Some(if rng.random_bool(0.5) { "kiosk-1" } else { "kiosk-2" }.into()),
                holder,
                appointment_slot: slot,
                token: format!("{:032x}", rng.random::<u128>()),
            }
        };
        let retry = rand::rng().random_bool(0.02);
        let first = hall.submit(Command::Issue(request.clone())).await;
        if let Ok(crate::service::Accepted { outcome: Outcome::Ticket { id, repeated: false }, .. }) = &first {
            let (hall, sim, template, dir, id) = (hall.clone(), sim.clone(), template.clone(), tickets_dir.clone(), id.clone());
            printer = tokio::task::spawn_blocking(move || {
                print_ticket(&hall, &mut printer, &sim, &template, &dir, &id);
                printer
            })
            .await
            .expect("printing does not panic");
        }
        if retry {
            // A kiosk that lost the answer retries with the same request_id: same ticket.
            if let (Ok(a), Ok(b)) = (&first, hall.submit(Command::Issue(request)).await) {
                debug_assert!(matches!((&a.outcome, &b.outcome), (Outcome::Ticket { id: x, .. }, Outcome::Ticket { id: y, .. }) if x == y));
            }
        }
        if let Err(ServiceError::Rejected(r)) = &first {
            if matches!(r.code(), ErrorCode::BeforeHours | ErrorCode::LunchBreak | ErrorCode::AfterCutoff | ErrorCode::HallClosedToday) {
                sim_sleep(&clock, chrono::Duration::minutes(5)).await;
            }
        }
    }
}

fn in_session(config: &Config, t: NaiveTime) -> bool {
    config.sessions().iter().any(|(s, e)| *s <= t && t < *e)
}

async fn act(hall: &Hall, window: u32, action: WindowAction) -> Result<Vec<Event>, ServiceError> {
    hall.submit(Command::Window { window, action }).await.map(|a| a.records.into_iter().map(|r| r.event).collect())
}

/// One window's member of staff: calls, serves, sometimes recalls and marks no-shows,
/// transfers now and then, asks for a rating, pauses for lunch, closes in the evening.
async fn counter(hall: Hall, clock: Arc<SimClock>, window: u32) {
    let config = hall.config().clone();
    let last_end = config.sessions().last().expect("validated: one session at least").1;
    loop {
        let t = local_time(&config, &clock);
        let (open, paused) = {
            let view = hall.view();
            view.state.windows.get(&window).map(|w| (w.open, w.paused.is_some())).unwrap_or((false, false))
        };
        if !in_session(&config, t) {
            if t < last_end && open && !paused && t > config.sessions()[0].0 {
                let _ = act(&hall, window, WindowAction::Pause { reason: "午休".into() }).await;
            } else if t >= last_end && open {
                let _ = act(&hall, window, WindowAction::Close).await;
            }
            sim_sleep(&clock, chrono::Duration::minutes(1)).await;
            continue;
        }
        if paused {
            let _ = act(&hall, window, WindowAction::Resume).await;
        }
        let called = match act(&hall, window, WindowAction::CallNext).await {
            Ok(events) => events.into_iter().find_map(|e| match e {
                Event::TicketCalled { ticket, .. } => Some(ticket),
                _ => None,
            }),
            Err(_) => None,
        };
        let Some(ticket) = called else {
            let idle = chrono::Duration::seconds(rand::rng().random_range(30..90));
            sim_sleep(&clock, idle).await;
            continue;
        };
        let (no_show, transfer, rate, minutes) = {
            let mut rng = rand::rng();
            let queue_minutes = hall.view().state.tickets.get(&ticket).and_then(|t| config.queue(&t.queue)).map(|q| q.service_minutes).unwrap_or(8);
            (rng.random_bool(0.05), rng.random_bool(0.03), rng.random_bool(0.6), queue_minutes as f64 * rng.random_range(0.5..1.5))
        };
        sim_sleep(&clock, chrono::Duration::seconds(40)).await;
        if no_show {
            let _ = act(&hall, window, WindowAction::Recall).await;
            sim_sleep(&clock, chrono::Duration::seconds(60)).await;
            let _ = act(&hall, window, WindowAction::NoShow).await;
            continue;
        }
        let _ = act(&hall, window, WindowAction::Start).await;
        sim_sleep(&clock, chrono::Duration::seconds((minutes * 60.0) as i64)).await;
        if transfer {
            let other = {
                let view = hall.view();
                let current = view.state.tickets.get(&ticket).map(|t| t.queue.clone()).unwrap_or_default();
                let candidates: Vec<&crate::config::Service> = config.services.iter().filter(|s| s.queue != current).collect();
                candidates.choose(&mut rand::rng()).map(|s| s.id.clone())
            };
            if let Some(service) = other {
                let _ = act(&hall, window, WindowAction::Transfer { service }).await;
                continue;
            }
        }
        let _ = act(&hall, window, WindowAction::Finish).await;
        if rate {
            let rating = *[Rating::VerySatisfied, Rating::VerySatisfied, Rating::VerySatisfied, Rating::Satisfied, Rating::Satisfied, Rating::Neutral, Rating::Dissatisfied]
                .choose(&mut rand::rng())
                .expect("non-empty");
            let _ = hall.submit(Command::Rate { ticket, rating }).await;
        }
    }
}

/// After the hall closes, skips the night: the clock jumps to just before opening.
async fn night(hall: Hall, clock: Arc<SimClock>) {
    let config = hall.config().clone();
    let offset = config.offset();
    loop {
        sim_sleep(&clock, chrono::Duration::minutes(5)).await;
        let here = engine::local(&config, clock.now());
        if here.time() >= NaiveTime::from_hms_opt(18, 0, 0).expect("valid") {
            let next = (here.date() + chrono::Duration::days(1)).and_hms_opt(8, 58, 0).expect("valid");
            if let Some(t) = offset.from_local_datetime(&next).single() {
                clock.advance_to(t.with_timezone(&Utc));
            }
        }
    }
}

async fn summary(hall: Hall, addr: SocketAddr) {
    let tty = std::io::stdout().is_terminal();
    let mut every = tokio::time::interval(Duration::from_secs(if tty { 2 } else { 10 }));
    loop {
        every.tick().await;
        print_summary(&hall, addr, tty);
    }
}

fn print_summary(hall: &Hall, addr: SocketAddr, redraw: bool) {
    let config: &crate::config::Config = &hall.config();
    let now = engine::local(config, hall.now());
    let view = hall.view();
    let count = |s: Status| view.state.tickets.values().filter(|t| t.status == s).count();
    let mut out = String::new();
    if redraw {
        out.push_str("\x1b[2J\x1b[H");
    }
    out.push_str(&format!(
        "{}  模拟时间 {}  |  已取号 {}  等候 {}  呼叫中 {}  办理中 {}  已办结 {}  过号 {}  |  事件 {}\n",
        config.hall.name,
        now.format("%Y-%m-%d %H:%M"),
        view.state.tickets.len(),
        count(Status::Waiting),
        count(Status::Called),
        count(Status::Serving),
        count(Status::Finished),
        count(Status::NoShow),
        hall.last_seq()
    ));
    let summary = engine::queue_summary(&view.state, config);
    let queues: Vec<String> = config
        .queues
        .iter()
        .zip(&summary)
        .map(|(q, (_, waiting, est))| format!("{} {}：等候{} 约{}分钟", q.prefix, q.name, waiting, est))
        .collect();
    for chunk in queues.chunks(3) {
        out.push_str(&format!("  {}\n", chunk.join("   ")));
    }
    let calls: Vec<String> = view
        .recent_calls
        .iter()
        .rev()
        .take(6)
        .filter_map(|r| match &r.event {
            Event::TicketCalled { number, window, .. } => Some(format!("请{number}号到{window}号窗口办理")),
            Event::TicketRecalled { number, window, .. } => Some(format!("（重呼）请{number}号到{window}号窗口办理")),
            _ => None,
        })
        .collect();
    if !calls.is_empty() {
        out.push_str(&format!("  最新呼叫：{}\n", calls.join("  ")));
    }
    if redraw {
        out.push_str(&format!("\n  页面 http://{addr}/?token=demo-display   Ctrl-C 停止\n"));
    }
    print!("{out}");
}

/// Whether a screen is attached (an X or Wayland session, or a DRM device for linuxkms).
pub fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() || std::path::Path::new("/dev/dri/card0").exists()
}

/// The demo with its kiosk in a window on this machine's display: the hall service and the
/// scripted hall run in the background; a person taps the kiosk. Err (before anything
/// started) when no window can be opened, so the caller can fall back to the headless demo.
#[cfg(feature = "ui")]
pub fn run_with_window(opts: DemoOptions) -> anyhow::Result<()> {
    let window = hallq_ui::kiosk::new_window().map_err(|e| anyhow::anyhow!("{e}"))?;
    let (data, addr) = (opts.data.clone(), opts.listen);
    let demo = std::thread::Builder::new().name("demo-hall".into()).spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
        if let Err(e) = rt.block_on(run(DemoOptions { kiosk_window: true, ..opts })) {
            eprintln!("demo: {e:#}");
        }
        std::process::exit(0);
    })?;
    // Wait for the hall service before the kiosk asks it for the catalogue.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() && std::time::Instant::now() < deadline && !demo.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("  the kiosk is in a window on this display; close it to stop the demo");
    let dir = data.join("kiosk");
    let printer = SimPrinter::new();
    let _ = std::fs::create_dir_all(dir.join("tickets"));
    printer.save_to(&dir.join("tickets"));
    let opts = crate::kiosk::runtime::KioskOptions {
        server: format!("http://{addr}"),
        token: "demo-kiosk-1".into(),
        printer: "sim://printer".into(),
        idcard: None,
        sim_printer: Some(printer),
        kiosk_id: "kiosk-1".into(),
        a4: Some("sim://a4".into()),
        scanner: Some("sane:test:0".into()),
        sane_config_dir: hallq_drivers::scanner::test_backend_config(&dir.join("sane")).ok(),
        work_dir: dir.join("work"),
        voice: crate::kiosk::errands::VoiceOut::Speaker,
    };
    crate::kiosk::runtime::run_in(window, opts)?;
    println!("kiosk window closed: demo stopped");
    std::process::exit(0);
}

/// The card of the demo kiosk's visitor number `n`.
#[cfg(feature = "ui")]
fn kiosk_visitor(n: usize) -> (String, String) {
    let first17 = format!("4301021{}{:02}{:02}{:03}", 955 + (n % 50), 1 + n % 12, 1 + n % 28, n % 1000);
    (hallq_drivers::gb11643::with_check_char(&first17), ["王芳", "李强", "张伟", "刘洋", "陈静"][n % 5].into())
}

/// What the booking and approval systems would have sent: an appointment for every fourth
/// kiosk visitor (from the second) and a result document for every fourth (from the third).
#[cfg(feature = "ui")]
async fn demo_errands(addr: SocketAddr, today: chrono::NaiveDate, offset: chrono::FixedOffset) {
    use base64::Engine as _;
    let http = reqwest::Client::new();
    let base = format!("http://{addr}/api/v1");
    let slot = offset.from_local_datetime(&today.and_hms_opt(12, 0, 0).expect("valid time")).single().expect("fixed offset").to_rfc3339();
    let pdf = base64::engine::general_purpose::STANDARD.encode(demo_result_pdf());
    for n in 0..400usize {
        let (id, name) = kiosk_visitor(n);
        let service = ["gjj-tiqu", "shebaoka", "huzhao"][n % 3];
        let body = match n % 4 {
            1 => (
                "appointments",
                serde_json::json!({"code": format!("YY{n:04}"), "service": service, "slot": slot, "identity": {"id_number": id, "name": name}}),
            ),
            2 => (
                "results",
                serde_json::json!({"external_id": format!("DEMO-{today}-{n}"), "identity": {"id_number": id, "name": name}, "title": "营业执照（副本）", "department": "市场监管局", "pdf_base64": pdf}),
            ),
            _ => continue,
        };
        if let Err(e) = http.post(format!("{base}/{}", body.0)).bearer_auth("demo-system").json(&body.1).send().await {
            eprintln!("demo: could not send the demo's {}: {e}", body.0);
            return;
        }
    }
}

/// A one-page PDF standing in for a result document.
#[cfg(feature = "ui")]
fn demo_result_pdf() -> Vec<u8> {
    let page = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(620, 877, |x, y| {
        let line = (60..820).contains(&y) && y % 40 < 6 && (60..560).contains(&x);
        let title = (40..70).contains(&y) && (160..460).contains(&x);
        image::Luma([if line || title { 90 } else { 255 }])
    }));
    hallq_drivers::pdf::images_to_pdf(&[page], 75).unwrap_or_default()
}

/// The kiosk of the demo: the real kiosk runtime with the simulated printer and ID-card
/// reader, tapped through by simulated visitors, its screens and tickets written as PNG.
#[cfg(feature = "ui")]
fn start_kiosk(data: &std::path::Path, addr: SocketAddr) {
    use hallq_drivers::idcard::{sim::SimReader, CardKind, Identity};
    let dir = data.join("kiosk");
    if !has_display() {
        println!("  no display (no DISPLAY, WAYLAND_DISPLAY or /dev/dri): the kiosk runs headless; simulated visitors tap through it");
    }
    println!("  kiosk screens and its printed tickets: {}", dir.display());
    let printer = SimPrinter::new();
    let _ = std::fs::create_dir_all(dir.join("tickets"));
    printer.save_to(&dir.join("tickets"));
    let config = Config::demo();
    tokio::spawn(demo_errands(addr, Utc::now().with_timezone(&config.offset()).date_naive(), config.offset()));
    let reader = match SimReader::start() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo kiosk: cannot start the simulated ID-card reader: {e}");
            return;
        }
    };
    let opts = crate::kiosk::runtime::KioskOptions {
        server: format!("http://{addr}"),
        token: "demo-kiosk-2".into(),
        printer: "sim://printer".into(),
        idcard: Some(reader.uri()),
        sim_printer: Some(printer),
        kiosk_id: "kiosk-2".into(),
        a4: Some("sim://a4".into()),
        scanner: Some("sane:test:0".into()),
        sane_config_dir: hallq_drivers::scanner::test_backend_config(&dir.join("sane")).ok(),
        work_dir: dir.join("work"),
        voice: crate::kiosk::errands::VoiceOut::Off,
    };
    let script = crate::kiosk::runtime::VisitorScript {
        items: vec!["gjj-tiqu".into(), "sfz-buling".into(), "shebaoka".into(), "huzhao".into()],
        count: 0,
        place_card: Box::new(move |n| {
            let mut card = Identity::sample(CardKind::Resident);
            (card.id_number, card.name) = kiosk_visitor(n);
            reader.place(card);
            let r = reader.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(3));
                r.lift();
            });
        }),
        pause_between: 10,
    };
    let spawned = std::thread::Builder::new().name("demo-kiosk".into()).spawn(move || {
        if let Err(e) = crate::kiosk::runtime::run_headless(opts, dir, script) {
            eprintln!("demo kiosk stopped: {e:#}");
        }
    });
    if let Err(e) = spawned {
        eprintln!("demo kiosk: {e}");
    }
}
