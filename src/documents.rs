//! Documents the hall keeps besides the event log, in `DATA/documents.db` (SQLite, WAL,
//! synchronous=FULL): result PDFs from the approval system, kept until the person prints
//! them at a kiosk or they expire, and materials scanned at a kiosk for pre-review,
//! attached to a ticket. The PDF of a collected or expired result is deleted; the row
//! stays as the record of what was delivered and when.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::engine::{Holder, Ts};

/// Largest PDF accepted (a result or one scan batch).
pub const MAX_PDF_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("文件不是 PDF。")]
    NotPdf,
    #[error("文件太大（{0} 字节），上限 20 MB。")]
    TooLarge(usize),
    #[error("没有这份文件。")]
    NotFound,
    #[error("这份结果已于 {0} 领取。")]
    AlreadyCollected(String),
    #[error("这份结果已过保管期（{0}），请到服务台咨询。")]
    Expired(String),
    #[error("文件库错误：{0}")]
    Db(#[from] rusqlite::Error),
}

pub use hallq_proto::{AttachmentMeta, ResultMeta};

/// How long the nonce `find` hands a kiosk for a result stays good.
pub const RESULT_NONCE_SECS: i64 = 600;
/// At most this many result nonces are kept; the soonest to expire give way first.
pub const MAX_RESULT_NONCES: usize = 4096;

/// A nonce `find` handed out: for this result, to this kiosk, until then.
struct ResultNonce {
    result: String,
    kiosk: String,
    expires: Ts,
}

pub struct Documents {
    conn: Mutex<Connection>,
    /// Result nonces, in memory only: a restart ends them (the kiosk finds again).
    nonces: Mutex<HashMap<String, ResultNonce>>,
}

fn ts(t: Ts) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn check_pdf(pdf: &[u8]) -> Result<(), DocError> {
    if pdf.len() > MAX_PDF_BYTES {
        return Err(DocError::TooLarge(pdf.len()));
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(DocError::NotPdf);
    }
    Ok(())
}

fn new_id(prefix: &str) -> String {
    let r: [u8; 12] = rand::random();
    format!("{prefix}{}", hex::encode(r))
}

