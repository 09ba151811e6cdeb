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

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
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
    println!(
        "  simulated day starting {} at {}x speed; data in {}",
        start.with_timezone(&offset).format("%Y-%m-%d %H:%M"),
        opts.speed,
        opts.data.display()
    );
    println!("  start page:     http://{addr}/  (every page, what it is for)");
    println!("  manager console: http://{addr}/console  (staff 9001, password demo-9001)");
    println!(
        "  service desk:   http://{addr}/desk  (staff 1001, password demo-1001; its printer draws to {}/sim/desk-1/)",
        opts.data.display()
    );
    println!("  hall overview:  http://{addr}/overview#token=demo-display");
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
    crate::reports::spawn(&hall)?;
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

const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
const GIVEN_FEMALE: &[&str] = &["芳", "娜", "秀英", "敏", "静", "丽", "艳", "娟", "秀兰", "霞"];
const GIVEN_MALE: &[&str] = &["伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超"];
const REGIONS: &[&str] = &["430102", "430103", "430104", "430105", "430111", "430121", "430181"];

/// The demo's visitors are born between these days: the oldest are well past the age of
/// the automatic green channel (70 in the demo hall), the youngest are adults.
fn birth_range() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date"), NaiveDate::from_ymd_opt(2005, 12, 31).expect("valid date"))
}

/// A synthetic resident ID number: the 6-digit area code, the birth date as YYYYMMDD, a
/// 3-digit sequence (odd for men, even for women) and the GB 11643 check character.
fn id_number(area: &str, birth: NaiveDate, seq: u32) -> String {
    debug_assert!(area.len() == 6 && area.bytes().all(|b| b.is_ascii_digit()), "area code {area}");
    debug_assert!((1000..=9999).contains(&birth.year()), "birth year {birth}");
    crate::identity::with_check_char(&format!("{area}{}{:03}", birth.format("%Y%m%d"), seq % 1000))
}

/// A random visitor with a valid (synthetic) ID number.
fn visitor(rng: &mut impl Rng) -> (String, String) {
    let (from, until) = birth_range();
    let birth = from + chrono::Days::new(rng.random_range(0..=(until - from).num_days().unsigned_abs()));
    let female = rng.random_bool(0.5);
    let given = if female { GIVEN_FEMALE } else { GIVEN_MALE };
    let seq = rng.random_range(0..500) * 2 + u32::from(!female);
    let id = id_number(REGIONS.choose(rng).expect("non-empty"), birth, seq);
    (id, format!("{}{}", SURNAMES.choose(rng).expect("non-empty"), given.choose(rng).expect("non-empty")))
}

/// A person of the demo's scripted kiosk visitors.
#[cfg_attr(not(feature = "ui"), allow(dead_code))]
struct KioskVisitor {
    id_number: String,
    name: String,
    birth: NaiveDate,
    female: bool,
}

/// The card of the demo kiosk's visitor number `n`: the same person for the same `n` (the
/// demo's booking and approval systems send appointments and results for these cards),
/// a different ID number for each of the first millions, and a valid one for any `n`.
/// Birth dates spread evenly over [`birth_range`], so about a quarter are old enough for
/// the automatic green channel.
#[cfg_attr(not(feature = "ui"), allow(dead_code))]
fn kiosk_visitor(n: usize) -> KioskVisitor {
    const PEOPLE: [(&str, bool); 5] = [("王芳", true), ("李强", false), ("张伟", false), ("刘洋", false), ("陈静", true)];
    // Consecutive visitors are born far apart: a stride coprime with the number of days
    // visits every day once before any repeats.
    const STRIDE: u64 = 9973;
    let (from, until) = birth_range();
    let days = (until - from).num_days().unsigned_abs() + 1;
    let n = n as u64;
    let birth = from + chrono::Days::new((n % days) * STRIDE % days);
    let (name, female) = PEOPLE[(n % PEOPLE.len() as u64) as usize];
    let seq = ((n / days) % 500) as u32 * 2 + u32::from(!female);
    let area = REGIONS[(n % REGIONS.len() as u64) as usize];
    KioskVisitor { id_number: id_number(area, birth, seq), name: name.into(), birth, female }
}

