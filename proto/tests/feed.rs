//! `HallClient::events` against a scripted WebSocket server: it sends the token in the
//! Authorization header (never in the URL), resumes after the last event it gave when the
//! connection drops, gives each event once and in order even when the server repeats some,
//! and marks caught-up events as not live.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use hallq_proto::{EventView, FeedItem, HallClient};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

fn event(seq: u64, window: u32) -> String {
    format!(
        r#"{{"seq":{seq},"at":"2026-11-27T01:30:00Z","type":"ticket_called","ticket":"20261127-A{seq:03}","number":"A{seq:03}","window":{window}}}"#
    )
}

/// What the server saw of each connection: the request's query and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Serves `scripts` one per connection: each is the hello's (since, last_seq) and the
/// events to send before closing.
// tungstenite's handshake callback returns its own (large) error response type.
#[allow(clippy::result_large_err)]
async fn server(scripts: Vec<((u64, u64), Vec<u64>)>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let s = seen.clone();
    tokio::spawn(async move {
        for ((since, last), seqs) in scripts {
            let (tcp, _) = listener.accept().await.unwrap();
            let s = s.clone();
            let mut ws = tokio_tungstenite::accept_hdr_async(tcp, move |req: &Request, resp: Response| {
                let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_string());
                s.lock().unwrap().push((req.uri().query().unwrap_or_default().to_string(), auth));
                Ok(resp)
            })
            .await
            .unwrap();
            let hello = format!(r#"{{"type":"hello","last_seq":{last},"since":{since}}}"#);
            ws.send(Message::Text(hello.into())).await.unwrap();
            for seq in seqs {
                ws.send(Message::Text(event(seq, 5).into())).await.unwrap();
            }
            ws.close(None).await.ok();
        }
        // Then nobody answers: the feed keeps trying.
        loop {
            let _ = listener.accept().await;
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn the_feed_resumes_after_its_last_event_each_once_in_order() {
    // First connection: 1..=3 are caught up (last_seq 3), 4 is live; it drops. Second: the
    // server repeats 3 and 4 (as a resumed log read may), then 5 live; it drops again.
    let (base, seen) = server(vec![((0, 3), vec![1, 2, 3, 4]), ((4, 4), vec![3, 4, 5])]).await;
    let client = HallClient::new(&base, "secret-display-token");
    let mut feed = client.events(Some(0));
    let mut got = Vec::new();
    let mut connects = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.len() < 5 {
        let item = tokio::time::timeout_at(deadline, feed.next()).await.expect("the feed stalled").expect("the feed ended");
        match item {
            FeedItem::Connected { .. } => connects += 1,
            FeedItem::Event { event, live } => {
                let EventView::TicketCalled { number, window, .. } = &event.event else { panic!("{event:?}") };
                assert_eq!((number.as_str(), window.get()), (format!("A{:03}", event.seq).as_str(), 5));
                got.push((event.seq, live));
            }
            FeedItem::Disconnected { retry_in, .. } => assert!(retry_in <= Duration::from_secs(8)),
        }
    }
    assert_eq!(got, vec![(1, false), (2, false), (3, false), (4, true), (5, true)], "each event once, in order");
    assert_eq!(connects, 2);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].0, "since=0");
    assert_eq!(seen[1].0, "since=4", "the second connection resumes after the last event given");
    for (query, auth) in &seen {
        assert!(!query.contains("secret"), "the token is not in the URL: {query}");
        assert_eq!(auth.as_deref(), Some("Bearer secret-display-token"));
    }
}

#[test]
fn an_event_type_this_client_does_not_know_is_read_as_unknown() {
    let m: hallq_proto::StreamMessage =
        serde_json::from_str(r#"{"seq":9,"at":"2026-11-27T01:30:00Z","type":"from_the_future","x":1}"#).unwrap();
    let hallq_proto::StreamMessage::Event(e) = m else { panic!("{m:?}") };
    assert_eq!((e.seq, e.event), (9, EventView::Unknown));
}

#[tokio::test]
async fn an_unreachable_hall_is_reported_and_retried_with_backoff() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = HallClient::new(&format!("http://127.0.0.1:{port}"), "t");
    let mut feed = client.events(None);
    let mut waits = Vec::new();
    while waits.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(10), feed.next()).await.expect("no report within 10 s").unwrap() {
            FeedItem::Disconnected { retry_in, reason } => {
                assert!(!reason.is_empty());
                waits.push(retry_in);
            }
            other => panic!("nothing listens there: {other:?}"),
        }
    }
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "backoff grows: {waits:?}");
    // A plain call says the hall cannot be reached, within its deadline.
    let started = std::time::Instant::now();
    let e = client.health().await.unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(11));
}
