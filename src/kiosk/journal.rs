//! The kiosk's offline journal: a SQLite file on the kiosk (`synchronous=FULL`, 0600)
//! holding the number leases the hall gave it, the last catalogue it saw, and every ticket
//! it issued while the hall was unreachable — written before the ticket is printed, kept
//! until the hall has it. A kiosk killed or restarted while offline finds them all here and
//! uploads them, in the order they were printed, once the hall answers again.
//!
//! A number is taken from a lease in the same transaction that records the ticket, so a
//! number is printed at most once whatever happens between the two.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension};

/// A ticket issued offline, as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineRecord {
    /// Order of issue.
    pub seq: i64,
    pub request_id: String,
    pub service: String,
    pub queue: String,
    /// As printed, such as `A990`.
    pub number: String,
    pub issued_at: DateTime<FixedOffset>,
    /// (ID number, name) from the card, until the hall has the ticket.
    pub identity: Option<(String, String)>,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("no offline numbers left for queue {0} today")]
    UsedUp(String),
    #[error("offline journal: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub struct Journal {
    conn: Mutex<Connection>,
}

/// What a visitor asks for when the kiosk issues offline.
pub struct OfflineIssue<'a> {
    pub date: NaiveDate,
    pub queue: &'a str,
    pub request_id: &'a str,
    pub service: &'a str,
    pub issued_at: DateTime<FixedOffset>,
    pub identity: Option<(String, String)>,
    pub token: &'a str,
}