/// Prints a newly issued ticket on the simulated printer and keeps its picture as
/// `DIR/DATE/NUMBER.png`.
fn print_ticket(hall: &Hall, printer: &mut TicketPrinter, sim: &SimPrinter, template: &Template, dir: &std::path::Path, id: &str) {
    let Some(ticket) = hall.view().state.tickets.get(id).cloned() else { return };
    let model =
        crate::tickets::model(&crate::api::ticket_view(hall, &ticket, &crate::api::Viewer::Kiosk, crate::api::TicketAnswer::Issuing));
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
            let kiosk = if rng.random_bool(0.5) { "kiosk-1" } else { "kiosk-2" };
            engine::IssueRequest {
                actor: engine::Actor::token(kiosk),
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
                kiosk: Some(kiosk.into()),
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
    hall.submit(Command::Window { window, action, actor: crate::engine::Actor::token(format!("counter-{window}")) })
        .await
        .map(|a| a.records.into_iter().map(|r| r.event).collect())
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
            let queue_minutes =
                hall.view().state.tickets.get(&ticket).and_then(|t| config.queue(&t.queue)).map(|q| q.service_minutes).unwrap_or(8);
            (rng.random_bool(0.05), rng.random_bool(0.03), rng.random_bool(0.6), queue_minutes as f64 * rng.random_range(0.5..1.5))
        };
        sim_sleep(&clock, chrono::Duration::seconds(40)).await;
        if no_show {
            // Recalled as often as the hall's 过号 rule asks (or until its minutes have
            // passed), then marked.
            let rule = &config.rules;
            for _ in 0..rule.no_show_after_recalls.min(rule.max_recalls) {
                let _ = act(&hall, window, WindowAction::Recall).await;
                sim_sleep(&clock, chrono::Duration::seconds(rule.recall_min_gap_secs.max(30) as i64)).await;
            }
            if rule.no_show_after_recalls == 0 || rule.no_show_after_recalls > rule.max_recalls {
                sim_sleep(&clock, chrono::Duration::minutes(rule.no_show_after_minutes as i64)).await;
            }
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
            let rating = *[
                Rating::VerySatisfied,
                Rating::VerySatisfied,
                Rating::VerySatisfied,
                Rating::Satisfied,
                Rating::Satisfied,
                Rating::Neutral,
                Rating::Dissatisfied,
            ]
            .choose(&mut rand::rng())
            .expect("non-empty");
            // The visitor rates on their phone (the ticket's token).
            let _ = hall.submit(Command::Rate { ticket, rating, source: engine::RatingSource::Visitor, device: None }).await;
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
        out.push_str(&format!("\n  页面 http://{addr}/#token=demo-display   Ctrl-C 停止\n"));
    }
    print!("{out}");
}

/// Whether a screen is attached (an X or Wayland session, or a DRM device for linuxkms).
pub fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
        || std::path::Path::new("/dev/dri/card0").exists()
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
        // The hall stopped (Ctrl-C, or it failed): the kiosk window closes with it.
        hallq_ui::kiosk::quit();
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
        journal: None,
        clock: None,
        server: format!("http://{addr}"),
        token: "demo-kiosk-1".into(),
        ca: None,
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
    // The caller returns from main, which ends the demo hall's thread with the process.
    println!("kiosk window closed: demo stopped");
    Ok(())
}

