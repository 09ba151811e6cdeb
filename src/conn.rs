//! Connection limits for `hallq serve`: at most so many connections at once, and a
//! connection on which the client sends nothing for [`IDLE_DEADLINE`] is closed.
//!
//! axum's `serve` (hyper) times out a request whose headers come too slowly once the
//! first byte has arrived, but not a connection that never sends a byte, and it accepts
//! without bound. [`Limited`] wraps any [`axum::serve::Listener`] (plain TCP or
//! [`crate::tls::TlsListener`]): `accept` waits for a permit first (further clients wait
//! in the kernel's backlog), the permit goes back when the connection's IO is dropped, and
//! the IO ([`LimitedIo`]) fails reads with `TimedOut` after the idle deadline.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Connections served at once by default (`hallq serve --max-connections`). A hall has a
/// few dozen devices and browsers; the rest is room for visitors' phones on the public
/// listener and for reconnects.
pub const MAX_CONNECTIONS: usize = 2048;

/// A connection on which no byte is read for this long is closed. Live connections always
/// read well within it: the event stream's server pings every 30 s and clients answer
/// (browsers and tungstenite answer pings on their own), and `HallClient` pings every
/// 10 s; HTTP keep-alive connections sent nothing for 2 minutes are not worth keeping.
pub const IDLE_DEADLINE: Duration = Duration::from_secs(120);

/// The limits for one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections served at once; more wait until one closes.
    pub max_connections: usize,
    /// A connection that reads nothing for this long is closed.
    pub idle: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits { max_connections: MAX_CONNECTIONS, idle: IDLE_DEADLINE }
    }
}

/// A listener with [`ConnLimits`].
pub struct Limited<L> {
    inner: L,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl<L> Limited<L> {
    pub fn new(inner: L, limits: ConnLimits) -> Limited<L> {
        Limited { inner, permits: Arc::new(Semaphore::new(limits.max_connections.max(1))), idle: limits.idle }
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for Limited<L> {
    type Io = LimitedIo<L::Io>;
    type Addr = L::Addr;

    fn accept(&mut self) -> impl Future<Output = (Self::Io, Self::Addr)> + Send {
        let permits = self.permits.clone();
        let idle = self.idle;
        let inner = &mut self.inner;
        async move {
            // The semaphore is never closed.
            let permit = permits.acquire_owned().await.expect("the connection semaphore is never closed");
            let (io, addr) = inner.accept().await;
            (LimitedIo::new(io, permit, idle), addr)
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's IO holding its permit; reads fail with `TimedOut` once nothing was read
/// for the idle deadline.
pub struct LimitedIo<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl<T> LimitedIo<T> {
    fn new(inner: T, permit: OwnedSemaphorePermit, idle: Duration) -> LimitedIo<T> {
        LimitedIo { inner, idle, deadline: Box::pin(tokio::time::sleep(idle)), _permit: permit }
    }

    /// The wrapped IO.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for LimitedIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let next = Instant::now() + this.idle;
                    this.deadline.as_mut().reset(next);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "no data from the client within the idle deadline")))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for LimitedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