impl Journal {
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        }
        // The journal, its -wal and -shm hold card data until uploaded: only the kiosk's user
        // may read them (made 0600 before SQLite writes to them).
        #[cfg(unix)]
        for f in ["", "-wal", "-shm"] {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let p = PathBuf::from(format!("{}{f}", path.display()));
            let _ = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&p);
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Card data nulled after upload is overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS leases (
                 date TEXT NOT NULL, queue TEXT NOT NULL, prefix TEXT NOT NULL,
                 first INTEGER NOT NULL, last INTEGER NOT NULL, next INTEGER NOT NULL,
                 PRIMARY KEY (date, queue, first));
             CREATE TABLE IF NOT EXISTS tickets (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 request_id TEXT NOT NULL UNIQUE, service TEXT NOT NULL, queue TEXT NOT NULL,
                 number TEXT NOT NULL, issued_at TEXT NOT NULL,
                 id_number TEXT, name TEXT, token TEXT NOT NULL,
                 uploaded_at TEXT, refused TEXT);
             CREATE TABLE IF NOT EXISTS catalog (one INTEGER PRIMARY KEY CHECK (one = 1), json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        Ok(Journal { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a lease the hall gave (again: no change).
    pub fn add_lease(&self, date: NaiveDate, queue: &str, prefix: &str, first: u32, last: u32) -> Result<(), JournalError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO leases (date, queue, prefix, first, last, next) VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
            params![date.to_string(), queue, prefix, first, last],
        )?;
        Ok(())
    }

    /// Numbers left per queue on `date`.
    pub fn left(&self, date: NaiveDate) -> Result<Vec<(String, u32)>, JournalError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT queue, SUM(last + 1 - next) FROM leases WHERE date = ?1 GROUP BY queue ORDER BY queue")?;
        let rows = st.query_map(params![date.to_string()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes the next number of a lease of `queue` on `date` and records the ticket, in one
    /// durable transaction. The same request again gives the same number.
    pub fn issue(&self, i: &OfflineIssue) -> Result<OfflineRecord, JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(r) = find(&tx, i.request_id)? {
            return Ok(r);
        }
        let lease: Option<(String, u32, u32)> = tx
            .query_row(
                "SELECT prefix, first, next FROM leases WHERE date = ?1 AND queue = ?2 AND next <= last ORDER BY first DESC LIMIT 1",
                params![i.date.to_string(), i.queue],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((prefix, first, n)) = lease else {
            return Err(JournalError::UsedUp(i.queue.to_string()));
        };
        tx.execute(
            "UPDATE leases SET next = next + 1 WHERE date = ?1 AND queue = ?2 AND first = ?3",
            params![i.date.to_string(), i.queue, first],
        )?;
        let number = format!("{prefix}{n:03}");
        let (id_number, name) = i.identity.clone().unzip();
        tx.execute(
            "INSERT INTO tickets (request_id, service, queue, number, issued_at, id_number, name, token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![i.request_id, i.service, i.queue, number, i.issued_at.to_rfc3339(), id_number, name, i.token],
        )?;
        let r = find(&tx, i.request_id)?.expect("just inserted");
        tx.commit()?;
        Ok(r)
    }

    /// Offline tickets the hall does not have yet, in the order they were printed.
    pub fn pending(&self) -> Result<Vec<OfflineRecord>, JournalError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("{SELECT} WHERE uploaded_at IS NULL AND refused IS NULL ORDER BY seq"))?;
        let rows = st.query_map([], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The hall has it: the card's data is not kept any longer.
    pub fn uploaded(&self, seq: i64, at: DateTime<FixedOffset>) -> Result<(), JournalError> {
        self.conn()
            .execute("UPDATE tickets SET uploaded_at = ?2, id_number = NULL, name = NULL WHERE seq = ?1", params![seq, at.to_rfc3339()])?;
        Ok(())
    }

    /// The hall refused it for good (not this kiosk's number…): kept, with why, for staff.
    pub fn refused(&self, seq: i64, why: &str) -> Result<(), JournalError> {
        self.conn().execute("UPDATE tickets SET refused = ?2, id_number = NULL, name = NULL WHERE seq = ?1", params![seq, why])?;
        Ok(())
    }

    /// (issued offline in all, not yet uploaded, refused).
    pub fn counts(&self) -> Result<(u32, u32, u32), JournalError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE uploaded_at IS NULL AND refused IS NULL), COUNT(refused) FROM tickets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    pub fn save_catalog(&self, json: &str) -> Result<(), JournalError> {
        self.conn().execute("INSERT INTO catalog (one, json) VALUES (1, ?1) ON CONFLICT (one) DO UPDATE SET json = ?1", params![json])?;
        Ok(())
    }

    /// The hall's UTC offset as last seen, so a kiosk restarted offline dates its tickets
    /// by the hall's calendar whatever its own zone.
    pub fn save_offset(&self, offset: FixedOffset) -> Result<(), JournalError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES ('hall_offset', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
            params![offset.local_minus_utc()],
        )?;
        Ok(())
    }

    pub fn offset(&self) -> Result<Option<FixedOffset>, JournalError> {
        let secs: Option<i32> =
            self.conn().query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hall_offset'", [], |r| r.get(0)).optional()?;
        Ok(secs.and_then(FixedOffset::east_opt))
    }

    pub fn catalog(&self) -> Result<Option<String>, JournalError> {
        Ok(self.conn().query_row("SELECT json FROM catalog WHERE one = 1", [], |r| r.get(0)).optional()?)
    }
}

