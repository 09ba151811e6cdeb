//! Engine tests written as data: a script of timed commands and the transcript it must give.
//!
//! Script lines are `[dN] HH:MM[:SS] COMMAND`, where day d1 is Friday 2026-11-27 in the
//! hall's zone (+08:00). Commands:
//!   issue SERVICE [person=P] [born=YYYY-MM-DD] [green] [appt=HH:MM] [req=R]
//!   wN open|close|next|recall|start|finish|noshow|resume
//!   wN call TICKET REASON…   wN requeue TICKET   wN transfer SERVICE   wN pause REASON…
//!   rate TICKET LEVEL        tick                ahead TICKET
//!   book CODE SERVICE [dN] HH:MM [person=P]        checkin CODE [person=P] [req=R]
//!   lease KIOSK QUEUE SIZE    upload KIOSK SERVICE NUMBER [dN] HH:MM[:SS] [person=P] [req=R]
//! Each line of the transcript is the time, then the events (`;`-separated), `! code` for
//! a refusal, or `= ID (repeat)` for an answered retry.

use chrono::{NaiveDate, NaiveTime, TimeZone};

use super::*;
use crate::config::Config;

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap() + chrono::Duration::days(n as i64)
}

fn parse_when(config: &Config, words: &mut Vec<&str>) -> Ts {
    let mut d = day(1);
    if words[0].starts_with('d') {
        d = day(words.remove(0)[1..].parse().unwrap());
    }
    let t = words.remove(0);
    let time = NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")).unwrap();
    config.offset().from_local_datetime(&d.and_time(time)).unwrap().with_timezone(&Utc)
}

fn run(config: &Config, script: &str) -> String {
    let mut state = State::default();
    let mut log: Vec<(Ts, Event)> = Vec::new();
    let mut out = Vec::new();
    let mut n = 0;
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let now = parse_when(config, &mut words);
        let stamp = local(config, now).format("%H:%M").to_string();
        let cmd = words[0];
        let command = match cmd {
            "issue" => {
                n += 1;
                let mut req = IssueRequest {
                    actor: Default::default(),
                    request_id: format!("r{n}"),
                    service: words[1].to_string(),
                    priority: Priority::Normal,
                    channel: Channel::Kiosk,
                    kiosk: Some("k1".into()),
                    holder: None,
                    appointment_slot: None,
                    token: format!("tok{n}"),
                };
                let mut born = None;
                for w in &words[2..] {
                    match w.split_once('=') {
                        Some(("person", p)) => {
                            req.holder =
                                Some(Holder { masked_name: "张*".into(), masked_id: "x".into(), id_hash: p.into(), birth_date: None })
                        }
                        Some(("born", b)) => born = Some(NaiveDate::parse_from_str(b, "%Y-%m-%d").unwrap()),
                        Some(("appt", a)) => {
                            req.priority = Priority::Appointment;
                            let mut v = vec![a];
                            req.appointment_slot = Some(parse_when(config, &mut v));
                        }
                        Some(("req", r)) => req.request_id = r.to_string(),
                        None if *w == "green" => req.priority = Priority::Green,
                        _ => panic!("bad issue word {w}"),
                    }
                }
                if let (Some(h), Some(b)) = (req.holder.as_mut(), born) {
                    h.birth_date = Some(b);
                }
                Command::Issue(req)
            }
            "tick" => Command::Tick,
            "lease" => Command::Lease { kiosk: words[1].into(), queue: words[2].into(), size: words[3].parse().unwrap() },
            "upload" => {
                // upload KIOSK SERVICE NUMBER [dN] HH:MM[:SS] [person=P] [req=R]: printed then.
                let mut rest: Vec<&str> = words[4..].to_vec();
                let issued_at = parse_when(config, &mut rest);
                let mut up = OfflineTicket {
                    request_id: format!("off-{}", words[3]),
                    kiosk: words[1].into(),
                    service: words[2].into(),
                    number: words[3].into(),
                    issued_at,
                    holder: None,
                    token: "offtok".into(),
                };
                for w in &rest {
                    match w.split_once('=') {
                        Some(("person", p)) => {
                            up.holder =
                                Some(Holder { masked_name: "王*".into(), masked_id: "x".into(), id_hash: p.into(), birth_date: None })
                        }
                        Some(("req", r)) => up.request_id = r.to_string(),
                        _ => panic!("bad upload word {w}"),
                    }
                }
                Command::UploadOffline(Box::new(up))
            }
            "book" => {
                let mut rest: Vec<&str> = words[3..].to_vec();
                let slot = parse_when(config, &mut rest);
                let holder = rest.iter().find_map(|w| w.strip_prefix("person=")).map(|p| Holder {
                    masked_name: "李*".into(),
                    masked_id: "x".into(),
                    id_hash: p.into(),
                    birth_date: None,
                });
                Command::BookAppointment(Appointment { code: words[1].into(), service: words[2].into(), slot, holder, ticket: None })
            }
            "checkin" => {
                n += 1;
                let mut issue = IssueRequest {
                    actor: Default::default(),
                    request_id: format!("r{n}"),
                    service: String::new(),
                    priority: Priority::Normal,
                    channel: Channel::Kiosk,
                    kiosk: Some("k1".into()),
                    holder: None,
                    appointment_slot: None,
                    token: format!("tok{n}"),
                };
                for w in &words[2..] {
                    match w.split_once('=') {
                        Some(("person", p)) => {
                            issue.holder =
                                Some(Holder { masked_name: "李*".into(), masked_id: "x".into(), id_hash: p.into(), birth_date: None })
                        }
                        Some(("req", r)) => issue.request_id = r.to_string(),
                        _ => panic!("bad checkin word {w}"),
                    }
                }
                Command::CheckIn { code: words[1].into(), issue }
            }
            "device" => Command::DeviceStatus {
                kiosk: words[1].into(),
                device: words[2].into(),
                fault: (words[3] != "ok").then(|| words[3..].join(" ")),
            },
            "rate" => {
                let rating = serde_json::from_value(serde_json::Value::String(words[2].into())).unwrap();
                // `rate B001 satisfied` by the visitor; `rate B001 satisfied tablet-4 w4 NONCE`
                // by the rating tablet of window 4.
                let (source, device) = match words.get(3) {
                    Some(name) => (
                        RatingSource::Device { name: name.to_string() },
                        Some(DeviceRating { window: words[4][1..].parse().unwrap(), nonce: words[5].into() }),
                    ),
                    None => (RatingSource::Visitor, None),
                };
                Command::Rate { ticket: ticket_id(&state, words[1]), rating, source, device }
            }
            "ahead" => {
                let t = &state.tickets[&ticket_id(&state, words[1])];
                let a = people_ahead(&state, config, t, now);
                out.push(format!("{stamp} {} ahead={a} est={}m", t.number, estimate_minutes(&state, config, &t.queue, a)));
                continue;
            }
            w if w.starts_with('w') => {
                let window: u32 = w[1..].parse().unwrap();
                let rest = words[2..].join(" ");
                let action = match words[1] {
                    "open" => WindowAction::Open,
                    "close" => WindowAction::Close,
                    "next" => WindowAction::CallNext,
                    "recall" => WindowAction::Recall,
                    "start" => WindowAction::Start,
                    "finish" => WindowAction::Finish,
                    "noshow" => WindowAction::NoShow,
                    "resume" => WindowAction::Resume,
                    "call" => WindowAction::Call { ticket: words[2].into(), reason: words[3..].join(" ") },
                    "requeue" => WindowAction::Requeue { ticket: rest },
                    "transfer" => WindowAction::Transfer { service: rest },
                    "pause" => WindowAction::Pause { reason: rest },
                    "askrating" => WindowAction::RequestRating { nonce: words.get(2).map_or("n", |n| n).into() },
                    other => panic!("bad window action {other}"),
                };
                Command::Window { window, action, actor: Actor::token(format!("counter-{window}")) }
            }
            other => panic!("bad command {other}"),
        };
        let (events, result) = execute(&mut state, config, &command, now);
        let mut parts: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        match result {
            Ok(Outcome::Ticket { id, repeated: true }) => parts.push(format!("= {id} (repeat)")),
            Ok(_) => {}
            Err(r) => parts.push(format!("! {}", r.code())),
        }
        out.push(format!("{stamp} {}", parts.join("; ")).trim_end().to_string());
        log.extend(events.into_iter().map(|e| (now, e)));
    }
    // Replaying the log from nothing must give the same state: the log is the truth.
    let mut replayed = State::default();
    for (at, e) in &log {
        apply(&mut replayed, config, *at, e);
    }
    assert_eq!(replayed, state, "replay diverged from the live state");
    // Counting the people ahead from the wait index agrees with looking every ticket up (a
    // state read from a snapshot without its caches), and with the index rebuilt.
    let at = log.last().map(|(at, _)| *at).unwrap_or_default();
    let mut read: State = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    for pass in ["without the index", "with the index rebuilt"] {
        for t in state.tickets.values().filter(|t| t.status == Status::Waiting) {
            assert_eq!(people_ahead(&state, config, t, at), people_ahead(&read, config, t, at), "{} {pass}", t.number);
        }
        read.reindex();
    }
    out.join("\n")
}

