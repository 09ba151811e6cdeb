//! Runs the hall service on the LAN: binds the listener, serves the API and pages (over
//! TLS with `--tls-cert`/`--tls-key`; plain HTTP only on loopback or with
//! `--insecure-http`), optionally a second, public listener with the visitor's pages only,
//! keeps the day rolling over, and shuts down cleanly on Ctrl-C or SIGTERM.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{header, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hallq_proto::ErrorCode;
use tokio::net::TcpListener;

use crate::engine::Command;
use crate::service::{Clock, Hall};

/// Starts the service's background work: a tick every few seconds so the day rolls over
/// (and personal data is purged) even when nobody is issuing.
pub fn spawn_ticker(hall: Hall) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            if hall.submit(Command::Tick).await.is_err() {
                return;
            }
        }
    })
}

/// The whole HTTP application: API plus the built-in pages.
pub fn app(hall: Hall) -> axum::Router {
    crate::api::router(hall.clone()).merge(crate::web::router())
}

/// Binds `listen`, reporting a clear message when the address is taken.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}: is another hallq (or another program) using it? Choose another with --listen"))
}

/// How `hallq serve` listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The listener for everything: API, event stream, staff and display pages.
    pub listen: SocketAddr,
    /// PEM certificate chain and private key (`hallq tls init`): HTTPS and WSS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP on a LAN address, on purpose (a warning at start).
    pub insecure_http: bool,
    /// A second listener with the visitor's pages and their endpoints only (see
    /// [`public_app`]); TLS as the first.
    pub public_listen: Option<SocketAddr>,
    /// Connection cap and idle deadline, for each listener.
    pub limits: crate::conn::ConnLimits,
    /// A loopback listener with everything, plain HTTP: for the kiosk on the same machine
    /// (`hallq kiosk --embedded-service`, the village point).
    pub local_listen: Option<SocketAddr>,
}

impl ServeOptions {
    /// Plain HTTP on `listen`, as the tests and the demo run it on loopback.
    pub fn plain(listen: SocketAddr) -> ServeOptions {
        ServeOptions { listen, tls: None, insecure_http: false, public_listen: None, limits: Default::default(), local_listen: None }
    }

    /// Refuses plain HTTP on an address other machines reach, unless asked for with
    /// `--insecure-http`; the warning to log when it was.
    pub fn check(&self) -> anyhow::Result<Option<String>> {
        if let Some(local) = self.local_listen.filter(|a| !a.ip().is_loopback()) {
            anyhow::bail!("the kiosk's own listener {local} must be a loopback address");
        }
        if self.tls.is_some() {
            return Ok(None);
        }
        let exposed: Vec<SocketAddr> = std::iter::once(self.listen).chain(self.public_listen).filter(|a| !a.ip().is_loopback()).collect();
        if exposed.is_empty() {
            return Ok(None);
        }
        let list = exposed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        if !self.insecure_http {
            anyhow::bail!(
                "拒绝在 {list} 上以明文 HTTP 提供服务：身份证号、姓名、口令和令牌会在局域网上明文传输。\
                 请用 --tls-cert/--tls-key 启用 HTTPS（证书由 hallq tls init 生成），或只在 127.0.0.1 上监听，\
                 或确有必要时加 --insecure-http。\n\
                 Refusing plain HTTP on {list}: ID numbers, names, passwords and tokens would cross the LAN in clear. \
                 Use --tls-cert/--tls-key (make them with hallq tls init), listen on 127.0.0.1 only, or pass --insecure-http on purpose."
            );
        }
        Ok(Some(format!(
            "明文 HTTP 在 {list} 上（--insecure-http）：局域网上的任何人都能看到身份证号、口令和令牌；请尽快用 hallq tls init 和 --tls-cert/--tls-key 改为 HTTPS。\
             Plain HTTP on {list} (--insecure-http): anyone on the LAN can read ID numbers, passwords and tokens."
        )))
    }
}

/// Serves `app` on `listener` until `shutdown` completes, in TLS when `tls` is given, with
/// the default connection limits.
pub async fn serve_on(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_limited(listener, tls, app, shutdown, crate::conn::ConnLimits::default()).await
}

