//! Privacy as a property of a whole hall day: a simulated day of many visitors (most with
//! ID cards, many elderly), counters calling, recalling, marking no-shows, transferring,
//! pausing and asking for ratings, appointments checked in, result documents delivered
//! and collected, scans attached. Then everything every role received — its event stream
//! from the start, `/state`, `/catalog`, `/me`, every ticket it may fetch, the answers to
//! its own requests — is scanned, as the raw text the service sent, for what must never
//! leave the service:
//!
//! - a visitor's clear ID number, birth date (in the usual written forms) or keyed ID hash;
//! - a request_id;
//! - a ticket's token, except in the answer that issued that very ticket;
//! - the kiosk manager PIN's hash outside a kiosk's catalogue;
//!
//! and for the role rules of `api::views`: displays and visitors see no holder at all, a
//! kiosk only the person whose card it read, a counter only the masked names of tickets of
//! the queues its windows serve (and never an ID number, even masked), managers the masked
//! name and masked ID number. Who acted (a staff number or a token's name, the `actor` of
//! window events, sign-ins, prints and reads) reaches counters and managers only, never a
//! display, a visitor, a kiosk, a rating tablet or the hall's other systems.
//!
//! The scanner proves itself: the same scan finds every ID hash, birth date, request_id and
//! token in the raw event log, so a clean result means the strings are absent, not that the
//! scan looked for nothing.
//!
//! The day is drawn from a seed (`HALLQ_PRIVACY_SEED=N` runs one chosen day).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use common::*;
use hallq_proto::{
    self as proto, BookAppointment, CheckIn, ClientError, DeliverResult, Evaluate, HallClient, Identity, Rating, Status, TicketId,
    WindowAction, WindowCommand, WindowNo,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KIOSK_1: &str = "demo-kiosk-1";
const KIOSK_2: &str = "demo-kiosk-2";
const COUNTER_1_6: &str = "demo-counter-1-6";
const COUNTER_7_16: &str = "demo-counter-7-16";
const DISPLAY: &str = "demo-display";
const MANAGER: &str = "demo-manager";
const SYSTEM: &str = "demo-system";
/// The demo hall's rating tablets: (window, token).
const RATING_TABLETS: &[(u32, &str)] = &[(1, "demo-rating-1"), (4, "demo-rating-4"), (7, "demo-rating-7")];
/// The demo member of staff who signs in (`[[staff]]` 2001), as the chain names them.
const STAFF_NAME: &str = "示例员工丙";
const STAFF_ACTOR: &str = r#"{"kind":"staff","number":"2001"}"#;
/// The Argon2 hash of the demo kiosk PIN (src/config/default.toml `[kiosk] manager_pin`).
const PIN_HASH: &str = hallq::config::DEMO_PIN_PHC;

/// One distinct surname per visitor, so a masked name ("王*") tells whose it is.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂兰", "建国", "淑珍",
    "志强",
];
const PAUSE_REASONS: &[&str] = &["暂停服务，请稍候", "系统维护", "工作人员临时离开"];

struct Person {
    name: String,
    id_number: String,
    birth: NaiveDate,
    masked_name: String,
    masked_id: String,
    id_hash: String,
    /// Takes a number with the card on the reader.
    carded: bool,
}

impl Person {
    fn identity(&self) -> Identity {
        identity(&self.id_number, &self.name)
    }

    /// 70 or older on the test's day: the green channel.
    fn elderly(&self) -> bool {
        self.birth <= NaiveDate::from_ymd_opt(1956, 11, 27).unwrap()
    }

    /// The birth date as it could be written.
    fn birth_forms(&self) -> Vec<String> {
        let b = self.birth;
        vec![
            b.format("%Y%m%d").to_string(),
            b.format("%Y-%m-%d").to_string(),
            b.format("%Y/%m/%d").to_string(),
            b.format("%Y年%m月%d日").to_string(),
            b.format("%Y年%-m月%-d日").to_string(),
        ]
    }
}

/// A string that must not leave the service, and what it is.
struct Forbidden {
    text: String,
    what: String,
}

/// The occurrences of forbidden strings in `text`.
fn scan<'a>(text: &str, forbidden: &'a [Forbidden]) -> Vec<&'a Forbidden> {
    forbidden.iter().filter(|f| text.contains(f.text.as_str())).collect()
}

/// One text a role received.
struct Seen {
    role: &'static str,
    what: String,
    text: String,
    /// An answer to the role's own request about this person (their card was read, or
    /// their appointment checked in), who may be in it.
    own_person: Option<usize>,
    /// The token of the ticket this answer issued.
    own_token: Option<String>,
    /// A catalogue answer.
    catalog: bool,
}

struct Ticket {
    token: String,
    person: Option<usize>,
}

/// A counter working one window.
struct Operator {
    client: HallClient,
    window: WindowNo,
    current: Option<(TicketId, Status)>,
    paused: bool,
    no_shows: Vec<TicketId>,
}

/// What each role may receive, and the strings none may.
struct Rules<'a> {
    people: &'a [Person],
    forbidden: &'a [Forbidden],
    tokens: Vec<(TicketId, String)>,
    /// The queues each counter's windows serve.
    counter_queues: HashMap<&'static str, BTreeSet<String>>,
    /// A ticket's queues: at issue and after each transfer.
    queues_of: HashMap<String, BTreeSet<String>>,
    /// Whose each ticket is.
    holder_of: HashMap<String, usize>,
}

