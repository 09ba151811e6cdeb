//! Snapshot tests: a behaviour change shows up as a reviewed diff of a text file under
//! `tests/snapshots/` instead of a silent change.
//!
//! - `engine_transcript`: a scripted hall day through the pure engine, one line per command
//!   with the events it gave (or `! code` for a refusal);
//! - `views_*`: the JSON each role receives (state, catalogue, a ticket, the stream's events)
//!   from a hall service in a fixed state;
//! - `ticket_*`: the ESC/POS bytes of a printed ticket, one decoded command a line with its
//!   bytes in hex, for a normal and an offline ticket.
//!
//! Everything is fixed: the clock (a clock the test sets, not a running one), the identity
//! key, request ids, tokens and nonces. A mismatch fails the test and leaves a `.snap.new`
//! beside the snapshot; review it with `cargo insta review`, or accept every new snapshot
//! with `INSTA_UPDATE=always cargo test --no-default-features --test snapshots` and read the
//! diff in `git diff` before committing.

use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, NaiveTime, TimeZone};
use hallq::api::views::{self, TicketAnswer, Viewer};
use hallq::config::Config;
use hallq::engine::{
    self, Actor, Appointment, Channel, Command, DeviceRating, Holder, OfflineTicket, Outcome, Priority, Rating, RatingSource, State, Ts,
    WindowAction,
};
use hallq::service::{Clock, Hall};
use hallq::store::Record;
use hallq_drivers::printer::decode::decode_partial;
use hallq_drivers::printer::encode::encode;
use hallq_drivers::printer::ticket::Template;

/// Friday 2026-11-27 (day 1) in the demo hall's zone.
fn at(config: &Config, day: u32, hm: &str) -> Ts {
    let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap() + chrono::Duration::days(day as i64);
    let t = NaiveTime::parse_from_str(hm, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(hm, "%H:%M")).unwrap();
    config.offset().from_local_datetime(&d.and_time(t)).unwrap().with_timezone(&chrono::Utc)
}