/// [`serve_on`] with `limits`: at most `limits.max_connections` connections at once, and a
/// connection that sends nothing for `limits.idle` is closed (see [`crate::conn`]).
pub async fn serve_limited(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: crate::conn::ConnLimits,
) -> std::io::Result<()> {
    use crate::conn::Limited;
    use axum::serve::ListenerExt;
    // The client's address reaches the handlers (the sign-in throttle) as ConnectInfo.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // tap_io: axum gives any listener's address as ConnectInfo through TapIo.
    match tls {
        Some(config) => {
            let tls = crate::tls::TlsListener::new(listener, config)?;
            axum::serve(Limited::new(tls, limits).tap_io(|_| ()), app).with_graceful_shutdown(shutdown).await
        }
        None => axum::serve(Limited::new(listener, limits).tap_io(|_| ()), app).with_graceful_shutdown(shutdown).await,
    }
}

/// `hallq serve`: runs until Ctrl-C or SIGTERM. The configuration in force is the newest
/// version in `DATA/config/` unless `config_file` changed since it was last read (see
/// [`crate::config::live`]).
pub async fn serve(config_file: &Path, data: &Path, opts: ServeOptions, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let warning = opts.check()?;
    let tls = match &opts.tls {
        Some((cert, key)) => Some(crate::tls::server_config(cert, key)?),
        None => None,
    };
    let listener = bind(opts.listen).await?;
    let public = match opts.public_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}: is another program using it? Choose another with --public-listen"))?,
        ),
        None => None,
    };
    let store = crate::config::live::ConfigStore::new(data);
    let (config, version) = store.resolve(config_file).map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in config.warnings() {
        eprintln!("warning: {}", w.0);
    }
    let hall = Hall::start(config.clone(), data, clock)?;
    if hall.view().state.config_version != version.number {
        hall.set_config(
            config,
            version.number,
            version.digest.clone(),
            format!("file {}", config_file.display()),
            crate::engine::Actor::System,
        )
        .await?;
    }
    eprintln!("hallq serve: configuration version {} ({})", version.number, &version.digest[..12]);
    if let Some(w) = &warning {
        tracing::warn!("{w}");
        eprintln!("warning: {w}");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!("hall service listening on {scheme}://{}", listener.local_addr()?);
    eprintln!("hallq serve: listening on {scheme}://{} (data in {})", listener.local_addr()?, data.display());
    if let Some(p) = &public {
        eprintln!("hallq serve: visitor pages only on {scheme}://{}", p.local_addr()?);
    }
    let ticker = spawn_ticker(hall.clone());
    // The reports read model (DATA/reports.db) follows the log on its own thread.
    crate::reports::spawn(&hall)?;
    // One stop for both listeners.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let limits = opts.limits;
    let public_task =
        public.map(|p| tokio::spawn(serve_limited(p, tls.clone(), public_app(hall.clone()), stopped(stop_rx.clone()), limits)));
    let local_task = match opts.local_listen {
        Some(addr) => {
            let l = bind(addr).await?;
            Some(tokio::spawn(serve_limited(l, None, app(hall.clone()), stopped(stop_rx.clone()), limits)))
        }
        None => None,
    };
    let main = tokio::spawn(serve_limited(listener, tls, app(hall.clone()), stopped(stop_rx), limits));
    let watchdog = notify_systemd(hall.clone());
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
        let _ = stop_tx.send(true);
    });
    let result = main.await;
    if let Some(w) = watchdog {
        w.abort();
    }
    if let Some(t) = public_task {
        let _ = t.await;
    }
    if let Some(t) = local_task {
        let _ = t.await;
    }
    ticker.abort();
    hall.shutdown().await;
    result??;
    Ok(())
}