fn ticket_id(state: &State, number: &str) -> String {
    state.tickets.values().find(|t| t.number == number).map(|t| t.id.clone()).unwrap_or_else(|| number.to_string())
}

fn check(config: &Config, script: &str, expect: &str) {
    let got = run(config, script);
    let expect: Vec<&str> = expect.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(got, expect.join("\n"), "\n--- got ---\n{got}\n");
}

fn demo() -> Config {
    Config::demo()
}

#[test]
fn numbers_are_per_queue_and_estimates_follow_open_windows() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 issue linshi-sfz
         09:02 issue hukou-qianru person=p1
         09:03 w4 open
         09:03 w5 open
         09:03 ahead B002",
        // B is served by windows 1,2,3,4,5,6,26 (7 windows, 4 min each) until any opens.
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 linshi-sfz ahead=1 est=1m
         09:02 issued C001 hukou-qianru ahead=0 est=0m
         09:03 w4 opened
         09:03 w5 opened
         09:03 B002 ahead=1 est=2m",
    );
}

#[test]
fn a_holiday_closes_and_a_make_up_working_day_opens() {
    let mut c = demo();
    c.hours.open_days = ["mon", "tue", "wed", "thu", "fri"].map(|d| d.parse().unwrap()).to_vec();
    // Friday 2026-11-27 is a public holiday (法定节假日); Saturday the 28th is worked (调休).
    c.hours.holidays = vec![crate::config::HallDate(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())];
    c.hours.workdays = vec![crate::config::HallDate(chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap())];
    check(
        &c,
        "09:30 issue linshi-sfz
         d2 09:30 issue linshi-sfz
         d3 09:30 issue linshi-sfz",
        "09:30 day 2026-11-27 opened; ! hall_closed_today
         09:30 day 2026-11-28 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:30 day 2026-11-29 opened, expired B001; ! hall_closed_today",
    );
}

