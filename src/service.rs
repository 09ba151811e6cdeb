//! The hall service runtime: one writer thread owns the engine state and the event log;
//! everyone else submits commands to it and reads a view that only ever shows what is
//! durable.
//!
//! The writer takes commands in batches: it runs each through the engine, appends all the
//! batch's events in one SQLite transaction (one fsync), and only after the commit updates
//! the read view, publishes the events and answers the callers.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::api::Published;
use crate::config::Config;
use crate::engine::{self, Command, Event, Outcome, Rejection, State, Ticket, Ts};
use crate::store::{self, Record, Store, StoreError};

/// Where the service gets the time. Business hours are rules of the engine, so the demo
/// and the tests run the hall on a clock they control.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Ts;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Ts {
        Utc::now()
    }
}

/// A clock that starts at a chosen instant and runs `speed` times faster than real time.
/// The demo moves it forward over the night.
pub struct SimClock {
    origin: Mutex<(Instant, Ts)>,
    speed: f64,
}

impl SimClock {
    pub fn new(origin: Ts, speed: f64) -> SimClock {
        SimClock { origin: Mutex::new((Instant::now(), origin)), speed }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Moves the clock to `to` if that is later than now; it runs on from there.
    pub fn advance_to(&self, to: Ts) {
        let mut o = self.origin.lock().unwrap_or_else(|p| p.into_inner());
        let now = Self::at(&o, self.speed);
        if to > now {
            *o = (Instant::now(), to);
        }
    }

    fn at(origin: &(Instant, Ts), speed: f64) -> Ts {
        let real = origin.0.elapsed().as_secs_f64() * speed;
        origin.1 + chrono::Duration::microseconds((real * 1e6) as i64)
    }

    /// Parses `RFC3339[@SPEED]`, such as `2026-11-27T09:00:00+08:00@60`.
    pub fn parse(spec: &str) -> Result<SimClock, String> {
        let (when, speed) = match spec.rsplit_once('@') {
            Some((w, s)) => (w, s.parse::<f64>().map_err(|_| format!("speed \"{s}\" is not a number"))?),
            None => (spec, 1.0),
        };
        if !(speed > 0.0 && speed <= 10_000.0) {
            return Err("speed must be above 0 and at most 10000".into());
        }
        let origin = DateTime::parse_from_rfc3339(when)
            .map_err(|e| format!("\"{when}\" is not a time like 2026-11-27T09:00:00+08:00: {e}"))?
            .with_timezone(&Utc);
        Ok(SimClock::new(origin, speed))
    }
}

impl Clock for SimClock {
    fn now(&self) -> Ts {
        Self::at(&self.origin.lock().unwrap_or_else(|p| p.into_inner()), self.speed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("服务暂时无法保存数据，请稍后重试；如持续出现请联系管理员。({0})")]
    Store(String),
    #[error("服务正在停止，请稍后重试。")]
    Stopped,
}

/// What an accepted command produced.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub outcome: Outcome,
    pub records: Vec<Record>,
}

enum Job {
    Command(Command, oneshot::Sender<Result<Accepted, ServiceError>>),
    /// A new configuration, already validated and saved: swapped in between commands and
    /// logged as `config_changed`.
    SetConfig(Arc<Config>, Command, oneshot::Sender<Result<Accepted, ServiceError>>),
    Stop(oneshot::Sender<()>),
}

/// The read view: what is durable, for readers.
pub struct View {
    pub state: State,
    /// The newest calls and recalls, newest last.
    pub recent_calls: VecDeque<Record>,
}

const RECENT_CALLS: usize = 30;

struct Inner {
    config: std::sync::RwLock<Arc<Config>>,
    clock: Arc<dyn Clock>,
    jobs: mpsc::Sender<Job>,
    view: RwLock<View>,
    events: broadcast::Sender<Arc<Published>>,
    last_seq: AtomicU64,
    db_path: PathBuf,
    identity_key: Vec<u8>,
    documents: Arc<crate::documents::Documents>,
    sessions: Arc<crate::staff::Sessions>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    metrics: crate::metrics::Metrics,
    alerts: Arc<crate::alerts::Alerts>,
}

/// A handle to the running hall service. Cheap to clone.
#[derive(Clone)]
pub struct Hall {
    inner: Arc<Inner>,
}

/// A handle that does not keep the service alive, for its background threads.
#[derive(Clone)]
pub struct WeakHall(std::sync::Weak<Inner>);

impl WeakHall {
    pub fn upgrade(&self) -> Option<Hall> {
        self.0.upgrade().map(|inner| Hall { inner })
    }
}

/// Reads or creates the key for hashing ID numbers (`DIR/identity.key`, 32 random bytes,
/// readable by the service's user only).
fn identity_key(dir: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    let path = dir.join("identity.key");
    match std::fs::read(&path) {
        Ok(k) if k.len() >= 32 => Ok(k),
        Ok(_) => anyhow::bail!("{} is shorter than 32 bytes; restore it from backup", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::random();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            use std::io::Write;
            let mut f = opts.open(&path).with_context(|| format!("creating {}", path.display()))?;
            f.write_all(&key)?;
            f.sync_all()?;
            Ok(key.to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

impl Hall {
    /// Opens the log in `data_dir`, rebuilds the state and starts the writer.
    pub fn start(config: Config, data_dir: &Path, clock: Arc<dyn Clock>) -> anyhow::Result<Hall> {
        use anyhow::Context;
        let mut store = Store::open_dir(data_dir).with_context(|| format!("opening the event log in {}", data_dir.display()))?;
        let key = identity_key(data_dir)?;
        let documents = Arc::new(
            crate::documents::Documents::open(data_dir)
                .map_err(|e| anyhow::anyhow!(e))
                .with_context(|| format!("opening {}", data_dir.join("documents.db").display()))?,
        );
        let started = Instant::now();
        let state = store.load_state(&config).context("rebuilding the state from the event log")?;
        tracing::info!(events = store.last_seq(), ms = started.elapsed().as_millis() as u64, "state rebuilt");
        if store.snapshot_due() {
            store.snapshot(&state)?;
        }
        let recent = recent_calls(store.path(), state.date)?;
        let config = Arc::new(config);
        let (tx, rx) = mpsc::channel(4096);
        let (events, _) = broadcast::channel(4096);
        let inner = Arc::new(Inner {
            config: std::sync::RwLock::new(config.clone()),
            clock: clock.clone(),
            jobs: tx,
            view: RwLock::new(View { state: state.clone(), recent_calls: recent }),
            events,
            last_seq: AtomicU64::new(store.last_seq()),
            db_path: store.path().to_path_buf(),
            sessions: Arc::new(crate::staff::Sessions::open(&key, data_dir, clock.now())),
            identity_key: key,
            documents,
            writer: Mutex::new(None),
            metrics: crate::metrics::Metrics::default(),
            alerts: Arc::new(crate::alerts::Alerts::new(clock.now())),
        });
        let writer_inner = Arc::downgrade(&inner);
        let metrics = inner.metrics.clone();
        let handle = std::thread::Builder::new()
            .name("hallq-writer".into())
            .spawn(move || writer(store, state, config, clock, rx, writer_inner, metrics))?;
        *inner.writer.lock().expect("writer lock") = Some(handle);
        let hall = Hall { inner };
        // Alerts are looked at on their own thread: the webhook never holds up the writer.
        crate::alerts::spawn(hall.downgrade())?;
        Ok(hall)
    }

    /// The configuration in force. A manager may replace it while the service runs
    /// ([`Hall::set_config`]); hold on to the returned one for one request's work.
    pub fn config(&self) -> Arc<Config> {
        self.inner.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts a new (validated, saved) configuration in force between two commands and logs
    /// its version; clients learn of it from the `config_changed` event.
    pub async fn set_config(
        &self,
        config: Config,
        version: u64,
        digest: String,
        by: String,
        actor: engine::Actor,
    ) -> Result<Accepted, ServiceError> {
        let (tx, rx) = oneshot::channel();
        let command = Command::ConfigChanged { version, digest, by, actor };
        self.inner.jobs.send(Job::SetConfig(Arc::new(config), command, tx)).await.map_err(|_| ServiceError::Stopped)?;
        rx.await.map_err(|_| ServiceError::Stopped)?
    }

    pub fn now(&self) -> Ts {
        self.inner.clock.now()
    }

    /// The hall's clock (simulated in the demo and the tests).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    /// A handle that does not keep the service running.
    pub fn downgrade(&self) -> WeakHall {
        WeakHall(Arc::downgrade(&self.inner))
    }

    /// The hall's alerts, and who it has heard from (kiosks, display streams).
    pub fn alerts(&self) -> &Arc<crate::alerts::Alerts> {
        &self.inner.alerts
    }

    /// Result PDFs and scanned materials (`DATA/documents.db`).
    pub fn documents(&self) -> Arc<crate::documents::Documents> {
        self.inner.documents.clone()
    }

    /// Staff sign-in: one attempt table and sign-out list for every listener of the hall.
    pub fn sessions(&self) -> Arc<crate::staff::Sessions> {
        self.inner.sessions.clone()
    }

    pub fn identity_key(&self) -> &[u8] {
        &self.inner.identity_key
    }

    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq.load(Ordering::Acquire)
    }

    /// The service's counters for `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// The `/metrics` exposition as of now.
    pub fn render_metrics(&self) -> String {
        let queues: Vec<String> = self.config().queues.iter().map(|q| q.id.clone()).collect();
        let view = self.view();
        self.inner.metrics.render(&view.state, &queues, self.last_seq(), self.now())
    }

    /// Whether the service can take commands: the writer thread runs and the event log
    /// opens and answers a read. `Err` says which is not so.
    pub fn ready(&self) -> Result<(), String> {
        let running = self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|h| !h.is_finished());
        if !running || self.inner.jobs.is_closed() {
            return Err("the event log's writer is not running".into());
        }
        let conn = store::open_reader(&self.inner.db_path).map_err(|e| format!("the event log does not open: {e}"))?;
        conn.query_row("SELECT COUNT(*) FROM events WHERE seq = (SELECT MAX(seq) FROM events)", [], |r| r.get::<_, i64>(0))
            .map_err(|e| format!("the event log does not answer: {e}"))?;
        Ok(())
    }

    /// The durable view. Hold the guard briefly: the writer waits for it.
    pub fn view(&self) -> RwLockReadGuard<'_, View> {
        self.inner.view.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Live events, each with its stream views built once and shared.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.inner.events.subscribe()
    }

    /// Runs a command; answers once its events are durable.
    pub async fn submit(&self, command: Command) -> Result<Accepted, ServiceError> {
        let (tx, rx) = oneshot::channel();
        self.inner.jobs.send(Job::Command(command, tx)).await.map_err(|_| ServiceError::Stopped)?;
        rx.await.map_err(|_| ServiceError::Stopped)?
    }

    /// A ticket of today from the view, or of an earlier day rebuilt from its events.
    pub fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        if let Some(t) = self.view().state.tickets.get(id) {
            return Ok(Some(t.clone()));
        }
        let conn = store::open_reader(&self.inner.db_path)?;
        let records = store::ticket_events(&conn, id)?;
        let mut scratch = State::default();
        for r in &records {
            engine::apply(&mut scratch, &self.config(), r.at, &r.event);
        }
        let expired = scratch
            .tickets
            .get(id)
            .is_some_and(|t| matches!(t.status, engine::Status::Waiting | engine::Status::Called | engine::Status::Serving));
        let mut ticket = scratch.tickets.remove(id);
        if expired {
            // An earlier day's ticket that was still open when that day closed.
            if let Some(t) = ticket.as_mut() {
                t.status = engine::Status::Expired;
            }
        }
        Ok(ticket)
    }

    /// Stops the writer after the jobs already queued, saving a snapshot.
    pub async fn shutdown(&self) {
        self.inner.alerts.stop();
        let (tx, rx) = oneshot::channel();
        if self.inner.jobs.send(Job::Stop(tx)).await.is_ok() {
            let _ = rx.await;
        }
        let handle = self.inner.writer.lock().expect("writer lock").take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }
}

fn recent_calls(path: &Path, date: Option<chrono::NaiveDate>) -> Result<VecDeque<Record>, StoreError> {
    let conn = store::open_reader(path)?;
    let mut stmt = conn.prepare("SELECT seq FROM events WHERE kind IN ('ticket_called', 'ticket_recalled') ORDER BY seq DESC LIMIT ?1")?;
    let seqs: Vec<u64> = stmt.query_map([RECENT_CALLS as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = VecDeque::new();
    for seq in seqs.into_iter().rev() {
        for r in store::events_since(&conn, seq - 1, 1)? {
            let today = match &r.event {
                Event::TicketCalled { ticket, .. } | Event::TicketRecalled { ticket, .. } => {
                    date.is_some_and(|d| ticket.starts_with(&d.format("%Y%m%d").to_string()))
                }
                _ => false,
            };
            if today {
                out.push_back(r);
            }
        }
    }
    Ok(out)
}

fn is_call(e: &Event) -> bool {
    matches!(e, Event::TicketCalled { .. } | Event::TicketRecalled { .. })
}

fn writer(
    mut store: Store,
    mut state: State,
    mut config: Arc<Config>,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::Receiver<Job>,
    inner: std::sync::Weak<Inner>,
    metrics: crate::metrics::Metrics,
) {
    const BATCH: usize = 512;
    let mut stop_reply = None;
    while stop_reply.is_none() {
        let Some(first) = rx.blocking_recv() else { break };
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let now = clock.now();
        let mut pending: Vec<(Ts, Event)> = Vec::new();
        let mut answered = Vec::new();
        for job in jobs {
            let (command, reply) = match job {
                Job::Command(c, r) => (c, r),
                Job::SetConfig(new, c, r) => {
                    config = new;
                    if let Some(inner) = inner.upgrade() {
                        *inner.config.write().unwrap_or_else(|p| p.into_inner()) = config.clone();
                    }
                    (c, r)
                }
                Job::Stop(r) => {
                    stop_reply = Some(r);
                    continue;
                }
            };
            // A retry of a request answered on an earlier day is found in the log.
            if let Command::Issue(req) = &command {
                if !state.requests.contains_key(&req.request_id) {
                    match store.find_request(&req.request_id) {
                        Ok(Some(id)) => {
                            let _ = reply.send(Ok(Accepted { outcome: Outcome::Ticket { id, repeated: true }, records: vec![] }));
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            let _ = reply.send(Err(ServiceError::Store(e.to_string())));
                            continue;
                        }
                    }
                }
            }
            let start = pending.len();
            let (events, result) = engine::execute(&mut state, &config, &command, now);
            pending.extend(events.into_iter().map(|e| (now, e)));
            answered.push((reply, result, start..pending.len()));
        }
        let appending = Instant::now();
        let appended = store.append(&pending);
        if !pending.is_empty() {
            match &appended {
                Ok(_) => metrics.observe_append(appending.elapsed().as_secs_f64()),
                Err(_) => metrics.append_failed(),
            }
        }
        match appended {
            Ok(records) => {
                let Some(inner) = inner.upgrade() else { break };
                {
                    let mut view = inner.view.write().unwrap_or_else(|p| p.into_inner());
                    for r in &records {
                        engine::apply(&mut view.state, &config, r.at, &r.event);
                        metrics.count(&view.state, &r.event);
                        if matches!(r.event, Event::DayOpened { .. }) {
                            view.recent_calls.clear();
                        }
                        if is_call(&r.event) {
                            view.recent_calls.push_back(r.clone());
                            if view.recent_calls.len() > RECENT_CALLS {
                                view.recent_calls.pop_front();
                            }
                        }
                    }
                }
                inner.last_seq.store(store.last_seq(), Ordering::Release);
                for r in &records {
                    let _ = inner.events.send(Arc::new(Published::new(r.clone())));
                }
                for (reply, result, range) in answered {
                    let _ = reply.send(result.map(|outcome| Accepted { outcome, records: records[range].to_vec() }).map_err(Into::into));
                }
                if records.iter().any(|r| matches!(r.event, Event::DayOpened { .. })) {
                    let before = now - chrono::Duration::days(config.hall.identity_retention_days as i64);
                    match store.purge_personal(before) {
                        Ok(n) if n > 0 => tracing::info!(events = n, "purged personal data past retention"),
                        Ok(_) => {}
                        Err(e) => tracing::error!("purging personal data failed: {e}"),
                    }
                }
                if store.snapshot_due() {
                    if let Err(e) = store.snapshot(&state) {
                        tracing::error!("snapshot failed: {e}");
                    }
                }
            }
            Err(e) => {
                tracing::error!("appending to the event log failed: {e}");
                for (reply, _, _) in answered {
                    let _ = reply.send(Err(ServiceError::Store(e.to_string())));
                }
                // The in-memory state ran ahead of the log: go back to what is durable.
                match store.load_state(&config) {
                    Ok(s) => state = s,
                    Err(e) => {
                        tracing::error!("cannot rebuild state after a failed append: {e}; stopping the writer");
                        break;
                    }
                }
            }
        }
    }
    if let Err(e) = store.snapshot(&state) {
        tracing::error!("final snapshot failed: {e}");
    }
    if let Some(r) = stop_reply {
        let _ = r.send(());
    }
}
