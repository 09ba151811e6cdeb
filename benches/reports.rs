//! Reports over a month of a big hall: generates 30 days of a 231-window hall (about
//! 300,000 tickets: calls, recalls, no-shows, transfers, out-of-order calls and ratings, by
//! staff members and shared counter tokens) through the engine into an event log, builds
//! the reports read model from that log (timed), then times every report — a day, a week
//! and the month, by item, queue, window, department, staff member and day — the list of
//! dissatisfied ratings, the charts (tickets per hour, wait buckets, ratings; per department
//! and window) and the supervision list. Each must answer in under 500 ms. Run with
//! `cargo bench --bench reports` (`HALLQ_BENCH_DAYS=N` for a shorter run).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use hallq::config::{Config, Role};
use hallq::engine::{self, Actor, Command, Holder, IssueRequest, Rating, RatingSource, State, Ts, WindowAction};
use hallq::reports::{self, By, ReadModel};
use hallq::store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const WINDOWS: u32 = 231;
const LIMIT: Duration = Duration::from_millis(500);

/// The demo hall with 231 windows (205 comprehensive ones on floors 3 and 4 serving every
/// queue), three more queues with an item each, and 999 numbers for every queue and item.
fn config() -> Config {
    let mut text = hallq::config::DEFAULT_TOML.to_string();
    for n in 27..=WINDOWS {
        text.push_str(&format!(
            "\n[[windows]]\nnumber = {n}\nname = \"综合窗口\"\nkind = \"comprehensive\"\nfloor = {}\nqueues = []\n",
            3 + n % 2
        ));
    }
    let mut c = Config::parse(&text, "bench").expect("the bench hall is valid");
    let template_queue = c.queues[0].clone();
    let template_item = c.services.iter().find(|s| s.queue == template_queue.id).unwrap().clone();
    for id in ["L", "M", "N"] {
        let mut q = template_queue.clone();
        q.id = id.into();
        q.prefix = id.into();
        q.name = format!("综合受理{id}");
        c.queues.push(q);
        let mut s = template_item.clone();
        s.id = format!("zonghe-{id}");
        s.queue = id.into();
        c.services.push(s);
    }
    for q in &mut c.queues {
        q.daily_cap = 999;
    }
    for s in &mut c.services {
        s.daily_cap = 999;
    }
    c.rules.per_person_daily_limit = 0;
    c.rules.recall_min_gap_secs = 0;
    assert_eq!(c.windows.len() as u32, WINDOWS);
    c
}

/// What a window is doing in the simulation.
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Idle,
    Called,
    Serving,
}

struct Window {
    number: u32,
    actor: Actor,
    phase: Phase,
    until: Ts,
    recalled: bool,
}

struct Gen {
    config: Config,
    state: State,
    store: Store,
    batch: Vec<(Ts, engine::Event)>,
    events: u64,
    tickets: u64,
    rng: StdRng,
}

impl Gen {
    /// Runs a command; true when accepted.
    fn run(&mut self, command: Command, at: Ts) -> bool {
        let (events, r) = engine::execute(&mut self.state, &self.config, &command, at);
        self.events += events.len() as u64;
        self.batch.extend(events.into_iter().map(|e| (at, e)));
        if self.batch.len() >= 20_000 {
            self.flush();
        }
        r.is_ok()
    }

    fn flush(&mut self) {
        self.store.append(&self.batch).unwrap();
        self.batch.clear();
    }