#[test]
fn issuing_keeps_business_hours_lunch_and_cutoff() {
    let mut c = demo();
    c.hours.open_days = ["mon", "tue", "wed", "thu", "fri"].map(|d| d.parse().unwrap()).to_vec();
    check(
        &c,
        "08:59 issue linshi-sfz
         09:00 issue linshi-sfz
         12:00 issue linshi-sfz
         13:29 issue linshi-sfz
         13:30 issue linshi-sfz
         16:59 issue linshi-sfz
         17:00 issue linshi-sfz
         d2 10:00 issue linshi-sfz",
        "08:59 day 2026-11-27 opened; ! before_hours
         09:00 issued B001 linshi-sfz ahead=0 est=0m
         12:00 ! lunch_break
         13:29 ! lunch_break
         13:30 issued B002 linshi-sfz ahead=1 est=1m
         16:59 issued B003 linshi-sfz ahead=2 est=2m
         17:00 ! after_cutoff
         10:00 day 2026-11-28 opened, expired B001 B002 B003; ! hall_closed_today",
    );
}

#[test]
fn queue_cap_reached_exactly() {
    let mut c = demo();
    c.queues.iter_mut().find(|q| q.id == "B").unwrap().daily_cap = 2;
    check(
        &c,
        "09:00 issue linshi-sfz
         09:01 issue wuzui-zhengming person=p1
         09:02 issue linshi-sfz
         09:03 issue hukou-qianru person=p1",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 wuzui-zhengming ahead=1 est=1m
         09:02 ! queue_full
         09:03 issued C001 hukou-qianru ahead=0 est=0m",
    );
}

#[test]
fn service_cap_reached_exactly() {
    let mut c = demo();
    c.services.iter_mut().find(|s| s.id == "linshi-sfz").unwrap().daily_cap = 1;
    check(
        &c,
        "09:00 issue linshi-sfz
         09:01 issue linshi-sfz
         09:02 issue wuzui-zhengming person=p1",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 ! service_full
         09:02 issued B002 wuzui-zhengming ahead=1 est=1m",
    );
}

#[test]
fn per_person_limit_counts_per_item_and_identity_can_be_required() {
    check(
        &demo(),
        "09:00 issue hukou-qianru
         09:01 issue hukou-qianru person=p1
         09:02 issue hukou-qianru person=p1
         09:03 issue hukou-qianru person=p1
         09:04 issue hukou-qianru person=p2
         09:05 issue huzhao person=p1",
        "09:00 day 2026-11-27 opened; ! identity_required
         09:01 issued C001 hukou-qianru ahead=0 est=0m
         09:02 issued C002 hukou-qianru ahead=1 est=2m
         09:03 ! person_daily_limit
         09:04 issued C003 hukou-qianru ahead=2 est=4m
         09:05 issued C004 huzhao ahead=3 est=6m",
    );
}

#[test]
fn a_retried_request_gets_the_first_answer() {
    check(
        &demo(),
        "09:00 issue linshi-sfz req=tap-1
         09:00:01 issue linshi-sfz req=tap-1
         09:00:02 issue linshi-sfz req=tap-2",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:00 = 20261127-B001 (repeat)
         09:00 issued B002 linshi-sfz ahead=1 est=1m",
    );
}

#[test]
fn elderly_visitors_get_the_green_channel_and_it_is_called_by_ratio() {
    // Window 4 serves only B; the ratio is 2 normal : 1 priority.
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 issue linshi-sfz
         09:02 issue linshi-sfz
         09:03 issue wuzui-zhengming person=old born=1950-03-01
         09:04 issue wuzui-zhengming person=young born=1990-03-01
         09:05 issue linshi-sfz green
         09:10 w4 next
         09:11 w4 next
         09:12 w4 next
         09:13 w4 next
         09:14 w4 next
         09:15 w4 next
         09:16 w4 next",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 linshi-sfz ahead=1 est=1m
         09:02 issued B003 linshi-sfz ahead=2 est=2m
         09:03 issued B004 wuzui-zhengming green ahead=0 est=0m
         09:04 issued B005 wuzui-zhengming ahead=4 est=3m
         09:05 issued B006 linshi-sfz green ahead=1 est=1m
         09:10 w4 opened; w4 called B001
         09:11 w4 finished B001; w4 called B002
         09:12 w4 finished B002; w4 called B004
         09:13 w4 finished B004; w4 called B003
         09:14 w4 finished B003; w4 called B005
         09:15 w4 finished B005; w4 called B006
         09:16 ! nothing_waiting",
    );
}

#[test]
fn a_window_serving_three_queues_takes_longest_wait_first_with_the_ratio() {
    // Window 3 serves A, B and D.
    check(
        &demo(),
        "09:00 issue hunyin-dengji person=a
         09:01 issue shebaoka person=d
         09:02 issue linshi-sfz
         09:03 issue yibao-canbao person=old born=1940-01-01
         09:04 issue gaoling-butie person=old2 born=1941-01-01
         09:05 issue linshi-sfz
         09:10 w3 next
         09:11 w3 next
         09:12 w3 next
         09:13 w3 next
         09:14 w3 next
         09:15 w3 next",
        "09:00 day 2026-11-27 opened; issued A001 hunyin-dengji ahead=0 est=0m
         09:01 issued D001 shebaoka ahead=0 est=0m
         09:02 issued B001 linshi-sfz ahead=0 est=0m
         09:03 issued D002 yibao-canbao green ahead=0 est=0m
         09:04 issued A002 gaoling-butie green ahead=0 est=0m
         09:05 issued B002 linshi-sfz ahead=1 est=1m
         09:10 w3 opened; w3 called A001
         09:11 w3 finished A001; w3 called D001
         09:12 w3 finished D001; w3 called D002
         09:13 w3 finished D002; w3 called B001
         09:14 w3 finished B001; w3 called B002
         09:15 w3 finished B002; w3 called A002",
    );
}

#[test]
fn appointments_are_called_at_their_slot() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 issue linshi-sfz appt=10:00
         09:02 issue linshi-sfz
         09:03 issue linshi-sfz
         09:10 w4 next
         09:11 w4 next
         09:52 w4 next
         09:53 w4 next",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 linshi-sfz appointment ahead=1 est=1m
         09:02 issued B003 linshi-sfz ahead=1 est=1m
         09:03 issued B004 linshi-sfz ahead=2 est=2m
         09:10 w4 opened; w4 called B001
         09:11 w4 finished B001; w4 called B003
         09:52 w4 finished B003; w4 called B002
         09:53 w4 finished B002; w4 called B004",
    );
}

