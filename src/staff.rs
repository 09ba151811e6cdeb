//! Staff sign-in at the counter terminal: staff number and password (Argon2 hashes in the
//! configuration), a signed session token that survives a service restart, and throttles
//! against guessing.
//!
//! - **Counted before checked.** An attempt takes its place in the attempt tables, under one
//!   lock, before its password is checked: however many wrong passwords arrive at once for
//!   one staff number, at most [`MAX_FAILURES`] of them are checked before the lock.
//! - **Two throttles**: per staff number ([`MAX_FAILURES`] in [`LOCK_MINUTES`]) and per
//!   client address ([`ADDRESS_MAX_FAILURES`] in [`ADDRESS_LOCK_MINUTES`]; IPv6 by /64).
//!   A success clears its staff number's failures but not its address's.
//! - **Unknown numbers cost the same.** They are checked against a dummy hash made with the
//!   parameters of the configured hashes, so timing does not tell which numbers exist; they
//!   are counted and locked like known ones. A staff number that cannot be one (more than
//!   32 characters, or other than letters, digits and '-', the configuration's rule) is
//!   refused before it reaches the table or Argon2.
//! - **At most [`ARGON2_AT_ONCE`] Argon2 checks at a time**; up to [`ARGON2_MAX_WAITING`]
//!   callers wait their turn (blocking: the handler signs in on a blocking thread), more are
//!   told the service is busy.
//! - **Bounded tables**: at most [`MAX_TRACKED`] staff numbers and as many addresses; when
//!   full, expired entries go first, then the oldest that are not locked.
//! - **Revocable sessions.** A token is `staff.<id>.<expiry>.<nonce>.<HMAC>`; the HMAC also
//!   covers a digest of the person's password hash in force, so a password change or the
//!   person's removal ends their sessions without any storage. Sign-out is a small list in
//!   `DATA/staff-signouts.json` (written atomically, 0600, entries dropped when the tokens
//!   they name expire), so a sign-out survives a restart.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use hallq_proto::ErrorCode;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Staff;
use crate::engine::Ts;

/// Wrong passwords allowed within [`LOCK_MINUTES`] before the staff number is locked.
pub const MAX_FAILURES: usize = 5;
pub const LOCK_MINUTES: i64 = 10;
/// Failed sign-ins allowed from one client address (any staff numbers) within
/// [`ADDRESS_LOCK_MINUTES`] before that address is locked too.
pub const ADDRESS_MAX_FAILURES: usize = 20;
pub const ADDRESS_LOCK_MINUTES: i64 = 10;
/// Staff numbers, and client addresses, the attempt tables remember at most.
pub const MAX_TRACKED: usize = 10_000;
/// Argon2 checks running at once (each takes tens of milliseconds of one core and ~19 MiB).
pub const ARGON2_AT_ONCE: usize = 2;
/// Sign-ins that may wait for a turn; more are answered [`Refusal::Busy`].
pub const ARGON2_MAX_WAITING: usize = 16;
/// The longest a sign-in waits for a turn before it is answered [`Refusal::Busy`].
pub const ARGON2_MAX_WAIT: Duration = Duration::from_secs(10);
/// The longest staff number (the configuration's rule).
pub const MAX_STAFF_ID_LEN: usize = 32;
/// How long a sign-in lasts: a working day with overtime.
pub const SESSION_HOURS: i64 = 12;
/// Signed-out sessions remembered one by one; past this, a sign-out ends all the person's
/// sessions begun until then.
pub const MAX_SIGNOUTS: usize = 10_000;
/// The sign-out list in the data directory.
pub const SIGNOUTS_FILE: &str = "staff-signouts.json";

/// The PHC string of a new Argon2id hash of `password`.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("Argon2 with default parameters hashes any input").to_string()
}

pub fn password_matches(staff: &Staff, password: &str) -> bool {
    PasswordHash::new(&staff.password).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Whether `id` can be a staff number: 1–32 ASCII letters, digits or '-' (the rule
/// `config check` applies to the configured ones).
pub fn valid_staff_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_STAFF_ID_LEN && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// The address a client is throttled by: IPv4 as is (also when mapped into IPv6), IPv6 by
/// its /64, since one machine may use any address of its network.
pub fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// Why a sign-in failed ([`Sessions::sign_in`]; [`Sessions::sign_in_from`] answers a
/// [`Refusal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown staff number or wrong password (one answer for both).
    Wrong,
    /// Too many wrong passwords; try again after this many minutes.
    Locked(i64),
}

/// Why [`Sessions::sign_in_from`] refused, with the API's code and message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown staff number or wrong password (one answer for both).
    Wrong,
    /// Too many wrong passwords for this staff number; try again after this many minutes.
    Locked(i64),
    /// Too many failed sign-ins from this client address; try again after this many minutes.
    AddressLocked(i64),
    /// Too many sign-ins waiting for a password check; try again shortly.
    Busy,
}

impl Refusal {
    /// The API error code: 401, 429 for both locks, 503.
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::Wrong => ErrorCode::WrongPassword,
            Refusal::Locked(_) | Refusal::AddressLocked(_) => ErrorCode::SigninLocked,
            Refusal::Busy => ErrorCode::ServiceBusy,
        }
    }

    /// What the counter terminal shows.
    pub fn message(&self) -> String {
        match self {
            Refusal::Wrong => "工号或密码不正确。".into(),
            Refusal::Locked(m) => format!("密码错误次数过多，此工号已锁定，请 {m} 分钟后再试或联系大厅管理员。"),
            Refusal::AddressLocked(m) => format!("此终端登录失败次数过多，已暂停登录，请 {m} 分钟后再试或联系大厅管理员。"),
            Refusal::Busy => "登录请求过多，请稍后重试。".into(),
        }
    }
}

