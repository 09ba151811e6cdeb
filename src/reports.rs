//! The reports read model: one row per ticket in `DATA/reports.db` (SQLite), kept up to date
//! from the event log by a thread of the service, and rebuilt from the log when the file is
//! missing or belongs to another log. The log stays the truth: this is a cache shaped for
//! reports (per day, week or month; per item, queue, window, department or member of staff).
//!
//! A ticket row holds its item, queue, window, the staff number (or token) that served it,
//! when it was issued, first called, started and finished, whether it was a no-show, its
//! transfers (also one row each in `transfers`), recalls, out-of-order calls (a chosen ticket
//! called past tickets ahead of it in its queue) and its rating. Supervised actions
//! (specific calls, transfers, requeues, pauses) are one row each in `actions`, with who
//! did them and why.
//! Departments are the configuration's (by item), so a report follows the catalogue in force.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::config::Config;
use crate::engine::{Actor, Event, Rating, RatingSource};
use crate::store::{self, Record, StoreError};

/// The tables' layout. A file of another version (older hallq) is emptied and rebuilt
/// from the log, as a missing one is: the model is a cache.
const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT NOT NULL,
    queue TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    kiosk TEXT,
    offline INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    wait_since INTEGER NOT NULL,
    first_called_at INTEGER,
    called_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    window INTEGER,
    staff TEXT,
    actor TEXT,
    no_shows INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    recalls INTEGER NOT NULL DEFAULT 0,
    out_of_order INTEGER NOT NULL DEFAULT 0,
    rating TEXT,
    rated_by TEXT
);
-- Reports read a period in date order, and within a day in rowid order (the order rows were
-- written): a (date, queue) index would visit a day's rows queue by queue, jumping across
-- pages. The out-of-order check looks up one queue of one day through its own index.
CREATE INDEX IF NOT EXISTS tickets_date ON tickets(date);
CREATE INDEX IF NOT EXISTS tickets_queue_date ON tickets(queue, date);
CREATE TABLE IF NOT EXISTS transfers (
    ticket TEXT NOT NULL,
    at INTEGER NOT NULL,
    window INTEGER NOT NULL,
    actor TEXT,
    from_service TEXT NOT NULL,
    to_service TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transfers_ticket ON transfers(ticket);
CREATE TABLE IF NOT EXISTS actions (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    window INTEGER NOT NULL,
    actor TEXT NOT NULL,
    who TEXT,
    ticket TEXT,
    number TEXT,
    reason TEXT,
    skipped INTEGER NOT NULL DEFAULT 0,
    from_service TEXT,
    to_service TEXT,
    ended_at INTEGER
);
CREATE INDEX IF NOT EXISTS actions_at ON actions(at);
CREATE INDEX IF NOT EXISTS actions_open_pause ON actions(window) WHERE kind = 'pause' AND ended_at IS NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Events read from the log per transaction of the read model.
const PAGE: usize = 5000;

/// The read model's file in a data directory.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join("reports.db")
}

/// The reports database, following one event log.
pub struct ReadModel {
    conn: Connection,
    log: PathBuf,
    last_seq: u64,
}

fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn actor_text(a: &Actor) -> Option<String> {
    (!a.is_unrecorded()).then(|| a.to_string())
}

fn staff_of(a: &Actor) -> Option<&str> {
    match a {
        Actor::Staff { number } => Some(number),
        _ => None,
    }
}

/// Who acted, as reports key it: the staff number, else the actor as text ("token counter-5").
fn who_of(a: &Actor) -> Option<String> {
    staff_of(a).map(str::to_string).or_else(|| actor_text(a))
}

/// A supervised action: a specific call, a transfer, a requeue or a pause.
struct Action<'a> {
    seq: u64,
    at: i64,
    kind: &'a str,
    window: u32,
    actor: &'a Actor,
    ticket: Option<&'a str>,
    reason: Option<&'a str>,
    skipped: i64,
    to_service: Option<&'a str>,
}

fn record_action(tx: &rusqlite::Transaction<'_>, a: Action<'_>) -> Result<(), StoreError> {
    // The ticket's number and (for a transfer) the item it leaves come from its row, read
    // before the event changes it.
    tx.prepare_cached(
        "INSERT OR REPLACE INTO actions (seq, at, kind, window, actor, who, ticket, number, reason, skipped, from_service, to_service)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT number FROM tickets WHERE id = ?7), ?8, ?9,
                 CASE WHEN ?10 IS NOT NULL THEN (SELECT service FROM tickets WHERE id = ?7) END, ?10)",
    )?
    .execute(params![
        a.seq,
        a.at,
        a.kind,
        a.window,
        serde_json::to_string(a.actor).unwrap_or_default(),
        who_of(a.actor),
        a.ticket,
        a.reason,
        a.skipped,
        a.to_service
    ])?;
    Ok(())
}