#[test]
fn recall_has_a_limit_and_a_least_gap() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 w4 next
         09:01:10 w4 recall
         09:01:20 w4 recall
         09:01:40 w4 recall
         09:02:00 w4 recall
         09:02:20 w4 recall
         09:02:30 w4 noshow
         09:02:31 w4 recall",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 w4 opened; w4 called B001
         09:01 ! recall_too_soon
         09:01 w4 recalled B001 #1
         09:01 w4 recalled B001 #2
         09:02 w4 recalled B001 #3
         09:02 ! recall_limit
         09:02 w4 no-show B001
         09:02 ! no_current_ticket",
    );
}

/// 过号 only after the hall's rule (demo: 2 recalls or 3 minutes after the call, whichever
/// comes first); a new call starts the count again.
#[test]
fn a_no_show_waits_for_the_recalls_or_the_minutes_of_the_rule() {
    check(
        &demo(),
        "09:00 issue huzhao person=p1
         09:00:30 issue huzhao person=p2
         09:01 w7 next
         09:01:10 w7 noshow
         09:01:30 w7 recall
         09:01:40 w7 noshow
         09:01:50 w7 recall
         09:01:55 w7 noshow
         09:02 w7 next
         09:04:59 w7 noshow
         09:05 w7 noshow",
        "09:00 day 2026-11-27 opened; issued C001 huzhao ahead=0 est=0m
         09:00 issued C002 huzhao ahead=1 est=2m
         09:01 w7 opened; w7 called C001
         09:01 ! no_show_too_soon
         09:01 w7 recalled C001 #1
         09:01 ! no_show_too_soon
         09:01 w7 recalled C001 #2
         09:01 w7 no-show C001
         09:02 w7 called C002
         09:04 ! no_show_too_soon
         09:05 w7 no-show C002",
    );
    let mut at_once = demo();
    (at_once.rules.no_show_after_recalls, at_once.rules.no_show_after_minutes) = (0, 0);
    check(
        &at_once,
        "09:00 issue huzhao person=p1
         09:01 w7 next
         09:01 w7 noshow",
        "09:00 day 2026-11-27 opened; issued C001 huzhao ahead=0 est=0m
         09:01 w7 opened; w7 called C001
         09:01 w7 no-show C001",
    );
}

/// The counter's words for what the 过号 rule still needs, and the rule as printed.
#[test]
fn the_no_show_rule_says_what_is_missing() {
    let c = demo();
    let at = |s: i64| Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap() + chrono::Duration::seconds(s);
    let mut state = State::default();
    let issue = IssueRequest {
        actor: Default::default(),
        request_id: "r1".into(),
        service: "linshi-sfz".into(),
        priority: Priority::Normal,
        channel: Channel::Kiosk,
        kiosk: None,
        holder: None,
        appointment_slot: None,
        token: "tok".into(),
    };
    execute(&mut state, &c, &Command::Issue(issue), at(0)).1.unwrap();
    let call = Command::Window { window: 4, action: WindowAction::CallNext, actor: Actor::token("counter-4") };
    execute(&mut state, &c, &call, at(0)).1.unwrap();
    let t = state.tickets.values_mut().next().unwrap();
    t.recalls = 1;
    let t = t.clone();
    assert_eq!(
        super::window::no_show_not_yet(&c, &t, at(65)).as_deref(),
        Some("已重呼 1 次，需重呼 2 次或叫号 3 分钟后（还差 1 分 55 秒）")
    );
    assert_eq!(super::window::no_show_not_yet(&c, &t, at(180)), None);
    assert_eq!(super::window::no_show_not_yet(&c, &Ticket { recalls: 2, ..t.clone() }, at(1)), None);
    assert_eq!(c.no_show_rule().0, "过号：叫号后重呼2次或3分钟仍未到即为过号；过号30分钟内可到窗口重新排队，逾时请重新取号。");
}

#[test]
fn a_no_show_is_requeued_by_another_window_after_its_window_closed_but_not_too_late() {
    check(
        &demo(),
        "09:00 issue huzhao person=p1
         09:01 issue huzhao person=p2
         09:05 w7 next
         09:08 w7 noshow
         09:09 w7 close
         09:20 w8 requeue C001
         09:21 w8 next
         09:24 w8 noshow
         09:53 w8 next
         09:55 w8 requeue C002",
        "09:00 day 2026-11-27 opened; issued C001 huzhao ahead=0 est=0m
         09:01 issued C002 huzhao ahead=1 est=2m
         09:05 w7 opened; w7 called C001
         09:08 w7 no-show C001
         09:09 w7 closed
         09:20 w8 requeued C001
         09:21 w8 opened; w8 called C002
         09:24 w8 no-show C002
         09:53 w8 called C001
         09:55 ! requeue_expired",
    );
}

#[test]
fn requeue_window_closes_after_the_configured_minutes() {
    check(
        &demo(),
        "09:00 issue huzhao person=p1
         09:05 w7 next
         09:08 w7 noshow
         09:38 w9 requeue C001
         09:39 w9 requeue C001
         09:40 w4 requeue C001",
        "09:00 day 2026-11-27 opened; issued C001 huzhao ahead=0 est=0m
         09:05 w7 opened; w7 called C001
         09:08 w7 no-show C001
         09:38 w9 requeued C001
         09:39 ! not_no_show
         09:40 ! not_no_show",
    );
    check(
        &demo(),
        "09:00 issue huzhao person=p1
         09:05 w7 next
         09:08 w7 noshow
         09:38:01 w9 requeue C001
         09:39 w4 requeue C001",
        "09:00 day 2026-11-27 opened; issued C001 huzhao ahead=0 est=0m
         09:05 w7 opened; w7 called C001
         09:08 w7 no-show C001
         09:38 ! requeue_expired
         09:39 ! not_served_here",
    );
}