/// Session tokens: `staff.<id>.<expiry unix seconds>.<nonce>.<HMAC-SHA256>`, keyed by a key
/// of the hall's data directory and bound to the person's password hash, so they need no
/// storage, survive a restart, and end with a password change; plus the attempt tables, the
/// Argon2 gate and the sign-out list.
pub struct Sessions {
    key: Vec<u8>,
    limits: Limits,
    attempts: Mutex<Attempts>,
    gate: Gate,
    /// The dummy hash for unknown staff numbers: (parameters it copies, PHC string).
    dummy: Mutex<Option<(String, String)>>,
    /// Argon2 verifications done, and how many ran at once at most.
    checks: AtomicU64,
    running: AtomicUsize,
    most_running: AtomicUsize,
    signouts: RwLock<Signouts>,
    /// The sign-out list's file (none: kept in memory only); its lock orders the writes and
    /// says whether the file is behind the memory (a write failed).
    signouts_file: Option<PathBuf>,
    file_behind: Mutex<bool>,
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    at_once: usize,
    max_waiting: usize,
    max_wait: Duration,
    max_signouts: usize,
}

const LIMITS: Limits =
    Limits { at_once: ARGON2_AT_ONCE, max_waiting: ARGON2_MAX_WAITING, max_wait: ARGON2_MAX_WAIT, max_signouts: MAX_SIGNOUTS };