/// What the booking and approval systems would have sent: an appointment for every fourth
/// kiosk visitor (from the second) and a result document for every fourth (from the third).
/// They are other systems of the hall, so they speak to it as those would: over the API,
/// with [`HallClient`] and the typed requests of the contract.
#[cfg(feature = "ui")]
async fn demo_errands(addr: SocketAddr, today: chrono::NaiveDate, offset: chrono::FixedOffset) {
    use base64::Engine as _;
    use hallq_proto::{BookAppointment, ClientError, DeliverResult, HallClient, Identity, ServiceId};
    let hall = HallClient::new(&format!("http://{addr}"), "demo-system");
    let slot =
        offset.from_local_datetime(&today.and_hms_opt(12, 0, 0).expect("valid time")).single().expect("fixed offsets are unambiguous");
    let pdf = base64::engine::general_purpose::STANDARD.encode(demo_result_pdf());
    let mut refused = 0usize;
    for n in 0..400usize {
        let KioskVisitor { id_number, name, .. } = kiosk_visitor(n);
        let identity = Identity { id_number, name };
        let service = ServiceId::from(["gjj-tiqu", "shebaoka", "huzhao"][n % 3]);
        let (what, sent) = match n % 4 {
            1 => {
                // One code per visitor and day, so a demo run on another day books anew.
                let code = format!("YY{}{n:04}", today.format("%m%d"));
                (
                    "the booking system's appointment",
                    hall.book_appointment(&BookAppointment { code, service, slot, identity: Some(identity) }).await.map(drop),
                )
            }
            2 => {
                let result = DeliverResult {
                    external_id: format!("DEMO-{today}-{n}"),
                    identity,
                    title: "营业执照（副本）".into(),
                    department: "市场监管局".into(),
                    pdf_base64: pdf.clone(),
                    keep_days: None,
                };
                ("the approval system's result document", hall.deliver_result(&result).await.map(drop))
            }
            _ => continue,
        };
        match sent {
            Ok(()) => {}
            Err(e @ ClientError::Unreachable(_)) => {
                eprintln!("demo: {what} for kiosk visitor {n} was not sent, and no more will be: {e}");
                return;
            }
            Err(e) => {
                if refused == 0 {
                    eprintln!("demo: the hall refused {what} for kiosk visitor {n}: {e}");
                }
                refused += 1;
            }
        }
    }
    if refused > 1 {
        eprintln!("demo: the hall refused {refused} of the demo's appointments and result documents");
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
    use hallq_drivers::idcard::{card::Gender, sim::SimReader, CardKind, Identity};
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
        journal: None,
        clock: None,
        server: format!("http://{addr}"),
        token: "demo-kiosk-2".into(),
        ca: None,
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
    let script = VisitorScript {
        items: vec!["gjj-tiqu".into(), "sfz-buling".into(), "shebaoka".into(), "huzhao".into()],
        count: 0,
        place_card: Box::new(move |n| {
            let visitor = kiosk_visitor(n);
            let card = Identity {
                id_number: visitor.id_number,
                name: visitor.name,
                birth: Some(visitor.birth),
                gender: if visitor.female { Gender::Female } else { Gender::Male },
                ..Identity::sample(CardKind::Resident)
            };
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
        if let Err(e) = run_headless(opts, dir, script) {
            eprintln!("demo kiosk stopped: {e:#}");
        }
    });
    if let Err(e) = spawned {
        eprintln!("demo kiosk: {e}");
    }
}

/// A headless kiosk for `hallq demo` where there is no display: simulated visitors tap
/// through it, and each screen they see is written to `dir` as PNG.
#[cfg(feature = "ui")]
fn run_headless(opts: crate::kiosk::runtime::KioskOptions, dir: PathBuf, visitors: VisitorScript) -> anyhow::Result<()> {
    use crate::kiosk::controller::Input;
    use crate::kiosk::runtime::{start, Core};
    use hallq_ui::view::{KioskView, UiAction};
    use std::sync::Mutex;
    std::fs::create_dir_all(&dir)?;
    let headless = hallq_ui::headless::Headless::init().map_err(|e| anyhow::anyhow!("{e}"))?;
    let window = hallq_ui::kiosk::new_window().map_err(|e| anyhow::anyhow!("{e}"))?;
    let latest: Arc<Mutex<Option<KioskView>>> = Arc::default();
    let l = latest.clone();
    let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |v| *l.lock().unwrap_or_else(|p| p.into_inner()) = Some(v));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let core = rt.block_on(async { Core::new(opts, render) })?;
    rt.spawn({
        let c = core.clone();
        async move { start(c) }
    });
    let mut shown = String::new();
    let mut step = 0usize;
    let mut last = hallq_ui::view::Screen::Home;
    let mut visitor = 0usize;
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let view = latest.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(view) = view {
            let name = view.screen.name().to_string();
            hallq_ui::kiosk::apply(&window, &view);
            // Keep the latest picture of each screen, and a numbered one of each change.
            if name != shown {
                let img = headless.render(1080, 1920);
                let _ = img.save(dir.join(format!("kiosk-{name}.png")));
                shown = name;
            }
        }
        // The next tap of the scripted visitor, when the kiosk shows what it expects.
        let now = core.view();
        if now.screen != last {
            last = now.screen;
            step = 0;
        }
        if let Some(action) = visitors.next(&now, visitor, &mut step) {
            if matches!(action, UiAction::Home) {
                visitor += 1;
            }
            let c = core.clone();
            rt.spawn(async move { c.input(Input::Ui(action)) });
        }
        if visitors.done(visitor) {
            break;
        }
    }
    Ok(())
}

/// Scripted kiosk visitors for the headless demo.
#[cfg(feature = "ui")]
struct VisitorScript {
    items: Vec<String>,
    count: usize,
    /// Places a card when a visitor is asked for one.
    place_card: Box<dyn Fn(usize) + Send + Sync>,
    pause_between: usize,
}

#[cfg(feature = "ui")]
impl VisitorScript {
    fn done(&self, visitor: usize) -> bool {
        self.count > 0 && visitor >= self.count
    }