#[test]
fn calling_a_specific_ticket_needs_a_reason_and_records_it() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 issue linshi-sfz
         09:02 w4 call B002
         09:02 w4 call B002 老人行动不便
         09:03 w4 call C001 x
         09:04 w7 call B001 x",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 linshi-sfz ahead=1 est=1m
         09:02 ! reason_required
         09:02 w4 opened; w4 called B002 (老人行动不便)
         09:03 ! unknown_ticket
         09:04 ! not_served_here",
    );
}

#[test]
fn a_ticket_transferred_twice_keeps_its_number_and_original_place() {
    // B001 goes from the instant queue to household registration (C) and then to
    // exit-entry, both in C; it was issued before C001, so it is called first.
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 issue huzhao person=p1
         09:05 w4 next
         09:06 w4 transfer sfz-buling
         09:07 w7 next
         09:08 w7 start
         09:09 w7 transfer gangao-tongxingzheng
         09:09 w7 transfer huzhao
         09:10 w8 next
         09:11 w7 next
         09:20 w8 finish
         09:21 rate B001 very_satisfied",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued C001 huzhao ahead=0 est=0m
         09:05 w4 opened; w4 called B001
         09:06 w4 transferred B001 to sfz-buling (queue C)
         09:07 w7 opened; w7 called B001
         09:08 w7 started B001
         09:09 w7 transferred B001 to gangao-tongxingzheng (queue C)
         09:09 ! no_current_ticket
         09:10 w8 opened; w8 called B001
         09:11 w7 called C001
         09:20 w8 finished B001
         09:21 rated B001 非常满意",
    );
}

#[test]
fn pause_needs_a_reason_and_blocks_calls_until_resumed() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 w4 pause
         09:01 w4 pause 临时离开
         09:02 w4 next
         09:03 w4 resume
         09:03 w4 resume
         09:04 w4 next
         09:05 w4 pause 午休
         09:06 w4 close",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 ! reason_required
         09:01 w4 paused (临时离开)
         09:02 ! window_paused
         09:03 w4 resumed
         09:03 ! window_not_paused
         09:04 w4 opened; w4 called B001
         09:05 ! current_in_progress
         09:06 ! current_in_progress",
    );
}

#[test]
fn a_window_asks_the_visitor_in_front_of_it_for_a_rating() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 w4 askrating
         09:02 w4 next
         09:03 w4 start
         09:04 w4 askrating
         09:05 w4 finish
         09:05 w4 askrating
         09:06 rate B001 satisfied
         09:07 w4 askrating",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 ! no_current_ticket
         09:02 w4 opened; w4 called B001
         09:03 w4 started B001
         09:04 w4 asks B001 for a rating
         09:05 w4 finished B001
         09:05 w4 asks B001 for a rating
         09:06 rated B001 满意
         09:07 ! already_rated",
    );
}

#[test]
fn a_rating_tablet_rates_once_with_the_nonce_of_its_window() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:01 w4 next
         09:02 w4 start
         09:03 w4 askrating first
         09:04 w4 askrating second
         09:05 rate B001 satisfied tablet-4 w4 first
         09:05 rate B001 satisfied tablet-4 w4 wrong
         09:05 rate B001 satisfied tablet-7 w7 second
         09:06 rate B001 very_satisfied tablet-4 w4 second
         09:07 rate B001 satisfied tablet-4 w4 second
         09:07 rate B001 satisfied",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:01 w4 opened; w4 called B001
         09:02 w4 started B001
         09:03 w4 asks B001 for a rating
         09:04 w4 asks B001 for a rating
         09:05 ! bad_rating_nonce
         09:05 ! bad_rating_nonce
         09:05 ! forbidden_window
         09:06 rated B001 非常满意 on tablet-4
         09:07 ! bad_rating_nonce
         09:07 ! already_rated",
    );
}

#[test]
fn rating_is_once_and_only_after_service() {
    check(
        &demo(),
        "09:00 issue linshi-sfz
         09:00 issue linshi-sfz
         09:01 rate B001 satisfied
         09:02 w4 next
         09:03 w4 start
         09:04 w4 finish
         09:05 rate B001 very_dissatisfied
         09:06 rate B001 satisfied
         09:07 rate B099 satisfied",
        "09:00 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         09:00 issued B002 linshi-sfz ahead=1 est=1m
         09:01 ! not_served
         09:02 w4 opened; w4 called B001
         09:03 w4 started B001
         09:04 w4 finished B001
         09:05 rated B001 非常不满意
         09:06 ! already_rated
         09:07 ! unknown_ticket",
    );
}

#[test]
fn day_rollover_expires_waiting_tickets_and_restarts_numbers() {
    check(
        &demo(),
        "16:50 issue linshi-sfz
         16:51 issue linshi-sfz
         16:52 w4 next
         d2 00:00 tick
         d2 09:00 issue linshi-sfz
         d2 09:01 w4 next",
        "16:50 day 2026-11-27 opened; issued B001 linshi-sfz ahead=0 est=0m
         16:51 issued B002 linshi-sfz ahead=1 est=1m
         16:52 w4 opened; w4 called B001
         00:00 day 2026-11-28 opened, expired B001 B002
         09:00 issued B001 linshi-sfz ahead=0 est=0m
         09:01 w4 opened; w4 called B001",
    );
}

