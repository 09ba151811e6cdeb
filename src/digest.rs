//! Daily digests of the event log, for filing outside the hall (`hallq log digest`), and
//! the check of the log against filed digests (`hallq log verify --digest FILE`).
//!
//! A day is the stretch of the log from its `day_opened` event to the event before the
//! next `day_opened` (the business day as the engine opened it, in the hall's zone). Its
//! digest names the hash before the day, the hash of its last event (which, through the
//! chain, covers every event up to it) and what happened in it. The filing format is one
//! line of JSON per day (JSON Lines), for example:
//!
//! ```text
//! {"format":"hallq-digest/1","date":"2026-11-27","closed":true,"first_seq":1,"last_seq":523,
//!  "prev_hash":"00…00","last_hash":"9f2c…","events":523,"tickets_issued":200,"calls":231,
//!  "recalls":12,"finished":180,"no_shows":9,"transfers":3,"ratings":96,"sign_ins":4,
//!  "sign_outs":4,"config_changes":0,"results_collected":2,"attachments_read":5}
//! ```
//! (on one line). A file of such lines, one appended each evening, is what `verify
//! --digest` reads; blank lines and lines starting with `#` are skipped.

use std::path::Path;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::store::{self, StoreError, Verdict};

/// The format tag of a digest line.
pub const FORMAT: &str = "hallq-digest/1";

/// One day of the log, as filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayDigest {
    /// Always [`FORMAT`].
    pub format: String,
    pub date: NaiveDate,
    /// Whether the next day had opened when the digest was made (a digest of a day still
    /// open stops at the event it was made at).
    pub closed: bool,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Hash of the event before the day (hex; zeros for the first day of the log): the last
    /// hash of the day before, so filed digests link up.
    pub prev_hash: String,
    /// Hash of the day's last event (hex).
    pub last_hash: String,
    pub events: u64,
    pub tickets_issued: u64,
    pub calls: u64,
    pub recalls: u64,
    pub finished: u64,
    pub no_shows: u64,
    pub transfers: u64,
    pub ratings: u64,
    pub sign_ins: u64,
    pub sign_outs: u64,
    pub config_changes: u64,
    pub results_collected: u64,
    pub attachments_read: u64,
}

impl DayDigest {
    /// The filing line (JSON, no newline).
    pub fn line(&self) -> String {
        serde_json::to_string(self).expect("digests serialize")
    }

    fn count(&mut self, kind: &str) {
        self.events += 1;
        let field = match kind {
            "ticket_issued" => &mut self.tickets_issued,
            "ticket_called" => &mut self.calls,
            "ticket_recalled" => &mut self.recalls,
            "ticket_finished" => &mut self.finished,
            "ticket_no_show" => &mut self.no_shows,
            "ticket_transferred" => &mut self.transfers,
            "ticket_rated" => &mut self.ratings,
            "staff_signed_in" => &mut self.sign_ins,
            "staff_signed_out" => &mut self.sign_outs,
            "config_changed" => &mut self.config_changes,
            "result_collected" => &mut self.results_collected,
            "attachment_read" => &mut self.attachments_read,
            _ => return,
        };
        *field += 1;
    }

    /// The counts that differ from `other`'s: (name, filed, now).
    fn count_differences(&self, now: &DayDigest) -> Vec<(&'static str, u64, u64)> {
        let pairs = [
            ("events", self.events, now.events),
            ("tickets_issued", self.tickets_issued, now.tickets_issued),
            ("calls", self.calls, now.calls),
            ("recalls", self.recalls, now.recalls),
            ("finished", self.finished, now.finished),
            ("no_shows", self.no_shows, now.no_shows),
            ("transfers", self.transfers, now.transfers),
            ("ratings", self.ratings, now.ratings),
            ("sign_ins", self.sign_ins, now.sign_ins),
            ("sign_outs", self.sign_outs, now.sign_outs),
            ("config_changes", self.config_changes, now.config_changes),
            ("results_collected", self.results_collected, now.results_collected),
            ("attachments_read", self.attachments_read, now.attachments_read),
        ];
        pairs.into_iter().filter(|(_, a, b)| a != b).collect()
    }
}