impl ReadModel {
    /// Opens (or creates) the read model at `path` for the log at `log`. A model whose last
    /// event does not match the log's (another or a restored log) is emptied to be rebuilt.
    pub fn open(path: &Path, log: &Path) -> Result<ReadModel, StoreError> {
        store::create_private(path).map_err(|source| StoreError::DataDir { path: path.into(), source })?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // A cache of the log: losing its last transactions in a crash costs a replay, no data.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != SCHEMA_VERSION {
            if version != 0 {
                tracing::info!(version, "the reports read model was written by another hallq: rebuilding it");
            }
            conn.execute_batch(
                "DROP TABLE IF EXISTS tickets; DROP TABLE IF EXISTS transfers; DROP TABLE IF EXISTS actions; DROP TABLE IF EXISTS meta;",
            )?;
            conn.execute_batch(SCHEMA)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        let mut model = ReadModel { conn, log: log.to_path_buf(), last_seq: 0 };
        model.last_seq = model.meta("last_seq")?.and_then(|s| s.parse().ok()).unwrap_or(0);
        if model.last_seq > 0 {
            let logged = store::open_reader(log)?
                .query_row("SELECT hash FROM events WHERE seq = ?1", [model.last_seq], |r| r.get::<_, Vec<u8>>(0))
                .optional()?
                .map(hex::encode);
            if logged != model.meta("last_hash")? {
                tracing::warn!(seq = model.last_seq, "the reports read model does not match the event log: rebuilding it");
                model.conn.execute_batch("DELETE FROM tickets; DELETE FROM transfers; DELETE FROM actions; DELETE FROM meta;")?;
                model.last_seq = 0;
            }
        }
        Ok(model)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// The last event of the log the model has taken in.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Takes in every event logged since the last call; returns how many.
    pub fn catch_up(&mut self) -> Result<u64, StoreError> {
        let log = store::open_reader(&self.log)?;
        let mut n = 0;
        loop {
            let page = store::events_since(&log, self.last_seq, PAGE)?;
            let Some(last) = page.last().map(|r| r.seq) else { break };
            let hash: Vec<u8> = log.query_row("SELECT hash FROM events WHERE seq = ?1", [last], |r| r.get(0))?;
            let tx = self.conn.transaction()?;
            for r in &page {
                apply(&tx, r)?;
            }
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?1)", [last.to_string()])?;
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_hash', ?1)", [hex::encode(hash)])?;
            tx.commit()?;
            n += page.len() as u64;
            self.last_seq = last;
        }
        Ok(n)
    }