#[test]
fn measured_service_times_replace_the_configured_estimate() {
    // Queue F is seeded at 15 minutes over the 6 windows that serve it (4 special, 2 comprehensive); once window 17 alone has
    // served in 5 minutes each, the estimate is 5 minutes a person over one open window.
    check(
        &demo(),
        "09:00 issue bdc-diya person=a
         09:00 issue bdc-diya person=b
         09:00 issue bdc-diya person=c
         09:00 issue bdc-diya person=d
         09:00 issue bdc-diya person=e
         09:00 w17 next
         09:05 w17 next
         09:10 w17 next
         09:10 ahead F005",
        "09:00 day 2026-11-27 opened; issued F001 bdc-diya ahead=0 est=0m
         09:00 issued F002 bdc-diya ahead=1 est=3m
         09:00 issued F003 bdc-diya ahead=2 est=5m
         09:00 issued F004 bdc-diya ahead=3 est=8m
         09:00 issued F005 bdc-diya ahead=4 est=10m
         09:00 w17 opened; w17 called F001
         09:05 w17 finished F001; w17 called F002
         09:10 w17 finished F002; w17 called F003
         09:10 F005 ahead=1 est=5m",
    );
}

#[test]
fn device_faults_are_logged_when_they_change_and_survive_the_night() {
    check(
        &demo(),
        "09:00 device k1 printer ok
         09:01 device k1 printer 打印机缺纸
         09:02 device k1 printer 打印机缺纸
         09:03 device k1 printer ok
         09:04 device k1 reader 读卡器故障
         d2 00:00 tick
         d2 09:00 device k1 reader 读卡器故障",
        "09:00 day 2026-11-27 opened
         09:01 k1 printer fault: 打印机缺纸
         09:02
         09:03 k1 printer ok
         09:04 k1 reader fault: 读卡器故障
         00:00 day 2026-11-28 opened
         09:00",
    );
}

#[test]
fn appointments_check_in_within_their_window_once() {
    // An appointment is checked in from 60 min before its slot to 30 min after, only by its
    // holder when the booking named one, once (again: the same ticket), and is called at
    // its slot (10 min early), not before; a code-only check-in of an item that needs the
    // ID card asks for the card.
    check(
        &demo(),
        "09:00 book AB1234 hukou-qianru 10:30 person=p1
         09:00 book AB1234 hukou-qianru 10:30 person=p1
         09:00 book AB1234 sfz-shouling 10:30
         09:00 book X1 hukou-qianru 10:30
         09:00 book CD5678 hukou-qianru d2 10:00
         09:00 book EF9012 linshi-sfz 09:00
         09:01 book GH3456 no-such-item 11:00
         09:10 checkin NOPE99
         09:10 checkin AB1234
         09:30 checkin AB1234 person=p2
         09:30 checkin ab1234 person=p1
         09:31 checkin AB1234 person=p1
         09:31 checkin CD5678
         09:31 checkin EF9012
         09:31 issue hukou-qianru person=p3
         09:31 w9 open
         09:32 w9 next
         d2 09:00 checkin CD5678 req=late-day
         d2 09:00 checkin CD5678 person=p9
         d2 09:01 checkin AB1234",
        "09:00 day 2026-11-27 opened; appointment AB1234 hukou-qianru at 2026-11-27 02:30
         09:00
         09:00 ! duplicate_appointment
         09:00 ! bad_appointment_code
         09:00 appointment CD5678 hukou-qianru at 2026-11-28 02:00
         09:00 appointment EF9012 linshi-sfz at 2026-11-27 01:00
         09:01 ! unknown_service
         09:10 ! unknown_appointment
         09:10 ! check_in_too_early
         09:30 ! appointment_not_yours
         09:30 issued C001 hukou-qianru appointment ahead=0 est=0m; appointment AB1234 checked in as C001
         09:31 = 20261127-C001 (repeat)
         09:31 ! appointment_not_today
         09:31 ! appointment_missed
         09:31 issued C002 hukou-qianru ahead=0 est=0m
         09:31 w9 opened
         09:32 w9 called C002
         09:00 day 2026-11-28 opened, expired C001 C002; ! identity_required
         09:00 issued C001 hukou-qianru appointment ahead=0 est=0m; appointment CD5678 checked in as C001
         09:01 ! unknown_appointment",
    );
}

#[test]
fn leases_count_down_from_999_and_online_numbers_count_up_without_meeting() {
    check(
        &demo(),
        "08:50 lease k1 B 10
         08:50 lease k2 B 10
         08:51 lease k1 B 10
         08:52 upload k1 linshi-sfz B990 08:51:30
         08:53 lease k1 B 10
         08:54 upload k1 linshi-sfz B970 08:53:30
         08:55 lease k1 B 10
         08:56 lease k1 Z 10
         08:57 upload k1 linshi-sfz B0971 08:56
         08:58 upload k1 linshi-sfz B971 08:40
         09:00 issue linshi-sfz
         09:01 issue linshi-sfz",
        // 08:51: asked again before using it (an answer lost), the same lease, no new one.
        // 08:55: two open leases are the most. 08:57: a number not written as printed.
        // 08:58: "printed" before the kiosk had its lease: placed at the lease's time, not
        // at the head of the line.
        "08:50 day 2026-11-27 opened; k1 leased B 990-999
         08:50 k2 leased B 980-989
         08:51
         08:52 issued B990 linshi-sfz offline at 00:51:30 ahead=0 est=0m
         08:53 k1 leased B 970-979
         08:54 issued B970 linshi-sfz offline at 00:53:30 ahead=1 est=0m
         08:55 ! lease_limit
         08:56 ! unknown_queue
         08:57 ! not_leased
         08:58 issued B971 linshi-sfz offline at 00:40:00 ahead=1 est=0m
         09:00 issued B001 linshi-sfz ahead=3 est=2m
         09:01 issued B002 linshi-sfz ahead=4 est=3m",
    );
}