type HmacSha256 = Hmac<Sha256>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sessions {
    /// Sessions whose sign-outs are kept in memory only (lost at a restart); the service
    /// uses [`Sessions::open`].
    pub fn new(hall_key: &[u8]) -> Sessions {
        // A key of its own, derived from the hall's, so session tokens and identity hashes
        // never share one. (v2: the MAC covers the nonce and the password hash's digest.)
        let mut mac = HmacSha256::new_from_slice(hall_key).expect("HMAC takes any key length");
        mac.update(b"hallq staff sessions v2");
        Sessions {
            key: mac.finalize().into_bytes().to_vec(),
            limits: LIMITS,
            attempts: Mutex::new(Attempts::new(MAX_TRACKED)),
            gate: Gate::default(),
            dummy: Mutex::new(None),
            checks: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            most_running: AtomicUsize::new(0),
            signouts: RwLock::new(Signouts::default()),
            signouts_file: None,
            file_behind: Mutex::new(false),
        }
    }

    /// Sessions with the sign-out list of `data_dir` ([`SIGNOUTS_FILE`]). An unreadable or
    /// damaged list cannot say which sessions were ended, so every session begun before
    /// `now` is ended instead (and the list rewritten saying so); this never fails.
    pub fn open(hall_key: &[u8], data_dir: &Path, now: Ts) -> Sessions {
        let mut s = Sessions::new(hall_key);
        let path = data_dir.join(SIGNOUTS_FILE);
        let mut list = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Signouts>(&bytes).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Signouts::default()),
            Err(e) => Err(e.to_string()),
        }
        .unwrap_or_else(|e| {
            tracing::error!("staff sign-out list {}: {e}; ending every staff session begun until now", path.display());
            let _ = std::fs::rename(&path, path.with_extension("json.damaged"));
            Signouts { everyone_until: Some(now.timestamp()), ..Signouts::default() }
        });
        list.drop_expired(now.timestamp());
        let rewrite = list.everyone_until.is_some();
        s.signouts = RwLock::new(list);
        s.signouts_file = Some(path);
        if rewrite {
            if let Err(e) = s.persist() {
                tracing::error!("staff sign-out list: {e}");
            }
        }
        s
    }

    /// Argon2 verifications this service has done (known and unknown staff numbers alike).
    pub fn argon2_checks(&self) -> u64 {
        self.checks.load(Ordering::SeqCst)
    }

    /// Checks the password (slow on purpose) and returns a session token, its expiry and the
    /// person. Without the client's address: only the staff number is throttled, and a
    /// caller waits for its turn at the Argon2 gate however long the queue (transitional:
    /// the handler is to call [`Sessions::sign_in_from`]).
    pub fn sign_in(&self, staff: &[Staff], id: &str, password: &str, now: Ts) -> Result<(String, Ts, Staff), SignInError> {
        self.attempt(staff, id, password, now, None, false).map_err(|r| match r {
            Refusal::Wrong => SignInError::Wrong,
            Refusal::Locked(m) | Refusal::AddressLocked(m) => SignInError::Locked(m),
            Refusal::Busy => SignInError::Locked(1),
        })
    }

    /// Sign-in from the client at `client`: counted against the staff number and the
    /// address before the password is checked; blocks while waiting for a turn at the
    /// Argon2 gate (call it on a blocking thread). Returns the session token, its expiry and
    /// the person.
    pub fn sign_in_from(&self, staff: &[Staff], id: &str, password: &str, now: Ts, client: IpAddr) -> Result<(String, Ts, Staff), Refusal> {
        self.attempt(staff, id, password, now, Some(client), true)
    }

    fn attempt(
        &self,
        staff: &[Staff],
        id: &str,
        password: &str,
        now: Ts,
        client: Option<IpAddr>,
        bounded_wait: bool,
    ) -> Result<(String, Ts, Staff), Refusal> {
        let address = client.map(address_bucket);
        // Counted before checked, under one lock: the attempt takes its place first.
        {
            let mut a = lock(&self.attempts);
            if let Some(minutes) = address.and_then(|ad| a.addresses.locked(&ad, now)) {
                return Err(Refusal::AddressLocked(minutes));
            }
            if !valid_staff_id(id) {
                if let Some(ad) = address {
                    a.addresses.add(ad, now);
                }
                return Err(Refusal::Wrong);
            }
            if let Some(minutes) = a.ids.locked(id, now) {
                return Err(Refusal::Locked(minutes));
            }
            a.ids.add(id.to_string(), now);
            if let Some(ad) = address {
                a.addresses.add(ad, now);
            }
        }
        let Some(turn) = self.gate.enter(&self.limits, bounded_wait) else {
            // Not checked: the attempt gives its place back.
            let mut a = lock(&self.attempts);
            a.ids.take_back(id, now);
            if let Some(ad) = address {
                a.addresses.take_back(&ad, now);
            }
            return Err(Refusal::Busy);
        };
        let dummy = self.dummy_for(staff);
        let person = staff.iter().find(|s| s.id == id).filter(|s| PasswordHash::new(&s.password).is_ok());
        let matches = self.verify(person.map_or(dummy.as_str(), |p| p.password.as_str()), password);
        drop(turn);
        let Some(person) = person.filter(|_| matches) else {
            if let Some(ad) = address {
                if lock(&self.attempts).addresses.count(&ad) == ADDRESS_MAX_FAILURES {
                    tracing::warn!(
                        "staff sign-in from {ad} paused for {ADDRESS_LOCK_MINUTES} minutes after {ADDRESS_MAX_FAILURES} failures"
                    );
                }
            }
            return Err(Refusal::Wrong);
        };
        {
            let mut a = lock(&self.attempts);
            a.ids.clear(id);
            if let Some(ad) = address {
                a.addresses.take_back(&ad, now);
            }
        }
        let (token, expires) = self.issue(person, now);
        Ok((token, expires, person.clone()))
    }

    /// One Argon2 verification, counted.
    fn verify(&self, phc: &str, password: &str) -> bool {
        self.checks.fetch_add(1, Ordering::SeqCst);
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_running.fetch_max(running, Ordering::SeqCst);
        let ok = PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        self.running.fetch_sub(1, Ordering::SeqCst);
        ok
    }

    /// A hash of a random password with the algorithm, version and parameters of the first
    /// configured hash (Argon2's defaults without staff), made once per parameters.
    fn dummy_for(&self, staff: &[Staff]) -> String {
        let model = staff.iter().find_map(|s| PasswordHash::new(&s.password).ok());
        let key = model.as_ref().map(|h| format!("{}${:?}${}", h.algorithm, h.version, h.params)).unwrap_or_default();
        let mut cache = lock(&self.dummy);
        if let Some((k, phc)) = cache.as_ref() {
            if *k == key {
                return phc.clone();
            }
        }
        let secret = hex::encode(rand::random::<[u8; 16]>());
        let salt = SaltString::generate(&mut OsRng);
        let made = model
            .as_ref()
            .and_then(|h| {
                let params = argon2::Params::try_from(h).ok()?;
                Argon2::default().hash_password_customized(secret.as_bytes(), Some(h.algorithm), h.version, params, &salt).ok()
            })
            .map(|h| h.to_string())
            .unwrap_or_else(|| hash_password(&secret));
        *cache = Some((key, made.clone()));
        made
    }

    fn mac(&self, body: &str, password_hash: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        mac.update(b"\0");
        mac.update(&Sha256::digest(password_hash.as_bytes()));
        mac
    }

    fn issue(&self, p: &Staff, now: Ts) -> (String, Ts) {
        let expires = now + chrono::Duration::hours(SESSION_HOURS);
        let body = format!("staff.{}.{}.{}", p.id, expires.timestamp(), hex::encode(rand::random::<[u8; 8]>()));
        let sig = hex::encode(self.mac(&body, &p.password).finalize().into_bytes());
        (format!("{body}.{sig}"), expires)
    }

    /// The person, the signed body and the expiry of a genuine, unexpired token of a person
    /// in `staff` whose password hash is still the one it was issued under (signed-out or
    /// not).
    fn genuine<'a, 't>(&self, staff: &'a [Staff], token: &'t str, now: Ts) -> Option<(&'a Staff, &'t str, i64)> {
        let (body, sig) = token.rsplit_once('.')?;
        let mut parts = body.split('.');
        let (kind, id, exp, _nonce) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if kind != "staff" || parts.next().is_some() {
            return None;
        }
        let sig = hex::decode(sig).ok()?;
        let person = staff.iter().find(|s| s.id == id);
        // Compared in constant time (and computed for unknown numbers too).
        let mac = self.mac(body, person.map_or("", |p| p.password.as_str()));
        let genuine = mac.verify_slice(&sig).is_ok();
        let person = person.filter(|_| genuine)?;
        let exp = exp.parse::<i64>().ok()?;
        (exp > now.timestamp()).then_some((person, body, exp))
    }

    /// The member of staff a session token belongs to, if it is genuine, unexpired, not
    /// signed out, and the person is still in the configuration with the same password hash.
    pub fn check<'a>(&self, staff: &'a [Staff], token: &str, now: Ts) -> Option<&'a Staff> {
        let (person, body, exp) = self.genuine(staff, token, now)?;
        let ended = self.signouts.read().unwrap_or_else(|p| p.into_inner()).ends(body, &person.id, exp);
        (!ended).then_some(person)
    }

    /// Ends the session of `token`: `Ok(Some(person))` when it was a genuine session (also
    /// when already signed out), `Ok(None)` when it is not one (forged, expired, the person
    /// removed or their password changed: nothing to end). The sign-out holds at once; an
    /// error says it is not yet in the data directory (it would not survive a restart), and
    /// the same sign-out again retries the write. Writes a file: call it on a blocking
    /// thread.
    pub fn sign_out<'a>(&self, staff: &'a [Staff], token: &str, now: Ts) -> std::io::Result<Option<&'a Staff>> {
        let Some((person, body, exp)) = self.genuine(staff, token, now) else {
            return Ok(None);
        };
        let mut behind = lock(&self.file_behind);
        {
            let mut list = self.signouts.write().unwrap_or_else(|p| p.into_inner());
            if list.ends(body, &person.id, exp) && !*behind {
                return Ok(Some(person));
            }
            list.drop_expired(now.timestamp());
            if list.tokens.len() < self.limits.max_signouts {
                list.tokens.insert(signout_key(body), exp);
            } else {
                // Full: end every session of this person begun until now.
                tracing::warn!("staff sign-out list full; ending all sessions of {}", person.id);
                let t = list.people.entry(person.id.clone()).or_insert(0);
                *t = (*t).max(now.timestamp());
            }
        }
        *behind = true;
        self.persist()?;
        *behind = false;
        Ok(Some(person))
    }

    /// Writes the sign-out list to its file, if it has one: a new file beside it, 0600,
    /// synced, renamed over it.
    fn persist(&self) -> std::io::Result<()> {
        let Some(path) = &self.signouts_file else { return Ok(()) };
        let bytes = serde_json::to_vec_pretty(&*self.signouts.read().unwrap_or_else(|p| p.into_inner()))?;
        crate::config::live::write_durably(path, &bytes)
    }
}

