//! Runs the hall service on the LAN: binds the listener, serves the API and pages, keeps
//! the day rolling over, and shuts down cleanly on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
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
    TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen}: is another hallq (or another program) using it? Choose another with --listen")
    })
}

/// `hallq serve`: runs until Ctrl-C or SIGTERM. The configuration in force is the newest
/// version in `DATA/config/` unless `config_file` changed since it was last read (see
/// [`crate::config::live`]).
pub async fn serve(config_file: &Path, data: &Path, listen: SocketAddr, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let listener = bind(listen).await?;
    let store = crate::config::live::ConfigStore::new(data);
    let (config, version) = store.resolve(config_file).map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in config.warnings() {
        eprintln!("warning: {}", w.0);
    }
    let hall = Hall::start(config.clone(), data, clock)?;
    if hall.view().state.config_version != version.number {
        hall.set_config(config, version.number, version.digest.clone(), format!("file {}", config_file.display())).await?;
    }
    eprintln!("hallq serve: configuration version {} ({})", version.number, &version.digest[..12]);
    tracing::info!("hall service listening on http://{}", listener.local_addr()?);
    eprintln!("hallq serve: listening on http://{} (data in {})", listener.local_addr()?, data.display());
    let ticker = spawn_ticker(hall.clone());
    axum::serve(listener, app(hall.clone())).with_graceful_shutdown(shutdown_signal()).await?;
    ticker.abort();
    hall.shutdown().await;
    Ok(())
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