/// What the roles received that they may (to show the rules are not vacuous).
#[derive(Default)]
struct Tally {
    counter_names: HashMap<&'static str, BTreeSet<usize>>,
    manager_names: BTreeSet<usize>,
    manager_ids: BTreeSet<usize>,
    own_tokens: usize,
    /// Texts with an actor in them, by role.
    actors: HashMap<&'static str, usize>,
}

impl Rules<'_> {
    /// Whether a counter may see this person's masked name: a ticket of theirs was in a
    /// queue the counter's windows serve.
    fn may_see(&self, counter: &str, p: usize) -> bool {
        let queues = &self.counter_queues[counter];
        self.holder_of.iter().any(|(t, q)| *q == p && self.queues_of[t].iter().any(|q| queues.contains(q)))
    }

    /// What is wrong with a role receiving `s`.
    fn check(&self, s: &Seen, tally: &mut Tally) -> Vec<String> {
        let mut problems = Vec::new();
        for f in scan(&s.text, self.forbidden) {
            problems.push(format!("{} got {} in {}", s.role, f.what, s.what));
        }
        for (id, token) in &self.tokens {
            if s.text.contains(token.as_str()) {
                if s.own_token.as_deref() == Some(token.as_str()) {
                    tally.own_tokens += 1;
                } else {
                    problems.push(format!("{} got the token of {id} in {}", s.role, s.what));
                }
            }
        }
        if s.text.contains(PIN_HASH) && !(s.role == "kiosk" && s.catalog) {
            problems.push(format!("{} got the kiosk PIN hash in {}", s.role, s.what));
        }
        // Who acted: counters and managers only.
        if matches!(s.role, "display" | "visitor" | "rating" | "kiosk" | "system") {
            for (needle, what) in
                [("\"actor\"", "an actor"), ("\"kind\":\"staff\"", "a staff number"), (STAFF_NAME, "a staff member's name")]
            {
                // (The sign-in's own answer names the person who signed in.)
                if s.text.contains(needle) && !s.what.starts_with("POST /api/v1/login ") {
                    problems.push(format!("{} got {what} in {}", s.role, s.what));
                }
            }
        } else if s.text.contains("\"actor\"") {
            *tally.actors.entry(s.role).or_default() += 1;
        }
        if matches!(s.role, "display" | "visitor" | "rating") && s.text.contains("\"holder\"") {
            problems.push(format!("{} got a holder field in {}", s.role, s.what));
        }
        for (i, p) in self.people.iter().enumerate() {
            let (name, id) = (s.text.contains(&p.masked_name), s.text.contains(&p.masked_id));
            if !name && !id {
                continue;
            }
            let who = &p.masked_name;
            match s.role {
                "manager" => {
                    if name {
                        tally.manager_names.insert(i);
                    }
                    if id {
                        tally.manager_ids.insert(i);
                    }
                }
                "display" | "visitor" | "rating" => problems.push(format!("{} got the holder {who} in {}", s.role, s.what)),
                // A kiosk or the hall's other systems: only in the answer about the person
                // whose card was read or who was booked.
                "kiosk" | "system" if s.own_person != Some(i) => {
                    problems.push(format!("{} got the holder {who}, not the person it asked about, in {}", s.role, s.what))
                }
                "kiosk" | "system" => {}
                counter => {
                    if id {
                        problems.push(format!("{counter} got the masked ID number of {who} in {}", s.what));
                    }
                    if name && !self.may_see(counter, i) {
                        problems.push(format!("{counter} got the holder {who} of a queue its windows do not serve in {}", s.what));
                    }
                    if name {
                        tally.counter_names.entry(s.role).or_default().insert(i);
                    }
                }
            }
        }
        problems
    }
}

fn random_date(rng: &mut StdRng, from: (i32, u32, u32), to: (i32, u32, u32)) -> NaiveDate {
    let a = NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap();
    let b = NaiveDate::from_ymd_opt(to.0, to.1, to.2).unwrap();
    a + Duration::days(rng.random_range(0..=(b - a).num_days()))
}

/// A refusal is part of a day (nothing waiting, a recall too soon…); anything else is not.
/// A read the access table may refuse the role (403 forbidden_role): both are fine, and
/// what is refused cannot leak.
fn if_allowed<T>(r: Result<T, ClientError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(ClientError::Refused { code: hallq_proto::ErrorCode::ForbiddenRole, .. }) => None,
        Err(e) => panic!("{e:?}"),
    }
}

fn tolerate<T>(r: Result<T, ClientError>, refusals: &mut BTreeMap<String, u32>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(ClientError::Refused { code, .. }) => {
            *refusals.entry(code.as_str().to_string()).or_default() += 1;
            None
        }
        Err(e) => panic!("the hall did not answer: {e:?}"),
    }
}

async fn act(op: &mut Operator, action: WindowAction, body: WindowCommand, refusals: &mut BTreeMap<String, u32>) -> bool {
    let r = tolerate(op.client.window_action(op.window, action, &body).await, refusals);
    match r {
        Some(a) => {
            op.current = a.window.current.map(|c| (c.id, c.status));
            op.paused = a.window.paused;
            true
        }
        None => false,
    }
}

