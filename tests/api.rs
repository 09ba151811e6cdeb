//! The LAN API over loopback against a real SQLite file: idempotent issuing under
//! concurrency, roles, bad input, counter flows, the visitor's page and the event stream.
//!
//! Well-behaved clients speak through `hallq_proto::HallClient` and the contract's types;
//! raw HTTP is kept for what no good client sends (broken JSON, oversize bodies, missing
//! tokens, unknown routes).

mod common;

use std::collections::{BTreeSet, HashMap};

use chrono::DateTime;
use common::*;
use futures_util::StreamExt;
use hallq_proto::{
    BookAppointment, CheckIn, DeliverResult, DeviceView, ErrorCode, Evaluate, EventView, FeedItem, IdentityRule, Priority, Rating, Role,
    Status, StreamMessage, WindowAction, WindowCommand, WindowNo,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const KIOSK: &str = "demo-kiosk-1";
const COUNTER_1_6: &str = "demo-counter-1-6";
const COUNTER_7_16: &str = "demo-counter-7-16";
const DISPLAY: &str = "demo-display";
const MANAGER: &str = "demo-manager";
const SYSTEM: &str = "demo-system";

/// Items that need no ID card, spread over four queues, each with a cap of 80 or more.
const NO_ID_ITEMS: &[&str] = &["linshi-sfz", "sfz-buling", "qiye-kaiban", "shui-kaihu", "ranqi-guohu", "fapiao-lingqu", "geshui-huisuan"];

fn none() -> WindowCommand {
    WindowCommand::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_retrying_get_no_duplicate_and_no_lost_ticket() {
    within(240, "test", async {
        let h = TestHall::start().await;
        let per_client = 15;
        let mut tasks = Vec::new();
        for c in 0..32 {
            // Staff's desk issuing (a kiosk may issue only so many a minute).
            let kiosk = h.client(MANAGER);
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for i in 0..per_client {
                    let req = issue_req(&format!("c{c}-t{i}"), NO_ID_ITEMS[(c * per_client + i) % NO_ID_ITEMS.len()]);
                    // The kiosk did not see the first answer and sends the same request again,
                    // concurrently with the first.
                    let (a, b) = tokio::join!(kiosk.issue(&req), kiosk.issue(&req));
                    let (a, b) = (a.expect("issued"), b.expect("issued"));
                    assert_eq!(a.ticket.id, b.ticket.id, "a retry got a different ticket");
                    assert_eq!([a.repeated, b.repeated].iter().filter(|r| !**r).count(), 1, "exactly one of the two is the creation");
                    // And once more later, sequentially.
                    let again = kiosk.issue(&req).await.expect("issued");
                    assert!(again.repeated);
                    assert_eq!(again.ticket.id, a.ticket.id);
                    got.push((a.ticket.id, a.ticket.number));
                }
                got
            }));
        }
        let mut ids = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for t in tasks {
            for (id, number) in t.await.unwrap() {
                assert!(ids.insert(id.clone()), "ticket {id} given to two requests");
                assert!(numbers.insert(number.clone()), "number {number} issued twice");
            }
        }
        assert_eq!(ids.len(), 32 * per_client);
        // Every acknowledged ticket is in the hall's state and in the log.
        let state = h.client(DISPLAY).state().await.unwrap();
        let issued: u32 = state.queues.iter().map(|q| q.issued_today.expect("/state counts issued tickets")).sum();
        assert_eq!(issued as usize, ids.len());
        let manager = h.client(MANAGER);
        for id in ids.iter().step_by(37) {
            assert_eq!(manager.ticket(id).await.unwrap().status, Status::Waiting);
        }
        let path = h.hall.db_path().to_path_buf();
        let _dir = h.stop().await;
        match hallq::store::verify(&path).unwrap() {
            hallq::store::Verdict::Intact { events, .. } => assert_eq!(events, 32 * per_client as u64 + 1),
            v => panic!("{v:?}"),
        }
    })
    .await
}

