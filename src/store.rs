//! The durable event log: an append-only, hash-chained table of engine events in SQLite
//! (WAL, synchronous=FULL), with snapshots of the engine state so that a restart replays
//! only the tail.
//!
//! Each event's hash covers the previous hash, its sequence number, its time, its body and
//! a digest of its personal data. Personal data (the holder of a ticket or an appointment) is kept in its own
//! column so it can be purged after the retention period without breaking the chain.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::engine::{self, Event, State, Ts};

/// Events between two snapshots. Replay of this many events takes well under a second.
pub const SNAPSHOT_EVERY: u64 = 10_000;

/// The schema as the first hallq wrote it (version 1; such databases carry
/// `PRAGMA user_version` 0, from before versions were kept). Frozen: changes go into
/// [`MIGRATIONS`].
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket TEXT,
    request_id TEXT,
    body TEXT NOT NULL,
    personal TEXT,
    personal_digest BLOB,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ticket ON events(ticket) WHERE ticket IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS events_request ON events(request_id) WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Schema changes after version 1, in order: entry `i` takes a database from version
/// `i + 1` to `i + 2`. Each runs in one transaction with the new `user_version`.
const MIGRATIONS: &[&str] = &[
    // 2: the kind of an event indexed (the start of the day, the newest calls).
    "CREATE INDEX IF NOT EXISTS events_kind ON events(kind);",
];

/// The schema version this hallq writes (`PRAGMA user_version` of `hallq.db`).
pub const SCHEMA_VERSION: u32 = 1 + MIGRATIONS.len() as u32;

/// The schema version of an open database (0: written before versions were kept, which
/// is version 1).
pub fn schema_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database to `target` (at most [`SCHEMA_VERSION`]): creates version 1 when it
/// is new, then runs each migration after the database's version. A database of a newer
/// hallq is refused rather than misread.
fn migrate(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { found, supported: SCHEMA_VERSION });
    }
    if found == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA_V1)?;
        tx.pragma_update(None, "user_version", 1)?;
        tx.commit()?;
    }
    let mut version = found.max(1);
    while version < target {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[version as usize - 1])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(from = version, to = version + 1, "event log schema migrated");
        version += 1;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("corrupt event {seq}: {reason}")]
    Corrupt { seq: u64, reason: String },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("the event log has schema version {found}, newer than this hallq knows ({supported}): install the newer hallq again, or restore a backup made by this one")]
    NewerSchema { found: u32, supported: u32 },
}

/// One logged event as clients see it on the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub at: Ts,
    #[serde(flatten)]
    pub event: Event,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    last_seq: u64,
    last_hash: [u8; 32],
    since_snapshot: u64,
}

/// Creates the database file empty and 0600 when it does not exist yet, before SQLite opens
/// it: SQLite takes an empty file as a new database and gives its -wal and -shm files the
/// database's mode, so no other local user reads the hall's data. An existing file keeps its
/// mode (the installer's choice).
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    create_private(path).map_err(|source| StoreError::DataDir { path: path.into(), source })?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// The sequence number just before the current business day began (0 before any day).
pub fn day_start(conn: &Connection) -> Result<u64, StoreError> {
    let seq: Option<u64> = conn.query_row("SELECT MAX(seq) FROM events WHERE kind = 'day_opened'", [], |r| r.get(0))?;
    Ok(seq.map_or(0, |s| s.saturating_sub(1)))
}

/// A read-only connection for readers beside the writer (WAL lets them run concurrently).
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

pub(crate) fn chain_hash(prev: &[u8; 32], seq: u64, at: &str, body: &str, personal_digest: Option<&[u8]>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    h.update([0]);
    if let Some(d) = personal_digest {
        h.update(d);
    }
    h.finalize().into()
}

fn ts_text(at: Ts) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Splits the personal part off an event for storage: (body, personal JSON).
fn split_personal(event: &Event) -> (String, Option<String>) {
    match event {
        Event::TicketIssued { ticket } if ticket.holder.is_some() => {
            let mut t = ticket.clone();
            let holder = t.holder.take();
            let body = serde_json::to_string(&Event::TicketIssued { ticket: t }).expect("events serialize");
            (body, Some(serde_json::to_string(&holder).expect("holder serializes")))
        }
        Event::AppointmentBooked { appointment } if appointment.holder.is_some() => {
            let mut a = appointment.clone();
            let holder = a.holder.take();
            let body = serde_json::to_string(&Event::AppointmentBooked { appointment: a }).expect("events serialize");
            (body, Some(serde_json::to_string(&holder).expect("holder serializes")))
        }
        _ => (serde_json::to_string(event).expect("events serialize"), None),
    }
}

