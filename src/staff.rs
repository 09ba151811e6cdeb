//! Staff sign-in at the counter terminal: staff number and password (Argon2 hashes in the
//! configuration), a signed session token that survives a service restart, and a lock
//! after repeated wrong passwords.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Staff;
use crate::engine::Ts;

/// Wrong passwords allowed within [`LOCK_MINUTES`] before the staff number is locked.
pub const MAX_FAILURES: usize = 5;
pub const LOCK_MINUTES: i64 = 10;
/// How long a sign-in lasts: a working day with overtime.
pub const SESSION_HOURS: i64 = 12;

/// The PHC string of a new Argon2id hash of `password`.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("Argon2 with default parameters hashes any input").to_string()
}

pub fn password_matches(staff: &Staff, password: &str) -> bool {
    PasswordHash::new(&staff.password).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown staff number or wrong password (one answer for both).
    Wrong,
    /// Too many wrong passwords; try again after this many minutes.
    Locked(i64),
}

/// Session tokens: `staff.<id>.<expiry unix seconds>.<HMAC-SHA256>`, keyed by a key of the
/// hall's data directory, so they need no storage and survive a restart.
pub struct Sessions {
    key: Vec<u8>,
    failures: Mutex<HashMap<String, Vec<Ts>>>,
}

type HmacSha256 = Hmac<Sha256>;

impl Sessions {
    pub fn new(hall_key: &[u8]) -> Sessions {
        // A key of its own, derived from the hall's, so session tokens and identity hashes
        // never share one.
        let mut mac = HmacSha256::new_from_slice(hall_key).expect("HMAC takes any key length");
        mac.update(b"hallq staff sessions v1");
        Sessions { key: mac.finalize().into_bytes().to_vec(), failures: Mutex::default() }
    }

    fn sign(&self, body: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks the password (slow on purpose) and returns a session token, its expiry and
    /// the person.
    pub fn sign_in(&self, staff: &[Staff], id: &str, password: &str, now: Ts) -> Result<(String, Ts, Staff), SignInError> {
        {
            let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let list = f.entry(id.to_string()).or_default();
            list.retain(|t| now - *t < chrono::Duration::minutes(LOCK_MINUTES));
            if list.len() >= MAX_FAILURES {
                let until = list[0] + chrono::Duration::minutes(LOCK_MINUTES);
                return Err(SignInError::Locked(((until - now).num_seconds() + 59) / 60));
            }
        }
        let ok = staff.iter().find(|s| s.id == id).filter(|s| password_matches(s, password));
        let Some(s) = ok else {
            self.failures.lock().unwrap_or_else(|p| p.into_inner()).entry(id.to_string()).or_default().push(now);
            return Err(SignInError::Wrong);
        };
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        let expires = now + chrono::Duration::hours(SESSION_HOURS);
        let body = format!("staff.{}.{}", s.id, expires.timestamp());
        let sig = self.sign(&body);
        Ok((format!("{body}.{sig}"), expires, s.clone()))
    }

    /// The member of staff a session token belongs to, if it is genuine, unexpired, and the
    /// person is still in the configuration.
    pub fn check<'a>(&self, staff: &'a [Staff], token: &str, now: Ts) -> Option<&'a Staff> {
        let (body, sig) = token.rsplit_once('.')?;
        let mut parts = body.splitn(3, '.');
        let (kind, id, exp) = (parts.next()?, parts.next()?, parts.next()?);
        if kind != "staff" {
            return None;
        }
        // Compared in constant time.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        if mac.verify_slice(&hex::decode(sig).ok()?).is_err() {
            return None;
        }
        if exp.parse::<i64>().ok()? <= now.timestamp() {
            return None;
        }
        staff.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Ts {
        chrono::DateTime::parse_from_rfc3339("2026-11-27T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc)
    }

    fn staff() -> Vec<Staff> {
        vec![Staff { id: "1001".into(), name: "张丽".into(), password: hash_password("correct horse"), windows: vec![1, 2] }]
    }

    #[test]
    fn sign_in_check_and_expiry() {
        let s = Sessions::new(b"hall key");
        let staff = staff();
        let (tok, exp, who) = s.sign_in(&staff, "1001", "correct horse", now()).unwrap();
        assert_eq!(who.name, "张丽");
        assert_eq!(exp, now() + chrono::Duration::hours(SESSION_HOURS));
        assert_eq!(s.check(&staff, &tok, now()).map(|p| p.id.as_str()), Some("1001"));
        // Another service with the same data key accepts it (a restart); another hall does not.
        assert!(Sessions::new(b"hall key").check(&staff, &tok, now()).is_some());
        assert!(Sessions::new(b"other key").check(&staff, &tok, now()).is_none());
        assert!(s.check(&staff, &tok, exp).is_none(), "expired");
        // Tampering with the staff number or the expiry breaks the signature.
        let forged = tok.replacen("1001", "1002", 1);
        assert!(s.check(&staff, &forged, now()).is_none());
        let later = tok.replacen(&exp.timestamp().to_string(), &(exp.timestamp() + 86400).to_string(), 1);
        assert!(s.check(&staff, &later, now()).is_none());
        // Removed from the configuration: the token stops working.
        assert!(s.check(&[], &tok, now()).is_none());
    }

    #[test]
    fn wrong_passwords_lock_the_staff_number() {
        let s = Sessions::new(b"k");
        let staff = staff();
        assert_eq!(s.sign_in(&staff, "9999", "x", now()).err(), Some(SignInError::Wrong), "unknown number: same answer");
        for _ in 0..MAX_FAILURES {
            assert_eq!(s.sign_in(&staff, "1001", "wrong", now()).err(), Some(SignInError::Wrong));
        }
        assert_eq!(s.sign_in(&staff, "1001", "correct horse", now()).err(), Some(SignInError::Locked(LOCK_MINUTES)));
        let later = now() + chrono::Duration::minutes(LOCK_MINUTES);
        assert!(s.sign_in(&staff, "1001", "correct horse", later).is_ok(), "unlocked after the lock time");
    }
}