/// Under systemd (`Type=notify`, `NOTIFY_SOCKET` set): READY=1 now that the listeners are
/// bound and the event log is open; with `WatchdogSec=`, WATCHDOG=1 at half that interval
/// for as long as the service is ready (the log opens and its writer runs), so systemd
/// restarts a service whose writer died. Without `NOTIFY_SOCKET` nothing is sent.
pub fn notify_systemd(hall: Hall) -> Option<tokio::task::JoinHandle<()>> {
    std::env::var_os("NOTIFY_SOCKET")?;
    if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
        tracing::warn!("could not tell systemd the service is ready: {e}");
    }
    let every = sd_notify::watchdog_enabled()? / 2;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        loop {
            tick.tick().await;
            let h = hall.clone();
            match tokio::task::spawn_blocking(move || h.ready()).await {
                Ok(Ok(())) => {
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                }
                Ok(Err(why)) => tracing::error!("not ready, withholding the watchdog ping: {why}"),
                Err(_) => return,
            }
        }
    }))
}

// ---------------------------------------------------------------------------------------
// The public listener: what a visitor's phone may reach.

/// What the public listener serves: the visitor's ticket page, the static files it loads,
/// and the API calls that page makes with the ticket's own token. Role tokens are
/// stripped, so a staff or device token is worth nothing here; every other path is 404.
pub fn public_app(hall: Hall) -> axum::Router {
    axum::Router::new().fallback_service(app(hall.clone())).layer(axum::middleware::from_fn_with_state(hall, public_gate))
}

/// A request the public listener lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    /// `/t/{id}` and `/static/…`: no data, the page fetches it.
    Page,
    /// `GET /api/v1/tickets/{id}?token=` with the ticket's token.
    Ticket(String),
    /// `POST /api/v1/tickets/{id}/evaluation`: the body carries the ticket's token.
    Evaluation(String),
    /// `GET /api/v1/events?ticket=&token=` (WebSocket) with the ticket's token.
    Events,
}

/// Which visitor request `method` and `path` are, if any.
pub fn visitor_route(method: &Method, path: &str) -> Option<Visitor> {
    let get = method == Method::GET || method == Method::HEAD;
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    match segs.as_slice() {
        ["t", id] if get && !id.is_empty() => Some(Visitor::Page),
        ["static", file] if get && !file.is_empty() => Some(Visitor::Page),
        ["api", "v1", "tickets", id] if get && !id.is_empty() => Some(Visitor::Ticket(percent_decode(id)?)),
        ["api", "v1", "tickets", id, "evaluation"] if method == Method::POST && !id.is_empty() => {
            Some(Visitor::Evaluation(percent_decode(id)?))
        }
        ["api", "v1", "events"] if method == Method::GET => Some(Visitor::Events),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn query_of(uri: &Uri) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(uri).map(|q| q.0).unwrap_or_default()
}

fn public_not_found() -> Response {
    crate::api::ApiError::new(ErrorCode::NotFound, "没有这个页面。Not found.").into_response()
}

/// Whether `token` is the ticket's own token.
fn holds_ticket(hall: &Hall, id: &str, token: Option<&String>) -> bool {
    let Some(token) = token.filter(|t| !t.is_empty()) else { return false };
    match hall.ticket(id) {
        Ok(Some(t)) => constant_time_eq(t.token.as_bytes(), token.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn public_gate(State(hall): State<Hall>, mut req: Request, next: Next) -> Response {
    // Only the ticket's token counts here: no role token, header or cookie, goes through.
    req.headers_mut().remove(header::AUTHORIZATION);
    req.headers_mut().remove(header::COOKIE);
    let Some(route) = visitor_route(req.method(), req.uri().path()) else {
        return public_not_found();
    };
    let q = query_of(req.uri());
    let allowed = match &route {
        Visitor::Page => true,
        Visitor::Ticket(id) => holds_ticket(&hall, id, q.get("token")),
        Visitor::Events => q.get("ticket").is_some_and(|id| holds_ticket(&hall, id, q.get("token"))),
        Visitor::Evaluation(_) => {
            // The token is in the body; a query could carry a role token: drop it.
            if let Ok(uri) = Uri::builder().path_and_query(req.uri().path()).build() {
                *req.uri_mut() = uri;
            }
            true
        }
    };
    if !allowed {
        // The same answer as for a ticket that does not exist: nothing to learn by guessing.
        let message =
            "没有这张票，或链接不完整：请扫描号票上的二维码。No such ticket, or the link is incomplete: scan the QR code on the ticket.";
        return crate::api::ApiError::new(ErrorCode::UnknownTicket, message).into_response();
    }
    next.run(req).await
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