/// The type and, for a new day, the date of an event body (the rest is not needed).
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    date: Option<NaiveDate>,
}

fn head(body: &str, seq: u64) -> Result<Head, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt { seq, reason: format!("unreadable body: {e}") })
}

/// The days of the log: (date, seq of its `day_opened`), in log order.
pub fn days(conn: &Connection) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
    let mut stmt = conn.prepare("SELECT seq, body FROM events WHERE kind = 'day_opened' ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        let h = head(&row.get::<_, String>(1)?, seq)?;
        match (h.kind.as_str(), h.date) {
            ("day_opened", Some(d)) => out.push((d, seq)),
            _ => return Err(StoreError::Corrupt { seq, reason: "indexed as day_opened but its body is not".into() }),
        }
    }
    Ok(out)
}

/// The digest of `date` as the log holds it now; `None` when no such day was opened. A
/// date opened twice (the clock set back) is its first stretch.
pub fn day_digest(conn: &Connection, date: NaiveDate) -> Result<Option<DayDigest>, StoreError> {
    let days = days(conn)?;
    let Some(i) = days.iter().position(|(d, _)| *d == date) else { return Ok(None) };
    let first = days[i].1;
    let next = days.get(i + 1).map(|(_, s)| *s);
    digest_range(conn, date, first, next).map(Some)
}

/// Digests of every day of the log, in order.
pub fn all_digests(conn: &Connection) -> Result<Vec<DayDigest>, StoreError> {
    let days = days(conn)?;
    let mut out = Vec::with_capacity(days.len());
    for (i, (date, first)) in days.iter().enumerate() {
        if out.iter().any(|d: &DayDigest| d.date == *date) {
            continue;
        }
        out.push(digest_range(conn, *date, *first, days.get(i + 1).map(|(_, s)| *s))?);
    }
    Ok(out)
}

fn digest_range(conn: &Connection, date: NaiveDate, first: u64, next: Option<u64>) -> Result<DayDigest, StoreError> {
    let prev: Vec<u8> =
        if first <= 1 { vec![0; 32] } else { conn.query_row("SELECT hash FROM events WHERE seq = ?1", [first - 1], |r| r.get(0))? };
    let mut d = DayDigest {
        format: FORMAT.into(),
        date,
        closed: next.is_some(),
        first_seq: first,
        last_seq: first,
        prev_hash: hex::encode(prev),
        last_hash: String::new(),
        events: 0,
        tickets_issued: 0,
        calls: 0,
        recalls: 0,
        finished: 0,
        no_shows: 0,
        transfers: 0,
        ratings: 0,
        sign_ins: 0,
        sign_outs: 0,
        config_changes: 0,
        results_collected: 0,
        attachments_read: 0,
    };
    let mut stmt = conn.prepare("SELECT seq, body, hash FROM events WHERE seq >= ?1 AND seq < ?2 ORDER BY seq")?;
    let mut rows = stmt.query([first as i64, next.map_or(i64::MAX, |n| n as i64)])?;
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        // Counted from the body, which the chain covers (not the kind column beside it).
        let h = head(&row.get::<_, String>(1)?, seq)?;
        d.count(&h.kind);
        d.last_seq = seq;
        d.last_hash = hex::encode(row.get::<_, Vec<u8>>(2)?);
    }
    Ok(d)
}

/// Reads a file of digest lines.
pub fn read_filed(text: &str) -> Result<Vec<DayDigest>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let d: DayDigest = serde_json::from_str(line).map_err(|e| format!("line {}: not a digest: {e}", n + 1))?;
        if d.format != FORMAT {
            return Err(format!("line {}: format {:?}, this hallq reads {FORMAT:?}", n + 1, d.format));
        }
        out.push(d);
    }
    Ok(out)
}

/// What the check found for one filed day: `None` when the log still matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCheck {
    pub date: NaiveDate,
    pub problem: Option<String>,
}