fn join_personal(body: &str, personal: Option<&str>, seq: u64) -> Result<Event, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt { seq, reason: format!("unreadable body: {e}") };
    let mut event: Event = serde_json::from_str(body).map_err(corrupt)?;
    match (&mut event, personal) {
        (Event::TicketIssued { ticket }, Some(p)) => ticket.holder = serde_json::from_str(p).map_err(corrupt)?,
        (Event::AppointmentBooked { appointment }, Some(p)) => appointment.holder = serde_json::from_str(p).map_err(corrupt)?,
        _ => {}
    }
    Ok(event)
}

impl Store {
    /// Opens (or creates) `DIR/hallq.db`.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.into(), source })?;
        Store::open(&dir.join("hallq.db"))
    }

    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_at(path, SCHEMA_VERSION)
    }

    /// Opens the database migrated to schema `version` (tests write older databases).
    fn open_at(path: &Path, version: u32) -> Result<Store, StoreError> {
        let mut conn = open_conn(path)?;
        migrate(&mut conn, version)?;
        let (last_seq, last_hash): (u64, Vec<u8>) = conn
            .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        let last_hash: [u8; 32] =
            last_hash.try_into().map_err(|_| StoreError::Corrupt { seq: last_seq, reason: "hash is not 32 bytes".into() })?;
        let snap: u64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM snapshots", [], |r| r.get(0))?;
        Ok(Store { conn, path: path.into(), last_seq, last_hash, since_snapshot: last_seq - snap.min(last_seq) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Appends events in one transaction and makes them durable before returning.
    pub fn append(&mut self, events: &[(Ts, Event)]) -> Result<Vec<Record>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.conn.transaction()?;
        let mut seq = self.last_seq;
        let mut hash = self.last_hash;
        let mut out = Vec::with_capacity(events.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (seq, at, kind, ticket, request_id, body, personal, personal_digest, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (at, event) in events {
                seq += 1;
                let at_text = ts_text(*at);
                let (body, personal) = split_personal(event);
                let digest: Option<[u8; 32]> = personal.as_ref().map(|p| Sha256::digest(p.as_bytes()).into());
                hash = chain_hash(&hash, seq, &at_text, &body, digest.as_ref().map(|d| &d[..]));
                let request_id = match event {
                    Event::TicketIssued { ticket } => ticket.request_id.clone(),
                    _ => None,
                };
                stmt.execute(params![
                    seq,
                    at_text,
                    event.kind(),
                    event.ticket_id(),
                    request_id,
                    body,
                    personal,
                    digest.as_ref().map(|d| &d[..]),
                    &hash[..]
                ])?;
                out.push(Record { seq, at: *at, event: event.clone() });
            }
        }
        tx.commit()?;
        self.last_seq = seq;
        self.last_hash = hash;
        self.since_snapshot += events.len() as u64;
        Ok(out)
    }

    /// Whether enough events have passed since the last snapshot to take another.
    pub fn snapshot_due(&self) -> bool {
        self.since_snapshot >= SNAPSHOT_EVERY
    }

    /// Saves the state as of the last appended event; keeps the two newest snapshots.
    pub fn snapshot(&mut self, state: &State) -> Result<(), StoreError> {
        if self.last_seq == 0 {
            return Ok(());
        }
        let body = serde_json::to_string(state).expect("state serializes");
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO snapshots (seq, hash, state) VALUES (?1, ?2, ?3)",
            params![self.last_seq, &self.last_hash[..], body],
        )?;
        tx.execute("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 2)", [])?;
        tx.commit()?;
        self.since_snapshot = 0;
        Ok(())
    }

    /// Rebuilds the engine state: the newest snapshot whose hash matches the chain, then
    /// the events after it.
    pub fn load_state(&self, config: &Config) -> Result<State, StoreError> {
        let snap: Option<(u64, Vec<u8>, String)> = self
            .conn
            .query_row("SELECT seq, hash, state FROM snapshots ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (mut state, from) = match snap {
            Some((seq, hash, body)) => {
                let chain: Option<Vec<u8>> =
                    self.conn.query_row("SELECT hash FROM events WHERE seq = ?1", [seq], |r| r.get(0)).optional()?;
                match (chain, serde_json::from_str::<State>(&body)) {
                    (Some(h), Ok(state)) if h == hash => (state, seq),
                    // A snapshot that does not match the chain is ignored: replay from the start.
                    _ => {
                        tracing::warn!(seq, "snapshot does not match the event chain; replaying the whole log");
                        (State::default(), 0)
                    }
                }
            }
            None => (State::default(), 0),
        };
        state.reindex();
        self.replay(config, &mut state, from)?;
        Ok(state)
    }

    fn replay(&self, config: &Config, state: &mut State, after: u64) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("SELECT seq, at, body, personal FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query([after])?;
        while let Some(row) = rows.next()? {
            let r = record(row)?;
            engine::apply(state, config, r.at, &r.event);
        }
        Ok(())
    }

    /// Where a request_id was already answered, the ticket it got.
    pub fn find_request(&self, request_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT ticket FROM events WHERE request_id = ?1", [request_id], |r| r.get(0)).optional()?)
    }

    /// Removes personal data (ticket holders) logged before `before`, and snapshots older
    /// than that. The chain still verifies: it covers only a digest of personal data.
    pub fn purge_personal(&mut self, before: Ts) -> Result<usize, StoreError> {
        let n = self.conn.execute("UPDATE events SET personal = NULL WHERE personal IS NOT NULL AND at < ?1", [ts_text(before)])?;
        Ok(n)
    }
}

fn parse_ts(s: &str, seq: u64) -> Result<Ts, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt { seq, reason: format!("bad time {s:?}: {e}") })
}