async fn privacy_day(seed: u64) {
    // Operators mark 过号 at random moments: at once here, so every day has no-shows.
    let mut config = hallq::config::Config::demo();
    (config.rules.no_show_after_recalls, config.rules.no_show_after_minutes) = (0, 0);
    let h = TestHall::start_with(config, MORNING).await;
    let (server, log) = recording_proxy(&h.server()).await;
    let hall = |token: &str| HallClient::with_timeout(&server, token, CALL_TIMEOUT);
    let mut rng = StdRng::seed_from_u64(seed);
    let key = h.hall.identity_key().to_vec();
    let config = h.hall.config();

    // The visitors: distinct surnames, valid ID numbers, about a third born before 1956
    // (the green channel at 70), most with their card.
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let people: Vec<Person> = (0..72)
        .map(|i| {
            let birth = if rng.random_bool(0.35) {
                random_date(&mut rng, (1928, 1, 1), (1956, 6, 30))
            } else {
                random_date(&mut rng, (1960, 1, 1), (2006, 12, 31))
            };
            let id_number = id_number(&birth.format("%Y%m%d").to_string(), rng.random_range(0..1000));
            let name = format!("{}{}", surnames[i], GIVEN[rng.random_range(0..GIVEN.len())]);
            let holder = hallq::identity::holder(&id_number, &name, &key).expect("a valid ID number");
            assert_eq!(holder.birth_date, Some(birth));
            Person {
                masked_name: holder.masked_name,
                masked_id: holder.masked_id,
                id_hash: holder.id_hash,
                name,
                id_number,
                birth,
                carded: rng.random_bool(0.85),
            }
        })
        .collect();
    let by_surname: HashMap<char, usize> = people.iter().enumerate().map(|(i, p)| (p.name.chars().next().unwrap(), i)).collect();
    assert_eq!(by_surname.len(), people.len(), "surnames are distinct");

    let (kiosk_1, kiosk_2, display, manager, system) = (hall(KIOSK_1), hall(KIOSK_2), hall(DISPLAY), hall(MANAGER), hall(SYSTEM));
    let (counter_1_6, counter_7_16) = (hall(COUNTER_1_6), hall(COUNTER_7_16));
    let login = hall("").login("2001", "demo-2001").await.unwrap();
    let staff = hall(&login.token);
    let kiosks = [&kiosk_1, &kiosk_2];
    let catalog = kiosk_1.catalog().await.unwrap();
    let offered: Vec<&proto::CatalogService> = catalog.services.iter().filter(|s| s.kiosk).collect();
    let without_card: Vec<&proto::CatalogService> =
        offered.iter().copied().filter(|s| s.identity != proto::IdentityRule::Required).collect();

    let mut request_ids: Vec<String> = Vec::new();
    let mut new_request_id = |rng: &mut StdRng, what: &str| {
        let id = format!("{what}-{seed}-{:04}-{:08x}", request_ids.len(), rng.random::<u32>());
        request_ids.push(id.clone());
        id
    };
    let mut tickets: BTreeMap<TicketId, Ticket> = BTreeMap::new();
    let mut refusals: BTreeMap<String, u32> = BTreeMap::new();

    // The booking system books appointments for some card holders (and two without a
    // person); the approval system delivers result documents for others.
    let slot = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00+08:00").unwrap();
    let mut appointments: Vec<(String, Option<usize>)> = Vec::new();
    for (k, p) in (0..people.len()).filter(|i| people[*i].carded).step_by(7).enumerate() {
        let service = offered[rng.random_range(0..offered.len())].id.clone();
        let code = format!("YY{seed:02}{k:02}");
        system
            .book_appointment(&BookAppointment { code: code.clone(), service, slot, identity: Some(people[p].identity()) })
            .await
            .unwrap();
        appointments.push((code, Some(p)));
    }
    for k in 0..2 {
        let code = format!("YN{seed:02}{k:02}");
        let service = without_card[rng.random_range(0..without_card.len())].id.clone();
        system.book_appointment(&BookAppointment { code: code.clone(), service, slot, identity: None }).await.unwrap();
        appointments.push((code, None));
    }
    let mut results: Vec<(String, usize)> = Vec::new();
    for (k, p) in (0..people.len()).filter(|i| people[*i].carded).skip(3).step_by(9).enumerate() {
        use base64::Engine as _;
        let pdf = format!("%PDF-1.7\n% result {k}\n");
        let d = DeliverResult {
            external_id: format!("SP-{seed}-{k}"),
            identity: people[p].identity(),
            title: "办理结果".into(),
            department: "行政审批局".into(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
            keep_days: Some(30),
        };
        let r = system.deliver_result(&d).await.unwrap();
        results.push((r.id, p));
    }

    // The counters and the windows they work: the floor-1 counter token, the 7-16 token,
    // a member of staff signed in for 17-26, and a manager at a comprehensive window.
    let mut operators: Vec<Operator> = Vec::new();
    for (client, windows) in [
        (&counter_1_6, &[3u32, 5, 6][..]),
        (&counter_7_16, &[7, 10, 13, 15, 16][..]),
        (&staff, &[17, 20, 23, 25, 26][..]),
        (&manager, &[1][..]),
    ] {
        for w in windows {
            operators.push(Operator { client: client.clone(), window: WindowNo(*w), current: None, paused: false, no_shows: Vec::new() });
        }
    }

    // The day: visitors arrive a few at a time while the counters work.
    let mut arriving = 0..people.len();
    let mut checked_in = 0;
    let mut collected = 0;
    let mut visitor_tickets: Vec<TicketId> = Vec::new();
    for round in 0..40 {
        for _ in 0..rng.random_range(1..=3) {
            let Some(p) = arriving.next() else { break };
            let person = &people[p];
            let kiosk = kiosks[p % 2];
            let rid = new_request_id(&mut rng, "tap");
            let req = if person.carded {
                issue_with_card(&rid, offered[rng.random_range(0..offered.len())].id.as_ref(), &person.identity())
            } else {
                issue_req(&rid, without_card[rng.random_range(0..without_card.len())].id.as_ref())
            };
            if let Some(issued) = tolerate(kiosk.issue(&req).await, &mut refusals) {
                if rng.random_bool(0.2) {
                    // The kiosk did not see the answer and tries again: the same ticket.
                    let again = kiosk.issue(&req).await.unwrap();
                    assert!(again.repeated && again.ticket.id == issued.ticket.id);
                }
                let token = issued.ticket.token.clone().expect("the issuing answer has the token");
                tickets.insert(issued.ticket.id.clone(), Ticket { token, person: person.carded.then_some(p) });
                if rng.random_bool(0.15) {
                    let meta = kiosk.attach(&issued.ticket.id, "申请材料", 2, b"%PDF-1.4 scan".to_vec()).await.unwrap();
                    if rng.random_bool(0.5) {
                        // A manager reads it: an attachment_read in the chain.
                        manager.attachment_pdf(&meta.id).await.unwrap();
                    }
                }
            }
        }
        // Appointments are checked in: by card, or by code for those booked without one.
        if round % 3 == 1 && checked_in < appointments.len() {
            let (code, who) = appointments[checked_in].clone();
            checked_in += 1;
            let kiosk = kiosks[round % 2];
            let identity = who.map(|p| people[p].identity());
            if let Some(i) = &identity {
                let found = kiosk.find_appointments(i).await.unwrap();
                assert!(found.appointments.iter().any(|a| a.code == code), "{code} found by card");
            }
            let rid = new_request_id(&mut rng, "checkin");
            if let Some(issued) = tolerate(kiosk.check_in(&code, &CheckIn { request_id: rid.into(), identity }).await, &mut refusals) {
                let token = issued.ticket.token.clone().expect("the check-in answer has the token");
                tickets.insert(issued.ticket.id.clone(), Ticket { token, person: who });
            }
        }
        // Results are printed at a kiosk and marked collected.
        if round % 4 == 2 && collected < results.len() {
            let (id, p) = results[collected].clone();
            collected += 1;
            let kiosk = kiosks[round % 2];
            let found = kiosk.find_results(&people[p].identity()).await.unwrap();
            let nonce = found.results.iter().find(|r| r.id == id).and_then(|r| r.nonce.clone());
            assert!(nonce.is_some(), "found, with its nonce");
            kiosk.result_pdf(&id, nonce.as_deref()).await.unwrap();
            kiosk.result_collected(&id, nonce.as_deref()).await.unwrap();
        }
        if round % 10 == 5 {
            kiosks[round % 2].device_status("ticket-printer", Some("打印机缺纸，请联系工作人员")).await.unwrap();
        }
        if round % 10 == 8 {
            kiosks[(round + 1) % 2].device_status("ticket-printer", None).await.unwrap();
        }

        // The counters.
        for op in operators.iter_mut() {
            let roll: f64 = rng.random();
            match op.current.clone() {
                None if op.paused => {
                    act(op, WindowAction::Resume, WindowCommand::default(), &mut refusals).await;
                }
                None if roll < 0.08 => {
                    let reason = PAUSE_REASONS[rng.random_range(0..PAUSE_REASONS.len())];
                    act(op, WindowAction::Pause, WindowCommand { reason: Some(reason.into()), ..Default::default() }, &mut refusals).await;
                }
                None if roll < 0.16 => {
                    // Call out of turn, from the window's waiting line.
                    let line = op.client.waiting(op.window).await.unwrap();
                    if !line.tickets.is_empty() {
                        let t = line.tickets[rng.random_range(0..line.tickets.len())].id.clone();
                        let body = WindowCommand { ticket: Some(t), reason: Some("材料齐全，优先办理".into()), service: None };
                        act(op, WindowAction::Call, body, &mut refusals).await;
                    }
                }
                None if roll < 0.3 && !op.no_shows.is_empty() => {
                    let t = op.no_shows.remove(0);
                    act(op, WindowAction::Requeue, WindowCommand { ticket: Some(t), ..Default::default() }, &mut refusals).await;
                }
                None => {
                    act(op, WindowAction::CallNext, WindowCommand::default(), &mut refusals).await;
                }
                Some((_, Status::Called)) if roll < 0.2 => {
                    act(op, WindowAction::Recall, WindowCommand::default(), &mut refusals).await;
                }
                Some((id, Status::Called)) if roll < 0.35 => {
                    if act(op, WindowAction::NoShow, WindowCommand::default(), &mut refusals).await {
                        op.no_shows.push(id);
                    }
                }
                Some((_, Status::Called)) => {
                    act(op, WindowAction::Start, WindowCommand::default(), &mut refusals).await;
                }
                Some((_, _)) if roll < 0.12 => {
                    let to = offered[rng.random_range(0..offered.len())].id.clone();
                    act(op, WindowAction::Transfer, WindowCommand { service: Some(to), ..Default::default() }, &mut refusals).await;
                }
                Some((id, _)) => {
                    if act(op, WindowAction::Finish, WindowCommand::default(), &mut refusals).await && rng.random_bool(0.6) {
                        act(op, WindowAction::RequestRating, WindowCommand::default(), &mut refusals).await;
                        let rating = Rating::ALL[rng.random_range(0..Rating::ALL.len())];
                        if rng.random_bool(0.5) {
                            // On the visitor's phone, with the ticket's token.
                            let token = tickets.get(&id).map(|t| t.token.clone());
                            tolerate(hall("").evaluate(&id, &Evaluate { rating, token, nonce: None }).await, &mut refusals);
                            visitor_tickets.push(id);
                        } else if let Some(tablet) = RATING_TABLETS.iter().find(|(w, _)| *w == op.window.0).map(|(_, t)| hall(t)) {
                            // On the window's rating tablet, with the nonce only it received
                            // (read here from the hall's state, as the tablet reads its stream).
                            let nonce = h
                                .hall
                                .view()
                                .state
                                .tickets
                                .get(id.as_str())
                                .and_then(|t| t.rating_request.as_ref().map(|r| r.nonce.clone()));
                            tolerate(tablet.evaluate(&id, &Evaluate { rating, token: None, nonce }).await, &mut refusals);
                        } else {
                            // The counter being rated cannot rate (refused).
                            tolerate(op.client.evaluate(&id, &Evaluate { rating, token: None, nonce: None }).await, &mut refusals);
                        }
                    }
                }
            }
        }
        // What the counters' screens and the hall's pages show during the day.
        if round % 5 == 0 {
            for op in operators.iter().step_by(2) {
                op.client.waiting(op.window).await.unwrap();
            }
            for c in [&display, &kiosk_1, &counter_1_6, &counter_7_16, &staff, &manager, &system] {
                if_allowed(c.state().await);
            }
        }
        h.advance(Duration::seconds(25));
    }
    assert!(arriving.next().is_none(), "every visitor arrived");

    // A last public event that every stream is read up to.
    let last = manager
        .window_action(WindowNo(24), WindowAction::Pause, &WindowCommand { reason: Some("今日服务结束".into()), ..Default::default() })
        .await
        .unwrap()
        .events
        .last()
        .expect("the pause is an event")
        .seq;

    // What each role fetches at the end: the hall, the catalogue, itself, every ticket.
    let ids: Vec<TicketId> = tickets.keys().cloned().collect();
    let roles: Vec<(&'static str, &HallClient)> = vec![
        ("display", &display),
        ("kiosk", &kiosk_1),
        ("kiosk", &kiosk_2),
        ("counter-1-6", &counter_1_6),
        ("counter-7-16", &counter_7_16),
        ("staff-2001", &staff),
        ("manager", &manager),
        ("system", &system),
    ];
    for (_, c) in &roles {
        if_allowed(c.state().await);
        if_allowed(c.catalog().await);
        c.me().await.unwrap();
        for id in &ids {
            if_allowed(c.ticket(id).await);
        }
    }
    for op in &operators {
        op.client.waiting(op.window).await.unwrap();
    }
    // Visitors follow their tickets by token: some who rated, one elderly, one without card.
    let elderly = tickets.iter().find(|(_, t)| t.person.is_some_and(|p| people[p].elderly())).map(|(id, _)| id.clone());
    let uncarded = tickets.iter().find(|(_, t)| t.person.is_none()).map(|(id, _)| id.clone());
    let mut followed: Vec<TicketId> = visitor_tickets.iter().take(3).cloned().chain(elderly).chain(uncarded).collect();
    let mut once = BTreeSet::new();
    followed.retain(|id| once.insert(id.clone()));
    assert!(followed.len() >= 3, "visitors to follow: {followed:?}");
    let phone = hall("");
    for id in &followed {
        phone.ticket_as_visitor(id, &tickets[id].token).await.unwrap();
    }

    // Everything each role received.
    let token_role: HashMap<&str, &'static str> = [
        (KIOSK_1, "kiosk"),
        (KIOSK_2, "kiosk"),
        (DISPLAY, "display"),
        (COUNTER_1_6, "counter-1-6"),
        (COUNTER_7_16, "counter-7-16"),
        (login.token.as_str(), "staff-2001"),
        (MANAGER, "manager"),
        (SYSTEM, "system"),
        (RATING_TABLETS[0].1, "rating"),
        (RATING_TABLETS[1].1, "rating"),
        (RATING_TABLETS[2].1, "rating"),
    ]
    .into_iter()
    .collect();
    let person_of_id: HashMap<&str, usize> = people.iter().enumerate().map(|(i, p)| (p.id_number.as_str(), i)).collect();
    let appointment_person: HashMap<String, Option<usize>> = appointments.iter().map(|(c, p)| (c.to_ascii_uppercase(), *p)).collect();
    let mut seen: Vec<Seen> = Vec::new();
    let exchanges = log.lock().unwrap().clone();
    for x in &exchanges {
        let role = match &x.bearer {
            Some(t) => *token_role.get(t.as_str()).unwrap_or_else(|| panic!("an unknown token was used: {t}")),
            None => "visitor",
        };
        let request: serde_json::Value = serde_json::from_slice(&x.request).unwrap_or(serde_json::Value::Null);
        let mut own_person = request["identity"]["id_number"].as_str().and_then(|n| person_of_id.get(n).copied());
        if let Some(code) = x.path.strip_prefix("/api/v1/appointments/").and_then(|r| r.strip_suffix("/check-in")) {
            own_person = own_person.or(appointment_person.get(&code.to_ascii_uppercase()).copied().flatten());
        }
        let issuing =
            x.method == "post" && (x.path == "/api/v1/tickets" || x.path.ends_with("/check-in")) && (200..300).contains(&x.status);
        let own_token = if issuing {
            let v = x.json().expect("a ticket");
            let id = TicketId::new(v["id"].as_str().unwrap());
            let token = v["token"].as_str().expect("the issuing answer has the token").to_string();
            assert_eq!(tickets.get(&id).map(|t| &t.token), Some(&token), "the token of {id}");
            Some(token)
        } else {
            None
        };
        seen.push(Seen {
            role,
            what: format!("{} {}{}{} → {}", x.method.to_uppercase(), x.path, if x.query.is_empty() { "" } else { "?" }, x.query, x.status),
            text: x.text(),
            own_person,
            own_token,
            catalog: x.method == "get" && x.path == "/api/v1/catalog",
        });
    }
    // The event streams from the start of the log.
    let mut streams: Vec<(&'static str, String)> = vec![
        ("display", format!("since=0&token={DISPLAY}")),
        ("kiosk", format!("since=0&token={KIOSK_1}")),
        ("counter-1-6", format!("since=0&token={COUNTER_1_6}")),
        ("counter-7-16", format!("since=0&token={COUNTER_7_16}")),
        ("staff-2001", format!("since=0&token={}", login.token)),
        ("manager", format!("since=0&token={MANAGER}")),
        ("system", format!("since=0&token={SYSTEM}")),
    ];
    for id in &followed {
        streams.push(("visitor", format!("since=0&ticket={id}&token={}", tickets[id].token)));
    }
    let mut stream_events: HashMap<&'static str, usize> = HashMap::new();
    for (role, query) in &streams {
        let texts = stream_texts(&h.events_url(query), last, 60).await;
        *stream_events.entry(role).or_default() += texts.len() - 1;
        for t in texts {
            seen.push(Seen { role, what: format!("stream ({role})"), text: t, own_person: None, own_token: None, catalog: false });
        }
    }

    // The strings that must never leave the service.
    let mut forbidden: Vec<Forbidden> = Vec::new();
    for p in &people {
        forbidden.push(Forbidden { text: p.id_number.clone(), what: format!("the ID number of {}", p.masked_name) });
        forbidden.push(Forbidden { text: p.id_hash.clone(), what: format!("the ID hash of {}", p.masked_name) });
        for d in p.birth_forms() {
            forbidden.push(Forbidden { text: d.clone(), what: format!("the birth date of {} ({d})", p.masked_name) });
        }
    }
    for r in &request_ids {
        forbidden.push(Forbidden { text: r.clone(), what: format!("request_id {r}") });
    }
    assert!(people.iter().filter(|p| p.carded).count() >= 40 && people.iter().filter(|p| p.carded && p.elderly()).count() >= 10);
    assert!(forbidden.len() >= 72 * 7 + 60, "the forbidden list is short: {}", forbidden.len());
    assert!(tickets.len() >= 60, "the day issued {} tickets", tickets.len());

    // The scanner works: the raw log holds every ID hash and birth date of the visitors who
    // showed a card, every request_id that made a ticket and every token.
    let db = rusqlite::Connection::open_with_flags(h.hall.db_path(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let raw_log: String = db
        .prepare("SELECT body || ' ' || coalesce(personal, '') || ' ' || coalesce(request_id, '') FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .join("\n");
    let in_log: BTreeSet<&str> = scan(&raw_log, &forbidden).into_iter().map(|f| f.text.as_str()).collect();
    let holders: BTreeSet<usize> = tickets.values().filter_map(|t| t.person).collect();
    assert!(holders.len() >= 40, "{} visitors with a card hold tickets", holders.len());
    for p in &holders {
        let p = &people[*p];
        assert!(in_log.contains(p.id_hash.as_str()), "the scan does not find {}'s ID hash in the log", p.masked_name);
        assert!(
            in_log.contains(p.birth.format("%Y-%m-%d").to_string().as_str()),
            "the scan does not find {}'s birth date in the log",
            p.masked_name
        );
    }
    let logged_requests = request_ids.iter().filter(|r| in_log.contains(r.as_str())).count();
    assert!(logged_requests >= tickets.len(), "the scan finds {logged_requests} request_ids in the log");
    assert!(tickets.values().all(|t| raw_log.contains(&t.token)), "the scan does not find the tokens in the log");
    // …and the store's own reading of the log holds the same hashes (computed as the service
    // does).
    let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
    let records = hallq::store::events_since(&conn, 0, 1_000_000).unwrap();
    let mut logged_hashes = BTreeSet::new();
    let mut queues_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut holder_of: HashMap<String, usize> = HashMap::new();
    for r in &records {
        match &r.event {
            hallq::engine::Event::TicketIssued { ticket } => {
                queues_of.entry(ticket.id.clone()).or_default().insert(ticket.queue.clone());
                if let Some(hd) = &ticket.holder {
                    logged_hashes.insert(hd.id_hash.clone());
                    let p = by_surname[&hd.masked_name.chars().next().unwrap()];
                    assert_eq!(hd.masked_name, people[p].masked_name);
                    holder_of.insert(ticket.id.clone(), p);
                }
            }
            hallq::engine::Event::TicketTransferred { ticket, queue, .. } => {
                queues_of.entry(ticket.clone()).or_default().insert(queue.clone());
            }
            _ => {}
        }
    }
    for p in &holders {
        assert!(logged_hashes.contains(&people[*p].id_hash), "the hash of {} is not the service's", people[*p].masked_name);
    }

    // Who may see whose masked name: a counter, those of tickets of queues its windows
    // serve (at issue or after a transfer).
    let served_by = |windows: &[u32]| -> BTreeSet<String> {
        config
            .queues
            .iter()
            .filter(|q| windows.iter().any(|n| config.window(*n).is_some_and(|w| config.window_serves(w, &q.id))))
            .map(|q| q.id.clone())
            .collect()
    };
    let staff_windows: Vec<u32> = login.windows.iter().map(|w| w.get()).collect();
    let rules = Rules {
        people: &people,
        forbidden: &forbidden,
        tokens: tickets.iter().map(|(id, t)| (id.clone(), t.token.clone())).collect(),
        counter_queues: [
            ("counter-1-6", served_by(&(1..=6).collect::<Vec<_>>())),
            ("counter-7-16", served_by(&(7..=16).collect::<Vec<_>>())),
            ("staff-2001", served_by(&staff_windows)),
        ]
        .into_iter()
        .collect(),
        queues_of,
        holder_of,
    };
    assert!(
        rules.counter_queues["counter-7-16"].len() < config.queues.len() && rules.counter_queues["staff-2001"].len() < config.queues.len()
    );

    // A rating request's nonce reaches only the tablet of its window: none of these roles.
    let nonces: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.event {
            hallq::engine::Event::RatingRequested { nonce, .. } if !nonce.is_empty() => Some(nonce.clone()),
            _ => None,
        })
        .collect();
    assert!(!nonces.is_empty(), "the day asked for ratings");
    for s in &seen {
        assert!(nonces.iter().all(|n| !s.text.contains(n.as_str())), "a rating nonce in {} ({})", s.what, s.role);
    }

    // The scan.
    let mut tally = Tally::default();
    let mut problems: Vec<String> = seen.iter().flat_map(|s| rules.check(s, &mut tally)).collect();
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "day {seed}: {} leaks:\n{}",
        problems.len(),
        problems.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );

    // The rules could have failed: the roles did receive what they may…
    for role in ["display", "kiosk", "counter-1-6", "counter-7-16", "staff-2001", "manager", "system", "visitor"] {
        assert!(stream_events.get(role).is_some_and(|n| *n >= 1), "{role} read no events: {stream_events:?}");
    }
    assert!(stream_events["display"] >= 100, "the display saw {} events", stream_events["display"]);
    assert!(tally.own_tokens >= tickets.len(), "issuing answers carry their tokens ({})", tally.own_tokens);
    assert!(seen.iter().any(|s| s.role == "kiosk" && s.catalog && s.text.contains(PIN_HASH)), "the kiosk's catalogue has the PIN hash");
    assert!(
        tally.manager_names.len() >= 40 && tally.manager_ids.len() >= 40,
        "managers saw {} masked names and {} masked IDs",
        tally.manager_names.len(),
        tally.manager_ids.len()
    );
    for counter in ["counter-7-16", "staff-2001"] {
        let n = tally.counter_names.get(counter).map(BTreeSet::len).unwrap_or(0);
        assert!(n >= 3, "{counter} saw the masked names of {n} visitors of its queues");
    }
    let unseen = holders.iter().filter(|p| !tally.counter_names.values().any(|s| s.contains(p))).count();
    assert!(unseen < holders.len() / 2, "counters saw few of the holders: {unseen} of {} unseen", holders.len());
    // …the day had everything in it…
    let manager_kinds: BTreeSet<String> = seen
        .iter()
        .filter(|s| s.role == "manager" && s.what.starts_with("stream"))
        .filter_map(|s| serde_json::from_str::<serde_json::Value>(&s.text).ok()?["type"].as_str().map(str::to_string))
        .collect();
    for kind in [
        "ticket_issued",
        "ticket_called",
        "ticket_recalled",
        "service_started",
        "ticket_finished",
        "ticket_no_show",
        "ticket_requeued",
        "ticket_transferred",
        "window_paused",
        "window_resumed",
        "rating_requested",
        "ticket_rated",
        "device_status_changed",
        "appointment_booked",
        "appointment_checked_in",
        "result_collected",
        "staff_signed_in",
        "attachment_read",
    ] {
        assert!(manager_kinds.contains(kind), "day {seed} had no {kind}: {manager_kinds:?}");
    }
    // …counters and managers saw who acted, and the manager the signed-in staff number…
    for role in ["counter-1-6", "counter-7-16", "staff-2001", "manager"] {
        assert!(tally.actors.get(role).is_some_and(|n| *n >= 10), "{role} saw few actors: {:?}", tally.actors);
    }
    for role in ["staff-2001", "manager"] {
        assert!(
            seen.iter().any(|s| s.role == role && s.what.starts_with("stream") && s.text.contains(STAFF_ACTOR)),
            "{role} never saw staff 2001 act"
        );
    }
    // …and a leak of each kind would be caught.
    let b_only = (0..people.len())
        .find(|p| holders.contains(p) && !rules.may_see("counter-7-16", *p))
        .expect("a visitor of a queue 7-16 does not serve");
    let someone = *holders.iter().next().unwrap();
    let other = *holders.iter().find(|p| **p != someone).unwrap();
    let (some_ticket, some_token) = rules.tokens[0].clone();
    let leak = |role: &'static str, what: &str, text: String, own_person: Option<usize>| Seen {
        role,
        what: what.to_string(),
        text,
        own_person,
        own_token: None,
        catalog: false,
    };
    let controls = [
        leak("display", "GET /state", format!("{{\"holder\":\"{}\"}}", people[someone].masked_name), None),
        leak("visitor", "stream", "{\"holder\":null}".into(), None),
        leak("kiosk", "stream", format!("\"{}\"", people[someone].masked_name), None),
        leak("kiosk", "POST /tickets", format!("\"{}\"", people[other].masked_id), Some(someone)),
        leak("system", "GET /tickets/x", format!("\"{}\"", people[someone].masked_name), None),
        leak("counter-7-16", "GET /state", format!("\"{}\"", people[b_only].masked_name), None),
        leak("staff-2001", "stream", format!("\"{}\"", people[someone].masked_id), None),
        leak("manager", "GET /tickets/x", people[someone].id_number.clone(), None),
        leak("manager", "stream", people[someone].id_hash.clone(), None),
        leak("manager", "stream", people[someone].birth.format("%Y%m%d").to_string(), None),
        leak("counter-1-6", "stream", people[someone].birth.format("%Y-%m-%d").to_string(), None),
        leak("display", "stream", request_ids[0].clone(), None),
        leak("counter-1-6", "GET /tickets/x", some_token.clone(), None),
        leak("manager", "GET /catalog", PIN_HASH.into(), None),
        leak("display", "stream", format!("{{\"actor\":{STAFF_ACTOR}}}"), None),
        leak("visitor", "stream", "{\"actor\":{\"kind\":\"token\",\"name\":\"counter-1-6\"}}".into(), None),
        leak("kiosk", "stream", format!("{{\"by\":\"{STAFF_NAME}（2001）\"}}"), None),
    ];
    for c in &controls {
        assert!(!rules.check(c, &mut Tally::default()).is_empty(), "the rules would miss {} getting {} in {}", c.role, c.text, c.what);
    }
    let issuing = Seen { own_token: Some(some_token.clone()), ..leak("kiosk", "POST /tickets", some_token.clone(), None) };
    assert!(rules.check(&issuing, &mut Tally::default()).is_empty(), "the answer that issued {some_ticket} may carry its token");
    // The tablets rated with the nonce of their window's request; counters could not rate.
    assert!(!refusals.contains_key("bad_rating_nonce") && !refusals.contains_key("forbidden_window"), "{refusals:?}");
    let device_ratings = records
        .iter()
        .filter(|r| matches!(&r.event, hallq::engine::Event::TicketRated { source: hallq::engine::RatingSource::Device { .. }, .. }))
        .count();
    assert!(device_ratings > 0, "no rating came from a tablet");
    eprintln!(
        "day {seed}: {} visitors, {} tickets, {} texts scanned for {} strings; refusals {refusals:?}",
        people.len(),
        tickets.len(),
        seen.len(),
        forbidden.len()
    );
    h.stop().await;
}

/// The days to run: `HALLQ_PRIVACY_SEED` or two fixed ones.
fn seeds() -> Vec<u64> {
    match std::env::var("HALLQ_PRIVACY_SEED") {
        Ok(s) => vec![s.parse().expect("HALLQ_PRIVACY_SEED is a number")],
        Err(_) => vec![11, 27],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_role_receives_what_it_must_not_on_a_simulated_day() {
    for seed in seeds() {
        within(400, &format!("the privacy day of seed {seed}"), privacy_day(seed)).await;
    }
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    let f =
        vec![Forbidden { text: "430102194503120012".into(), what: "x".into() }, Forbidden { text: "1945-03-12".into(), what: "y".into() }];
    assert_eq!(scan(r#"{"holder":{"birth":"1945-03-12"}}"#, &f).len(), 1);
    assert_eq!(scan("430102194503120012 1945-03-12", &f).len(), 2);
    assert!(scan("4301**********0012", &f).is_empty());
}