#[test]
fn offline_tickets_are_placed_by_the_time_they_were_printed_once_each() {
    check(
        &demo(),
        "08:50 lease k1 B 10
         08:50 lease k2 B 10
         09:00 issue linshi-sfz
         09:05 issue linshi-sfz
         09:06 upload k1 linshi-sfz B999 09:02
         09:06 upload k1 linshi-sfz B999 09:02
         09:07 upload k1 linshi-sfz B980 09:03
         09:07 upload k2 linshi-sfz B980 09:03
         09:07 upload k2 linshi-sfz B001 09:03
         09:08 upload k1 linshi-sfz B998 09:30
         09:08 ahead B999
         09:08 ahead B002
         09:09 w1 open
         09:09 w1 next
         09:10 w1 finish
         09:10 w1 next
         09:11 w1 finish
         09:11 w1 next",
        "08:50 day 2026-11-27 opened; k1 leased B 990-999
         08:50 k2 leased B 980-989
         09:00 issued B001 linshi-sfz ahead=0 est=0m
         09:05 issued B002 linshi-sfz ahead=1 est=1m
         09:06 issued B999 linshi-sfz offline at 01:02:00 ahead=1 est=0m
         09:06 = 20261127-B999 (repeat)
         09:07 ! not_leased
         09:07 issued B980 linshi-sfz offline at 01:03:00 ahead=2 est=0m
         09:07 ! not_leased
         09:08 issued B998 linshi-sfz offline at 01:30:00 ahead=4 est=0m
         09:08 B999 ahead=1 est=1m
         09:08 B002 ahead=3 est=2m
         09:09 w1 opened
         09:09 w1 called B001
         09:10 w1 finished B001
         09:10 w1 called B999
         09:11 w1 finished B999
         09:11 w1 called B980",
    );
}

#[test]
fn an_offline_ticket_over_the_person_limit_is_flagged_not_dropped() {
    check(
        &demo(),
        "08:50 lease k1 C 10
         09:00 issue hukou-qianru person=p1
         09:01 issue hukou-qianru person=p1
         09:10 upload k1 hukou-qianru C999 09:05 person=p1",
        "08:50 day 2026-11-27 opened; k1 leased C 990-999
         09:00 issued C001 hukou-qianru ahead=0 est=0m
         09:01 issued C002 hukou-qianru ahead=1 est=2m
         09:10 issued C999 hukou-qianru offline at 01:05:00 over-limit ahead=2 est=0m",
    );
}

#[test]
fn an_answer_the_kiosk_never_heard_is_withdrawn_for_the_ticket_it_printed() {
    check(
        &demo(),
        "08:50 lease k1 B 10
         08:50 lease k2 B 10
         09:00 issue linshi-sfz req=tap-9
         09:01 issue linshi-sfz req=tap-7
         09:02 upload k2 linshi-sfz B989 09:01:30 req=tap-7
         09:03 upload k1 linshi-sfz B999 09:00:05 req=tap-9
         09:04 issue linshi-sfz req=tap-9
         09:05 w1 open
         09:05 w1 next
         09:06 w1 finish
         09:06 w1 next",
        // 09:02: another kiosk's upload with the same request_id withdraws nothing of k1's.
        "08:50 day 2026-11-27 opened; k1 leased B 990-999
         08:50 k2 leased B 980-989
         09:00 issued B001 linshi-sfz ahead=0 est=0m
         09:01 issued B002 linshi-sfz ahead=1 est=1m
         09:02 issued B989 linshi-sfz offline at 01:01:30 ahead=2 est=0m
         09:03 issued B999 linshi-sfz offline at 01:00:05 replaces 20261127-B001 ahead=1 est=0m
         09:04 = 20261127-B999 (repeat)
         09:05 w1 opened
         09:05 w1 called B999
         09:06 w1 finished B999
         09:06 w1 called B002",
    );
}

#[test]
fn tickets_printed_offline_before_midnight_are_recorded_after_it_not_queued() {
    let mut c = demo();
    c.hours.open_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| d.parse().unwrap()).to_vec();
    check(
        &c,
        "16:00 lease k1 B 10
         16:30 issue linshi-sfz
         16:50 upload k1 linshi-sfz B998 16:45
         d2 08:59 upload k1 linshi-sfz B998 d1 16:45
         d2 09:00 upload k1 linshi-sfz B999 d1 16:40
         d2 09:01 upload k1 linshi-sfz B999 d1 16:40
         d2 09:02 upload k1 linshi-sfz B998 d2 09:01
         d2 09:03 lease k1 B 10
         d2 09:04 upload k1 linshi-sfz B999 d2 09:03
         d2 09:05 issue linshi-sfz",
        // 08:59: uploaded before midnight, sent again after it (the answer lost): the same.
        "16:00 day 2026-11-27 opened; k1 leased B 990-999
         16:30 issued B001 linshi-sfz ahead=0 est=0m
         16:50 issued B998 linshi-sfz offline at 08:45:00 ahead=1 est=0m
         08:59 day 2026-11-28 opened, expired B001 B998; = 20261127-B998 (repeat)
         09:00 issued B999 linshi-sfz offline at 08:40:00 ahead=0 est=0m
         09:01 = 20261127-B999 (repeat)
         09:02 ! not_leased
         09:03 k1 leased B 990-999
         09:04 issued B999 linshi-sfz offline at 01:03:00 ahead=0 est=0m
         09:05 issued B001 linshi-sfz ahead=1 est=1m",
    );
}