/// Events after `since`, at most `limit`, for a client catching up.
pub fn events_since(conn: &Connection, since: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT seq, at, body, personal FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let mut rows = stmt.query(params![since, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row)?);
    }
    Ok(out)
}

/// The newest `limit` events of one kind (such as `config_changed`), newest first.
pub fn events_of_kind(conn: &Connection, kind: &str, limit: usize) -> Result<Vec<Record>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT seq, at, body, personal FROM events WHERE kind = ?1 ORDER BY seq DESC LIMIT ?2")?;
    let mut rows = stmt.query(params![kind, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row)?);
    }
    Ok(out)
}

/// The events of one ticket, oldest first (for tickets of earlier days).
pub fn ticket_events(conn: &Connection, ticket: &str) -> Result<Vec<Record>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT seq, at, body, personal FROM events WHERE ticket = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([ticket])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row)?);
    }
    Ok(out)
}

/// A row of `SELECT seq, at, body, personal FROM events` as a record.
fn record(row: &rusqlite::Row<'_>) -> Result<Record, StoreError> {
    let seq: u64 = row.get(0)?;
    let at = parse_ts(&row.get::<_, String>(1)?, seq)?;
    let event = join_personal(&row.get::<_, String>(2)?, row.get::<_, Option<String>>(3)?.as_deref(), seq)?;
    Ok(Record { seq, at, event })
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        events: u64,
        purged_personal: u64,
    },
    /// The first link that does not hold, and why.
    Broken {
        seq: u64,
        reason: String,
    },
}