    fn day(&mut self, date: NaiveDate, windows: &mut [Window], items: &[String], by_queue: &[Vec<String>]) {
        let offset = self.config.offset();
        let local = |h: u32, m: u32| offset.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&Utc);
        self.run(Command::Tick, local(8, 55));
        let issuing = |t: NaiveTime| {
            (t >= NaiveTime::from_hms_opt(9, 0, 0).unwrap() && t < NaiveTime::from_hms_opt(12, 0, 0).unwrap())
                || (t >= NaiveTime::from_hms_opt(13, 30, 0).unwrap() && t < NaiveTime::from_hms_opt(17, 0, 0).unwrap())
        };
        for w in windows.iter_mut() {
            w.phase = Phase::Idle;
        }
        for minute in 0..(9 * 60) {
            let now = local(9, 0) + chrono::Duration::minutes(minute);
            if issuing(engine::local(&self.config, now).time()) {
                for k in 0..26 {
                    let n = self.tickets;
                    let at = now + chrono::Duration::seconds(k * 2);
                    // Queues evenly (none runs out of its 999 numbers), an item of it at random.
                    let queue = &by_queue[self.rng.random_range(0..by_queue.len())];
                    let item = queue[self.rng.random_range(0..queue.len())].clone();
                    let issue = IssueRequest {
                        actor: Default::default(),
                        request_id: format!("r{n}"),
                        service: item,
                        priority: if self.rng.random_bool(0.08) { engine::Priority::Green } else { Default::default() },
                        channel: Default::default(),
                        kiosk: Some(format!("kiosk-{}", n % 12)),
                        holder: Some(Holder {
                            masked_name: "张*".into(),
                            masked_id: "1101**********001X".into(),
                            id_hash: format!("{n:x}"),
                            birth_date: None,
                        }),
                        appointment_slot: None,
                        token: format!("{n:032x}"),
                    };
                    if self.run(Command::Issue(issue), at) {
                        self.tickets += 1;
                    }
                }
            }
            let anyone_waiting = self.state.waiting.values().any(|w| !w.is_empty());
            for w in windows.iter_mut() {
                let act = |action| Command::Window { window: w.number, action, actor: w.actor.clone() };
                match w.phase {
                    Phase::Idle if anyone_waiting => {
                        // Now and then a ticket out of turn, with the reason.
                        let special = self.rng.random_bool(0.01).then(|| {
                            let conf = self.config.window(w.number).unwrap();
                            self.config
                                .queues
                                .iter()
                                .filter(|q| self.config.window_serves(conf, &q.id))
                                .find_map(|q| self.state.waiting_in(&q.id).last().map(|t| t.id.clone()))
                        });
                        let action = match special.flatten() {
                            Some(ticket) => WindowAction::Call { ticket, reason: "老年人优先办理".into() },
                            None => WindowAction::CallNext,
                        };
                        let (events, r) = engine::execute(&mut self.state, &self.config, &act(action), now);
                        self.events += events.len() as u64;
                        self.batch.extend(events.into_iter().map(|e| (now, e)));
                        if r.is_ok() {
                            w.phase = Phase::Called;
                            w.until = now + chrono::Duration::seconds(40);
                            w.recalled = false;
                        }
                    }
                    Phase::Called if now >= w.until => {
                        let roll: f64 = self.rng.random();
                        let (action, next) = if roll < 0.03 {
                            (WindowAction::NoShow, Phase::Idle)
                        } else if roll < 0.08 && !w.recalled {
                            w.recalled = true;
                            (WindowAction::Recall, Phase::Called)
                        } else {
                            w.until = now + chrono::Duration::seconds(self.rng.random_range(180..660));
                            (WindowAction::Start, Phase::Serving)
                        };
                        let (events, _) = engine::execute(&mut self.state, &self.config, &act(action), now);
                        self.events += events.len() as u64;
                        self.batch.extend(events.into_iter().map(|e| (now, e)));
                        w.phase = next;
                    }
                    Phase::Serving if now >= w.until => {
                        let current = self.state.windows.get(&w.number).and_then(|s| s.current.clone());
                        let transfer = self.rng.random_bool(0.02).then(|| items[self.rng.random_range(0..items.len())].clone());
                        let service = current.as_ref().and_then(|t| self.state.tickets.get(t)).map(|t| t.service.clone());
                        let action = match transfer {
                            Some(to) if Some(&to) != service.as_ref() => WindowAction::Transfer { service: to },
                            _ => WindowAction::Finish,
                        };
                        let finished = action == WindowAction::Finish;
                        let (events, _) = engine::execute(&mut self.state, &self.config, &act(action), now);
                        self.events += events.len() as u64;
                        self.batch.extend(events.into_iter().map(|e| (now, e)));
                        w.phase = Phase::Idle;
                        if let (true, Some(ticket)) = (finished, current) {
                            if self.rng.random_bool(0.4) {
                                let level = match self.rng.random_range(0..100) {
                                    0..70 => Rating::VerySatisfied,
                                    70..90 => Rating::Satisfied,
                                    90..96 => Rating::Neutral,
                                    96..99 => Rating::Dissatisfied,
                                    _ => Rating::VeryDissatisfied,
                                };
                                let rate = Command::Rate { ticket, rating: level, source: RatingSource::Visitor, device: None };
                                self.run(rate, now + chrono::Duration::seconds(20));
                            }
                        }
                    }
                    _ => {}
                }
            }
            if self.batch.len() >= 20_000 {
                self.flush();
            }
        }
        self.flush();
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let days: i64 = std::env::var("HALLQ_BENCH_DAYS").ok().and_then(|d| d.parse().ok()).unwrap_or(30);
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let config = config();
    assert!(config.staff.iter().all(|s| s.role == Role::Counter || s.role == Role::Manager));
    let items: Vec<String> = config.services.iter().map(|s| s.id.clone()).collect();
    let by_queue: Vec<Vec<String>> =
        config.queues.iter().map(|q| config.services.iter().filter(|s| s.queue == q.id).map(|s| s.id.clone()).collect()).collect();
    assert!(by_queue.iter().all(|q| !q.is_empty()));
    let mut windows: Vec<Window> = config
        .windows
        .iter()
        .map(|w| Window {
            number: w.number,
            // Most windows worked by a signed-in member of staff, every fifth on a shared token.
            actor: if w.number % 5 == 0 {
                Actor::token(format!("counter-{}", w.number))
            } else {
                Actor::staff(format!("{}", 10000 + w.number))
            },
            phase: Phase::Idle,
            until: Utc::now(),
            recalled: false,
        })
        .collect();
    let store = Store::open_dir(&dir.path().join("data")).unwrap();
    let mut g = Gen {
        config: config.clone(),
        state: State::default(),
        store,
        batch: Vec::new(),
        events: 0,
        tickets: 0,
        rng: StdRng::seed_from_u64(11),
    };
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let started = Instant::now();
    for d in 0..days {
        g.day(first + chrono::Duration::days(d), &mut windows, &items, &by_queue);
    }
    let generated = started.elapsed();
    println!(
        "generated {days} days of a {WINDOWS}-window hall: {} tickets, {} events in {:.1} s",
        g.tickets,
        g.events,
        generated.as_secs_f64()
    );
    let log = g.store.path().to_path_buf();
    drop(g);