/// What the sign-out list remembers of a token: a digest of its signed body (the file holds
/// no usable token).
fn signout_key(body: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"hallq staff sign-out\0");
    h.update(body.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Ended sessions, as kept in [`SIGNOUTS_FILE`].
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Signouts {
    /// Signed-out tokens ([`signout_key`]) → their expiry (unix seconds), when they are
    /// dropped.
    #[serde(default)]
    tokens: BTreeMap<String, i64>,
    /// Staff number → every session of theirs begun at or before this time is ended.
    #[serde(default)]
    people: BTreeMap<String, i64>,
    /// Every session begun at or before this time is ended (the list was lost).
    #[serde(default)]
    everyone_until: Option<i64>,
}

impl Signouts {
    fn ends(&self, body: &str, id: &str, exp: i64) -> bool {
        let begun = exp - SESSION_HOURS * 3600;
        self.everyone_until.is_some_and(|t| begun <= t)
            || self.people.get(id).is_some_and(|t| begun <= *t)
            || self.tokens.contains_key(&signout_key(body))
    }

    /// Forgets what only concerns tokens expired by `now`.
    fn drop_expired(&mut self, now: i64) {
        let session = SESSION_HOURS * 3600;
        self.tokens.retain(|_, exp| *exp > now);
        self.people.retain(|_, t| *t + session > now);
        self.everyone_until = self.everyone_until.filter(|t| *t + session > now);
    }
}

/// The two attempt tables; one lock for both, so an attempt is counted in both at once.
struct Attempts {
    ids: Tally<String>,
    addresses: Tally<IpAddr>,
}

impl Attempts {
    fn new(cap: usize) -> Attempts {
        Attempts {
            ids: Tally::new(MAX_FAILURES, LOCK_MINUTES, cap),
            addresses: Tally::new(ADDRESS_MAX_FAILURES, ADDRESS_LOCK_MINUTES, cap),
        }
    }
}

/// Failures (and attempts being checked) per key within a sliding window; `limit` of them
/// lock the key until the oldest that counts leaves the window. At most `cap` keys.
struct Tally<K> {
    map: HashMap<K, Vec<Ts>>,
    limit: usize,
    span: chrono::Duration,
    cap: usize,
}

impl<K: Eq + Hash + Clone> Tally<K> {
    fn new(limit: usize, minutes: i64, cap: usize) -> Tally<K> {
        Tally { map: HashMap::new(), limit, span: chrono::Duration::minutes(minutes), cap: cap.max(2) }
    }

    /// The minutes left of `key`'s lock, if it is locked (forgetting its old entries).
    fn locked<Q: Eq + Hash + ?Sized>(&mut self, key: &Q, now: Ts) -> Option<i64>
    where
        K: Borrow<Q>,
    {
        let span = self.span;
        let list = self.map.get_mut(key)?;
        list.retain(|t| now - *t < span);
        if list.is_empty() {
            self.map.remove(key);
            return None;
        }
        if list.len() < self.limit {
            return None;
        }
        let until = list[list.len() - self.limit] + span;
        Some((((until - now).num_seconds() + 59) / 60).max(1))
    }

    fn add(&mut self, key: K, now: Ts) {
        if !self.map.contains_key(&key) && self.map.len() >= self.cap {
            self.evict(now);
        }
        self.map.entry(key).or_default().push(now);
    }

    /// Removes one entry made at `at` (an attempt that was not checked, or succeeded).
    fn take_back<Q: Eq + Hash + ?Sized>(&mut self, key: &Q, at: Ts)
    where
        K: Borrow<Q>,
    {
        if let Some(list) = self.map.get_mut(key) {
            if let Some(i) = list.iter().rposition(|t| *t == at) {
                list.remove(i);
            }
            if list.is_empty() {
                self.map.remove(key);
            }
        }
    }

    fn clear<Q: Eq + Hash + ?Sized>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.map.remove(key);
    }

    fn count<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map_or(0, Vec::len)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }

    /// Makes room: forgets expired entries; if still nine tenths full, forgets the keys that
    /// are not locked, oldest last attempt first, then locked ones likewise, down to nine
    /// tenths (so this runs at most once per tenth of `cap` new keys).
    fn evict(&mut self, now: Ts) {
        let span = self.span;
        self.map.retain(|_, list| {
            list.retain(|t| now - *t < span);
            !list.is_empty()
        });
        let keep = self.cap - self.cap / 10;
        if self.map.len() <= keep.min(self.cap - 1) {
            return;
        }
        let limit = self.limit;
        let mut order: Vec<(bool, Ts, K)> =
            self.map.iter().map(|(k, list)| (list.len() >= limit, *list.iter().max().expect("no empty lists"), k.clone())).collect();
        let excess = self.map.len() - keep.min(self.cap - 1);
        order.select_nth_unstable_by(excess - 1, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, k) in order.into_iter().take(excess) {
            self.map.remove(&k);
        }
    }
}

/// At most `at_once` Argon2 checks; a bounded number of callers wait for a turn.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    freed: Condvar,
}