fn holder(name: &str, id: &str, person: &str, born: Option<&str>) -> Option<Holder> {
    Some(Holder {
        masked_name: name.into(),
        masked_id: id.into(),
        id_hash: person.into(),
        birth_date: born.map(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").unwrap()),
    })
}

fn issue(req: &str, service: &str, holder: Option<Holder>) -> Command {
    Command::Issue(engine::IssueRequest {
        actor: Default::default(),
        request_id: req.into(),
        service: service.into(),
        priority: Priority::Normal,
        channel: Channel::Kiosk,
        kiosk: Some("kiosk-1".into()),
        holder,
        appointment_slot: None,
        token: format!("tok-{req}"),
    })
}

fn window(n: u32, action: WindowAction) -> Command {
    // Window 4 is worked by a signed-in member of staff, the others by their counter token.
    let actor = if n == 4 { Actor::staff("8001") } else { Actor::token(format!("counter-{n}")) };
    Command::Window { window: n, action, actor }
}

/// One step of the scripted day: hall-local day and time, and the command.
struct Step {
    day: u32,
    time: &'static str,
    command: Command,
}

fn step(day: u32, time: &'static str, command: Command) -> Step {
    Step { day, time, command }
}

/// The morning both the transcript and the views run: windows open, tickets of two queues
/// (one green by age), calls, a recall, a service with a rating from the window's tablet, a
/// device fault, a pause, an appointment booked, a lease of numbers and an offline ticket.
fn morning(config: &Config) -> Vec<Step> {
    let _ = config;
    vec![
        step(1, "08:58", window(4, WindowAction::Open)),
        step(1, "08:58", window(5, WindowAction::Open)),
        step(1, "08:59", window(7, WindowAction::Open)),
        step(1, "09:01", issue("r1", "linshi-sfz", holder("张*", "1101**********002X", "p1", None))),
        step(1, "09:02", issue("r2", "linshi-sfz", None)),
        step(1, "09:03", issue("r3", "hukou-qianru", holder("李*", "4301**********1234", "p2", None))),
        step(1, "09:04", issue("r4", "linshi-sfz", holder("王*", "4301**********5678", "p3", Some("1950-03-07")))),
        // The same tap again: the first answer, no new ticket.
        step(1, "09:04:20", issue("r4", "linshi-sfz", holder("王*", "4301**********5678", "p3", Some("1950-03-07")))),
        step(1, "09:05", window(4, WindowAction::CallNext)),
        step(1, "09:06", window(4, WindowAction::Start)),
        step(1, "09:07", window(5, WindowAction::CallNext)),
        step(1, "09:08", window(5, WindowAction::Recall)),
        step(1, "09:09", window(7, WindowAction::CallNext)),
        step(1, "09:10", window(4, WindowAction::Finish)),
        step(1, "09:10:30", window(4, WindowAction::RequestRating { nonce: "nonce-w4".into() })),
        step(1, "09:11", rate_by_tablet("B001")),
        step(1, "09:12", window(7, WindowAction::Start)),
        step(1, "09:13", Command::DeviceStatus { kiosk: "kiosk-1".into(), device: "ticket-printer".into(), fault: Some("缺纸".into()) }),
        step(1, "09:14", window(4, WindowAction::Pause { reason: "业务培训".into() })),
        step(1, "09:15", Command::Lease { kiosk: "kiosk-1".into(), queue: "B".into(), size: 5 }),
        step(1, "09:16", upload("B995", "09:15:40")),
        step(1, "09:17", book("Y2026112701", "hukou-qianru", "10:30")),
        step(1, "09:18", issue("r5", "no-such-item", None)),
    ]
}

/// The ticket numbered `number`, as the engine knows it at that point of the script.
fn rate_by_tablet(number: &'static str) -> Command {
    Command::Rate {
        ticket: number.into(),
        rating: Rating::Satisfied,
        source: RatingSource::Device { name: "rating-4".into() },
        device: Some(DeviceRating { window: 4, nonce: "nonce-w4".into() }),
    }
}

fn upload(number: &str, printed: &'static str) -> Command {
    Command::UploadOffline(Box::new(OfflineTicket {
        request_id: format!("off-{number}"),
        kiosk: "kiosk-1".into(),
        service: "linshi-sfz".into(),
        number: number.into(),
        issued_at: at(&Config::demo(), 1, printed),
        holder: holder("赵*", "1101**********0011", "p4", None),
        token: "tok-offline".into(),
    }))
}

fn book(code: &str, service: &str, slot: &'static str) -> Command {
    Command::BookAppointment(Appointment {
        code: code.into(),
        service: service.into(),
        slot: at(&Config::demo(), 1, slot),
        holder: holder("钱*", "1101**********0022", "p5", None),
        ticket: None,
    })
}

/// A rating names its ticket by id; the script names it by number.
fn resolve(state: &State, command: Command) -> Command {
    match command {
        Command::Rate { ticket, rating, source, device } => {
            let id = state.tickets.values().find(|t| t.number == ticket).map(|t| t.id.clone()).unwrap_or(ticket);
            Command::Rate { ticket: id, rating, source, device }
        }
        other => other,
    }
}

/// The rest of the day for the transcript: the lunch break, a transfer, the cut-off and the
/// next morning's rollover.
fn rest_of_day() -> Vec<Step> {
    vec![
        step(1, "09:20", window(5, WindowAction::Start)),
        step(1, "09:25", window(5, WindowAction::Transfer { service: "hukou-qianru".into() })),
        step(1, "09:26", window(4, WindowAction::Resume)),
        step(1, "09:27", window(4, WindowAction::CallNext)),
        step(1, "09:30", window(7, WindowAction::Finish)),
        step(1, "09:31", window(7, WindowAction::CallNext)),
        step(1, "09:33", window(7, WindowAction::Start)),
        step(1, "09:50", window(7, WindowAction::Finish)),
        step(1, "12:10", issue("r6", "linshi-sfz", None)),
        step(1, "17:40", issue("r7", "linshi-sfz", None)),
        step(1, "17:45", window(7, WindowAction::Close)),
        step(2, "08:30", Command::Tick),
    ]
}

fn stamp(config: &Config, day: u32, now: Ts) -> String {
    let local = engine::local(config, now);
    format!("d{day} {}", local.format("%H:%M:%S"))
}

#[test]
fn engine_transcript() {
    let config = Config::demo();
    let mut state = State::default();
    let mut out = Vec::new();
    for Step { day, time, command } in morning(&config).into_iter().chain(rest_of_day()) {
        let now = at(&config, day, time);
        let command = resolve(&state, command);
        let (events, result) = engine::execute(&mut state, &config, &command, now);
        let mut parts: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        match result {
            Ok(Outcome::Ticket { id, repeated: true }) => parts.push(format!("= {id} (repeat)")),
            Ok(_) => {}
            Err(r) => parts.push(format!("! {}", r.code())),
        }
        out.push(format!("{} {}", stamp(&config, day, now), parts.join("; ")).trim_end().to_string());
    }
    insta::assert_snapshot!(out.join("\n"));
}

/// A clock the test sets; it does not run on by itself.
struct SetClock(Mutex<Ts>);

impl Clock for SetClock {
    fn now(&self) -> Ts {
        *self.0.lock().unwrap()
    }
}

/// The demo hall cut down to queues B and C, their items and windows 4, 5 and 7, so each
/// role's answer stays short enough to review.
fn small_hall() -> Config {
    let mut c = Config::demo();
    c.queues.retain(|q| q.id == "B" || q.id == "C");
    c.services.retain(|s| s.id == "linshi-sfz" || s.id == "hukou-qianru");
    c.windows.retain(|w| [4, 5, 7].contains(&w.number));
    let departments: Vec<String> = c.services.iter().map(|s| s.department.clone()).collect();
    c.departments.retain(|d| departments.contains(&d.id));
    c
}

/// A hall service on its own data directory (with a fixed identity key) after the morning.
async fn hall_after_morning() -> (tempfile::TempDir, Hall, Vec<Record>) {
    let config = small_hall();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("identity.key"), [7u8; 32]).unwrap();
    let clock = Arc::new(SetClock(Mutex::new(at(&config, 1, "08:50"))));
    let hall = Hall::start(config.clone(), dir.path(), clock.clone()).unwrap();
    let mut records = Vec::new();
    for Step { day, time, command } in morning(&config) {
        *clock.0.lock().unwrap() = at(&config, day, time);
        let command = resolve(&hall.view().state, command);
        if let Ok(accepted) = hall.submit(command).await {
            records.extend(accepted.records);
        }
    }
    *clock.0.lock().unwrap() = at(&config, 1, "09:20");
    (dir, hall, records)
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

fn roles() -> [(&'static str, Viewer); 4] {
    [
        ("display", Viewer::Display),
        ("counter", Viewer::Counter { windows: vec![4, 5] }),
        ("kiosk", Viewer::Kiosk),
        ("manager", Viewer::Manager),
    ]
}

#[tokio::test]
async fn views_of_each_role() {
    let (_dir, hall, records) = hall_after_morning().await;
    let config = hall.config();
    let ticket = |number: &str| hall.view().state.tickets.values().find(|t| t.number == number).cloned().unwrap();
    // B001: issued with a holder, served at window 4 and rated on its tablet.
    let served = ticket("B001");
    for (role, viewer) in roles() {
        insta::assert_snapshot!(format!("views_state_{role}"), pretty(&views::state_view(&hall, &viewer)));
        insta::assert_snapshot!(format!("views_catalog_{role}"), pretty(&views::catalog_view(&hall, &viewer)));
        insta::assert_snapshot!(format!("views_ticket_{role}"), pretty(&views::ticket_view(&hall, &served, &viewer, TicketAnswer::Lookup)));
        let events: Vec<_> = records
            .iter()
            .filter_map(|r| views::event_view(r, viewer.audience(&config, &r.event)))
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        insta::assert_snapshot!(format!("views_events_{role}"), pretty(&events));
    }
    // The answer that issued a ticket, as the kiosk that issued it receives it.
    let issued = views::ticket_view(&hall, &ticket("B001"), &Viewer::Kiosk, TicketAnswer::Issuing);
    insta::assert_snapshot!("views_ticket_issuing_kiosk", pretty(&issued));
    hall.shutdown().await;
}

/// ESC/POS bytes as one decoded command a line, with the bytes of each in hex.
fn dump(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    let mut chinese = false;
    let mut i = 0;
    while i < bytes.len() {
        let (all, _) = decode_partial(&bytes[i..], &mut chinese.clone());
        let Some(first) = all.first() else {
            out.push(format!("(undecoded) {}", hex(&bytes[i..])));
            break;
        };
        // The first command's length: the shortest prefix that decodes to it alone.
        let len = (1..=bytes.len() - i)
            .find(|&n| {
                let mut c = chinese;
                let (ops, used) = decode_partial(&bytes[i..i + n], &mut c);
                used == n && ops.len() == 1 && &ops[0] == first
            })
            .unwrap_or(bytes.len() - i);
        decode_partial(&bytes[i..i + len], &mut chinese);
        out.push(format!("{first:?}  | {}", hex(&bytes[i..i + len])));
        i += len;
    }
    out.join("\n")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// The ticket the kiosk prints for a ticket the hall answered with: the hall's `[ticket]`
/// settings on the standard template, the QR to the public status page.
fn printed(config: &Config, view: &hallq_proto::TicketView) -> String {
    let mut template = Template { status_url: "https://hall.example.cn/t/{id}?token={token}".into(), ..Template::default() };
    hallq::tickets::apply_settings(&mut template, &config.ticket.header, &config.ticket.footer, config.ticket.qr);
    let doc = template.render(&hallq::tickets::model(view)).unwrap();
    dump(&encode(&doc).unwrap())
}

#[tokio::test]
async fn printed_tickets() {
    let (_dir, hall, _) = hall_after_morning().await;
    let config = hall.config();
    let ticket = |number: &str| hall.view().state.tickets.values().find(|t| t.number == number).cloned().unwrap();
    let normal = views::ticket_view(&hall, &ticket("B001"), &Viewer::Kiosk, TicketAnswer::Issuing);
    insta::assert_snapshot!("ticket_normal", printed(&config, &normal));
    let offline = views::ticket_view(&hall, &ticket("B995"), &Viewer::Kiosk, TicketAnswer::Issuing);
    assert!(offline.offline, "B995 was uploaded from the kiosk's lease");
    insta::assert_snapshot!("ticket_offline", printed(&config, &offline));
    hall.shutdown().await;
}