    // The read model, built from the whole log (as when reports.db is missing).
    let started = Instant::now();
    let mut model = ReadModel::open(&reports::path_in(&dir.path().join("data")), &log).unwrap();
    let taken = model.catch_up().unwrap();
    let built = started.elapsed();
    let rows: u64 = model.conn().query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0)).unwrap();
    println!(
        "read model built from the log: {taken} events, {rows} ticket rows in {:.1} s ({:.0} events/s)",
        built.as_secs_f64(),
        taken as f64 / built.as_secs_f64()
    );

    let last = first + chrono::Duration::days(days - 1);
    let mid = first + chrono::Duration::days(days / 2);
    let periods = [("day", mid, mid), ("week", mid, (mid + chrono::Duration::days(6)).min(last)), ("month", first, last)];
    let mut worst = Duration::ZERO;
    println!("{:<6} {:<11} {:>6} {:>9} {:>10} {:>10} {:>10}", "period", "by", "rows", "tickets", "best ms", "median ms", "worst ms");
    for (name, from, to) in periods {
        for by in By::ALL {
            let mut times = Vec::new();
            let mut rows = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                rows = reports::report(model.conn(), &config, from, to, by).unwrap();
                times.push(t.elapsed());
            }
            times.sort();
            worst = worst.max(times[4]);
            let tickets: u64 = rows.iter().map(|r| r.tickets).sum();
            println!(
                "{name:<6} {:<11} {:>6} {:>9} {:>10.1} {:>10.1} {:>10.1}",
                by.name(),
                rows.len(),
                tickets,
                ms(times[0]),
                ms(times[2]),
                ms(times[4])
            );
        }
        let t = Instant::now();
        let bad = reports::dissatisfied(model.conn(), from, to).unwrap();
        let d = t.elapsed();
        worst = worst.max(d);
        println!("{name:<6} {:<11} {:>6} {:>9} {:>10.1} {:>10} {:>10}", "不满意列表", bad.len(), "", ms(d), "", "");
        // The console's charts (per hour, wait buckets, ratings; hall, departments, windows).
        let mut times = Vec::new();
        let mut charts = reports::Charts::default();
        for _ in 0..5 {
            let t = Instant::now();
            charts = reports::charts(model.conn(), &config, from, to).unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        worst = worst.max(times[4]);
        let charted: u64 = charts.total.issued_by_hour.iter().sum();
        println!(
            "{name:<6} {:<11} {:>6} {:>9} {:>10.1} {:>10.1} {:>10.1}",
            "charts",
            charts.windows.len(),
            charted,
            ms(times[0]),
            ms(times[2]),
            ms(times[4])
        );
        // Supervision: every specific call, transfer, requeue and pause, with the counts.
        let offset = config.offset();
        let start_of = |d: NaiveDate| offset.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap()).unwrap().timestamp();
        let filter = reports::SupervisionFilter { start: start_of(from), end: start_of(to.succ_opt().unwrap()), window: None, who: None };
        let mut times = Vec::new();
        let mut listed = 0;
        for _ in 0..5 {
            let t = Instant::now();
            listed = reports::supervision(model.conn(), &filter).unwrap().actions.len();
            times.push(t.elapsed());
        }
        times.sort();
        worst = worst.max(times[4]);
        println!(
            "{name:<6} {:<11} {:>6} {:>9} {:>10.1} {:>10.1} {:>10.1}",
            "supervision",
            listed,
            "",
            ms(times[0]),
            ms(times[2]),
            ms(times[4])
        );
    }
    // A month's report by staff member, as filed: the first lines.
    let by_staff = reports::report(model.conn(), &config, first, last, By::Staff).unwrap();
    for r in by_staff.iter().take(3) {
        println!(
            "  staff {}: {} tickets, wait mean {:.0} s p90 {} s, service mean {:.0} s p90 {} s, no-shows {}, transfers {}, out of order {}, ratings {:?}",
            r.key,
            r.tickets,
            r.wait_mean_secs,
            r.wait_p90_secs,
            r.service_mean_secs,
            r.service_p90_secs,
            r.no_shows,
            r.transfers,
            r.out_of_order,
            r.ratings
        );
    }
    println!("slowest report: {:.1} ms (limit {} ms): {}", ms(worst), LIMIT.as_millis(), if worst < LIMIT { "OK" } else { "TOO SLOW" });
    assert!(worst < LIMIT, "a report took {worst:?}");
}