#[tokio::test]
async fn tokens_and_roles() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let http = client();
        let issue = issue_req("r1", "linshi-sfz");
        // No token at all.
        let r = http.post(h.url("/tickets")).json(&issue).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "unauthorized");
        assert!(e["error"]["message"].as_str().unwrap().contains("令牌"));
        assert_eq!(refusal(h.client("not-a-token").issue(&issue).await), (401, ErrorCode::Unauthorized));
        assert_eq!(refusal(h.client(DISPLAY).issue(&issue).await), (403, ErrorCode::ForbiddenRole));
        assert!(!h.client(KIOSK).issue(&issue).await.unwrap().repeated);
        // A counter bound to windows 1-6 may call at 4 but not at 7.
        let counter = h.client(COUNTER_1_6);
        assert_eq!(refusal(counter.window_action(WindowNo(7), WindowAction::CallNext, &none()).await), (403, ErrorCode::ForbiddenWindow));
        let w = counter.window_action(WindowNo(4), WindowAction::CallNext, &none()).await.unwrap();
        assert_eq!(w.window.current.unwrap().number, "B001");
        // A kiosk cannot work a window; a display cannot either; a manager can.
        assert_eq!(refusal(h.client(KIOSK).window_action(WindowNo(4), WindowAction::Finish, &none()).await).0, 403);
        assert_eq!(refusal(h.client(DISPLAY).window_action(WindowNo(4), WindowAction::Finish, &none()).await).0, 403);
        h.client(MANAGER).window_action(WindowNo(4), WindowAction::Finish, &none()).await.unwrap();
        // Reading needs any valid token (a browser may send it as ?token=); health and the
        // OpenAPI document need none.
        assert_eq!(http.get(h.url("/state")).send().await.unwrap().status(), 401);
        // Tokens travel in the header only, never in a URL.
        assert_eq!(http.get(h.url(&format!("/state?token={DISPLAY}"))).send().await.unwrap().status(), 401);
        assert_eq!(refusal(h.client("").state().await), (401, ErrorCode::Unauthorized));
        assert_eq!(h.client("").health().await.unwrap().status, "ok");
        assert_eq!(http.get(h.url("/openapi.json")).send().await.unwrap().status(), 200);
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_stable_code_never_a_5xx() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let http = client();
        let send_raw = |body: Vec<u8>, path: &str| {
            http.post(h.url(path)).bearer_auth(KIOSK).header("content-type", "application/json").body(body).send()
        };
        let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
            (b"{not json".to_vec(), "/tickets", 400, "bad_json"),
            (b"".to_vec(), "/tickets", 400, "bad_json"),
            (b"[1,2,3]".to_vec(), "/tickets", 400, "bad_json"),
            (br#"{"request_id":"x","service":"linshi-sfz","colour":"red"}"#.to_vec(), "/tickets", 400, "bad_json"),
            (br#"{"request_id":"x"}"#.to_vec(), "/tickets", 400, "bad_json"),
            (br#"{"request_id":"x1","service":"no-such-item"}"#.to_vec(), "/tickets", 404, "unknown_service"),
            (br#"{"request_id":"","service":"linshi-sfz"}"#.to_vec(), "/tickets", 422, "bad_request_id"),
            (
                r#"{"request_id":"x2","service":"hukou-qianru","identity":{"id_number":"110105194912310021","name":"张三"}}"#.as_bytes().to_vec(),
                "/tickets",
                422,
                "invalid_identity",
            ),
            (br#"{"request_id":"x3","service":"hukou-qianru"}"#.to_vec(), "/tickets", 409, "identity_required"),
            // A kiosk does not choose a priority (the age rule and check-in give them).
            (br#"{"request_id":"x4","service":"linshi-sfz","priority":"appointment"}"#.to_vec(), "/tickets", 403, "forbidden_priority"),
            (br#"{"request_id":"x4","service":"linshi-sfz","priority":"green"}"#.to_vec(), "/tickets", 403, "forbidden_priority"),
            (format!(r#"{{"request_id":"{}","service":"linshi-sfz"}}"#, "r".repeat(65)).into_bytes(), "/tickets", 422, "bad_request_id"),
            (format!(r#"{{"request_id":"x5","service":"{}"}}"#, "a".repeat(20_000)).into_bytes(), "/tickets", 413, "body_too_large"),
            // A kiosk may not rate: refused before its (bad) body is read.
            (br#"{"rating":"great"}"#.to_vec(), "/tickets/20261127-B001/evaluation", 403, "forbidden_role"),
            (b"{}".to_vec(), "/no/such/route", 404, "not_found"),
        ];
        for (body, path, status, code) in cases {
            let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).to_string();
            let r = send_raw(body, path).await.unwrap();
            let got = r.status().as_u16();
            let e: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!((got, e["error"]["code"].as_str()), (status, Some(code)), "{path} {shown}: {e}");
            assert!(!e["error"]["message"].as_str().unwrap_or("").is_empty());
        }
        // Wrong method, unknown window, unknown action, text instead of a window number.
        let r = http.get(h.url("/tickets")).bearer_auth(KIOSK).send().await.unwrap();
        assert_eq!(r.status(), 405);
        for (path, status, code) in [
            ("/windows/99/call-next", 404, "unknown_window"),
            ("/windows/abc/call-next", 404, "unknown_window"),
            ("/windows/4/dance", 404, "unknown_action"),
            ("/windows/4/call", 422, "missing_field"),
        ] {
            let (s, e) = post(&http, &h.url(path), MANAGER, json!({})).await;
            assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{path}");
        }
        let r = http.get(h.url("/events")).bearer_auth(DISPLAY).send().await.unwrap();
        assert_eq!(r.status(), 426);
        assert_eq!(refusal(h.client(MANAGER).ticket(&"20991231-Z999".into()).await), (404, ErrorCode::UnknownTicket));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_visitor_is_called_served_and_rates_from_the_phone_page() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client(KIOSK);
        let id = common::id_number("19900101", 7);
        let zhang = identity(&id, "张三");
        let issued = kiosk.issue(&issue_with_card("tap-1", "hukou-qianru", &zhang)).await.unwrap();
        assert!(!issued.repeated);
        let t = issued.ticket;
        assert_eq!(t.number, "C001");
        let holder = t.holder.clone().expect("the issuing kiosk gets the holder, masked, as printed");
        assert_eq!(holder.name, "张*");
        assert_eq!(holder.id_number, Some(format!("{}**********{}", &id[..4], &id[14..])));
        assert_eq!(t.issued_at, "2026-11-27T09:30:00+08:00");
        assert!(!serde_json::to_string(&t).unwrap().contains(&id), "clear ID number in a response");
        let token = t.token.clone().expect("the issuing answer carries the status-page token");

        // The phone page needs only the ticket's token, and gets no token, holder or history.
        let phone = h.client("");
        let page = phone.ticket_as_visitor(&t.id, &token).await.unwrap();
        assert_eq!((page.people_ahead, page.status), (Some(0), Status::Waiting));
        assert_eq!((&page.token, &page.holder, &page.history), (&None, &None, &None));
        assert_eq!(refusal(phone.ticket_as_visitor(&t.id, "wrong").await), (401, ErrorCode::Unauthorized));
        // A kiosk may not look tickets up later: nothing of other visitors.
        assert_eq!(refusal(kiosk.ticket(&t.id).await), (403, ErrorCode::ForbiddenRole));

        let counter = h.client(COUNTER_7_16);
        let w = counter.window_action(WindowNo(7), WindowAction::CallNext, &none()).await.unwrap();
        let current = w.window.current.clone().unwrap();
        assert_eq!((current.number.as_str(), current.holder.as_deref()), ("C001", Some("张*")));
        assert!(
            w.events.iter().any(|e| matches!(&e.event, EventView::TicketCalled { number, window, .. } if number == "C001" && *window == 7)),
            "the answer carries the call: {:?}",
            w.events
        );
        assert_eq!(refusal(counter.window_action(WindowNo(7), WindowAction::Recall, &none()).await), (409, ErrorCode::RecallTooSoon));
        let call = |reason: Option<&str>| WindowCommand { ticket: Some("C001".into()), reason: reason.map(Into::into), service: None };
        assert_eq!(refusal(counter.window_action(WindowNo(7), WindowAction::Call, &call(None)).await), (422, ErrorCode::ReasonRequired));
        assert_eq!(
            refusal(counter.window_action(WindowNo(7), WindowAction::Call, &call(Some("再叫一次"))).await),
            (409, ErrorCode::TicketNotWaiting)
        );
        counter.window_action(WindowNo(7), WindowAction::Start, &none()).await.unwrap();
        // A body of `null` counts as no body.
        assert_eq!(post(&client(), &h.url("/windows/7/finish"), COUNTER_7_16, Value::Null).await.0, 200);
        // The window's tablet asks for a rating; the visitor answers with the ticket's token.
        let r = phone.evaluate(&t.id, &Evaluate { rating: Rating::VerySatisfied, token: Some(token.clone()), nonce: None }).await.unwrap();
        assert_eq!(r.label, "非常满意");
        let again = Evaluate { rating: Rating::Satisfied, token: Some(token.clone()), nonce: None };
        assert_eq!(refusal(phone.evaluate(&t.id, &again).await), (409, ErrorCode::AlreadyRated));
        // No counter rates, the one that served it or another (tests/rating.rs has the tablet).
        let satisfied = Evaluate { rating: Rating::Satisfied, token: None, nonce: None };
        assert_eq!(refusal(counter.evaluate(&t.id, &satisfied).await), (403, ErrorCode::ForbiddenRole));
        assert_eq!(refusal(h.client(COUNTER_1_6).evaluate(&t.id, &satisfied).await), (403, ErrorCode::ForbiddenRole));
        let t = h.client(MANAGER).ticket(&t.id).await.unwrap();
        assert_eq!((t.status, t.rating), (Status::Finished, Some(Rating::VerySatisfied)));
        let what: Vec<String> = t.history.expect("managers see the history").into_iter().map(|h| h.what).collect();
        assert_eq!(what, ["issued", "called", "started", "finished", "rated"]);
        assert_eq!(t.holder.unwrap().id_number.as_deref(), Some(holder.id_number.as_deref().unwrap()), "managers see the masked ID number");
        // The counter of the queue sees the masked name and the history, not the ID number.
        let seen = counter.ticket(&t.id).await.unwrap();
        assert_eq!(seen.holder.map(|h| (h.name, h.id_number)), Some(("张*".to_string(), None)));
        assert!(seen.history.is_some() && seen.token.is_none());
        // The same person may take this item twice a day, not three times.
        assert!(!kiosk.issue(&issue_with_card("tap-2", "hukou-qianru", &zhang)).await.unwrap().repeated);
        assert_eq!(refusal(kiosk.issue(&issue_with_card("tap-3", "hukou-qianru", &zhang)).await), (409, ErrorCode::PersonDailyLimit));
        h.stop().await;
    })
    .await
}

/// The next message of a raw event stream, typed.
async fn next_msg(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> (StreamMessage, String) {
    loop {
        let m = within(10, "an event", ws.next()).await.expect("the stream stays open").unwrap();
        if let Message::Text(t) = m {
            let msg = serde_json::from_str(&t).unwrap_or_else(|e| panic!("not a stream message ({e}): {t}"));
            return (msg, t.to_string());
        }
    }
}

async fn next_event(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> hallq_proto::StreamEvent {
    match next_msg(ws).await {
        (StreamMessage::Event(e), _) => e,
        (other, _) => panic!("expected an event, got {other:?}"),
    }
}

async fn expect_hello(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> hallq_proto::Hello {
    match next_msg(ws).await {
        (StreamMessage::Hello(h), _) => h,
        (other, _) => panic!("expected the hello, got {other:?}"),
    }
}

/// The stream is read raw here (not through `HallClient::events`, which drops repeats on its
/// side) so that a gap or a repeat sent by the service shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_resumes_from_a_sequence_number_without_gaps_or_repeats() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client(KIOSK);
        for i in 0..5 {
            kiosk.issue(&issue_req(&format!("r{i}"), "linshi-sfz")).await.unwrap();
        }
        let (mut ws, _) = ws_connect(&h.events_url(&format!("since=0&token={DISPLAY}"))).await.map(|ws| (ws, ())).unwrap();
        let hello = expect_hello(&mut ws).await;
        assert_eq!((hello.last_seq, hello.since), (6, 0));
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(next_event(&mut ws).await);
        }
        assert!(matches!(seen[0].event, EventView::DayOpened { .. }), "{:?}", seen[0]);
        match &seen[5].event {
            EventView::TicketIssued { ticket } => assert_eq!(ticket.number, "B005"),
            other => panic!("{other:?}"),
        }
        // Live events follow the log without a gap, while more are issued.
        let issuing = {
            let kiosk = kiosk.clone();
            tokio::spawn(async move {
                for i in 5..25 {
                    kiosk.issue(&issue_req(&format!("r{i}"), "linshi-sfz")).await.unwrap();
                }
            })
        };
        for _ in 0..10 {
            seen.push(next_event(&mut ws).await);
        }
        ws.close(None).await.ok();
        let last = seen.last().unwrap().seq;
        within(30, "issuing", issuing).await.unwrap();
        h.client(COUNTER_1_6).window_action(WindowNo(4), WindowAction::CallNext, &none()).await.unwrap();
        // Reconnect from the last sequence seen: everything after it, once.
        let (mut ws, _) = ws_connect(&h.events_url(&format!("since={last}&token={DISPLAY}"))).await.map(|ws| (ws, ())).unwrap();
        assert_eq!(expect_hello(&mut ws).await.since, last);
        loop {
            let e = next_event(&mut ws).await;
            let called = matches!(e.event, EventView::TicketCalled { .. });
            seen.push(e);
            if called {
                break;
            }
        }
        let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gap or repeat in the stream");
        assert_eq!(seen.last().unwrap().event.call().map(|(_, n, w)| (n.as_str().to_string(), w)), Some(("B001".to_string(), WindowNo(4))));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn openapi_documents_every_route() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let http = client();
        let doc: Value = http.get(h.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
        let paths: HashMap<String, Value> = serde_json::from_value(doc["paths"].clone()).unwrap();
        for p in [
            "/health",
            "/openapi.json",
            "/catalog",
            "/state",
            "/tickets",
            "/tickets/{id}",
            "/tickets/{id}/evaluation",
            "/windows/{window}/{action}",
            "/events",
            "/me",
            "/windows/{window}/waiting",
            "/announce",
            "/devices/status",
        ] {
            assert!(paths.contains_key(p), "{p} missing from openapi.json");
        }
        // And every documented path answers (not the router's 404); tests/contract.rs checks
        // every method of every route.
        for p in paths.keys() {
            let concrete =
                p.replace("{id}", "20261127-A001").replace("{window}", "1").replace("{action}", "open").replace("{code}", "YY0000");
            let r = http.get(h.url(&concrete)).bearer_auth(MANAGER).send().await.unwrap();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_ne!(body["error"]["code"], "not_found", "{p} is documented but not routed");
        }
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn catalog_shows_items_with_mode_materials_and_windows() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let c = h.client(KIOSK).catalog().await.unwrap();
        assert!(c.services.len() >= 40);
        let hukou = c.services.iter().find(|s| s.id == "hukou-qianru").unwrap();
        assert_eq!(hukou.mode_label, "网上预审、窗口核准取件");
        assert_eq!(hukou.department.name.as_deref(), Some("公安局"));
        assert_eq!(hukou.identity, IdentityRule::Required);
        assert!(hukou.materials.iter().any(|m| m == "居民户口簿"));
        // In English too: the mode and every material, one for one.
        assert_eq!(hukou.mode_label_en, "Pre-reviewed online, approved and collected at a window");
        assert_eq!(hukou.materials_en.len(), hukou.materials.len());
        assert_eq!(hukou.materials_en[1], "Household register (hukou booklet)");
        let floors: BTreeSet<i32> = hukou.windows.iter().map(|w| w.floor).collect();
        assert_eq!(floors, BTreeSet::from([1]));
        // The kiosk manager menu's PIN hash is in a kiosk's catalogue only.
        // It is the salted Argon2 hash, and it opens with the demo PIN.
        let pin = c.kiosk.manager_pin.as_deref().expect("a kiosk gets the PIN hash");
        assert!(pin.starts_with("$argon2id$") && hallq::kiosk::pin::verify_pin(pin, "2468"), "{pin}");
        for other in [MANAGER, COUNTER_1_6, SYSTEM] {
            let theirs = h.client(other).catalog().await.unwrap();
            assert_eq!(theirs.kiosk.manager_pin, None, "{other}");
            assert!(!serde_json::to_string(&theirs).unwrap().contains("argon2"), "{other}");
        }
        // A display has no need of the catalogue at all.
        assert_eq!(refusal(h.client(DISPLAY).catalog().await), (403, ErrorCode::ForbiddenRole));
        h.stop().await;
    })
    .await
}

/// A kiosk fetches the catalogue again only when the configuration changed (ETag → 304) and
/// the waits as small figures; at the brief's scale the figures are a few hundred times
/// smaller than the catalogue.
#[tokio::test]
async fn the_catalogue_is_fetched_again_only_when_the_configuration_changes() {
    within(120, "test", async {
        let h = TestHall::start_with(hallq::config::scale::hall_231(), MORNING).await;
        let kiosk = h.client(KIOSK);
        let (first, tag) = kiosk.catalog_if_changed(None).await.unwrap().expect("a first catalogue");
        let tag = tag.expect("an ETag");
        assert!(kiosk.catalog_if_changed(Some(&tag)).await.unwrap().is_none(), "unchanged: 304");
        // Another role holds another catalogue (a kiosk's has its PIN): not its tag.
        let (_, manager_tag) = h.client(MANAGER).catalog_if_changed(None).await.unwrap().unwrap();
        assert_ne!(manager_tag.as_deref(), Some(tag.as_str()));
        assert!(h.client(MANAGER).catalog_if_changed(Some(&tag)).await.unwrap().is_some());

        // Waits change with every ticket; the figures say so, the catalogue's tag does not.
        let before = kiosk.catalog_figures().await.unwrap();
        let service = first.services.iter().find(|s| s.kiosk && s.identity != IdentityRule::Required).unwrap();
        let body = hallq_proto::IssueTicket {
            request_id: "figures-1".into(),
            service: service.id.clone(),
            identity: None,
            priority: Priority::Normal,
            appointment_slot: None,
        };
        kiosk.issue(&body).await.unwrap();
        let after = kiosk.catalog_figures().await.unwrap();
        let waiting = |f: &hallq_proto::CatalogFigures| f.queues.iter().find(|q| q.id == service.queue).unwrap().waiting;
        assert_eq!(waiting(&after), waiting(&before) + 1);
        assert!(after.seq > before.seq);
        assert_eq!(after.config_version, first.config_version);
        assert!(kiosk.catalog_if_changed(Some(&tag)).await.unwrap().is_none(), "a ticket is no reason to fetch it again");

        // A configuration change is.
        let manager = h.client(MANAGER);
        let text = hallq::config::scale::hall_231_toml().replacen("welcome = \"", "welcome = \"新：", 1);
        manager.put_config(&text, None).await.unwrap();
        let (changed, new_tag) = kiosk.catalog_if_changed(Some(&tag)).await.unwrap().expect("changed: the new catalogue");
        assert_ne!(new_tag.as_deref(), Some(tag.as_str()));
        assert!(changed.config_version > first.config_version);
        assert_eq!(kiosk.catalog_figures().await.unwrap().config_version, changed.config_version);

        let sizes = (serde_json::to_vec(&changed).unwrap().len(), serde_json::to_vec(&after).unwrap().len());
        println!("231-window hall: the catalogue {} bytes, the figures {} bytes", sizes.0, sizes.1);
        assert!(sizes.1 * 100 < sizes.0, "{sizes:?}");
        h.stop().await;
    })
    .await
}

/// 帮办: a visitor at a kiosk asks for staff; the call is in the chain once however often the
/// button is pressed, the desk and managers see it with the kiosk's place (and an alert),
/// displays and other kiosks do not; the one who goes answers it, recorded by staff number.
#[tokio::test]
async fn a_visitor_asks_for_help_and_the_desk_answers() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client(KIOSK);
        let mine = kiosk.call_for_help().await.unwrap();
        assert_eq!(mine.calls.len(), 1);
        assert_eq!((mine.calls[0].kiosk.as_str(), mine.calls[0].place.as_str()), ("kiosk-1", "1楼大厅东侧"));
        h.advance(chrono::Duration::seconds(90));
        assert_eq!(kiosk.call_for_help().await.unwrap().calls.len(), 1, "pressed again: the same call");
        // Another kiosk sees only its own.
        assert!(h.client("demo-kiosk-2").call_for_help().await.unwrap().calls.iter().all(|c| c.kiosk == "kiosk-2"));
        for who in [DISPLAY, SYSTEM] {
            assert_eq!(refusal(h.client(who).help_calls().await).1, ErrorCode::ForbiddenRole, "{who}");
        }
        let desk = h.client(&h.client("").login("1001", "demo-1001").await.unwrap().token);
        let open = desk.help_calls().await.unwrap();
        assert_eq!(open.calls.iter().map(|c| c.kiosk.as_str()).collect::<Vec<_>>(), ["kiosk-1", "kiosk-2"]);
        assert_eq!(open.calls[0].minutes, 1);
        // Managers get an alert with the place.
        let manager = h.client(MANAGER);
        let alert = within(10, "the help alert", async {
            loop {
                let a = manager.alerts().await.unwrap();
                if let Some(x) =
                    a.active.into_iter().find(|x| x.kind == hallq_proto::AlertKind::HelpRequested && x.message.contains("kiosk-1"))
                {
                    return x;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(alert.message.contains("1楼大厅东侧"), "{}", alert.message);
        // Answered: closed, and nobody can answer it twice.
        let left = desk.answer_help("kiosk-1").await.unwrap();
        assert_eq!(left.calls.iter().map(|c| c.kiosk.as_str()).collect::<Vec<_>>(), ["kiosk-2"]);
        assert_eq!(refusal(manager.answer_help("kiosk-1").await).1, ErrorCode::NoHelpCall);
        let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
        let log = hallq::store::events_since(&conn, 0, 10_000).unwrap();
        let kinds: Vec<String> = log.iter().filter(|r| r.event.kind().starts_with("help_")).map(|r| r.event.to_string()).collect();
        assert_eq!(kinds, ["kiosk-1 asks for help", "kiosk-2 asks for help", "kiosk-1 help answered by staff 1001"]);
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn counters_see_their_windows_and_waiting_line_and_displays_get_the_voice() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let counter = h.client(COUNTER_1_6);
        let me = counter.me().await.unwrap();
        assert_eq!((me.role, me.windows.len()), (Role::Counter, 6));
        let kiosk = h.client(KIOSK);
        kiosk.issue(&issue_req("n1", "linshi-sfz")).await.unwrap();
        let elderly = identity(&common::id_number("19400101", 3), "李四");
        let t = kiosk.issue(&issue_with_card("n2", "wuzui-zhengming", &elderly)).await.unwrap().ticket;
        assert_eq!(t.priority, Priority::Green, "born in 1940: the green channel");
        let w = counter.waiting(WindowNo(4)).await.unwrap();
        let order: Vec<&str> = w.tickets.iter().map(|t| t.number.as_str()).collect();
        assert_eq!(order, ["B002", "B001"], "the elderly visitor (green channel) is first in line");
        assert_eq!(w.tickets[0].holder.as_deref(), Some("李*"));
        assert_eq!(refusal(counter.waiting(WindowNo(7)).await), (403, ErrorCode::ForbiddenWindow));
        // The spoken call, as the hall display fetches it.
        let wav = h.client(DISPLAY).announce("B001", WindowNo(4)).await.unwrap();
        let reader = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
        let secs = reader.duration() as f32 / reader.spec().sample_rate as f32;
        assert!((3.0..15.0).contains(&secs), "two readings of the call take {secs} s");
        let (s, e) = get(&client(), &h.url("/announce?number=B001"), DISPLAY).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some("bad_query")));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_visitor_follows_only_their_own_ticket() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client(KIOSK);
        let t = kiosk.issue(&issue_req("v1", "linshi-sfz")).await.unwrap().ticket;
        let (id, token) = (t.id.as_str(), t.token.as_deref().unwrap());
        let bad = tokio_tungstenite::connect_async(h.events_url(&format!("ticket={id}&token=nope"))).await;
        assert!(bad.is_err(), "a wrong ticket token must not open the stream");
        let (mut ws, _) = tokio_tungstenite::connect_async(h.events_url(&format!("ticket={id}&token={token}"))).await.unwrap();
        expect_hello(&mut ws).await;
        let wang = identity(&common::id_number("19900101", 1), "王五");
        kiosk.issue(&issue_with_card("v2", "linshi-sfz", &wang)).await.unwrap();
        let (msg, text) = next_msg(&mut ws).await;
        match msg {
            StreamMessage::Event(e) => match e.event {
                EventView::TicketIssued { ticket } => assert_eq!((ticket.number.as_str(), ticket.holder), ("B002", None)),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(
            !text.contains('王') && !text.contains("holder") && !text.contains("token"),
            "a visitor's stream carries no one's details: {text}"
        );
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn kiosks_report_device_faults_that_managers_see() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let (kiosk, manager) = (h.client(KIOSK), h.client(MANAGER));
        let fault = "打印机缺纸，请联系工作人员";
        let r = kiosk.device_status("ticket-printer", Some(fault)).await.unwrap();
        assert_eq!((r.kiosk.as_str(), r.fault.as_deref()), ("kiosk-1", Some(fault)));
        let devices = manager.state().await.unwrap().devices.expect("managers see the devices");
        assert_eq!(
            devices,
            [DeviceView { kiosk: "kiosk-1".into(), device: "ticket-printer".into(), ok: false, fault: Some(fault.into()) }]
        );
        assert_eq!(h.client(DISPLAY).state().await.unwrap().devices, None, "displays do not");
        kiosk.device_status("ticket-printer", None).await.unwrap();
        assert!(manager.state().await.unwrap().devices.unwrap()[0].ok);
        assert_eq!(refusal(h.client(DISPLAY).device_status("x", None).await), (403, ErrorCode::ForbiddenRole));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn staff_sign_in_with_number_and_password() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let anon = h.client("");
        let me = anon.login("1001", "demo-1001").await.unwrap();
        assert_eq!(me.windows, (1..=6).map(WindowNo).collect::<Vec<_>>());
        // The session works like a counter token for the person's windows.
        let staff = h.client(&me.token);
        let who = staff.me().await.unwrap();
        assert_eq!(who.role, Role::Counter);
        assert!(who.name.contains("1001"), "{who:?}");
        h.client(KIOSK).issue(&issue_req("s1", "linshi-sfz")).await.unwrap();
        let w = staff.window_action(WindowNo(4), WindowAction::CallNext, &none()).await.unwrap();
        assert_eq!(w.window.current.unwrap().number, "B001");
        assert_eq!(refusal(staff.window_action(WindowNo(7), WindowAction::CallNext, &none()).await), (403, ErrorCode::ForbiddenWindow));
        // Like a counter token, it may issue a ticket at the window.
        assert!(!staff.issue(&issue_req("s2", "linshi-sfz")).await.unwrap().repeated);
        // A forged session (another staff number on the same signature) is refused.
        let forged = h.client(&me.token.replacen("staff.1001.", "staff.1002.", 1));
        assert_eq!(refusal(forged.window_action(WindowNo(8), WindowAction::CallNext, &none()).await), (401, ErrorCode::SessionExpired));

        // Wrong password and unknown number get the same answer; five wrong ones lock the number.
        assert_eq!(refusal(anon.login("9999", "demo-1001").await), (401, ErrorCode::WrongPassword));
        for _ in 0..hallq::staff::MAX_FAILURES {
            assert_eq!(refusal(anon.login("1002", "guess").await), (401, ErrorCode::WrongPassword));
        }
        match anon.login("1002", "demo-1002").await {
            Err(hallq_proto::ClientError::Refused { status: 429, code: ErrorCode::SigninLocked, message, .. }) => {
                assert!(message.contains("分钟"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // Bad bodies are 4xx with a stable code.
        let http = client();
        let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "1001"})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some("bad_json")));
        assert_eq!(refusal(anon.login("", "").await), (422, ErrorCode::MissingField));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn appointments_are_booked_found_by_card_and_checked_in() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let (system, kiosk) = (h.client(SYSTEM), h.client(KIOSK));
        let li = identity(&common::id_number("19800101", 7), "李四");
        // 09:30 now: a 10:00 slot may be checked in; a 11:00 one not yet.
        let book = |code: &str, slot: &str| BookAppointment {
            code: code.into(),
            service: "hukou-qianru".into(),
            slot: DateTime::parse_from_rfc3339(slot).unwrap(),
            identity: Some(li.clone()),
        };
        let a = system.book_appointment(&book("yy1001", "2026-11-27T10:00:00+08:00")).await.unwrap();
        assert_eq!(a.code, "YY1001");
        let holder = a.holder.expect("the booking system gets the holder back, masked");
        assert_eq!(holder.name, "李*", "only the masked name comes back");
        assert_eq!(
            system.book_appointment(&book("YY1001", "2026-11-27T10:00:00+08:00")).await.unwrap().code,
            "YY1001",
            "repeating a booking is harmless"
        );
        system.book_appointment(&book("YY1002", "2026-11-27T11:00:00+08:00")).await.unwrap();
        assert_eq!(
            refusal(system.book_appointment(&book("YY1001", "2026-11-27T11:00:00+08:00")).await),
            (409, ErrorCode::DuplicateAppointment)
        );
        assert_eq!(refusal(kiosk.book_appointment(&book("YY1003", "2026-11-27T11:00:00+08:00")).await).0, 403, "kiosks do not book");

        // The card finds both, soonest first; another person finds none.
        let found = kiosk.find_appointments(&li).await.unwrap();
        let codes: Vec<&str> = found.appointments.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["YY1001", "YY1002"]);
        let wang = identity(&common::id_number("19700101", 3), "王五");
        assert_eq!(kiosk.find_appointments(&wang).await.unwrap().appointments, []);

        // Check-in by code (lower case as typed), then again: the same ticket.
        let check_in = |rid: &str, who: Option<&hallq_proto::Identity>| CheckIn { request_id: rid.into(), identity: who.cloned() };
        let first = kiosk.check_in("yy1001", &check_in("ci-1", Some(&li))).await.unwrap();
        assert!(!first.repeated);
        assert_eq!((first.ticket.priority, first.ticket.number.as_str()), (Priority::Appointment, "C001"));
        let again = kiosk.check_in("YY1001", &check_in("ci-2", Some(&li))).await.unwrap();
        assert!(again.repeated);
        assert_eq!(again.ticket.id, first.ticket.id);
        // Someone else's card with this code, too early, unknown code: each says why.
        assert_eq!(refusal(kiosk.check_in("YY1002", &check_in("ci-3", Some(&wang))).await), (409, ErrorCode::AppointmentNotYours));
        match kiosk.check_in("YY1002", &check_in("ci-4", None)).await {
            // The hall's words in both languages, and when to come back as a field (the
            // kiosk's next step reads it; it does not parse the message).
            Err(hallq_proto::ClientError::Refused { status: 409, code: ErrorCode::CheckInTooEarly, message, message_en, until }) => {
                assert!(message.contains("10:00"), "{message}");
                assert_eq!(message_en.as_deref(), Some("It is too early to check in; please check in after 10:00."));
                assert_eq!(until.as_deref(), Some("10:00"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(refusal(kiosk.check_in("NOPE00", &check_in("ci-5", None)).await), (404, ErrorCode::UnknownAppointment));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn results_wait_for_their_owner_and_scans_reach_the_counter() {
    use base64::Engine as _;
    within(120, "test", async {
        let h = TestHall::start().await;
        let (system, kiosk) = (h.client(SYSTEM), h.client(KIOSK));
        let owner = identity(&common::id_number("19800101", 7), "李四");
        // A 3 MB PDF: well over the 16 KiB limit of other requests.
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(3 * 1024 * 1024, b'x');
        let delivery = DeliverResult {
            external_id: "SP-2026-0001".into(),
            identity: owner.clone(),
            title: "营业执照".into(),
            department: "市场监管局".into(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            keep_days: None,
        };
        let r = system.deliver_result(&delivery).await.unwrap();
        // A repeated delivery is the same result. (Its `expires_at` is not compared: the
        // service recomputes it from the clock for a repeat, see the report of issue 9.)
        assert_eq!(system.deliver_result(&delivery).await.unwrap().id, r.id, "a repeated delivery is one result");
        assert_eq!(refusal(kiosk.deliver_result(&delivery).await).0, 403, "kiosks do not deliver results");
        let gif = DeliverResult {
            external_id: "x".into(),
            title: "t".into(),
            department: String::new(),
            pdf_base64: "R0lGODlh".into(),
            ..delivery.clone()
        };
        assert_eq!(refusal(system.deliver_result(&gif).await), (415, ErrorCode::NotPdf));

        // The owner's card finds it; someone else's finds nothing.
        let found = kiosk.find_results(&owner).await.unwrap();
        assert_eq!(found.results.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["营业执照"]);
        let wang = identity(&common::id_number("19700101", 3), "王五");
        assert_eq!(kiosk.find_results(&wang).await.unwrap().results, []);
        assert_eq!(
            kiosk.find_results(&identity(&common::id_number("19800101", 7), "王五")).await.unwrap().results,
            [],
            "the owner's number with another name"
        );
        let nonce = found.results[0].nonce.clone().expect("a kiosk's find answers with a nonce");
        assert_eq!(refusal(kiosk.result_pdf(&r.id, None).await), (403, ErrorCode::ResultNonceRequired));
        assert_eq!(kiosk.result_pdf(&r.id, Some(&nonce)).await.unwrap(), pdf);
        assert_eq!(kiosk.result_collected(&r.id, Some(&nonce)).await.unwrap().collected_by, "kiosk-1");
        assert_eq!(
            refusal(kiosk.result_collected(&r.id, Some(&nonce)).await),
            (403, ErrorCode::BadResultNonce),
            "collected: its nonces end"
        );
        assert_eq!(refusal(h.client(MANAGER).result_collected(&r.id, None).await), (409, ErrorCode::AlreadyCollected));
        assert_eq!(kiosk.find_results(&owner).await.unwrap().results, [], "collected: gone from the list");
        assert_eq!(refusal(h.client(MANAGER).result_pdf(&r.id, None).await).0, 409);

        // Scanned materials attached to a ticket reach the counter.
        let t = kiosk.issue(&issue_req("scan-1", "linshi-sfz")).await.unwrap().ticket;
        let scan = b"%PDF-1.4 three pages".to_vec();
        let meta = kiosk.attach(&t.id, "临时身份证材料", 3, scan.clone()).await.unwrap();
        assert_eq!((meta.pages, meta.ticket.as_str()), (3, t.id.as_str()));
        let counter = h.client(COUNTER_1_6);
        // Only once its window has called the ticket does a counter read its materials.
        assert_eq!(refusal(counter.attachments(&t.id).await), (403, ErrorCode::ForbiddenWindow));
        counter.window_action(WindowNo(4), WindowAction::Open, &WindowCommand::default()).await.unwrap();
        let called = counter.window_action(WindowNo(4), WindowAction::CallNext, &WindowCommand::default()).await.unwrap();
        assert_eq!(called.window.current.map(|c| c.id), Some(t.id.clone()));
        assert_eq!(refusal(h.client(COUNTER_7_16).attachments(&t.id).await), (403, ErrorCode::ForbiddenWindow), "another floor's counter");
        let list = counter.attachments(&t.id).await.unwrap();
        assert_eq!(list.attachments.iter().map(|a| (a.pages, a.title.as_str())).collect::<Vec<_>>(), [(3, "临时身份证材料")]);
        assert_eq!(counter.attachment_pdf(&list.attachments[0].id).await.unwrap(), scan);
        assert_eq!(refusal(kiosk.attachments(&t.id).await).0, 403, "a kiosk cannot read what others scanned");
        assert_eq!(refusal(kiosk.attach(&"20261127-Z999".into(), "x", 1, scan).await), (404, ErrorCode::UnknownTicket));
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn managers_change_the_configuration_live() {
    within(180, "test", async {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hall.toml");
        std::fs::write(&file, hallq::config::DEFAULT_TOML).unwrap();
        let data = dir.path().join("data");
        let port = common::free_port();
        let server = format!("http://127.0.0.1:{port}");
        let child = ChildGuard(common::spawn_serve(&file, &data, port));
        common::wait_healthy(&format!("{server}/api/v1")).await;
        let hall = |token: &str| hallq_proto::HallClient::with_timeout(&server, token, CALL_TIMEOUT);
        let (manager, kiosk) = (hall(MANAGER), hall(KIOSK));
        let c = manager.config().await.unwrap();
        assert_eq!(c.version, 1);
        // The text in force, every token shown as its SHA-256 only.
        assert_eq!(c.toml.as_deref(), Some(hallq::config::redact_tokens(hallq::config::DEFAULT_TOML).unwrap().as_str()));
        assert!(!c.toml.as_deref().unwrap_or("").contains("demo-kiosk-1"));
        assert_eq!(refusal(kiosk.config().await).0, 403);

        // Follow the event stream as a kiosk does.
        let mut feed = kiosk.events(None);
        assert!(matches!(within(10, "the stream", feed.next()).await, Some(FeedItem::Connected { .. })));

        // A manager renames the hall, hides an item from the kiosks and adds a kiosk token.
        let edited = hallq::config::DEFAULT_TOML.replacen("name = \"示例县市民之家\"", "name = \"示例县政务服务中心\"", 1).replacen(
            "id = \"linshi-sfz\"",
            "id = \"linshi-sfz\"\nkiosk = false",
            1,
        ) + "\n[[tokens]]\ntoken = \"new-kiosk-token-3\"\nrole = \"kiosk\"\nname = \"kiosk-3\"\n";
        assert_eq!(manager.put_config(&edited, Some(1)).await.unwrap().version, 2);
        match within(10, "config_changed", feed.next()).await {
            Some(FeedItem::Event { event, live: true }) => {
                assert!(matches!(event.event, EventView::ConfigChanged { version: 2, .. }), "{event:?}")
            }
            other => panic!("{other:?}"),
        }
        let cat = hall("new-kiosk-token-3").catalog().await.unwrap();
        assert_eq!(cat.hall.name, "示例县政务服务中心", "the new token and the new name work at once");
        assert_eq!(cat.config_version, 2);
        assert!(!cat.services.iter().find(|s| s.id == "linshi-sfz").unwrap().kiosk);

        // Editing an old version, or an invalid text, changes nothing.
        assert_eq!(refusal(manager.put_config(&edited, Some(1)).await), (409, ErrorCode::VersionConflict));
        match manager.put_config(&edited.replacen("prefix = \"A\"", "prefix = \"AA\"", 1), Some(2)).await {
            Err(hallq_proto::ClientError::Refused { status: 422, code: ErrorCode::InvalidConfig, message, .. }) => {
                assert!(message.contains("prefix"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        drop(feed);

        // A restart keeps the manager's version; then the installer edits the file and reloads.
        drop(child);
        let _child = ChildGuard(common::spawn_serve(&file, &data, port));
        common::wait_healthy(&format!("{server}/api/v1")).await;
        assert_eq!(kiosk.catalog().await.unwrap().hall.name, "示例县政务服务中心");
        std::fs::write(&file, hallq::config::DEFAULT_TOML.replacen("name = \"示例县市民之家\"", "name = \"示例县便民服务中心\"", 1))
            .unwrap();
        let r = manager.reload_config().await.unwrap();
        assert_eq!((r.version, r.changed), (3, true));
        assert_eq!(kiosk.catalog().await.unwrap().hall.name, "示例县便民服务中心");
        assert_eq!(refusal(hall("new-kiosk-token-3").catalog().await), (401, ErrorCode::Unauthorized), "the file has no such token");
        assert!(!manager.reload_config().await.unwrap().changed);

        // Every version listed with who put it in force; a diff between two; one-step rollback.
        let list = manager.config_versions().await.unwrap();
        assert_eq!(list.in_force, 3);
        assert_eq!(list.versions.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
        assert!(list.versions[0].in_force && !list.versions[1].in_force);
        let v2 = &list.versions[1];
        assert_eq!(v2.actor, Some(hallq_proto::Actor::token("manager")), "{v2:?}");
        assert!(v2.at.is_some() && v2.by.as_deref() == Some("manager"), "{v2:?}");
        assert!(list.versions[0].by.as_deref().is_some_and(|b| b.contains("reload")), "{:?}", list.versions[0]);
        let d = manager.config_diff(2, 3).await.unwrap();
        assert!(d.diff.contains("-name = \"示例县政务服务中心\"") && d.diff.contains("+name = \"示例县便民服务中心\""), "{}", d.diff);
        assert!(d.diff.contains("-token_sha256") && !d.diff.contains("new-kiosk-token-3"), "tokens stay redacted in a diff:\n{}", d.diff);
        assert_eq!(manager.config_diff(2, 2).await.unwrap().diff, "");
        assert_eq!(refusal(manager.config_diff(2, 99).await), (404, ErrorCode::NotFound));
        let old = manager.config_version(2).await.unwrap();
        assert!(old.toml.as_deref().is_some_and(|t| t.contains("示例县政务服务中心") && !t.contains("new-kiosk-token-3")));
        // Version 2 holds kiosk-3's token, which the file's version 3 took out: a rollback
        // does not bring back a revoked token.
        match manager.config_rollback(2, Some(3)).await {
            Err(hallq_proto::ClientError::Refused { status: 422, code: ErrorCode::InvalidConfig, message, .. }) => {
                assert!(message.contains("kiosk-3"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(refusal(hall("new-kiosk-token-3").catalog().await).0, 401);
        assert_eq!(refusal(manager.config_rollback(1, Some(2)).await), (409, ErrorCode::VersionConflict), "someone changed it meanwhile");
        let back = manager.config_rollback(1, Some(3)).await.unwrap();
        assert_eq!(back.version, 4);
        assert_eq!(back.digest, list.versions[2].digest, "version 1's text exactly");
        assert_eq!(kiosk.catalog().await.unwrap().hall.name, "示例县市民之家");
        let list = manager.config_versions().await.unwrap();
        assert!(list.versions[0].by.as_deref().is_some_and(|b| b.contains("rollback to v1")), "{:?}", list.versions[0]);
        assert_eq!(refusal(kiosk.config_versions().await).0, 403);

        // An invalid text is refused at its field and line, for the console to point at.
        let bad = hallq::config::DEFAULT_TOML.replacen("prefix = \"A\"", "prefix = \"AA\"", 1);
        let line = bad.lines().position(|l| l.contains("prefix = \"AA\"")).unwrap() + 1;
        let r = reqwest::Client::new().put(format!("{server}/api/v1/config")).bearer_auth(MANAGER).body(bad).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let e: hallq_proto::ErrorBody = r.json().await.unwrap();
        assert!(e.error.field.as_deref().is_some_and(|f| f.contains("prefix")), "{e:?}");
        assert_eq!(e.error.line, Some(line), "{e:?}");
    })
    .await
}
