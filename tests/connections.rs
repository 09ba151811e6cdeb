//! Connection limits of `hallq serve`: a client that connects and sends nothing is closed
//! after the idle deadline, and beyond `--max-connections` further clients wait until a
//! connection closes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hallq::conn::ConnLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A hall served by `serve_limited` with `limits` on loopback; its address.
async fn serve(limits: ConnLimits) -> (TestHall, std::net::SocketAddr) {
    let h = TestHall::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(hallq::server::serve_limited(listener, None, hallq::server::app(h.hall.clone()), std::future::pending(), limits));
    (h, addr)
}

/// Sends a health request on `tcp` and reads the status line.
async fn health(tcp: &mut TcpStream) -> String {
    tcp.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_deadline() {
    within(30, "test", async {
        let (h, addr) = serve(ConnLimits { max_connections: 16, idle: Duration::from_secs(2) }).await;
        let start = Instant::now();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        // A client that keeps talking is not cut, though it talks for longer than the deadline.
        let mut busy = TcpStream::connect(addr).await.unwrap();
        for _ in 0..4 {
            assert!(health(&mut busy).await.contains("200"));
            tokio::time::sleep(Duration::from_millis(900)).await;
        }
        // The silent one is closed by the server: the read ends (EOF or reset), not by our deadline.
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf))
            .await
            .expect("the server did not close the silent connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        let took = start.elapsed();
        assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(8), "closed after {took:?}");
        assert!(health(&mut busy).await.contains("200"), "the busy connection was cut");
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn beyond_max_connections_a_client_waits_until_one_closes() {
    within(30, "test", async {
        let (h, addr) = serve(ConnLimits { max_connections: 2, idle: Duration::from_secs(60) }).await;
        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut second = TcpStream::connect(addr).await.unwrap();
        assert!(health(&mut first).await.contains("200"));
        assert!(health(&mut second).await.contains("200"));
        // The third connects (the kernel's backlog) but is not served.
        let mut third = TcpStream::connect(addr).await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(1500), health(&mut third)).await;
        assert!(waiting.is_err(), "a third connection was served: {waiting:?}");
        // One closes: the third is served (its request is already sent).
        drop(first);
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), third.read(&mut buf))
            .await
            .expect("the third connection was not served after one closed")
            .unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
        assert!(health(&mut second).await.contains("200"));
        h.stop().await;
    })
    .await
}
