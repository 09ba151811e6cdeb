//! The limits a hostile device on the hall LAN runs into: a kiosk issuing without end, a
//! reason as long as a book, made-up device names, oversized stream messages, a display
//! replaying the hall's history.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use hallq_proto::{ErrorCode, StreamMessage, WindowAction, WindowCommand, WindowNo};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_kiosk_issues_at_most_sixty_a_minute() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client("demo-kiosk-1");
        for i in 0..hallq::api::KIOSK_TICKETS_PER_MINUTE {
            kiosk.issue(&issue_req(&format!("rate-{i}"), "linshi-sfz")).await.unwrap_or_else(|e| panic!("ticket {i}: {e}"));
        }
        let e = kiosk.issue(&issue_req("rate-over", "linshi-sfz")).await.unwrap_err();
        assert_eq!(refusal::<()>(Err(e.clone())), (429, ErrorCode::TooManyTickets), "{e}");
        assert!(e.to_string().contains("秒后再试"), "{e}");
        // The kiosk's visitor may be reading English.
        match &e {
            hallq_proto::ClientError::Refused { message_en: Some(en), .. } => assert!(en.contains("try again in"), "{en}"),
            other => panic!("no English: {other:?}"),
        }
        // The other kiosk and the staff's desk are not held up.
        h.client("demo-kiosk-2").issue(&issue_req("rate-k2", "linshi-sfz")).await.unwrap();
        h.client("demo-manager").issue(&issue_req("rate-desk", "linshi-sfz")).await.unwrap();
        // A minute later the kiosk issues again.
        h.advance(chrono::Duration::seconds(61));
        kiosk.issue(&issue_req("rate-next", "linshi-sfz")).await.unwrap();
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn texts_and_names_are_bounded() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let counter = h.client("demo-counter-1-6");
        counter.window_action(WindowNo(1), WindowAction::Open, &WindowCommand::default()).await.unwrap();
        let long = WindowCommand { reason: Some("长".repeat(201)), ..Default::default() };
        assert_eq!(refusal(counter.window_action(WindowNo(1), WindowAction::Pause, &long).await), (422, ErrorCode::FieldTooLong));
        let fits = WindowCommand { reason: Some("系".repeat(200)), ..Default::default() };
        counter.window_action(WindowNo(1), WindowAction::Pause, &fits).await.unwrap();
        let kiosk = h.client("demo-kiosk-1");
        assert_eq!(refusal(kiosk.device_status("x".repeat(60).as_str(), None).await), (422, ErrorCode::BadDeviceStatus));
        kiosk.device_status("scanner", Some("卡纸")).await.unwrap();
        let devices = h.client("demo-manager").state().await.unwrap().devices.unwrap();
        assert_eq!(devices.iter().map(|d| d.device.as_str()).collect::<Vec<_>>(), ["scanner"]);
        h.stop().await;
    })
    .await
}

/// Opens the stream with `token` from `since`; returns the sequence numbers of the events
/// read until `until`, and the socket.
async fn read_stream(url: &str, until: u64) -> Vec<u64> {
    let mut ws = ws_connect(url).await.unwrap();
    let mut seqs = Vec::new();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("the stream went quiet").unwrap().unwrap();
        let Message::Text(t) = msg else { continue };
        match serde_json::from_str::<StreamMessage>(&t).unwrap() {
            StreamMessage::Hello(_) => {}
            StreamMessage::Event(e) => {
                seqs.push(e.seq);
                if e.seq >= until {
                    return seqs;
                }
            }
        }
    }
}