#[derive(Default)]
struct GateState {
    running: usize,
    waiting: usize,
}

struct Turn<'a>(&'a Gate);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).running -= 1;
        self.0.freed.notify_one();
    }
}

impl Gate {
    /// A turn, waiting for one; `None` (busy) when `bounded` and too many wait already, or
    /// the wait passes `max_wait`.
    fn enter(&self, limits: &Limits, bounded: bool) -> Option<Turn<'_>> {
        let mut s = lock(&self.state);
        if s.running < limits.at_once && s.waiting == 0 {
            s.running += 1;
            return Some(Turn(self));
        }
        if bounded && s.waiting >= limits.max_waiting {
            return None;
        }
        s.waiting += 1;
        let deadline = Instant::now() + limits.max_wait;
        loop {
            if s.running < limits.at_once {
                s.waiting -= 1;
                s.running += 1;
                return Some(Turn(self));
            }
            if bounded {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    s.waiting -= 1;
                    // Another waiter may take the turn this one leaves.
                    self.freed.notify_one();
                    return None;
                }
                s = self.freed.wait_timeout(s, left).unwrap_or_else(|p| p.into_inner()).0;
            } else {
                s = self.freed.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.state).waiting
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::{Arc, Barrier};

    use super::*;

    fn now() -> Ts {
        chrono::DateTime::parse_from_rfc3339("2026-11-27T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc)
    }

    fn minutes(m: i64) -> chrono::Duration {
        chrono::Duration::minutes(m)
    }

    fn staff() -> Vec<Staff> {
        vec![Staff {
            id: "1001".into(),
            name: "张丽".into(),
            password: hash_password("correct horse"),
            windows: vec![1, 2],
            role: crate::config::Role::Counter,
        }]
    }

    /// Argon2 as cheap as it goes, for tests that sign in thousands of times.
    fn cheap_hash(password: &str) -> String {
        let params = argon2::Params::new(8, 1, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    fn cheap_staff() -> Vec<Staff> {
        vec![
            Staff {
                id: "1001".into(),
                name: "张丽".into(),
                password: cheap_hash("correct horse"),
                windows: vec![1, 2],
                role: crate::config::Role::Counter,
            },
            Staff {
                id: "1002".into(),
                name: "王强".into(),
                password: cheap_hash("battery staple"),
                windows: vec![3],
                role: crate::config::Role::Counter,
            },
        ]
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const A: &str = "192.168.1.10";

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
        let mut two = staff.clone();
        two.push(Staff { id: "1002".into(), ..staff[0].clone() });
        assert!(s.check(&two, &forged, now()).is_none(), "even with the same password hash");
        let later = tok.replacen(&exp.timestamp().to_string(), &(exp.timestamp() + 86400).to_string(), 1);
        assert!(s.check(&staff, &later, now()).is_none());
        for bad in ["", "staff", "staff.1001", "staff.1001.1.2.3.4", &tok[..tok.len() - 2], &tok.replace("staff.", "kiosk.")] {
            assert!(s.check(&staff, bad, now()).is_none(), "{bad}");
        }
        // Removed from the configuration: the token stops working.
        assert!(s.check(&[], &tok, now()).is_none());
        // Each sign-in is a session of its own.
        let (again, ..) = s.sign_in(&staff, "1001", "correct horse", now()).unwrap();
        assert_ne!(again, tok);
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
        let later = now() + minutes(LOCK_MINUTES);
        assert!(s.sign_in(&staff, "1001", "correct horse", later).is_ok(), "unlocked after the lock time");
    }

    #[test]
    fn unknown_numbers_lock_like_known_ones_and_a_success_clears_the_number() {
        let s = Sessions::new(b"k");
        let staff = cheap_staff();
        for _ in 0..MAX_FAILURES {
            assert_eq!(s.sign_in_from(&staff, "9999", "x", now(), ip(A)).err(), Some(Refusal::Wrong));
        }
        assert_eq!(s.sign_in_from(&staff, "9999", "x", now(), ip(A)).err(), Some(Refusal::Locked(LOCK_MINUTES)));
        for _ in 0..MAX_FAILURES - 1 {
            s.sign_in_from(&staff, "1001", "wrong", now(), ip(A)).unwrap_err();
        }
        s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(s.sign_in_from(&staff, "1001", "wrong", now(), ip("10.0.0.1")).err(), Some(Refusal::Wrong), "counted afresh");
        }
        // The lock ends when the oldest failure that counts is LOCK_MINUTES old.
        assert_eq!(
            s.sign_in_from(&staff, "1001", "correct horse", now() + minutes(3), ip(A)).err(),
            Some(Refusal::Locked(LOCK_MINUTES - 3))
        );
    }

    #[test]
    fn forty_concurrent_wrong_passwords_are_checked_at_most_five_times() {
        let s = Arc::new(Sessions::new(b"k"));
        let staff = Arc::new(staff());
        let start = Arc::new(Barrier::new(40));
        let answers: Vec<Refusal> = (0..40)
            .map(|i| {
                let (s, staff, start) = (s.clone(), staff.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    s.sign_in_from(&staff, "1001", &format!("guess {i}"), now(), ip(A)).unwrap_err()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(s.argon2_checks(), MAX_FAILURES as u64, "{answers:?}");
        assert_eq!(answers.iter().filter(|a| **a == Refusal::Wrong).count(), MAX_FAILURES);
        assert_eq!(answers.iter().filter(|a| **a == Refusal::Locked(LOCK_MINUTES)).count(), 40 - MAX_FAILURES);
        assert!(s.most_running.load(Ordering::SeqCst) <= ARGON2_AT_ONCE);
        assert_eq!(s.sign_in_from(&staff, "1001", "correct horse", now(), ip("10.0.0.2")).err(), Some(Refusal::Locked(LOCK_MINUTES)));
        assert_eq!(s.argon2_checks(), MAX_FAILURES as u64);
    }

    #[test]
    fn too_many_failures_from_one_address_lock_the_address() {
        let s = Sessions::new(b"k");
        let staff = cheap_staff();
        // One wrong password for each of many numbers: no number is locked, the address is.
        for i in 0..ADDRESS_MAX_FAILURES - 1 {
            assert_eq!(s.sign_in_from(&staff, &format!("{}", 3000 + i), "x", now(), ip(A)).err(), Some(Refusal::Wrong));
        }
        // A success from the address does not wipe its failures.
        s.sign_in_from(&staff, "1002", "battery staple", now(), ip(A)).unwrap();
        assert_eq!(s.sign_in_from(&staff, "not.a-number", "x", now(), ip(A)).err(), Some(Refusal::Wrong), "malformed numbers count too");
        let checks = s.argon2_checks();
        let t = now() + minutes(1);
        assert_eq!(s.sign_in_from(&staff, "1001", "correct horse", t, ip(A)).err(), Some(Refusal::AddressLocked(ADDRESS_LOCK_MINUTES - 1)));
        assert_eq!(s.argon2_checks(), checks, "a locked address costs no Argon2");
        assert_eq!(Refusal::AddressLocked(9).code(), Refusal::Locked(9).code(), "the same kind of answer");
        // Other addresses are not affected; the address is free again after the lock time.
        s.sign_in_from(&staff, "1001", "correct horse", t, ip("192.168.1.11")).unwrap();
        s.sign_in_from(&staff, "1001", "correct horse", now() + minutes(ADDRESS_LOCK_MINUTES), ip(A)).unwrap();
        // The old entry point (no address) only throttles numbers.
        assert!(s.sign_in(&staff, "1001", "correct horse", t).is_ok());
    }

    #[test]
    fn addresses_are_throttled_by_ipv4_or_ipv6_64() {
        assert_eq!(address_bucket(ip("::ffff:192.168.1.10")), ip(A));
        assert_eq!(address_bucket(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), ip("2001:db8:1:2::"));
        let s = Sessions::new(b"k");
        let staff = cheap_staff();
        for i in 0..ADDRESS_MAX_FAILURES as u16 {
            let addr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, i, i, i));
            s.sign_in_from(&staff, &format!("{}", 3000 + i), "x", now(), addr).unwrap_err();
        }
        assert!(matches!(s.sign_in_from(&staff, "1001", "correct horse", now(), ip("2001:db8:1:2::99")), Err(Refusal::AddressLocked(_))));
        assert!(s.sign_in_from(&staff, "1001", "correct horse", now(), ip("2001:db8:1:3::99")).is_ok());
    }

    #[test]
    fn unknown_numbers_cost_one_argon2_check_with_the_configured_parameters() {
        let s = Sessions::new(b"k");
        let staff = cheap_staff();
        s.sign_in_from(&staff, "1001", "wrong", now(), ip(A)).unwrap_err();
        assert_eq!(s.argon2_checks(), 1);
        s.sign_in_from(&staff, "9999", "wrong", now(), ip(A)).unwrap_err();
        assert_eq!(s.argon2_checks(), 2, "an unknown number is checked like a known one");
        s.sign_in_from(&staff, "1002", "battery staple", now(), ip(A)).unwrap();
        assert_eq!(s.argon2_checks(), 3);
        // The dummy hash copies the configured algorithm, version and parameters.
        let dummy = lock(&s.dummy).as_ref().unwrap().1.clone();
        let (d, real) = (PasswordHash::new(&dummy).unwrap(), PasswordHash::new(&staff[0].password).unwrap());
        assert_eq!((d.algorithm, d.version, d.params.to_string()), (real.algorithm, real.version, real.params.to_string()));
        assert_ne!(d.salt, real.salt);
        // The same with the default parameters, and with no staff at all.
        let default = super::tests::staff();
        s.sign_in_from(&default, "9999", "wrong", now(), ip(A)).unwrap_err();
        let dummy = lock(&s.dummy).as_ref().unwrap().1.clone();
        assert_eq!(
            PasswordHash::new(&dummy).unwrap().params.to_string(),
            PasswordHash::new(&default[0].password).unwrap().params.to_string()
        );
        assert_eq!(s.sign_in_from(&[], "1001", "correct horse", now(), ip(A)).err(), Some(Refusal::Wrong));
        assert_eq!(s.argon2_checks(), 5);
        // A number that cannot be one never reaches Argon2.
        for bad in ["", "1001 ", "工号", "a.b", &"9".repeat(MAX_STAFF_ID_LEN + 1)] {
            assert_eq!(s.sign_in_from(&staff, bad, "x", now(), ip("10.1.1.1")).err(), Some(Refusal::Wrong), "{bad:?}");
        }
        assert_eq!(s.argon2_checks(), 5);
    }

    #[test]
    fn known_and_unknown_numbers_take_comparable_time() {
        let s = Sessions::new(b"k");
        let staff = staff();
        s.sign_in(&staff, "1001", "correct horse", now()).unwrap(); // makes the dummy
        let median = |id: &str, i: usize| {
            let mut times: Vec<Duration> = (0..5)
                .map(|j| {
                    let t = Instant::now();
                    // Fresh numbers and addresses, so no lock interferes.
                    let addr = IpAddr::V4(Ipv4Addr::new(10, 9, i as u8, j as u8));
                    s.sign_in_from(&staff, id, "wrong", now() + minutes(11 * (j as i64 + 1)), addr).unwrap_err();
                    t.elapsed()
                })
                .collect();
            times.sort();
            times[2]
        };
        let (known, unknown) = (median("1001", 1), median("9999", 2));
        assert!(unknown * 3 > known && known * 3 > unknown, "known {known:?}, unknown {unknown:?}");
    }

    #[test]
    fn at_most_two_checks_run_at_once() {
        let s = Arc::new(Sessions::new(b"k"));
        let staff = Arc::new(staff());
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (s, staff, start) = (s.clone(), staff.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    s.sign_in_from(&staff, &format!("{}", 5000 + u32::from(i)), "x", now(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)))
                        .unwrap_err()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), Refusal::Wrong, "8 waiters fit in the queue");
        }
        assert_eq!(s.argon2_checks(), 8);
        let most = s.most_running.load(Ordering::SeqCst);
        assert!((1..=ARGON2_AT_ONCE).contains(&most), "{most} at once");
    }