/// Checks the log at `path` against filed digests: the whole chain first, then each day's
/// range, last hash and counts.
pub fn check(path: &Path, filed: &[DayDigest]) -> Result<(Verdict, Vec<DayCheck>), StoreError> {
    let verdict = store::verify(path)?;
    let conn = store::open_reader(path)?;
    let mut out = Vec::new();
    for f in filed {
        let problem = check_day(&conn, &verdict, f)?;
        out.push(DayCheck { date: f.date, problem });
    }
    Ok((verdict, out))
}

/// The file in a data directory where `hallq log digest --keep` appends the lines it
/// prints, so the manager console can show the newest filed digest.
pub fn kept_in(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("digests.jsonl")
}

/// The newest digest kept in `data_dir` (`None` when none was kept).
pub fn newest_kept(data_dir: &Path) -> Result<Option<DayDigest>, String> {
    match std::fs::read_to_string(kept_in(data_dir)) {
        Ok(text) => Ok(read_filed(&text)?.into_iter().max_by_key(|d| (d.date, d.last_seq))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks one filed day against the log's stored hashes and counts, without walking the
/// whole chain (which `hallq log verify --digest` does): `None` when it still matches.
pub fn check_filed_day(conn: &Connection, f: &DayDigest) -> Result<Option<String>, StoreError> {
    check_day(conn, &Verdict::Intact { events: 0, purged_personal: 0 }, f)
}

fn check_day(conn: &Connection, verdict: &Verdict, f: &DayDigest) -> Result<Option<String>, StoreError> {
    if let Verdict::Broken { seq, reason } = verdict {
        if *seq <= f.last_seq {
            let r = if *seq < f.first_seq {
                format!("the chain breaks before this day, at event {seq} ({reason}), so nothing of this day can be trusted")
            } else {
                format!("event {seq} of this day no longer matches the chain ({reason}): the day's events were changed after filing")
            };
            return Ok(Some(r));
        }
    }
    let Some(now) = day_digest(conn, f.date)? else {
        return Ok(Some("the log has no such day any more (its events were removed)".into()));
    };
    if now.first_seq != f.first_seq || now.prev_hash != f.prev_hash {
        return Ok(Some(format!(
            "the day now starts at event {} after hash {}, filed: event {} after hash {}: the log before this day was changed",
            now.first_seq, now.prev_hash, f.first_seq, f.prev_hash
        )));
    }
    if now.last_seq < f.last_seq {
        return Ok(Some(format!(
            "filed up to event {}, the log's day now ends at event {}: events were removed",
            f.last_seq, now.last_seq
        )));
    }
    if f.closed && now.last_seq > f.last_seq {
        return Ok(Some(format!("filed up to event {}, the log's day now ends at event {}: events were added", f.last_seq, now.last_seq)));
    }
    // A day filed while still open is checked up to the event it was filed at.
    let last_hash = if now.last_seq == f.last_seq {
        now.last_hash.clone()
    } else {
        hex::encode(conn.query_row("SELECT hash FROM events WHERE seq = ?1", [f.last_seq], |r| r.get::<_, Vec<u8>>(0))?)
    };
    if last_hash != f.last_hash {
        return Ok(Some(format!(
            "the hash of event {} is {last_hash}, filed {}: the day's events were changed after filing",
            f.last_seq, f.last_hash
        )));
    }
    if now.last_seq == f.last_seq {
        let diff = f.count_differences(&now);
        if !diff.is_empty() {
            let d: Vec<String> = diff.iter().map(|(k, a, b)| format!("{k} filed {a}, now {b}")).collect();
            return Ok(Some(format!("the counts differ ({}) though the hash matches: the digest file was edited", d.join(", "))));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::{execute, Actor, Command, IssueRequest, State, WindowAction};
    use crate::store::Store;
    use chrono::{TimeZone, Utc};

    fn issue(n: u32) -> Command {
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
        })
    }

    /// Two days: Friday 27 and Monday 30 November 2026 (hall time 10:00), each with three
    /// tickets issued and two called by window 1.
    fn two_days(dir: &Path) -> std::path::PathBuf {
        let config = Config::demo();
        let mut store = Store::open_dir(dir).unwrap();
        let mut state = State::default();
        let mut n = 0;
        for day in [27, 30] {
            let at = Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap();
            let window = |action| Command::Window { window: 1, action, actor: Actor::staff("1001") };
            let mut commands: Vec<Command> = (0..3)
                .map(|_| {
                    n += 1;
                    issue(n)
                })
                .collect();
            commands.extend([window(WindowAction::CallNext), window(WindowAction::CallNext)]);
            for c in commands {
                let (events, r) = execute(&mut state, &config, &c, at);
                r.unwrap();
                store.append(&events.into_iter().map(|e| (at, e)).collect::<Vec<_>>()).unwrap();
            }
        }
        store.path().to_path_buf()
    }

    #[test]
    fn digests_count_a_day_and_link_to_the_day_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = two_days(dir.path());
        let conn = store::open_reader(&path).unwrap();
        let all = all_digests(&conn).unwrap();
        assert_eq!(all.len(), 2);
        let (fri, mon) = (&all[0], &all[1]);
        assert_eq!(fri.date, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        // day_opened, 3 issued, opened + called, finished + called.
        assert_eq!((fri.first_seq, fri.last_seq, fri.events, fri.tickets_issued, fri.calls, fri.finished), (1, 8, 8, 3, 2, 1));
        assert!(fri.closed && !mon.closed);
        assert_eq!(fri.prev_hash, "0".repeat(64));
        assert_eq!(mon.prev_hash, fri.last_hash, "the days link up");
        assert_eq!(mon.first_seq, 9);
        assert_eq!(day_digest(&conn, mon.date).unwrap().as_ref(), Some(mon));
        assert_eq!(day_digest(&conn, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()).unwrap(), None);
        // The line reads back.
        let text = format!("# filed\n{}\n\n{}\n", fri.line(), mon.line());
        assert_eq!(read_filed(&text).unwrap(), all);
        let (verdict, days) = check(&path, &all).unwrap();
        assert!(matches!(verdict, Verdict::Intact { events: 16, .. }), "{verdict:?}");
        assert!(days.iter().all(|d| d.problem.is_none()), "{days:?}");
    }

    #[test]
    fn a_tampered_day_fails_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = two_days(dir.path());
        let filed = all_digests(&store::open_reader(&path).unwrap()).unwrap();
        let rw = rusqlite::Connection::open(&path).unwrap();
        // A row of Friday edited in place: the chain breaks there.
        rw.execute("UPDATE events SET body = replace(body, '\"window\":1', '\"window\":2') WHERE seq = 6", []).unwrap();
        let (verdict, days) = check(&path, &filed).unwrap();
        assert!(matches!(verdict, Verdict::Broken { seq: 6, .. }), "{verdict:?}");
        let p = days[0].problem.as_deref().unwrap();
        assert!(p.starts_with("event 6 of this day no longer matches the chain"), "{p}");
        assert!(days[1].problem.as_deref().unwrap().starts_with("the chain breaks before this day, at event 6"), "{days:?}");

        // Now a forger who rewrites the chain from the edited row on: the chain holds, the
        // filed digests do not.
        let rows: Vec<(u64, String, String)> = rw
            .prepare("SELECT seq, at, body FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut prev = [0u8; 32];
        for (seq, at, body) in rows {
            prev = store::chain_hash(&prev, seq, &at, &body, None);
            rw.execute("UPDATE events SET hash = ?1 WHERE seq = ?2", rusqlite::params![&prev[..], seq]).unwrap();
        }
        let (verdict, days) = check(&path, &filed).unwrap();
        assert!(matches!(verdict, Verdict::Intact { .. }), "{verdict:?}");
        for d in &days {
            let p = d.problem.as_deref().unwrap_or_else(|| panic!("{} passed", d.date));
            assert!(p.contains("changed"), "{p}");
        }

        // Events removed from the end of a closed day.
        let filed_now = all_digests(&store::open_reader(&path).unwrap()).unwrap();
        rw.execute("DELETE FROM events WHERE seq >= 16", []).unwrap();
        let (_, days) = check(&path, &filed_now).unwrap();
        assert_eq!(days[0].problem, None);
        assert!(days[1].problem.as_deref().unwrap().contains("events were removed"), "{days:?}");
    }
}
