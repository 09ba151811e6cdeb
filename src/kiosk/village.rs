//! The village point (便民服务点): the hall service inside the kiosk's process, so one
//! machine is the whole hall. The service listens where the counter tablet reaches it over
//! Wi-Fi (`--listen`, TLS as `hallq serve`) and on a loopback port of its own that the kiosk
//! uses; its log, configuration and documents are in `--data` as for `hallq serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::server::ServeOptions;
use crate::service::Clock;

/// The running service: the address the kiosk uses, and its thread.
pub struct Embedded {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

/// Starts the hall service on its own thread and runtime and waits until it answers (30 s).
pub fn start(config: &Path, data: &Path, mut opts: ServeOptions, clock: Arc<dyn Clock>) -> anyhow::Result<Embedded> {
    let local: SocketAddr = {
        // A free loopback port for the kiosk (the listener is bound again by the service).
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    opts.local_listen = Some(local);
    opts.check()?;
    let (config, data): (PathBuf, PathBuf) = (config.into(), data.into());
    let thread = std::thread::Builder::new().name("hallq-embedded-service".into()).spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        rt.block_on(crate::server::serve(&config, &data, opts, clock))
    })?;
    let url = format!("http://{local}");
    let health = format!("{url}/api/v1/health");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if thread.is_finished() {
            return match thread.join() {
                Ok(Err(e)) => Err(e.context("the embedded hall service did not start")),
                _ => Err(anyhow::anyhow!("the embedded hall service stopped at start")),
            };
        }
        if let Ok(mut s) = std::net::TcpStream::connect_timeout(&local, Duration::from_millis(200)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let req = format!("GET /api/v1/health HTTP/1.1\r\nHost: {local}\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            if s.write_all(req.as_bytes()).is_ok() && s.read_to_string(&mut answer).is_ok() && answer.starts_with("HTTP/1.1 200") {
                return Ok(Embedded { url, thread });
            }
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the embedded hall service did not answer {health} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