/// Uploads the tickets issued offline, in the order they were printed, until the hall stops
/// answering. Returns how many went up.
pub async fn upload(hall: &hallq_proto::HallClient, journal: &Journal, now: chrono::DateTime<chrono::FixedOffset>) -> u32 {
    let pending = match journal.pending() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("{e}");
            return 0;
        }
    };
    let mut sent = 0;
    for r in pending {
        let body = hallq_proto::UploadOffline {
            request_id: hallq_proto::RequestId::new(r.request_id.clone()),
            service: hallq_proto::ServiceId::new(r.service.clone()),
            number: hallq_proto::TicketNumber::new(&r.number),
            issued_at: r.issued_at,
            identity: r.identity.clone().map(|(id_number, name)| hallq_proto::Identity { id_number, name }),
            token: r.token.clone(),
        };
        match hall.upload_offline(&body).await {
            Ok(_) => {
                if let Err(e) = journal.uploaded(r.seq, now) {
                    tracing::error!("{e}");
                    break;
                }
                sent += 1;
            }
            Err(e) if e.is_transient() || matches!(e, hallq_proto::ClientError::Protocol(_)) => break,
            Err(hallq_proto::ClientError::Refused { status: 401 | 403 | 429, .. }) => break,
            Err(e) => {
                // Kept in the journal with why: staff and managers put it right.
                tracing::error!("the hall refused offline ticket {}: {e}", r.number);
                let _ = journal.refused(r.seq, &e.to_string());
            }
        }
    }
    if sent > 0 {
        tracing::info!("{sent} offline tickets uploaded");
    }
    sent
}

const SELECT: &str = "SELECT seq, request_id, service, queue, number, issued_at, id_number, name, token FROM tickets";

fn find(conn: &Connection, request_id: &str) -> rusqlite::Result<Option<OfflineRecord>> {
    conn.query_row(&format!("{SELECT} WHERE request_id = ?1"), params![request_id], record).optional()
}

fn record(r: &rusqlite::Row) -> rusqlite::Result<OfflineRecord> {
    let at: String = r.get(5)?;
    let id_number: Option<String> = r.get(6)?;
    let name: Option<String> = r.get(7)?;
    Ok(OfflineRecord {
        seq: r.get(0)?,
        request_id: r.get(1)?,
        service: r.get(2)?,
        queue: r.get(3)?,
        number: r.get(4)?,
        issued_at: DateTime::parse_from_rfc3339(&at)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e)))?,
        identity: id_number.zip(name),
        token: r.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn numbers_come_from_leases_once_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let j = Journal::open(&path).unwrap();
        j.add_lease(d, "A", "A", 990, 991).unwrap();
        j.add_lease(d, "A", "A", 990, 991).unwrap();
        let issue = |req: &'static str| OfflineIssue {
            date: d,
            queue: "A",
            request_id: req,
            service: "s",
            issued_at: at("2026-12-01T09:00:00+08:00"),
            identity: Some(("110101199003071234".into(), "张三".into())),
            token: "00",
        };
        assert_eq!(j.issue(&issue("r1")).unwrap().number, "A990");
        // The same tap again: the same number.
        assert_eq!(j.issue(&issue("r1")).unwrap().number, "A990");
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.left(d).unwrap(), vec![("A".to_string(), 1)]);
        assert_eq!(j.issue(&issue("r2")).unwrap().number, "A991");
        assert!(matches!(j.issue(&issue("r3")), Err(JournalError::UsedUp(q)) if q == "A"));
        // Another day's lease is not today's.
        assert!(matches!(j.issue(&OfflineIssue { date: d.succ_opt().unwrap(), ..issue("r4") }), Err(JournalError::UsedUp(_))));
        let p = j.pending().unwrap();
        assert_eq!(p.iter().map(|r| r.number.as_str()).collect::<Vec<_>>(), ["A990", "A991"]);
        j.uploaded(p[0].seq, at("2026-12-01T09:10:00+08:00")).unwrap();
        j.refused(p[1].seq, "not_leased").unwrap();
        assert!(j.pending().unwrap().is_empty());
        assert_eq!(j.counts().unwrap(), (2, 0, 1));
        assert_eq!(j.offset().unwrap(), None);
        j.save_offset(FixedOffset::east_opt(8 * 3600).unwrap()).unwrap();
        assert_eq!(j.offset().unwrap(), FixedOffset::east_opt(8 * 3600));
        // The card's data goes once the hall has the ticket.
        let kept: Option<String> = j.conn().query_row("SELECT id_number FROM tickets WHERE seq = ?1", [p[0].seq], |r| r.get(0)).unwrap();
        assert_eq!(kept, None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