    /// A connection for reading reports (WAL: beside the thread that writes).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Folds one logged event into the tables.
fn apply(tx: &rusqlite::Transaction<'_>, r: &Record) -> Result<(), StoreError> {
    let at = r.at.timestamp();
    let action =
        |kind, window, actor| Action { seq: r.seq, at, kind, window, actor, ticket: None, reason: None, skipped: 0, to_service: None };
    match &r.event {
        Event::TicketIssued { ticket: t } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO tickets (id, date, number, service, queue, channel, priority, kiosk, offline, status, issued_at, wait_since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'waiting', ?10, ?10)",
            )?
            .execute(params![
                t.id,
                t.date.to_string(),
                t.number,
                t.service,
                t.queue,
                enum_text(&t.channel),
                enum_text(&t.priority),
                t.kiosk,
                t.offline.is_some(),
                t.issued_at.timestamp()
            ])?;
            if let Some(old) = t.offline.as_ref().and_then(|o| o.replaces.as_ref()) {
                tx.prepare_cached("UPDATE tickets SET status = 'withdrawn' WHERE id = ?1 AND status = 'waiting'")?.execute([old])?;
            }
        }
        Event::DayOpened { expired, .. } => {
            let mut stmt = tx.prepare_cached("UPDATE tickets SET status = 'expired' WHERE id = ?1")?;
            for id in expired {
                stmt.execute([id])?;
            }
        }
        Event::TicketCalled { ticket, window, reason, actor, .. } => {
            // A chosen ticket (with the reason given) is out of order when tickets ahead of it
            // in its queue were still waiting (in line since before it, as the engine orders
            // a line: a requeued ticket from its requeue, a transferred one from its issue):
            // counted before this call changes its row.
            let mut skipped = 0;
            if let Some(reason) = reason {
                skipped = tx
                    .prepare_cached(
                        "SELECT COUNT(*) FROM tickets o JOIN tickets t ON o.date = t.date AND o.queue = t.queue
                         WHERE t.id = ?1 AND o.status = 'waiting'
                           AND (o.wait_since < t.wait_since OR (o.wait_since = t.wait_since AND o.id < t.id))",
                    )?
                    .query_row([ticket], |r| r.get(0))?;
                record_action(tx, Action { ticket: Some(ticket), reason: Some(reason), skipped, ..action("call", *window, actor) })?;
            }
            tx.prepare_cached(
                "UPDATE tickets SET status = 'called', window = ?2, staff = ?3, actor = ?4, called_at = ?5,
                 first_called_at = COALESCE(first_called_at, ?5), out_of_order = out_of_order + ?6 WHERE id = ?1",
            )?
            .execute(params![ticket, window, staff_of(actor), actor_text(actor), at, (skipped > 0) as i64])?;
        }
        Event::TicketRecalled { ticket, .. } => {
            tx.prepare_cached("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?1")?.execute([ticket])?;
        }
        Event::ServiceStarted { ticket, .. } => {
            tx.prepare_cached("UPDATE tickets SET status = 'serving', started_at = ?2 WHERE id = ?1")?.execute(params![ticket, at])?;
        }
        Event::TicketFinished { ticket, window, actor } => {
            // Who finished it served it (a call by one and a finish by another: the finisher).
            tx.prepare_cached(
                "UPDATE tickets SET status = 'finished', finished_at = ?2, window = ?3,
                 staff = COALESCE(?4, staff), actor = COALESCE(?5, actor) WHERE id = ?1",
            )?
            .execute(params![ticket, at, window, staff_of(actor), actor_text(actor)])?;
        }
        Event::TicketNoShow { ticket, .. } => {
            tx.prepare_cached("UPDATE tickets SET status = 'no_show', no_shows = no_shows + 1 WHERE id = ?1")?.execute([ticket])?;
        }
        Event::TicketRequeued { ticket, window, actor } => {
            record_action(tx, Action { ticket: Some(ticket), ..action("requeue", *window, actor) })?;
            tx.prepare_cached("UPDATE tickets SET status = 'waiting', wait_since = ?2 WHERE id = ?1")?.execute(params![ticket, at])?;
        }
        Event::WindowPaused { window, reason, actor } => {
            record_action(tx, Action { reason: Some(reason), ..action("pause", *window, actor) })?;
        }
        Event::WindowResumed { window, .. } => {
            tx.prepare_cached("UPDATE actions SET ended_at = ?2 WHERE window = ?1 AND kind = 'pause' AND ended_at IS NULL")?
                .execute(params![window, at])?;
        }
        Event::TicketTransferred { ticket, window, service, queue, actor } => {
            record_action(tx, Action { ticket: Some(ticket), to_service: Some(service), ..action("transfer", *window, actor) })?;
            tx.prepare_cached(
                "INSERT INTO transfers (ticket, at, window, actor, from_service, to_service)
                 SELECT id, ?2, ?3, ?4, service, ?5 FROM tickets WHERE id = ?1",
            )?
            .execute(params![ticket, at, window, actor_text(actor), service])?;
            tx.prepare_cached(
                "UPDATE tickets SET status = 'waiting', service = ?2, queue = ?3, transfers = transfers + 1,
                 started_at = NULL, called_at = NULL, wait_since = issued_at WHERE id = ?1",
            )?
            .execute(params![ticket, service, queue])?;
        }
        Event::TicketRated { ticket, rating, source, .. } => {
            let by = match source {
                RatingSource::Visitor => "visitor".to_string(),
                RatingSource::Device { name } => format!("tablet {name}"),
            };
            tx.prepare_cached("UPDATE tickets SET rating = ?2, rated_by = ?3 WHERE id = ?1")?.execute(params![
                ticket,
                enum_text(rating),
                by
            ])?;
        }
        _ => {}
    }
    Ok(())
}