    #[test]
    fn callers_past_the_waiting_bound_are_told_busy_and_not_counted() {
        let mut s = Sessions::new(b"k");
        s.limits.max_waiting = 3;
        let s = Arc::new(s);
        let staff = Arc::new(cheap_staff());
        // Both turns taken (as by two slow checks).
        let turns = [s.gate.enter(&s.limits, true).unwrap(), s.gate.enter(&s.limits, true).unwrap()];
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let (s, staff) = (s.clone(), staff.clone());
                std::thread::spawn(move || s.sign_in_from(&staff, "1001", "correct horse", now(), IpAddr::V4(Ipv4Addr::new(10, 0, 1, i))))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while s.gate.waiting() < 3 {
            assert!(Instant::now() < deadline, "the waiters queue");
            std::thread::sleep(Duration::from_millis(5));
        }
        for _ in 0..MAX_FAILURES + 1 {
            assert_eq!(s.sign_in_from(&staff, "1002", "battery staple", now(), ip(A)).err(), Some(Refusal::Busy));
        }
        assert_eq!(lock(&s.attempts).ids.count(&"1002".to_string()), 0, "a busy answer gives the attempt back");
        assert_eq!(lock(&s.attempts).addresses.count(&ip(A)), 0);
        assert_eq!(s.argon2_checks(), 0);
        drop(turns);
        for w in waiters {
            assert!(w.join().unwrap().is_ok(), "the waiters get their turn");
        }
        s.sign_in_from(&staff, "1002", "battery staple", now(), ip(A)).unwrap();
        assert_eq!(s.argon2_checks(), 4);
    }