    fn next(&self, view: &hallq_ui::view::KioskView, visitor: usize, step: &mut usize) -> Option<hallq_ui::view::UiAction> {
        use hallq_ui::view::{Screen, TileId, UiAction};
        *step += 1;
        let item = self.items.get(visitor % self.items.len().max(1))?.clone();
        // Most visitors take a number; every fourth checks in for an appointment, every
        // fourth prints a result (the demo books and delivers those for their cards).
        let errand = match visitor % 4 {
            1 => TileId::Appointment,
            2 => TileId::Results,
            _ => TileId::Hot,
        };
        match view.screen {
            Screen::Home if *step > self.pause_between => Some(UiAction::Tile(errand)),
            Screen::Appointment if *step == 3 => {
                (self.place_card)(visitor);
                None
            }
            Screen::Choices if *step > 4 && !view.choices.is_empty() => Some(UiAction::Choose(view.choices[0].id.clone())),
            Screen::Documents if view.progress_percent >= 100 && *step > 6 => Some(UiAction::Home),
            Screen::Choices | Screen::Appointment if *step > 30 => Some(UiAction::Home),
            Screen::Items if *step > 2 => Some(UiAction::Item(item)),
            Screen::Item if *step > 3 => Some(UiAction::TakeNumber),
            Screen::Identity if *step == 2 => {
                (self.place_card)(visitor);
                None
            }
            Screen::Identity if *step > 6 => Some(UiAction::SkipIdentity),
            Screen::Confirm if *step > 2 => Some(UiAction::Confirm),
            Screen::Ticket | Screen::Message if *step > 8 => Some(UiAction::Home),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallq_drivers::gb11643;
    use rand::SeedableRng;

    /// What the hall makes of a visitor's card: the GB 11643 check, the birth date read
    /// back from the number, and the holder the API would give the engine.
    fn check(n: &str, id: &str, name: &str) -> NaiveDate {
        assert_eq!(id.len(), 18, "{n}: {id} is not 18 characters");
        assert!(id[..17].bytes().all(|b| b.is_ascii_digit()), "{n}: {id}");
        assert!(gb11643::is_valid(id), "{n}: {id} has a wrong check character");
        assert_eq!(gb11643::check_char(&id[..17]), id[17..].chars().next(), "{n}: {id}");
        let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or_else(|e| panic!("{n}: birth date of {id}: {e}"));
        let (from, until) = birth_range();
        assert!(from <= birth && birth <= until, "{n}: {id} born {birth}");
        assert!((1940..=2005).contains(&birth.year()), "{n}: {id}");
        assert!(REGIONS.contains(&&id[..6]), "{n}: {id}");
        let holder = crate::identity::holder(id, name, b"demo test key").unwrap_or_else(|e| panic!("{n}: the hall refuses {id}: {e}"));
        assert_eq!(holder.birth_date, Some(birth), "{n}: {id}");
        birth
    }

    fn age(birth: NaiveDate, on: NaiveDate) -> i32 {
        on.year() - birth.year() - i32::from((on.month(), on.day()) < (birth.month(), birth.day()))
    }

    #[test]
    fn every_kiosk_visitor_has_a_valid_and_own_id_number() {
        let on = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let green_age = Config::demo().rules.green_channel_age as i32;
        assert!(green_age > 0, "the demo hall has an automatic green channel");
        let mut seen = std::collections::HashSet::new();
        let mut elderly = 0;
        for n in 0..10_000usize {
            let v = kiosk_visitor(n);
            let birth = check(&format!("kiosk visitor {n}"), &v.id_number, &v.name);
            assert_eq!(birth, v.birth, "visitor {n}: the card's birth date is the number's");
            // The sequence's last digit: odd for men, even for women, as the name.
            let seq: u32 = v.id_number[14..17].parse().unwrap();
            assert_eq!(seq.is_multiple_of(2), v.female, "visitor {n}: {} {}", v.id_number, v.name);
            assert!(seen.insert(v.id_number.clone()), "visitor {n} has the number of an earlier one: {}", v.id_number);
            assert_eq!(kiosk_visitor(n).id_number, v.id_number, "visitor {n} is the same person each time");
            if age(birth, on) >= green_age {
                elderly += 1;
            }
        }
        // About a quarter are old enough for the green channel; none is too young to come alone.
        assert!((1_500..=3_500).contains(&elderly), "{elderly} of 10,000 kiosk visitors are {green_age} or older");
        // The bug of issue 9: visitor 45 had the year 1000 and a 17-digit number too long.
        for n in [44, 45, 49, 50, 999, 1_000, 24_106, 24_107, 24_108, 1_000_000, 12_053_499, 12_053_500, 98_765_432, usize::MAX] {
            let v = kiosk_visitor(n);
            check(&format!("kiosk visitor {n}"), &v.id_number, &v.name);
        }
    }

    #[test]
    fn every_random_visitor_has_a_valid_id_number() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let mut elderly = 0;
        let on = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        for n in 0..10_000 {
            let (id, name) = visitor(&mut rng);
            let birth = check(&format!("random visitor {n}"), &id, &name);
            if age(birth, on) >= 70 {
                elderly += 1;
            }
        }
        assert!(elderly >= 1_000, "{elderly} of 10,000 random visitors are 70 or older");
        // Every day of the range is a birth date that parses, the first and the last included.
        let (from, until) = birth_range();
        for birth in [from, until, NaiveDate::from_ymd_opt(2000, 2, 29).unwrap()] {
            check(&format!("born {birth}"), &id_number("430102", birth, 7), "王芳");
        }
    }
}