/// The read model of the event log at `log` (in its data directory), one per log in this
/// process: the thread that follows the log and the API's reports share it, so events are
/// taken in once.
pub fn shared(log: &Path) -> Result<Arc<Mutex<ReadModel>>, StoreError> {
    static MODELS: OnceLock<Mutex<HashMap<PathBuf, Weak<Mutex<ReadModel>>>>> = OnceLock::new();
    let mut models = MODELS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = models.get(log).and_then(Weak::upgrade) {
        return Ok(m);
    }
    let model = Arc::new(Mutex::new(ReadModel::open(&path_in(log.parent().unwrap_or(Path::new("."))), log)?));
    models.retain(|_, m| m.strong_count() > 0);
    models.insert(log.to_path_buf(), Arc::downgrade(&model));
    Ok(model)
}

/// Keeps `DATA/reports.db` up to date with the hall's log: catches up at start (a missing
/// file is rebuilt from the whole log), then after each batch of new events. Runs on its
/// own thread until the hall's event channel closes.
pub fn spawn(hall: &crate::service::Hall) -> std::io::Result<std::thread::JoinHandle<()>> {
    let log = hall.db_path().to_path_buf();
    let mut live = hall.subscribe();
    std::thread::Builder::new().name("hallq-reports".into()).spawn(move || {
        let model = match shared(&log) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!("reports read model beside {}: {e}", log.display());
                return;
            }
        };
        loop {
            let started = std::time::Instant::now();
            let caught = model.lock().unwrap_or_else(|p| p.into_inner()).catch_up();
            match caught {
                Ok(n) if n > 10_000 => tracing::info!(events = n, secs = started.elapsed().as_secs_f64(), "reports read model caught up"),
                Ok(_) => {}
                Err(e) => tracing::error!("reports read model: {e}"),
            }
            // Wait for news, then take everything that came meanwhile in one go.
            match live.blocking_recv() {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) = live.try_recv() {}
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

/// What a report is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Item,
    Queue,
    Window,
    Department,
    /// The member of staff who served (staff number; tickets served with a shared token
    /// are under the token).
    Staff,
    Day,
}

impl By {
    pub const ALL: [By; 6] = [By::Item, By::Queue, By::Window, By::Department, By::Staff, By::Day];

    pub fn name(self) -> &'static str {
        match self {
            By::Item => "item",
            By::Queue => "queue",
            By::Window => "window",
            By::Department => "department",
            By::Staff => "staff",
            By::Day => "day",
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRow {
    pub key: String,
    pub tickets: u64,
    /// Finished (served to the end).
    pub served: u64,
    pub wait_mean_secs: f64,
    pub wait_p90_secs: i64,
    pub service_mean_secs: f64,
    pub service_p90_secs: i64,
    pub no_shows: u64,
    pub transfers: u64,
    pub out_of_order: u64,
    /// By the five GB/T 39734 levels, from very satisfied to very dissatisfied.
    pub ratings: [u64; 5],
}

#[derive(Default)]
struct Acc {
    tickets: u64,
    waits: Vec<i64>,
    services: Vec<i64>,
    no_shows: u64,
    transfers: u64,
    out_of_order: u64,
    ratings: [u64; 5],
}

fn mean_p90(v: &mut [i64]) -> (f64, i64) {
    if v.is_empty() {
        return (0.0, 0);
    }
    v.sort_unstable();
    let mean = v.iter().sum::<i64>() as f64 / v.len() as f64;
    let i = ((v.len() as f64 * 0.9).ceil() as usize).clamp(1, v.len()) - 1;
    (mean, v[i])
}

fn rating_index(text: &str) -> Option<usize> {
    Rating::ALL.iter().position(|r| enum_text(r) == text)
}

/// A report of the tickets of the days `from..=to` (hall dates), broken down `by`.
/// Waits run from issue to the first call; service from the start (or the call) to the
/// finish. Rows are in key order.
pub fn report(conn: &Connection, config: &Config, from: NaiveDate, to: NaiveDate, by: By) -> Result<Vec<ReportRow>, StoreError> {
    let key = match by {
        By::Item | By::Department => "service",
        By::Queue => "queue",
        By::Window => "CAST(window AS TEXT)",
        By::Staff => "COALESCE(staff, actor)",
        By::Day => "date",
    };
    let department: HashMap<&str, &str> = config.services.iter().map(|s| (s.id.as_str(), s.department.as_str())).collect();
    let sql = format!(
        "SELECT {key}, first_called_at - issued_at, CASE WHEN status = 'finished' THEN finished_at - COALESCE(started_at, called_at) END,
                no_shows, transfers, out_of_order, rating
         FROM tickets WHERE date BETWEEN ?1 AND ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([from.to_string(), to.to_string()])?;
    let mut groups: HashMap<String, Acc> = HashMap::new();
    while let Some(row) = rows.next()? {
        let mut k: String = row.get::<_, Option<String>>(0)?.unwrap_or_default();
        if by == By::Department {
            k = department.get(k.as_str()).map(|d| d.to_string()).unwrap_or(k);
        }
        let a = groups.entry(k).or_default();
        a.tickets += 1;
        if let Some(w) = row.get::<_, Option<i64>>(1)? {
            a.waits.push(w);
        }
        if let Some(s) = row.get::<_, Option<i64>>(2)? {
            a.services.push(s);
        }
        a.no_shows += row.get::<_, i64>(3)? as u64;
        a.transfers += row.get::<_, i64>(4)? as u64;
        a.out_of_order += row.get::<_, i64>(5)? as u64;
        if let Some(i) = row.get_ref(6)?.as_str_or_null().ok().flatten().and_then(rating_index) {
            a.ratings[i] += 1;
        }
    }
    let mut out: Vec<ReportRow> = groups
        .into_iter()
        .map(|(key, mut a)| {
            let (wait_mean_secs, wait_p90_secs) = mean_p90(&mut a.waits);
            let served = a.services.len() as u64;
            let (service_mean_secs, service_p90_secs) = mean_p90(&mut a.services);
            ReportRow {
                key,
                tickets: a.tickets,
                served,
                wait_mean_secs,
                wait_p90_secs,
                service_mean_secs,
                service_p90_secs,
                no_shows: a.no_shows,
                transfers: a.transfers,
                out_of_order: a.out_of_order,
                ratings: a.ratings,
            }
        })
        .collect();
    out.sort_by(|a, b| natural(&a.key).cmp(&natural(&b.key)));
    Ok(out)
}

/// Sorts window numbers as numbers and everything else as text.
fn natural(k: &str) -> (u64, &str) {
    (k.parse().unwrap_or(u64::MAX), k)
}

/// A ticket rated 不满意 or 非常不满意, for the list under a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dissatisfied {
    pub ticket: String,
    pub number: String,
    pub date: String,
    pub service: String,
    pub window: Option<u32>,
    pub staff: Option<String>,
    pub rating: String,
}

/// The tickets of `from..=to` rated dissatisfied or very dissatisfied.
pub fn dissatisfied(conn: &Connection, from: NaiveDate, to: NaiveDate) -> Result<Vec<Dissatisfied>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, number, date, service, window, COALESCE(staff, actor), rating FROM tickets
         WHERE date BETWEEN ?1 AND ?2 AND rating IN ('dissatisfied', 'very_dissatisfied') ORDER BY date, id",
    )?;
    let rows = stmt.query_map([from.to_string(), to.to_string()], |r| {
        Ok(Dissatisfied {
            ticket: r.get(0)?,
            number: r.get(1)?,
            date: r.get(2)?,
            service: r.get(3)?,
            window: r.get(4)?,
            staff: r.get(5)?,
            rating: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The wait distribution's buckets: their lower edges in minutes; the last is open
/// ("60 minutes or more").
pub const WAIT_BUCKETS_MIN: [u32; 8] = [0, 5, 10, 15, 20, 30, 45, 60];

/// One set of chart figures: tickets issued per hour of the hall's day, waits of the
/// tickets called by bucket, ratings by the five levels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Series {
    pub issued_by_hour: [u64; 24],
    pub waits: [u64; WAIT_BUCKETS_MIN.len()],
    pub ratings: [u64; 5],
}

impl Series {
    fn add(&mut self, hour: usize, wait_secs: Option<i64>, rating: Option<usize>) {
        self.issued_by_hour[hour] += 1;
        if let Some(w) = wait_secs {
            let b = WAIT_BUCKETS_MIN.iter().rposition(|m| w >= i64::from(*m) * 60).unwrap_or(0);
            self.waits[b] += 1;
        }
        if let Some(r) = rating {
            self.ratings[r] += 1;
        }
    }
}

/// Chart figures of a period: the hall's, per department (id) and per window (the window
/// that called the ticket last; tickets never called are in no window's).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Charts {
    pub total: Series,
    pub departments: Vec<(String, Series)>,
    pub windows: Vec<(u32, Series)>,
}

/// Chart figures of the tickets of the days `from..=to`.
pub fn charts(conn: &Connection, config: &Config, from: NaiveDate, to: NaiveDate) -> Result<Charts, StoreError> {
    let department: HashMap<&str, &str> = config.services.iter().map(|s| (s.id.as_str(), s.department.as_str())).collect();
    let offset = i64::from(config.offset().local_minus_utc());
    let mut stmt = conn.prepare_cached(
        "SELECT service, window, issued_at, first_called_at - issued_at, rating FROM tickets WHERE date BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query([from.to_string(), to.to_string()])?;
    let mut out = Charts::default();
    let mut departments: HashMap<String, Series> = HashMap::new();
    let mut windows: HashMap<u32, Series> = HashMap::new();
    while let Some(row) = rows.next()? {
        let service = row.get_ref(0)?.as_str().unwrap_or_default();
        let window: Option<u32> = row.get(1)?;
        let hour = ((row.get::<_, i64>(2)? + offset).rem_euclid(86_400) / 3600) as usize;
        let wait: Option<i64> = row.get(3)?;
        let rating = row.get_ref(4)?.as_str_or_null().ok().flatten().and_then(rating_index);
        out.total.add(hour, wait, rating);
        let d = department.get(service).copied().unwrap_or(service);
        match departments.get_mut(d) {
            Some(s) => s.add(hour, wait, rating),
            None => departments.entry(d.to_string()).or_default().add(hour, wait, rating),
        }
        if let Some(w) = window {
            windows.entry(w).or_default().add(hour, wait, rating);
        }
    }
    out.departments = departments.into_iter().collect();
    out.departments.sort_by(|a, b| a.0.cmp(&b.0));
    out.windows = windows.into_iter().collect();
    out.windows.sort_by_key(|w| w.0);
    Ok(out)
}

/// What a supervised action was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A chosen ticket called (not the next), with the reason given.
    Call,
    Transfer,
    Requeue,
    Pause,
}

impl ActionKind {
    fn parse(s: &str) -> Option<ActionKind> {
        Some(match s {
            "call" => ActionKind::Call,
            "transfer" => ActionKind::Transfer,
            "requeue" => ActionKind::Requeue,
            "pause" => ActionKind::Pause,
            _ => return None,
        })
    }
}

/// A specific call, transfer, requeue or pause, for supervision (电子监察).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Supervised {
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    pub kind: ActionKind,
    pub window: u32,
    pub actor: Actor,
    /// The staff number, else the actor as text (as reports by staff member key it).
    pub who: Option<String>,
    pub ticket: Option<String>,
    pub number: Option<String>,
    pub reason: Option<String>,
    /// For a call: tickets ahead of it in its queue, still waiting, passed over.
    pub skipped: u64,
    pub from_service: Option<String>,
    pub to_service: Option<String>,
    /// For a pause: when the window resumed (Unix seconds), if it has.
    pub ended_at: Option<i64>,
}

impl Supervised {
    /// A call that passed over tickets ahead of it in its queue.
    pub fn out_of_order(&self) -> bool {
        self.kind == ActionKind::Call && self.skipped > 0
    }
}

/// Supervised actions per window or per member of staff.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActionCounts {
    pub key: String,
    pub calls: u64,
    pub out_of_order: u64,
    pub transfers: u64,
    pub requeues: u64,
    pub pauses: u64,
    /// Seconds paused, of the pauses that ended.
    pub paused_secs: i64,
}

impl ActionCounts {
    fn add(&mut self, a: &Supervised) {
        match a.kind {
            ActionKind::Call => {
                self.calls += 1;
                self.out_of_order += a.out_of_order() as u64;
            }
            ActionKind::Transfer => self.transfers += 1,
            ActionKind::Requeue => self.requeues += 1,
            ActionKind::Pause => {
                self.pauses += 1;
                self.paused_secs += a.ended_at.map_or(0, |e| e - a.at);
            }
        }
    }
}

/// Which supervised actions to list.
#[derive(Debug, Clone, Default)]
pub struct SupervisionFilter {
    /// Unix seconds, `start..end`.
    pub start: i64,
    pub end: i64,
    pub window: Option<u32>,
    /// A staff number (or a token's "token NAME", as reports key it).
    pub who: Option<String>,
}

/// Supervised actions in log order, with their counts per window and per member of staff
/// (in key order).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SupervisionList {
    pub actions: Vec<Supervised>,
    pub by_window: Vec<ActionCounts>,
    pub by_staff: Vec<ActionCounts>,
}

/// The supervised actions matching `f`, with their counts.
pub fn supervision(conn: &Connection, f: &SupervisionFilter) -> Result<SupervisionList, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, kind, window, actor, who, ticket, number, reason, skipped, from_service, to_service, ended_at
         FROM actions WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR window = ?3) AND (?4 IS NULL OR who = ?4) ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![f.start, f.end, f.window, f.who], |r| {
        let kind: String = r.get(2)?;
        let actor: String = r.get(4)?;
        Ok(Supervised {
            seq: r.get(0)?,
            at: r.get(1)?,
            kind: ActionKind::parse(&kind).unwrap_or(ActionKind::Call),
            window: r.get(3)?,
            actor: serde_json::from_str(&actor).unwrap_or_default(),
            who: r.get(5)?,
            ticket: r.get(6)?,
            number: r.get(7)?,
            reason: r.get(8)?,
            skipped: r.get(9)?,
            from_service: r.get(10)?,
            to_service: r.get(11)?,
            ended_at: r.get(12)?,
        })
    })?;
    let list: Vec<Supervised> = rows.collect::<Result<_, _>>()?;
    let mut by_window: HashMap<String, ActionCounts> = HashMap::new();
    let mut by_staff: HashMap<String, ActionCounts> = HashMap::new();
    for a in &list {
        let w = a.window.to_string();
        by_window.entry(w.clone()).or_insert_with(|| ActionCounts { key: w, ..Default::default() }).add(a);
        let who = a.who.clone().unwrap_or_default();
        by_staff.entry(who.clone()).or_insert_with(|| ActionCounts { key: who, ..Default::default() }).add(a);
    }
    let sorted = |m: HashMap<String, ActionCounts>| {
        let mut v: Vec<ActionCounts> = m.into_values().collect();
        v.sort_by(|a, b| natural(&a.key).cmp(&natural(&b.key)));
        v
    };
    Ok(SupervisionList { actions: list, by_window: sorted(by_window), by_staff: sorted(by_staff) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{execute, Command, IssueRequest, State, WindowAction};
    use crate::store::Store;
    use chrono::{TimeZone, Utc};

    /// A known day: four tickets at window 1 (staff 1001), one no-show, one transfer, one
    /// rated very dissatisfied; waits and service times set by the clock.
    #[test]
    fn the_read_model_follows_the_log_and_is_rebuilt_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::demo();
        // The script marks a no-show a minute after the call: 过号 at once here.
        (config.rules.no_show_after_recalls, config.rules.no_show_after_minutes) = (0, 0);
        let mut store = Store::open_dir(dir.path()).unwrap();
        let mut state = State::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap(); // 09:00 in the hall
        let at = |mins: i64| t0 + chrono::Duration::minutes(mins);
        fn step(state: &mut State, store: &mut Store, config: &Config, c: Command, when: crate::engine::Ts) {
            let (events, r) = execute(state, config, &c, when);
            r.unwrap_or_else(|e| panic!("{c:?}: {e}"));
            store.append(&events.into_iter().map(|e| (when, e)).collect::<Vec<_>>()).unwrap();
        }
        macro_rules! run {
            ($c:expr, $when:expr $(,)?) => {
                step(&mut state, &mut store, &config, $c, $when)
            };
        }
        for n in 0..4 {
            run!(
                Command::Issue(IssueRequest {
                    actor: Default::default(),
                    request_id: format!("r{n}"),
                    service: "linshi-sfz".into(),
                    priority: Default::default(),
                    channel: Default::default(),
                    kiosk: Some("kiosk-1".into()),
                    holder: None,
                    appointment_slot: None,
                    token: format!("t{n}"),
                }),
                at(0),
            );
        }
        let w = |action| Command::Window { window: 1, action, actor: Actor::staff("1001") };
        run!(w(WindowAction::CallNext), at(2)); // B001 waited 2 min
        run!(w(WindowAction::Start), at(3));
        run!(w(WindowAction::Finish), at(8)); // served 5 min
        run!(
            Command::Rate { ticket: "20261127-B001".into(), rating: Rating::VeryDissatisfied, source: RatingSource::Visitor, device: None },
            at(9),
        );
        run!(w(WindowAction::CallNext), at(10)); // B002 waited 10 min
        run!(w(WindowAction::NoShow), at(12));
        run!(w(WindowAction::CallNext), at(12)); // B003 waited 12 min
        run!(w(WindowAction::Start), at(13));
        run!(w(WindowAction::Transfer { service: "hukou-qianru".into() }), at(14));
        let mut model = ReadModel::open(&path_in(dir.path()), store.path()).unwrap();
        assert_eq!(model.catch_up().unwrap(), 15);
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let by_staff = report(model.conn(), &config, day, day, By::Staff).unwrap();
        assert_eq!(by_staff.len(), 2, "{by_staff:?}"); // staff 1001, and B004 never called
        let s = by_staff.iter().find(|r| r.key == "1001").unwrap();
        assert_eq!((s.tickets, s.served, s.no_shows, s.transfers), (3, 1, 1, 1));
        assert_eq!((s.wait_mean_secs, s.wait_p90_secs), (8.0 * 60.0, 12 * 60));
        assert_eq!((s.service_mean_secs, s.service_p90_secs), (300.0, 300));
        assert_eq!(s.ratings, [0, 0, 0, 0, 1]);
        let by_department = report(model.conn(), &config, day, day, By::Department).unwrap();
        assert_eq!(by_department.iter().map(|r| (r.key.as_str(), r.tickets)).collect::<Vec<_>>(), [("gaj", 4)]);
        let by_queue = report(model.conn(), &config, day, day, By::Queue).unwrap();
        assert_eq!(by_queue.iter().map(|r| (r.key.as_str(), r.tickets)).collect::<Vec<_>>(), [("B", 3), ("C", 1)]);
        let bad = dissatisfied(model.conn(), day, day).unwrap();
        assert_eq!((bad.len(), bad[0].number.as_str(), bad[0].staff.as_deref()), (1, "B001", Some("1001")));

        // New events are taken in from where it stopped.
        run!(w(WindowAction::CallNext), at(20));
        assert_eq!(model.catch_up().unwrap(), 1);
        let followed: Vec<Vec<ReportRow>> = By::ALL.iter().map(|by| report(model.conn(), &config, day, day, *by).unwrap()).collect();
        // The transfer is supervised, with who did it; the charts count every ticket issued and
        // the waits of the three called (2, 10 and 12 minutes: B003, transferred, is called
        // again at 20 and keeps its first wait; B004 is never called).
        let all = SupervisionFilter { start: 0, end: i64::MAX, ..Default::default() };
        let supervised = supervision(model.conn(), &all).unwrap();
        let t = &supervised.actions[0];
        assert_eq!((supervised.actions.len(), t.kind, t.who.as_deref()), (1, ActionKind::Transfer, Some("1001")));
        assert_eq!((t.from_service.as_deref(), t.to_service.as_deref()), (Some("linshi-sfz"), Some("hukou-qianru")));
        let charted = charts(model.conn(), &config, day, day).unwrap();
        assert_eq!((charted.total.issued_by_hour[9], charted.total.waits), (4, [1, 0, 2, 0, 0, 0, 0, 0]));
        drop(model);
        // Missing: rebuilt from the whole log, the same.
        std::fs::remove_file(path_in(dir.path())).unwrap();
        let _ = std::fs::remove_file(dir.path().join("reports.db-wal"));
        let mut model = ReadModel::open(&path_in(dir.path()), store.path()).unwrap();
        assert_eq!(model.catch_up().unwrap(), 16);
        let rebuilt: Vec<Vec<ReportRow>> = By::ALL.iter().map(|by| report(model.conn(), &config, day, day, *by).unwrap()).collect();
        assert_eq!(rebuilt, followed);
        assert_eq!(supervision(model.conn(), &all).unwrap(), supervised);
        assert_eq!(charts(model.conn(), &config, day, day).unwrap(), charted);
        // Another log under it: rebuilt too.
        drop(model);
        let other = tempfile::tempdir().unwrap();
        let mut store2 = Store::open_dir(other.path()).unwrap();
        let mut s2 = State::default();
        let (events, _) = execute(&mut s2, &config, &Command::Tick, at(0));
        store2.append(&events.into_iter().map(|e| (at(0), e)).collect::<Vec<_>>()).unwrap();
        for _ in 0..13 {
            let (events, _) =
                execute(&mut s2, &config, &Command::Window { window: 1, action: WindowAction::Open, actor: Actor::System }, at(1));
            store2.append(&events.into_iter().map(|e| (at(1), e)).collect::<Vec<_>>()).unwrap();
            let (events, _) =
                execute(&mut s2, &config, &Command::Window { window: 1, action: WindowAction::Close, actor: Actor::System }, at(1));
            store2.append(&events.into_iter().map(|e| (at(1), e)).collect::<Vec<_>>()).unwrap();
        }
        let mut model = ReadModel::open(&path_in(dir.path()), store2.path()).unwrap();
        assert_eq!(model.last_seq(), 0, "another log: rebuilt");
        model.catch_up().unwrap();
        assert!(report(model.conn(), &config, day, day, By::Item).unwrap().is_empty());
    }
}