impl Documents {
    pub fn open(dir: &Path) -> Result<Documents, DocError> {
        std::fs::create_dir_all(dir).map_err(|e| DocError::Db(rusqlite::Error::InvalidPath(format!("{}: {e}", dir.display()).into())))?;
        crate::store::create_private(&dir.join("documents.db"))
            .map_err(|e| DocError::Db(rusqlite::Error::InvalidPath(format!("{}: {e}", dir.display()).into())))?;
        let conn = Connection::open(dir.join("documents.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS results (
                id TEXT PRIMARY KEY,
                external_id TEXT NOT NULL UNIQUE,
                id_hash TEXT NOT NULL,
                title TEXT NOT NULL,
                department TEXT NOT NULL,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                received_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                collected_at TEXT,
                collected_by TEXT,
                pdf BLOB
            );
            CREATE INDEX IF NOT EXISTS results_by_person ON results (id_hash);
            CREATE TABLE IF NOT EXISTS attachments (
                id TEXT PRIMARY KEY,
                ticket TEXT NOT NULL,
                title TEXT NOT NULL,
                pages INTEGER NOT NULL,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                added_at TEXT NOT NULL,
                kiosk TEXT NOT NULL,
                pdf BLOB
            );
            CREATE INDEX IF NOT EXISTS attachments_by_ticket ON attachments (ticket);",
        )?;
        // Since results are found by ID number and name: the keyed hash of both. Rows
        // delivered before have none (NULL); see `results_for`.
        let has_person: bool =
            conn.query_row("SELECT COUNT(*) FROM pragma_table_info('results') WHERE name = 'person_hash'", [], |r| r.get::<_, i64>(0))? > 0;
        if !has_person {
            conn.execute_batch("ALTER TABLE results ADD COLUMN person_hash TEXT")?;
        }
        Ok(Documents { conn: Mutex::new(conn), nonces: Mutex::new(HashMap::new()) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a result for `holder`. The approval system's own id makes a repeated delivery
    /// harmless: the answer is then the stored result's id and false.
    #[allow(clippy::too_many_arguments)]
    /// Files a result; delivering the same `external_id` again changes nothing and gives
    /// the first answer (its id and expiry) with `false`.
    /// `person_hash` is `identity::person_hash` of the ID number and the name delivered.
    pub fn add_result(
        &self,
        external_id: &str,
        holder: &Holder,
        person_hash: &str,
        title: &str,
        department: &str,
        pdf: &[u8],
        now: Ts,
        keep_days: u32,
    ) -> Result<(String, Ts, bool), DocError> {
        check_pdf(pdf)?;
        let db = self.db();
        let first = db
            .query_row("SELECT id, expires_at FROM results WHERE external_id = ?1", [external_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        if let Some((id, expires)) = first {
            let expires = chrono::DateTime::parse_from_rfc3339(&expires).map(|t| t.with_timezone(&chrono::Utc)).unwrap_or(now);
            return Ok((id, expires, false));
        }
        let id = new_id("R");
        // As stored (milliseconds), so a repeated delivery answers the very same expiry.
        let expires = chrono::SubsecRound::trunc_subsecs(now + chrono::Duration::days(keep_days as i64), 3);
        db.execute(
            "INSERT INTO results (id, external_id, id_hash, person_hash, title, department, size, sha256, received_at, expires_at, pdf)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id,
                external_id,
                holder.id_hash,
                person_hash,
                title,
                department,
                pdf.len(),
                hex::encode(Sha256::digest(pdf)),
                ts(now),
                ts(expires),
                pdf
            ],
        )?;
        Ok((id, expires, true))
    }

    /// The results waiting for the person with this ID hash and person hash (ID number and
    /// name). Results delivered before the name was kept (no person hash) match by the ID
    /// hash alone, and only when `unnamed` is true: the service asks so for managers (the
    /// service desk checks the card), never for a kiosk.
    pub fn results_for(&self, id_hash: &str, person_hash: &str, unnamed: bool, now: Ts) -> Result<Vec<ResultMeta>, DocError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT id, title, department, received_at, expires_at, size FROM results
             WHERE id_hash = ?1 AND (person_hash = ?2 OR (?3 AND person_hash IS NULL))
               AND collected_at IS NULL AND pdf IS NOT NULL AND expires_at > ?4 ORDER BY received_at",
        )?;
        let rows = stmt.query_map(params![id_hash, person_hash, unnamed, ts(now)], |r| {
            Ok(ResultMeta {
                id: r.get(0)?,
                title: r.get(1)?,
                department: r.get(2)?,
                received_at: r.get(3)?,
                expires_at: r.get(4)?,
                size: r.get::<_, i64>(5)? as u64,
                nonce: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The PDF of a result that may still be printed, with the owner's identity hash.
    pub fn result_pdf(&self, id: &str, now: Ts) -> Result<(Vec<u8>, String), DocError> {
        let db = self.db();
        let row = db
            .query_row("SELECT pdf, id_hash, collected_at, expires_at FROM results WHERE id = ?1", [id], |r| {
                Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
            })
            .optional()?
            .ok_or(DocError::NotFound)?;
        match row {
            (_, _, Some(at), _) => Err(DocError::AlreadyCollected(at)),
            (_, _, _, exp) if exp <= ts(now) => Err(DocError::Expired(exp)),
            (Some(pdf), hash, None, _) => Ok((pdf, hash)),
            (None, _, None, exp) => Err(DocError::Expired(exp)),
        }
    }

    /// Marks a result collected (after it printed) and deletes its PDF.
    pub fn collect(&self, id: &str, by: &str, now: Ts) -> Result<String, DocError> {
        self.result_pdf(id, now)?;
        let at = ts(now);
        self.db().execute("UPDATE results SET collected_at = ?2, collected_by = ?3, pdf = NULL WHERE id = ?1", params![id, at, by])?;
        Ok(at)
    }

    /// A new nonce for `kiosk` to fetch and collect `result` with, good for
    /// [`RESULT_NONCE_SECS`]. The kiosk's earlier nonces for the same result end.
    pub fn issue_nonce(&self, result: &str, kiosk: &str, now: Ts) -> String {
        let mut m = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, n| n.expires > now && !(n.result == result && n.kiosk == kiosk));
        while m.len() >= MAX_RESULT_NONCES {
            let Some(first) = m.iter().min_by_key(|(_, n)| n.expires).map(|(k, _)| k.clone()) else { break };
            m.remove(&first);
        }
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        m.insert(
            nonce.clone(),
            ResultNonce { result: result.into(), kiosk: kiosk.into(), expires: now + chrono::Duration::seconds(RESULT_NONCE_SECS) },
        );
        nonce
    }

    /// Whether `nonce` was handed to `kiosk` for `result` and is still good.
    pub fn nonce_ok(&self, nonce: &str, result: &str, kiosk: &str, now: Ts) -> bool {
        let m = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        m.get(nonce).is_some_and(|n| n.result == result && n.kiosk == kiosk && n.expires > now)
    }

    /// Ends every nonce of a result (it was collected).
    pub fn forget_nonces(&self, result: &str) {
        self.nonces.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, n| n.result != result);
    }

    /// Deletes the PDFs of expired results and of attachments older than `attachment_days`.
    pub fn purge(&self, now: Ts, attachment_days: u32) -> Result<usize, DocError> {
        let db = self.db();
        let a = db.execute("UPDATE results SET pdf = NULL WHERE pdf IS NOT NULL AND expires_at <= ?1", [ts(now)])?;
        let before = now - chrono::Duration::days(attachment_days as i64);
        let b = db.execute("UPDATE attachments SET pdf = NULL WHERE pdf IS NOT NULL AND added_at < ?1", [ts(before)])?;
        Ok(a + b)
    }

    pub fn add_attachment(
        &self,
        ticket: &str,
        title: &str,
        pages: u32,
        pdf: &[u8],
        kiosk: &str,
        now: Ts,
    ) -> Result<AttachmentMeta, DocError> {
        check_pdf(pdf)?;
        let meta = AttachmentMeta {
            id: new_id("M"),
            ticket: ticket.into(),
            title: title.into(),
            pages,
            size: pdf.len() as u64,
            added_at: ts(now),
            kiosk: kiosk.into(),
        };
        self.db().execute(
            "INSERT INTO attachments (id, ticket, title, pages, size, sha256, added_at, kiosk, pdf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![meta.id, ticket, title, pages, pdf.len(), hex::encode(Sha256::digest(pdf)), meta.added_at, kiosk, pdf],
        )?;
        Ok(meta)
    }

    pub fn attachments_for(&self, ticket: &str) -> Result<Vec<AttachmentMeta>, DocError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT id, ticket, title, pages, size, added_at, kiosk FROM attachments WHERE ticket = ?1 AND pdf IS NOT NULL ORDER BY added_at")?;
        let rows = stmt.query_map([ticket], |r| {
            Ok(AttachmentMeta {
                id: r.get(0)?,
                ticket: r.get::<_, String>(1)?.into(),
                title: r.get(2)?,
                pages: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
                added_at: r.get(5)?,
                kiosk: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// An attachment's PDF and the ticket it belongs to.
    pub fn attachment_pdf(&self, id: &str) -> Result<(Vec<u8>, String), DocError> {
        self.db()
            .query_row("SELECT pdf, ticket FROM attachments WHERE id = ?1 AND pdf IS NOT NULL", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or(DocError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Ts {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
    }

    fn holder(hash: &str) -> Holder {
        Holder { masked_name: "李*".into(), masked_id: "x".into(), id_hash: hash.into(), birth_date: None }
    }

    #[test]
    fn results_are_kept_until_collected_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let docs = Documents::open(dir.path()).unwrap();
        let now = at("2026-11-27T09:00:00+08:00");
        let pdf = b"%PDF-1.7 result".to_vec();
        let (id, expires, new) = docs.add_result("APP-1", &holder("p1"), "n1", "营业执照", "市场监管局", &pdf, now, 30).unwrap();
        assert!(new);
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            docs.add_result("APP-1", &holder("p1"), "n1", "营业执照", "市场监管局", &pdf, later, 30).unwrap(),
            (id.clone(), expires, false),
            "a repeated delivery is one result, with its first expiry"
        );
        assert!(matches!(docs.add_result("APP-2", &holder("p1"), "n1", "x", "y", b"GIF89a", now, 30), Err(DocError::NotPdf)));
        let (id2, _, _) = docs.add_result("APP-3", &holder("p1"), "n1", "不动产权证明", "不动产登记中心", &pdf, now, 1).unwrap();
        assert_eq!(
            docs.results_for("p1", "n1", false, now).unwrap().iter().map(|r| r.title.as_str()).collect::<Vec<_>>(),
            ["营业执照", "不动产权证明"]
        );
        assert!(docs.results_for("p2", "n2", true, now).unwrap().is_empty(), "nobody else sees them");
        assert!(docs.results_for("p1", "n2", true, now).unwrap().is_empty(), "the right ID number with another name finds nothing");

        assert_eq!(docs.result_pdf(&id, now).unwrap(), (pdf.clone(), "p1".to_string()));
        docs.collect(&id, "kiosk-1", now).unwrap();
        assert!(matches!(docs.result_pdf(&id, now), Err(DocError::AlreadyCollected(_))));
        assert!(matches!(docs.collect(&id, "kiosk-1", now), Err(DocError::AlreadyCollected(_))));

        let later = now + chrono::Duration::days(2);
        assert!(docs.results_for("p1", "n1", false, later).unwrap().is_empty());
        assert!(matches!(docs.result_pdf(&id2, later), Err(DocError::Expired(_))));
        assert_eq!(docs.purge(later, 7).unwrap(), 1, "the expired PDF is deleted");
        // Survives reopening (a real file).
        drop(docs);
        let docs = Documents::open(dir.path()).unwrap();
        assert!(matches!(docs.result_pdf(&id, now), Err(DocError::AlreadyCollected(_))));
    }

    #[test]
    fn results_from_before_the_name_was_kept_are_for_managers_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = at("2026-11-27T09:00:00+08:00");
        {
            // The table as it was: no person_hash.
            let conn = Connection::open(dir.path().join("documents.db")).unwrap();
            conn.execute_batch(
                "CREATE TABLE results (id TEXT PRIMARY KEY, external_id TEXT NOT NULL UNIQUE, id_hash TEXT NOT NULL, title TEXT NOT NULL,
                    department TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, received_at TEXT NOT NULL, expires_at TEXT NOT NULL,
                    collected_at TEXT, collected_by TEXT, pdf BLOB);
                 INSERT INTO results VALUES ('Rold', 'APP-0', 'p1', '旧结果', 'x', 9, '', '2026-11-27T00:00:00.000Z', '2026-12-27T00:00:00.000Z', NULL, NULL, x'255044462D312E37');",
            )
            .unwrap();
        }
        let docs = Documents::open(dir.path()).unwrap();
        assert!(docs.results_for("p1", "n1", false, now).unwrap().is_empty(), "a kiosk does not see it");
        assert_eq!(docs.results_for("p1", "n1", true, now).unwrap().iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["Rold"]);
        docs.add_result("APP-1", &holder("p1"), "n1", "新结果", "x", b"%PDF-1.7", now, 30).unwrap();
        assert_eq!(docs.results_for("p1", "n1", false, now).unwrap().iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["新结果"]);
        drop(docs);
        Documents::open(dir.path()).unwrap();
    }

    #[test]
    fn result_nonces_are_for_one_result_one_kiosk_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let docs = Documents::open(dir.path()).unwrap();
        let now = at("2026-11-27T09:00:00+08:00");
        let n = docs.issue_nonce("R1", "kiosk-1", now);
        assert!(docs.nonce_ok(&n, "R1", "kiosk-1", now));
        assert!(!docs.nonce_ok(&n, "R2", "kiosk-1", now));
        assert!(!docs.nonce_ok(&n, "R1", "kiosk-2", now));
        assert!(!docs.nonce_ok(&n, "R1", "kiosk-1", now + chrono::Duration::seconds(RESULT_NONCE_SECS)));
        let again = docs.issue_nonce("R1", "kiosk-1", now);
        assert!(!docs.nonce_ok(&n, "R1", "kiosk-1", now), "a new find ends the old nonce");
        let other = docs.issue_nonce("R1", "kiosk-2", now);
        docs.forget_nonces("R1");
        assert!(!docs.nonce_ok(&again, "R1", "kiosk-1", now) && !docs.nonce_ok(&other, "R1", "kiosk-2", now));
        for i in 0..MAX_RESULT_NONCES + 10 {
            docs.issue_nonce(&format!("R{i}"), "kiosk-1", now + chrono::Duration::milliseconds(i as i64));
        }
        assert_eq!(docs.nonces.lock().unwrap().len(), MAX_RESULT_NONCES, "bounded");
    }

    #[test]
    fn attachments_belong_to_their_ticket() {
        let dir = tempfile::tempdir().unwrap();
        let docs = Documents::open(dir.path()).unwrap();
        let now = at("2026-11-27T09:00:00+08:00");
        let m = docs.add_attachment("20261127-C001", "户口迁入登记 材料", 3, b"%PDF-1.4 scan", "kiosk-1", now).unwrap();
        assert_eq!(docs.attachments_for("20261127-C001").unwrap(), vec![m.clone()]);
        assert!(docs.attachments_for("20261127-C002").unwrap().is_empty());
        assert_eq!(docs.attachment_pdf(&m.id).unwrap().1, "20261127-C001");
        assert_eq!(docs.purge(now + chrono::Duration::days(8), 7).unwrap(), 1);
        assert!(matches!(docs.attachment_pdf(&m.id), Err(DocError::NotFound)));
    }
}