#[tokio::test]
async fn only_managers_replay_earlier_days_and_stream_messages_are_small() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let manager = h.client("demo-manager");
        manager.issue(&issue_req("day1", "linshi-sfz")).await.unwrap();
        // The next morning.
        h.advance(chrono::Duration::hours(24));
        let t = manager.issue(&issue_req("day2", "linshi-sfz")).await.unwrap().ticket;
        let last = h.hall.last_seq();
        let day2_opened = {
            let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
            hallq::store::day_start(&conn).unwrap() + 1
        };
        assert!(day2_opened > 2, "two days in the log");
        let display = read_stream(&h.events_url("since=0&token=demo-display"), last).await;
        assert_eq!(display.first().copied(), Some(day2_opened), "a display starts at today's opening: {display:?}");
        let managers = read_stream(&h.events_url("since=0&token=demo-manager"), last).await;
        assert_eq!(managers.first().copied(), Some(1), "a manager replays from the start");
        assert!(t.id.as_str().ends_with("B001"), "numbers start again each day: {}", t.id);

        // A client that sends more than a stream client ever needs to is cut off.
        let mut ws = ws_connect(&h.events_url("token=demo-display")).await.unwrap();
        ws.send(Message::Text("x".repeat(64 * 1024).into())).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match ws.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .expect("the oversized message closes the stream within 10 s");
        assert!(closed);
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn role_tokens_stay_out_of_urls() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let http = client();
        // A token in the query is not a token.
        let r = http.get(h.url("/catalog?token=demo-manager")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let refused = tokio_tungstenite::connect_async(h.events_url("token=demo-display").as_str()).await;
        assert!(refused.is_err(), "the stream refuses a token in its URL");
        // A page trades its token (in the header) for a one-time stream ticket.
        let t: serde_json::Value =
            http.post(h.url("/stream-ticket")).bearer_auth("demo-display").send().await.unwrap().json().await.unwrap();
        let ticket = t["ticket"].as_str().unwrap().to_string();
        assert!(t["expires_in_secs"].as_u64().is_some_and(|s| s <= 60));
        let (mut ws, _) =
            tokio_tungstenite::connect_async(h.events_url(&format!("ws_ticket={ticket}"))).await.expect("the ticket opens the stream");
        let hello = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap().unwrap().unwrap();
        assert!(hello.to_text().unwrap().contains("hello"));
        // Once only.
        assert!(tokio_tungstenite::connect_async(h.events_url(&format!("ws_ticket={ticket}"))).await.is_err(), "a ticket opens one stream");
        // Not for anything else.
        let r = http.get(h.url(&format!("/state?ws_ticket={ticket}"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_token_holds_only_so_many_streams() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let cap = hallq::api::STREAMS_PER_DEVICE_TOKEN;
        let mut open = Vec::new();
        for _ in 0..cap {
            open.push(ws_connect(&h.events_url("token=demo-kiosk-1")).await.expect("within the cap"));
        }
        let over = ws_connect(&h.events_url("token=demo-kiosk-1")).await;
        match over {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status().as_u16(), 429);
                let body = r.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().to_string();
                assert!(body.contains("too_many_streams"), "{body}");
            }
            other => panic!("the stream past the cap must be refused: {:?}", other.map(|_| ())),
        }
        // Another token is not held up, and a closed stream frees its place.
        ws_connect(&h.events_url("token=demo-kiosk-2")).await.expect("another kiosk");
        let mut first = open.remove(0);
        first.close(None).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if ws_connect(&h.events_url("token=demo-kiosk-1")).await.is_ok() {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "a closed stream frees its place");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        h.stop().await;
    })
    .await
}

/// A hostile kiosk varying its device's fault text would log an event and raise or clear
/// an alert at every report: a device changes at most DEVICE_CHANGES_PER_MINUTE times a
/// minute. Repeating the state it is in costs nothing, and other devices go on.
#[tokio::test]
async fn a_device_changing_faster_than_any_real_one_is_held_back() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client("demo-kiosk-1");
        let limit = hallq::api::DEVICE_CHANGES_PER_MINUTE;
        for i in 0..limit {
            kiosk.device_status("scanner", Some(&format!("fault {i}"))).await.unwrap_or_else(|e| panic!("change {i}: {e}"));
        }
        let e = kiosk.device_status("scanner", Some("fault again")).await.unwrap_err();
        assert_eq!(refusal::<()>(Err(e.clone())), (429, ErrorCode::TooManyDeviceChanges), "{e}");
        // The state it holds may be reported again, and another device changes.
        kiosk.device_status("scanner", Some(&format!("fault {}", limit - 1))).await.unwrap();
        kiosk.device_status("a4-printer", Some("out of paper")).await.unwrap();
        // The log holds the changes that were let through, not the one held back.
        let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
        let changes = hallq::store::events_since(&conn, 0, 1000)
            .unwrap()
            .into_iter()
            .filter(|r| matches!(&r.event, hallq::engine::Event::DeviceStatusChanged { device, .. } if device == "scanner"))
            .count();
        assert_eq!(changes as u32, limit);
        h.advance(chrono::Duration::seconds(61));
        kiosk.device_status("scanner", None).await.unwrap();
        h.stop().await;
    })
    .await
}