/// Walks the whole chain from the first event and names the first broken link.
pub fn verify(path: &Path) -> Result<Verdict, StoreError> {
    let conn = open_reader(path)?;
    let mut stmt = conn.prepare("SELECT seq, at, body, personal, personal_digest, hash FROM events ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut prev = [0u8; 32];
    let mut expected = 1u64;
    let mut purged = 0u64;
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        if seq != expected {
            return Ok(Verdict::Broken { seq: expected, reason: format!("event {expected} is missing (next is {seq})") });
        }
        let at: String = row.get(1)?;
        let body: String = row.get(2)?;
        let personal: Option<String> = row.get(3)?;
        let digest: Option<Vec<u8>> = row.get(4)?;
        let stored: Vec<u8> = row.get(5)?;
        if let Some(p) = &personal {
            let d: [u8; 32] = Sha256::digest(p.as_bytes()).into();
            if digest.as_deref() != Some(&d[..]) {
                return Ok(Verdict::Broken { seq, reason: "personal data does not match its digest".into() });
            }
        } else if digest.is_some() {
            purged += 1;
        }
        let computed = chain_hash(&prev, seq, &at, &body, digest.as_deref());
        if stored != computed {
            return Ok(Verdict::Broken {
                seq,
                reason: format!("hash mismatch: stored {}, computed {}", hex::encode(&stored), hex::encode(computed)),
            });
        }
        if let Err(e) = serde_json::from_str::<Event>(&body) {
            return Ok(Verdict::Broken { seq, reason: format!("body is not an event: {e}") });
        }
        prev = computed;
        expected += 1;
    }
    Ok(Verdict::Intact { events: expected - 1, purged_personal: purged })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{execute, Command, IssueRequest};
    use chrono::TimeZone;

    fn issue(n: u32, with_holder: bool) -> Command {
        Command::Issue(IssueRequest {
            actor: Default::default(),
            request_id: format!("r{n}"),
            service: "linshi-sfz".into(),
            priority: Default::default(),
            channel: Default::default(),
            kiosk: None,
            holder: with_holder.then(|| crate::identity::holder("11010519491231002X", "张三", b"k").unwrap()),
            appointment_slot: None,
            token: format!("t{n}"),
        })
    }

    fn fill(store: &mut Store, config: &Config, n: u32) -> State {
        let mut state = State::default();
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        for i in 0..n {
            let (events, r) = execute(&mut state, config, &issue(i, i % 2 == 0 && i < 4), at);
            r.unwrap();
            let batch: Vec<_> = events.into_iter().map(|e| (at, e)).collect();
            store.append(&batch).unwrap();
        }
        state
    }

    #[test]
    fn state_survives_reopen_and_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::demo();
        let state = {
            let mut store = Store::open_dir(dir.path()).unwrap();
            let s = fill(&mut store, &config, 5);
            store.snapshot(&s).unwrap();
            s
        };
        let mut store = Store::open_dir(dir.path()).unwrap();
        assert_eq!(store.last_seq(), 6);
        assert_eq!(store.load_state(&config).unwrap(), state);
        // Events after the snapshot replay on top of it.
        let mut s2 = state.clone();
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 2, 1, 0).unwrap();
        let (events, _) = execute(&mut s2, &config, &issue(99, false), at);
        store.append(&events.into_iter().map(|e| (at, e)).collect::<Vec<_>>()).unwrap();
        drop(store);
        let store = Store::open_dir(dir.path()).unwrap();
        assert_eq!(store.load_state(&config).unwrap(), s2);
        assert_eq!(store.find_request("r99").unwrap().as_deref(), Some("20261127-B006"));
    }

    /// A database as the hallq before schema versions wrote it (version 1, `user_version`
    /// 0) opens: it is migrated to the current version, keeps its events, state and chain.
    #[test]
    fn a_database_of_the_previous_schema_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hallq.db");
        let config = Config::demo();
        let state = {
            let mut old = Store::open_at(&path, 1).unwrap();
            let s = fill(&mut old, &config, 5);
            old.snapshot(&s).unwrap();
            // What the earlier hallq left: no version recorded at all.
            old.conn.pragma_update(None, "user_version", 0).unwrap();
            s
        };
        {
            let conn = Connection::open(&path).unwrap();
            assert_eq!(schema_version(&conn).unwrap(), 0);
            let indexes: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_kind'", [], |r| r.get(0)).unwrap();
            assert_eq!(indexes, 0, "the fixture has the version 1 schema");
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(schema_version(&store.conn).unwrap(), SCHEMA_VERSION);
        const { assert!(SCHEMA_VERSION >= 2) };
        let plan: String =
            store.conn.query_row("EXPLAIN QUERY PLAN SELECT MAX(seq) FROM events WHERE kind = 'day_opened'", [], |r| r.get(3)).unwrap();
        assert!(plan.contains("events_kind"), "{plan}");
        assert_eq!(store.last_seq(), 6);
        assert_eq!(store.load_state(&config).unwrap(), state);
        assert_eq!(verify(&path).unwrap(), Verdict::Intact { events: 6, purged_personal: 0 });
        drop(store);
        // Opening again changes nothing; a database of a newer hallq is refused.
        assert_eq!(schema_version(&Store::open(&path).unwrap().conn).unwrap(), SCHEMA_VERSION);
        Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        match Store::open(&path) {
            Err(StoreError::NewerSchema { found, supported }) => assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION)),
            other => panic!("a newer schema was not refused: {:?}", other.map(|s| s.last_seq())),
        }
    }

    #[test]
    fn verify_names_the_first_broken_link() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::demo();
        let mut store = Store::open_dir(dir.path()).unwrap();
        fill(&mut store, &config, 6);
        let path = store.path().to_path_buf();
        assert_eq!(verify(&path).unwrap(), Verdict::Intact { events: 7, purged_personal: 0 });
        store.conn.execute("UPDATE events SET body = replace(body, 'B003', 'B009') WHERE seq = 4", []).unwrap();
        store.conn.execute("UPDATE events SET body = replace(body, 'B004', 'B008') WHERE seq = 5", []).unwrap();
        match verify(&path).unwrap() {
            Verdict::Broken { seq, reason } => {
                assert_eq!(seq, 4);
                assert!(reason.starts_with("hash mismatch"), "{reason}");
            }
            v => panic!("tampering not found: {v:?}"),
        }
        store.conn.execute("DELETE FROM events WHERE seq IN (4, 5)", []).unwrap();
        assert_eq!(verify(&path).unwrap(), Verdict::Broken { seq: 4, reason: "event 4 is missing (next is 6)".into() });
    }

    #[test]
    fn personal_data_is_kept_apart_and_purged_without_breaking_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::demo();
        let mut store = Store::open_dir(dir.path()).unwrap();
        fill(&mut store, &config, 4);
        let bodies: Vec<String> =
            store.conn.prepare("SELECT body FROM events").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(bodies.iter().all(|b| !b.contains("id_hash") && !b.contains("张")));
        for file in ["hallq.db", "hallq.db-wal"] {
            let raw = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(!raw.windows(18).any(|w| w == b"11010519491231002X"), "clear ID number in {file}");
        }
        let later = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(store.purge_personal(later).unwrap(), 2);
        assert_eq!(verify(store.path()).unwrap(), Verdict::Intact { events: 5, purged_personal: 2 });
    }

    /// A log written before actors were recorded (window events without `actor`) verifies
    /// and replays; events appended after it carry their actor.
    #[test]
    fn a_log_from_before_actors_verifies_and_replays() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::demo();
        let mut store = Store::open_dir(dir.path()).unwrap();
        let state = fill(&mut store, &config, 2);
        // Rows exactly as the hallq before actors wrote them, chained by hand.
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 2, 5, 0).unwrap();
        let old = [
            r#"{"type":"window_opened","window":1}"#,
            r#"{"type":"ticket_called","ticket":"20261127-B001","number":"B001","window":1,"reason":null}"#,
            r#"{"type":"config_changed","version":2,"digest":"d","by":"manager"}"#,
        ];
        let mut live = state.clone();
        for body in old {
            engine::apply(&mut live, &config, at, &serde_json::from_str(body).unwrap());
            let seq = store.last_seq + 1;
            let at_text = ts_text(at);
            let hash = chain_hash(&store.last_hash, seq, &at_text, body, None);
            let kind = serde_json::from_str::<Event>(body).unwrap().kind();
            store
                .conn
                .execute(
                    "INSERT INTO events (seq, at, kind, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![seq, at_text, kind, body, &hash[..]],
                )
                .unwrap();
            store.last_seq = seq;
            store.last_hash = hash;
        }
        let (events, r) = execute(
            &mut live,
            &config,
            &Command::Window { window: 1, action: crate::engine::WindowAction::Start, actor: engine::Actor::staff("1001") },
            at,
        );
        r.unwrap();
        store.append(&events.iter().map(|e| (at, e.clone())).collect::<Vec<_>>()).unwrap();
        drop(store);
        assert_eq!(verify(&dir.path().join("hallq.db")).unwrap(), Verdict::Intact { events: 7, purged_personal: 0 });
        let store = Store::open_dir(dir.path()).unwrap();
        let loaded = store.load_state(&config).unwrap();
        let t = &loaded.tickets["20261127-B001"];
        assert_eq!((t.status, t.window), (crate::engine::Status::Serving, Some(1)));
        assert_eq!(loaded.config_version, 2);
        let conn = open_reader(store.path()).unwrap();
        let records = events_since(&conn, 0, 100).unwrap();
        assert_eq!(records[3].event.actor(), Some(engine::Actor::Unrecorded));
        assert_eq!(records[6].event.actor(), Some(engine::Actor::staff("1001")));
    }
}