    #[test]
    fn a_wait_past_the_deadline_is_busy() {
        let mut s = Sessions::new(b"k");
        s.limits.max_wait = Duration::from_millis(100);
        let staff = cheap_staff();
        let turns = [s.gate.enter(&s.limits, true).unwrap(), s.gate.enter(&s.limits, true).unwrap()];
        let t = Instant::now();
        assert_eq!(s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).err(), Some(Refusal::Busy));
        assert!(t.elapsed() >= Duration::from_millis(100));
        assert_eq!(s.gate.waiting(), 0);
        drop(turns);
        s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
    }

    #[test]
    fn a_hundred_thousand_random_numbers_leave_the_tables_bounded() {
        let s = Sessions::new(b"k");
        let staff = cheap_staff();
        // A locked number stays locked through the flood.
        for _ in 0..MAX_FAILURES {
            s.sign_in_from(&staff, "1001", "wrong", now(), ip("10.255.255.255")).unwrap_err();
        }
        for i in 0u32..100_000 {
            let id = format!("{:x}", rand::random::<u128>());
            let addr = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(
                s.sign_in_from(&staff, &id, "x", now() + chrono::Duration::milliseconds(i.into()), addr).err(),
                Some(Refusal::Wrong)
            );
            let a = lock(&s.attempts);
            assert!(a.ids.len() <= MAX_TRACKED && a.addresses.len() <= MAX_TRACKED, "{} ids, {} addresses", a.ids.len(), a.addresses.len());
        }
        assert_eq!(s.argon2_checks(), 100_000 + MAX_FAILURES as u64);
        assert!(matches!(s.sign_in_from(&staff, "1001", "correct horse", now() + minutes(2), ip(A)), Err(Refusal::Locked(_))));
        // A long number never reaches the table.
        let before = lock(&s.attempts).ids.len();
        assert_eq!(s.sign_in_from(&staff, &"7".repeat(16 * 1024), "x", now() + minutes(2), ip(A)).err(), Some(Refusal::Wrong));
        assert_eq!(lock(&s.attempts).ids.len(), before);
        assert!(lock(&s.attempts).ids.map.keys().all(|k| k.len() <= MAX_STAFF_ID_LEN));
    }

    #[test]
    fn eviction_forgets_expired_entries_first() {
        let mut t: Tally<u32> = Tally::new(3, 10, 10);
        for k in 0..10 {
            t.add(k, now());
        }
        for _ in 0..3 {
            t.add(0, now());
        }
        // Full: a new key evicts the oldest unlocked ones, never the locked one.
        t.add(100, now() + minutes(1));
        assert!(t.len() <= 10);
        assert!(t.locked(&0, now() + minutes(1)).is_some());
        // Later, when full, the expired entries go and the rest stay.
        t.add(300, now() + minutes(10));
        assert_eq!(t.len(), 2);
        assert_eq!(t.count(&100), 1);
        assert!(t.locked(&0, now() + minutes(10)).is_none());
    }

    #[test]
    fn sign_out_ends_that_session_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sessions::open(b"k", dir.path(), now());
        let staff = cheap_staff();
        let (a, ..) = s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
        let (b, ..) = s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
        assert_eq!(s.sign_out(&staff, &a, now()).unwrap().map(|p| p.id.as_str()), Some("1001"));
        assert!(s.check(&staff, &a, now()).is_none());
        assert!(s.check(&staff, &b, now()).is_some(), "the other terminal's session goes on");
        assert!(s.sign_out(&staff, &a, now()).unwrap().is_some(), "signing out again is fine");
        // Not a session: nothing to end, nothing remembered.
        let forged = b.replacen("1001", "1002", 1);
        assert!(s.sign_out(&staff, &forged, now()).unwrap().is_none());
        assert!(s.sign_out(&staff, "staff.1001.1.2.3", now()).unwrap().is_none());
        let text = std::fs::read_to_string(dir.path().join(SIGNOUTS_FILE)).unwrap();
        let list: Signouts = serde_json::from_str(&text).unwrap();
        assert_eq!(list.tokens.len(), 1);
        assert!(!text.contains(a.rsplit_once('.').unwrap().1), "the file holds no token");
    }

    #[test]
    fn a_sign_out_survives_a_restart_and_expired_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let staff = cheap_staff();
        let (first, second) = {
            let s = Sessions::open(b"k", dir.path(), now());
            let (t1, ..) = s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
            let (t2, ..) = s.sign_in_from(&staff, "1002", "battery staple", now() + chrono::Duration::hours(6), ip(A)).unwrap();
            s.sign_out(&staff, &t1, now() + minutes(1)).unwrap().unwrap();
            (t1, t2)
        };
        let file = dir.path().join(SIGNOUTS_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let s = Sessions::open(b"k", dir.path(), now() + minutes(2));
        assert!(s.check(&staff, &first, now() + minutes(2)).is_none(), "still signed out after a restart");
        assert!(s.check(&staff, &second, now() + minutes(2)).is_some());
        // Once the first token has expired, the next write forgets it.
        let later = now() + chrono::Duration::hours(SESSION_HOURS) + minutes(1);
        s.sign_out(&staff, &second, later).unwrap().unwrap();
        let list: Signouts = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(list.tokens.len(), 1, "{list:?}");
        assert!(Sessions::open(b"k", dir.path(), later).check(&staff, &second, later).is_none());
        assert!(!dir.path().join("staff-signouts.json.new").exists());
    }

    #[test]
    fn a_password_change_or_removal_ends_the_persons_sessions() {
        let s = Sessions::new(b"k");
        let mut staff = cheap_staff();
        let (t1, ..) = s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
        let (t2, ..) = s.sign_in_from(&staff, "1002", "battery staple", now(), ip(A)).unwrap();
        // Name and windows may change: the session follows the configuration.
        staff[0].windows = vec![7];
        staff[0].name = "张丽丽".into();
        assert_eq!(s.check(&staff, &t1, now()).unwrap().windows, [7]);
        // A new password (even the same one hashed again) ends it.
        staff[0].password = cheap_hash("correct horse");
        assert!(s.check(&staff, &t1, now()).is_none());
        assert!(s.sign_out(&staff, &t1, now()).unwrap().is_none());
        assert!(s.check(&staff, &t2, now()).is_some());
        // Removal ends it.
        staff.remove(1);
        assert!(s.check(&staff, &t2, now()).is_none());
    }

    #[test]
    fn a_damaged_sign_out_list_ends_every_earlier_session() {
        let dir = tempfile::tempdir().unwrap();
        let staff = cheap_staff();
        let s = Sessions::open(b"k", dir.path(), now());
        let (old, ..) = s.sign_in_from(&staff, "1001", "correct horse", now(), ip(A)).unwrap();
        std::fs::write(dir.path().join(SIGNOUTS_FILE), b"{not json").unwrap();
        let t = now() + minutes(5);
        let s = Sessions::open(b"k", dir.path(), t);
        assert!(s.check(&staff, &old, t).is_none());
        let (new, ..) = s.sign_in_from(&staff, "1001", "correct horse", t + chrono::Duration::seconds(1), ip(A)).unwrap();
        assert!(s.check(&staff, &new, t + chrono::Duration::seconds(1)).is_some());
        // The list was rewritten saying so; the damaged one is kept aside.
        let again = Sessions::open(b"k", dir.path(), t + minutes(1));
        assert!(again.check(&staff, &old, t + minutes(1)).is_none());
        assert!(again.check(&staff, &new, t + minutes(1)).is_some());
        assert!(dir.path().join("staff-signouts.json.damaged").exists());
    }

    #[test]
    fn a_full_sign_out_list_ends_all_the_persons_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sessions::open(b"k", dir.path(), now());
        s.limits.max_signouts = 2;
        let staff = cheap_staff();
        let sign_in = |id: &str, pw: &str| s.sign_in_from(&staff, id, pw, now(), ip(A)).unwrap().0;
        let (a, b, c, d) = (
            sign_in("1001", "correct horse"),
            sign_in("1001", "correct horse"),
            sign_in("1001", "correct horse"),
            sign_in("1001", "correct horse"),
        );
        let other = sign_in("1002", "battery staple");
        s.sign_out(&staff, &a, now()).unwrap().unwrap();
        s.sign_out(&staff, &b, now()).unwrap().unwrap();
        assert!(s.check(&staff, &c, now()).is_some());
        s.sign_out(&staff, &c, now()).unwrap().unwrap();
        assert!(s.check(&staff, &c, now()).is_none() && s.check(&staff, &d, now()).is_none(), "all of 1001's sessions end");
        assert!(s.check(&staff, &other, now()).is_some());
        let s = Sessions::open(b"k", dir.path(), now());
        assert!(s.check(&staff, &d, now()).is_none());
        let later = now() + minutes(1);
        let (e, ..) = s.sign_in_from(&staff, "1001", "correct horse", later, ip(A)).unwrap();
        assert!(s.check(&staff, &e, later).is_some(), "a new sign-in works");
    }

    #[test]
    fn refusals_have_a_code_and_a_message() {
        assert_eq!(Refusal::Wrong.code(), ErrorCode::WrongPassword);
        assert_eq!(Refusal::Locked(3).code(), ErrorCode::SigninLocked);
        assert_eq!(Refusal::AddressLocked(3).code(), ErrorCode::SigninLocked);
        assert_eq!(Refusal::Busy.code(), ErrorCode::ServiceBusy);
        assert!(Refusal::Locked(3).message().contains("3 分钟"));
        assert!(Refusal::AddressLocked(4).message().contains("4 分钟"));
    }
}