/// Every window command's actor reaches every event it gives, and so do the records of
/// sign-ins, configuration changes, result prints, attachment reads and ratings.
#[test]
fn every_commands_actor_reaches_its_events() {
    let mut config = demo();
    // 过号 at once: the steps below all run at 09:00.
    (config.rules.no_show_after_recalls, config.rules.no_show_after_minutes) = (0, 0);
    let at = |h: u32, m: u32| config.offset().from_local_datetime(&day(1).and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&Utc);
    let mut state = State::default();
    for n in 0..3 {
        let issue = IssueRequest {
            actor: Default::default(),
            request_id: format!("r{n}"),
            service: "linshi-sfz".into(),
            priority: Priority::Normal,
            channel: Channel::Kiosk,
            kiosk: Some("k1".into()),
            holder: None,
            appointment_slot: None,
            token: format!("tok{n}"),
        };
        let (_, r) = execute(&mut state, &config, &Command::Issue(issue), at(9, 0));
        r.unwrap();
    }
    let actors = [Actor::staff("1001"), Actor::token("counter-1"), Actor::staff("2001")];
    let steps = [
        WindowAction::Open,
        WindowAction::CallNext,
        WindowAction::Recall,
        WindowAction::NoShow,
        WindowAction::Requeue { ticket: "B001".into() },
        WindowAction::Call { ticket: "B002".into(), reason: "急办".into() },
        WindowAction::Start,
        WindowAction::Transfer { service: "hukou-qianru".into() },
        WindowAction::CallNext,
        WindowAction::Start,
        WindowAction::Finish,
        WindowAction::RequestRating { nonce: "n1".into() },
        WindowAction::Pause { reason: "午休".into() },
        WindowAction::Resume,
        WindowAction::CallNext,
        WindowAction::NoShow,
        WindowAction::Close,
    ];
    let mut kinds = BTreeSet::new();
    let mut log = Vec::new();
    for (i, action) in steps.iter().enumerate() {
        let actor = actors[i % actors.len()].clone();
        let now = at(9, 2 + 2 * i as u32);
        let command = Command::Window { window: 1, action: action.clone(), actor: actor.clone() };
        let (events, r) = execute(&mut state, &config, &command, now);
        r.unwrap_or_else(|e| panic!("{action:?}: {e}"));
        assert!(!events.is_empty(), "{action:?} gave no event");
        for e in &events {
            assert_eq!(e.actor(), Some(actor.clone()), "{action:?}: {e}");
            kinds.insert(e.kind());
            // In the log's JSON too.
            let json = serde_json::to_value(e).unwrap();
            assert_eq!(json["actor"], serde_json::to_value(&actor).unwrap(), "{json}");
        }
        log.extend(events.into_iter().map(|e| (now, e)));
    }
    let window_kinds = [
        "window_opened",
        "window_closed",
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
    ];
    for k in window_kinds {
        assert!(kinds.contains(k), "no {k} among {kinds:?}");
    }
    // The rating's source is its actor.
    let rated = state.tickets.values().find(|t| t.rating_request.is_some()).unwrap().id.clone();
    let rate = Command::Rate {
        ticket: rated,
        rating: Rating::Satisfied,
        source: RatingSource::Device { name: "rating-1".into() },
        device: Some(DeviceRating { window: 1, nonce: "n1".into() }),
    };
    let (events, r) = execute(&mut state, &config, &rate, at(10, 0));
    r.unwrap();
    assert_eq!(events[0].actor(), Some(Actor::token("rating-1")));
    // The records of the chain that change no queue state.
    let manager = Actor::staff("9001");
    for command in [
        Command::StaffSignedIn { actor: manager.clone(), role: Role::Manager },
        Command::ConfigChanged { version: 2, digest: "d".into(), by: "经理（9001）".into(), actor: manager.clone() },
        Command::ResultCollected { result: "R1".into(), kiosk: "经理（9001）".into(), actor: manager.clone() },
        Command::AttachmentRead { attachment: "A1".into(), ticket: "20261127-B001".into(), actor: manager.clone() },
        Command::StaffSignedOut { actor: manager.clone() },
    ] {
        let (events, r) = execute(&mut state, &config, &command, at(10, 1));
        r.unwrap();
        assert_eq!(events.len(), 1, "{command:?}");
        assert_eq!(events[0].actor(), Some(manager.clone()), "{command:?}");
        log.push((at(10, 1), events[0].clone()));
    }
    // Each ticket's history names who did each step (issued by a kiosk: nobody).
    let b002 = &state.tickets["20261127-B002"];
    let called = b002.history.iter().find(|h| h.what == "called").unwrap();
    assert_eq!(called.by, Some(actors[5 % actors.len()].clone()), "{:?}", b002.history);
    for t in state.tickets.values() {
        for h in &t.history {
            assert_eq!(h.by.is_some(), h.what != "issued", "{} {h:?}", t.number);
        }
    }
    // What the hall does by itself has no actor.
    let (events, _) = execute(&mut state, &config, &Command::Tick, at(9, 0) + chrono::Duration::days(1));
    assert_eq!(events[0].kind(), "day_opened");
    assert_eq!(events[0].actor(), None);
}

/// Logs written before actors were recorded still read: the actor is unrecorded, and the
/// event serializes to the very bytes it was read from (the chain covers those bytes).
#[test]
fn events_from_before_actors_replay() {
    let old = [
        r#"{"type":"window_opened","window":4}"#,
        r#"{"type":"ticket_called","ticket":"20261127-B001","number":"B001","window":4,"reason":null}"#,
        r#"{"type":"ticket_transferred","ticket":"20261127-B001","window":4,"service":"hukou-qianru","queue":"A"}"#,
        r#"{"type":"window_paused","window":4,"reason":"午休"}"#,
        r#"{"type":"config_changed","version":2,"digest":"d","by":"manager"}"#,
        r#"{"type":"result_collected","result":"R1","kiosk":"kiosk-1"}"#,
    ];
    for text in old {
        let e: Event = serde_json::from_str(text).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(e.actor(), Some(Actor::Unrecorded), "{text}");
        assert_eq!(serde_json::to_string(&e).unwrap(), text);
    }
}
