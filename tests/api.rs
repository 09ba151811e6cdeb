//! The LAN API over loopback against a real SQLite file: idempotent issuing under
//! concurrency, roles, bad input, counter flows, the visitor's page and the event stream.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const KIOSK: &str = "demo-kiosk-1";
const COUNTER_1_6: &str = "demo-counter-1-6";
const DISPLAY: &str = "demo-display";
const MANAGER: &str = "demo-manager";
const SYSTEM: &str = "demo-system";

/// Items that need no ID card, spread over four queues, each with a cap of 80 or more.
const NO_ID_ITEMS: &[&str] = &["linshi-sfz", "sfz-buling", "qiye-kaiban", "shui-kaihu", "ranqi-guohu", "fapiao-lingqu", "geshui-huisuan"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_retrying_get_no_duplicate_and_no_lost_ticket() {
    let h = TestHall::start().await;
    let per_client = 15;
    let mut tasks = Vec::new();
    for c in 0..32 {
        let url = h.url("/tickets");
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut got = Vec::new();
            for i in 0..per_client {
                let body = json!({"request_id": format!("c{c}-t{i}"), "service": NO_ID_ITEMS[(c * per_client + i) % NO_ID_ITEMS.len()]});
                // The kiosk did not see the first answer and sends the same request again,
                // concurrently with the first.
                let (a, b) = tokio::join!(post(&http, &url, KIOSK, body.clone()), post(&http, &url, KIOSK, body.clone()));
                assert!([200, 201].contains(&a.0) && [200, 201].contains(&b.0), "{a:?} {b:?}");
                assert_eq!(a.1["id"], b.1["id"], "a retry got a different ticket");
                assert_eq!([a.0, b.0].iter().filter(|s| **s == 201).count(), 1, "exactly one of the two is the creation");
                // And once more later, sequentially.
                let (s, again) = post(&http, &url, KIOSK, body).await;
                assert_eq!((s, &again["id"]), (200, &a.1["id"]));
                got.push((a.1["id"].as_str().unwrap().to_string(), a.1["number"].as_str().unwrap().to_string()));
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
    let http = client();
    let (_, state) = get(&http, &h.url("/state"), DISPLAY).await;
    let issued: u64 = state["queues"].as_array().unwrap().iter().map(|q| q["issued_today"].as_u64().unwrap()).sum();
    assert_eq!(issued, ids.len() as u64);
    for id in ids.iter().step_by(37) {
        let (s, t) = get(&http, &h.url(&format!("/tickets/{id}")), KIOSK).await;
        assert_eq!((s, t["status"].as_str()), (200, Some("waiting")));
    }
    let path = h.hall.db_path().to_path_buf();
    let _dir = h.stop().await;
    match hallq::store::verify(&path).unwrap() {
        hallq::store::Verdict::Intact { events, .. } => assert_eq!(events, 32 * per_client as u64 + 1),
        v => panic!("{v:?}"),
    }
}

#[tokio::test]
async fn tokens_and_roles() {
    let h = TestHall::start().await;
    let http = client();
    let issue = json!({"request_id": "r1", "service": "linshi-sfz"});
    let r = http.post(h.url("/tickets")).json(&issue).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "unauthorized");
    assert!(e["error"]["message"].as_str().unwrap().contains("令牌"));
    assert_eq!(post(&http, &h.url("/tickets"), "not-a-token", issue.clone()).await.0, 401);
    let (s, e) = post(&http, &h.url("/tickets"), DISPLAY, issue.clone()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden_role")));
    assert_eq!(post(&http, &h.url("/tickets"), KIOSK, issue).await.0, 201);
    // A counter bound to windows 1-6 may call at 4 but not at 7.
    let (s, e) = post(&http, &h.url("/windows/7/call-next"), COUNTER_1_6, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden_window")));
    let (s, w) = post(&http, &h.url("/windows/4/call-next"), COUNTER_1_6, json!({})).await;
    assert_eq!((s, w["window"]["current"]["number"].as_str()), (200, Some("B001")));
    // A kiosk cannot work a window; a display cannot either; a manager can.
    assert_eq!(post(&http, &h.url("/windows/4/finish"), KIOSK, json!({})).await.0, 403);
    assert_eq!(post(&http, &h.url("/windows/4/finish"), DISPLAY, json!({})).await.0, 403);
    assert_eq!(post(&http, &h.url("/windows/4/finish"), MANAGER, json!({})).await.0, 200);
    // Reading needs any valid token; health and the OpenAPI document need none.
    assert_eq!(http.get(h.url("/state")).send().await.unwrap().status(), 401);
    assert_eq!(http.get(h.url(&format!("/state?token={DISPLAY}"))).send().await.unwrap().status(), 200);
    assert_eq!(http.get(h.url("/health")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(h.url("/openapi.json")).send().await.unwrap().status(), 200);
    h.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_stable_code_never_a_5xx() {
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
        (br#"{"request_id":"x4","service":"linshi-sfz","priority":"appointment"}"#.to_vec(), "/tickets", 422, "appointment_slot_required"),
        (format!(r#"{{"request_id":"x5","service":"{}"}}"#, "a".repeat(20_000)).into_bytes(), "/tickets", 413, "body_too_large"),
        (br#"{"rating":"great"}"#.to_vec(), "/tickets/20261127-B001/evaluation", 400, "bad_json"),
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
    let r = http.get(h.url("/tickets/20991231-Z999")).bearer_auth(KIOSK).send().await.unwrap();
    assert_eq!(r.status(), 404);
    h.stop().await;
}

#[tokio::test]
async fn a_visitor_is_called_served_and_rates_from_the_phone_page() {
    let h = TestHall::start().await;
    let http = client();
    let id = common::id_number("19900101", 7);
    let (s, t) = post(
        &http,
        &h.url("/tickets"),
        KIOSK,
        json!({"request_id": "tap-1", "service": "hukou-qianru", "identity": {"id_number": id, "name": "张三"}}),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["number"], "C001");
    assert_eq!(t["holder"]["name"], "张*");
    assert_eq!(t["holder"]["id_number"], format!("{}**********{}", &id[..4], &id[14..]));
    assert_eq!(t["kiosk"], "kiosk-1");
    assert_eq!(t["issued_at"], "2026-11-27T09:30:00+08:00");
    assert!(!t.to_string().contains(&id), "clear ID number in a response");
    let tid = t["id"].as_str().unwrap().to_string();
    let token = t["token"].as_str().unwrap().to_string();
    // The phone page needs only the ticket's token.
    let page = http.get(h.url(&format!("/tickets/{tid}?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.unwrap();
    assert_eq!((page["people_ahead"].as_u64(), page["status"].as_str()), (Some(0), Some("waiting")));
    assert_eq!(http.get(h.url(&format!("/tickets/{tid}?token=wrong"))).send().await.unwrap().status(), 401);

    let counter = "demo-counter-7-16";
    let (s, w) = post(&http, &h.url("/windows/7/call-next"), counter, json!({})).await;
    assert_eq!((s, w["window"]["current"]["number"].as_str()), (200, Some("C001")));
    assert_eq!(w["events"][1]["type"], "ticket_called");
    let (s, e) = post(&http, &h.url("/windows/7/recall"), counter, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("recall_too_soon")));
    let (s, e) = post(&http, &h.url("/windows/7/call"), counter, json!({"ticket": "C001"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("reason_required")));
    let (s, e) = post(&http, &h.url("/windows/7/call"), counter, json!({"ticket": "C001", "reason": "再叫一次"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("ticket_not_waiting")));
    assert_eq!(post(&http, &h.url("/windows/7/start"), counter, json!({})).await.0, 200);
    assert_eq!(post(&http, &h.url("/windows/7/finish"), counter, Value::Null).await.0, 200);
    // The window's tablet asks for a rating; the visitor answers with the ticket's token.
    let (s, r) = post(&http, &h.url(&format!("/tickets/{tid}/evaluation")), "x", json!({"rating": "very_satisfied", "token": token})).await;
    assert_eq!((s, r["label"].as_str()), (200, Some("非常满意")));
    let (s, e) = post(&http, &h.url(&format!("/tickets/{tid}/evaluation")), counter, json!({"rating": "satisfied"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("already_rated")));
    // A counter that did not serve it may not rate it.
    let (s, e) = post(&http, &h.url(&format!("/tickets/{tid}/evaluation")), COUNTER_1_6, json!({"rating": "satisfied"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden_window")));
    let (_, t) = get(&http, &h.url(&format!("/tickets/{tid}")), MANAGER).await;
    assert_eq!(t["status"], "finished");
    assert_eq!(t["rating"], "very_satisfied");
    let what: Vec<&str> = t["history"].as_array().unwrap().iter().map(|h| h["what"].as_str().unwrap()).collect();
    assert_eq!(what, ["issued", "called", "started", "finished", "rated"]);
    // The same person may take this item twice a day, not three times.
    for (n, expect) in [(2, 201), (3, 409)] {
        let (s, _) = post(
            &http,
            &h.url("/tickets"),
            KIOSK,
            json!({"request_id": format!("tap-{n}"), "service": "hukou-qianru", "identity": {"id_number": id, "name": "张三"}}),
        )
        .await;
        assert_eq!(s, expect, "ticket {n} for the same person");
    }
    h.stop().await;
}

async fn next_json(ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin)) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await.expect("event in time").unwrap().unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_resumes_from_a_sequence_number_without_gaps_or_repeats() {
    let h = TestHall::start().await;
    let http = client();
    for i in 0..5 {
        post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": format!("r{i}"), "service": "linshi-sfz"})).await;
    }
    let ws_url = format!("ws://{}/api/v1/events?since=0&token={DISPLAY}", h.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!((hello["type"].as_str(), hello["last_seq"].as_u64()), (Some("hello"), Some(6)));
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(next_json(&mut ws).await);
    }
    assert_eq!(seen[0]["type"], "day_opened");
    assert_eq!(seen[5]["ticket"]["number"], "B005");
    // Live events follow the log without a gap, while more are issued.
    let issuing = {
        let url = h.url("/tickets");
        tokio::spawn(async move {
            let http = client();
            for i in 5..25 {
                post(&http, &url, KIOSK, json!({"request_id": format!("r{i}"), "service": "linshi-sfz"})).await;
            }
        })
    };
    for _ in 0..10 {
        seen.push(next_json(&mut ws).await);
    }
    ws.close(None).await.ok();
    let last = seen.last().unwrap()["seq"].as_u64().unwrap();
    issuing.await.unwrap();
    post(&http, &h.url("/windows/4/call-next"), COUNTER_1_6, json!({})).await;
    // Reconnect from the last sequence seen: everything after it, once.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/events?since={last}&token={DISPLAY}", h.addr)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    loop {
        let e = next_json(&mut ws).await;
        seen.push(e.clone());
        if e["type"] == "ticket_called" {
            break;
        }
    }
    let seqs: Vec<u64> = seen.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gap or repeat in the stream");
    assert_eq!(seen.last().unwrap()["number"], "B001");
    h.stop().await;
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let h = TestHall::start().await;
    let http = client();
    let doc: Value = http.get(h.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let paths: HashMap<String, Value> = serde_json::from_value(doc["paths"].clone()).unwrap();
    for p in ["/health", "/openapi.json", "/catalog", "/state", "/tickets", "/tickets/{id}", "/tickets/{id}/evaluation", "/windows/{window}/{action}", "/events", "/me", "/windows/{window}/waiting", "/announce", "/devices/status"] {
        assert!(paths.contains_key(p), "{p} missing from openapi.json");
    }
    // And every documented path answers (not the router's 404).
    for p in paths.keys() {
        let concrete = p.replace("{id}", "20261127-A001").replace("{window}", "1").replace("{action}", "open");
        let r = http.get(h.url(&concrete)).bearer_auth(MANAGER).send().await.unwrap();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_ne!(body["error"]["code"], "not_found", "{p} is documented but not routed");
    }
    h.stop().await;
}

#[tokio::test]
async fn catalog_shows_items_with_mode_materials_and_windows() {
    let h = TestHall::start().await;
    let (s, c) = get(&client(), &h.url("/catalog"), KIOSK).await;
    assert_eq!(s, 200);
    let services = c["services"].as_array().unwrap();
    assert!(services.len() >= 40);
    let hukou = services.iter().find(|s| s["id"] == "hukou-qianru").unwrap();
    assert_eq!(hukou["mode_label"], "网上预审、窗口核准取件");
    assert_eq!(hukou["department"]["name"], "公安局");
    assert!(hukou["materials"].as_array().unwrap().iter().any(|m| m == "居民户口簿"));
    let floors: BTreeSet<i64> = hukou["windows"].as_array().unwrap().iter().map(|w| w["floor"].as_i64().unwrap()).collect();
    assert_eq!(floors, BTreeSet::from([1]));
    h.stop().await;
}

#[tokio::test]
async fn counters_see_their_windows_and_waiting_line_and_displays_get_the_voice() {
    let h = TestHall::start().await;
    let http = client();
    let (s, me) = get(&http, &h.url("/me"), COUNTER_1_6).await;
    assert_eq!((s, me["role"].as_str(), me["windows"].as_array().unwrap().len()), (200, Some("counter"), 6));
    let id = common::id_number("19400101", 3);
    post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "n1", "service": "linshi-sfz"})).await;
    post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "n2", "service": "wuzui-zhengming", "identity": {"id_number": id, "name": "李四"}})).await;
    let (s, w) = get(&http, &h.url("/windows/4/waiting"), COUNTER_1_6).await;
    assert_eq!(s, 200);
    let order: Vec<&str> = w["tickets"].as_array().unwrap().iter().map(|t| t["number"].as_str().unwrap()).collect();
    assert_eq!(order, ["B002", "B001"], "the elderly visitor (green channel) is first in line");
    assert_eq!(w["tickets"][0]["holder"], "李*");
    assert_eq!(get(&http, &h.url("/windows/7/waiting"), COUNTER_1_6).await.0, 403);
    // The spoken call, as the hall display fetches it.
    let r = http.get(h.url("/announce?number=B001&window=4")).bearer_auth(DISPLAY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/wav");
    let wav = r.bytes().await.unwrap();
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
    let secs = reader.duration() as f32 / reader.spec().sample_rate as f32;
    assert!((3.0..15.0).contains(&secs), "two readings of the call take {secs} s");
    let (s, e) = get(&http, &h.url("/announce?number=B001"), DISPLAY).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("bad_query")));
    h.stop().await;
}

#[tokio::test]
async fn a_visitor_follows_only_their_own_ticket() {
    let h = TestHall::start().await;
    let http = client();
    let (_, t) = post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "v1", "service": "linshi-sfz"})).await;
    let (id, token) = (t["id"].as_str().unwrap(), t["token"].as_str().unwrap());
    let bad = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/events?ticket={id}&token=nope", h.addr)).await;
    assert!(bad.is_err(), "a wrong ticket token must not open the stream");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/events?ticket={id}&token={token}", h.addr)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "v2", "service": "linshi-sfz", "identity": {"id_number": common::id_number("19900101", 1), "name": "王五"}})).await;
    let e = next_json(&mut ws).await;
    assert_eq!(e["type"], "ticket_issued");
    assert!(e.get("ticket").is_none() && !e.to_string().contains("王"), "a visitor's stream carries no ticket details: {e}");
    h.stop().await;
}

#[tokio::test]
async fn kiosks_report_device_faults_that_managers_see() {
    let h = TestHall::start().await;
    let http = client();
    let (s, _) = post(&http, &h.url("/devices/status"), KIOSK, json!({"device": "ticket-printer", "fault": "打印机缺纸，请联系工作人员"})).await;
    assert_eq!(s, 200);
    let (_, state) = get(&http, &h.url("/state"), MANAGER).await;
    assert_eq!(state["devices"][0], json!({"kiosk": "kiosk-1", "device": "ticket-printer", "ok": false, "fault": "打印机缺纸，请联系工作人员"}));
    post(&http, &h.url("/devices/status"), KIOSK, json!({"device": "ticket-printer", "fault": null})).await;
    let (_, state) = get(&http, &h.url("/state"), MANAGER).await;
    assert_eq!(state["devices"][0]["ok"], true);
    assert_eq!(post(&http, &h.url("/devices/status"), DISPLAY, json!({"device": "x"})).await.0, 403);
    h.stop().await;
}

#[tokio::test]
async fn staff_sign_in_with_number_and_password() {
    let h = TestHall::start().await;
    let http = client();
    let (s, me) = post(&http, &h.url("/login"), "", json!({"staff_id": "1001", "password": "demo-1001"})).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["windows"], json!([1, 2, 3, 4, 5, 6]));
    let tok = me["token"].as_str().unwrap().to_string();
    // The session works like a counter token for the person's windows.
    let (s, who) = get(&http, &h.url("/me"), &tok).await;
    assert_eq!((s, who["role"].as_str()), (200, Some("counter")), "{who}");
    assert!(who["name"].as_str().unwrap().contains("1001"), "{who}");
    post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "s1", "service": "linshi-sfz"})).await;
    let (s, w) = post(&http, &h.url("/windows/4/call-next"), &tok, json!({})).await;
    assert_eq!((s, w["window"]["current"]["number"].as_str()), (200, Some("B001")));
    let (s, e) = post(&http, &h.url("/windows/7/call-next"), &tok, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden_window")));
    // Like a counter token, it may issue a ticket at the window.
    assert_eq!(post(&http, &h.url("/tickets"), &tok, json!({"request_id": "s2", "service": "linshi-sfz"})).await.0, 201);
    // A forged session (another staff number on the same signature) is refused.
    let forged = tok.replacen("staff.1001.", "staff.1002.", 1);
    let (s, e) = post(&http, &h.url("/windows/8/call-next"), &forged, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (401, Some("session_expired")));

    // Wrong password and unknown number get the same answer; five wrong ones lock the number.
    let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "9999", "password": "demo-1001"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (401, Some("wrong_password")));
    for _ in 0..hallq::staff::MAX_FAILURES {
        let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "1002", "password": "guess"})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (401, Some("wrong_password")));
    }
    let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "1002", "password": "demo-1002"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (429, Some("signin_locked")));
    assert!(e["error"]["message"].as_str().unwrap().contains("分钟"), "{e}");
    // Bad bodies are 4xx with a stable code.
    let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "1001"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("bad_json")));
    let (s, e) = post(&http, &h.url("/login"), "", json!({"staff_id": "", "password": ""})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("missing_field")));
    h.stop().await;
}

#[tokio::test]
async fn appointments_are_booked_found_by_card_and_checked_in() {
    let h = TestHall::start().await;
    let http = client();
    let person = common::id_number("19800101", 7);
    let identity = json!({"id_number": person, "name": "李四"});
    // 09:30 now: a 10:00 slot may be checked in; a 11:00 one not yet.
    let book = |code: &str, slot: &str| json!({"code": code, "service": "hukou-qianru", "slot": slot, "identity": identity});
    let (s, a) = post(&http, &h.url("/appointments"), SYSTEM, book("yy1001", "2026-11-27T10:00:00+08:00")).await;
    assert_eq!((s, a["code"].as_str()), (201, Some("YY1001")), "{a}");
    assert_eq!(a["holder"]["name"], "李*", "only the masked name comes back");
    assert_eq!(post(&http, &h.url("/appointments"), SYSTEM, book("YY1001", "2026-11-27T10:00:00+08:00")).await.0, 200, "repeating a booking is harmless");
    assert_eq!(post(&http, &h.url("/appointments"), SYSTEM, book("YY1002", "2026-11-27T11:00:00+08:00")).await.0, 201);
    let (s, e) = post(&http, &h.url("/appointments"), SYSTEM, book("YY1001", "2026-11-27T11:00:00+08:00")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("duplicate_appointment")));
    assert_eq!(post(&http, &h.url("/appointments"), KIOSK, book("YY1003", "2026-11-27T11:00:00+08:00")).await.0, 403, "kiosks do not book");

    // The card finds both, soonest first; another person finds none.
    let (s, found) = post(&http, &h.url("/appointments/find"), KIOSK, json!({"identity": identity})).await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = found["appointments"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["YY1001", "YY1002"]);
    let other = json!({"identity": {"id_number": common::id_number("19700101", 3), "name": "王五"}});
    assert_eq!(post(&http, &h.url("/appointments/find"), KIOSK, other.clone()).await.1["appointments"], json!([]));

    // Check-in by code (lower case as typed), then again: the same ticket.
    let (s, t) = post(&http, &h.url("/appointments/yy1001/check-in"), KIOSK, json!({"request_id": "ci-1", "identity": identity})).await;
    assert_eq!(s, 201, "{t}");
    assert_eq!((t["priority"].as_str(), t["number"].as_str()), (Some("appointment"), Some("C001")));
    let (s, again) = post(&http, &h.url("/appointments/YY1001/check-in"), KIOSK, json!({"request_id": "ci-2", "identity": identity})).await;
    assert_eq!((s, again["id"].clone()), (200, t["id"].clone()));
    // Someone else's card with this code, too early, unknown code: each says why.
    let (s, e) = post(&http, &h.url("/appointments/YY1002/check-in"), KIOSK, json!({"request_id": "ci-3", "identity": other["identity"]})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("appointment_not_yours")));
    let (s, e) = post(&http, &h.url("/appointments/YY1002/check-in"), KIOSK, json!({"request_id": "ci-4"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("check_in_too_early")));
    assert!(e["error"]["message"].as_str().unwrap().contains("10:00"), "{e}");
    let (s, e) = post(&http, &h.url("/appointments/NOPE00/check-in"), KIOSK, json!({"request_id": "ci-5"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("unknown_appointment")));
    h.stop().await;
}

#[tokio::test]
async fn results_wait_for_their_owner_and_scans_reach_the_counter() {
    use base64::Engine as _;
    let h = TestHall::start().await;
    let http = client();
    let owner = json!({"id_number": common::id_number("19800101", 7), "name": "李四"});
    // A 3 MB PDF: well over the 16 KiB limit of other requests.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(3 * 1024 * 1024, b'x');
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let delivery = json!({"external_id": "SP-2026-0001", "identity": owner, "title": "营业执照", "department": "市场监管局", "pdf_base64": b64});
    let (s, r) = post(&http, &h.url("/results"), SYSTEM, delivery.clone()).await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(post(&http, &h.url("/results"), SYSTEM, delivery).await, (200, json!({"id": id, "expires_at": r["expires_at"]})), "a repeated delivery is one result");
    assert_eq!(post(&http, &h.url("/results"), KIOSK, json!({})).await.0, 403, "kiosks do not deliver results");
    let (s, e) = post(&http, &h.url("/results"), SYSTEM, json!({"external_id": "x", "identity": owner, "title": "t", "pdf_base64": "R0lGODlh"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (415, Some("not_pdf")));

    // The owner's card finds it; someone else's finds nothing.
    let (s, found) = post(&http, &h.url("/results/find"), KIOSK, json!({"identity": owner})).await;
    assert_eq!((s, found["results"][0]["title"].as_str()), (200, Some("营业执照")));
    let other = json!({"identity": {"id_number": common::id_number("19700101", 3), "name": "王五"}});
    assert_eq!(post(&http, &h.url("/results/find"), KIOSK, other).await.1["results"], json!([]));
    let got = http.get(h.url(&format!("/results/{id}/pdf"))).bearer_auth(KIOSK).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let (s, c) = post(&http, &h.url(&format!("/results/{id}/collected")), KIOSK, json!({})).await;
    assert_eq!((s, c["collected_by"].as_str()), (200, Some("kiosk-1")));
    let (s, e) = post(&http, &h.url(&format!("/results/{id}/collected")), KIOSK, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("already_collected")));
    assert_eq!(post(&http, &h.url("/results/find"), KIOSK, json!({"identity": owner})).await.1["results"], json!([]), "collected: gone from the list");
    assert_eq!(http.get(h.url(&format!("/results/{id}/pdf"))).bearer_auth(KIOSK).send().await.unwrap().status(), 409);

    // Scanned materials attached to a ticket reach the counter.
    let (_, t) = post(&http, &h.url("/tickets"), KIOSK, json!({"request_id": "scan-1", "service": "linshi-sfz"})).await;
    let tid = t["id"].as_str().unwrap();
    let scan = b"%PDF-1.4 three pages".to_vec();
    let r = http.post(h.url(&format!("/tickets/{tid}/attachments?title=临时身份证材料&pages=3"))).bearer_auth(KIOSK).body(scan.clone()).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let (s, list) = get(&http, &h.url(&format!("/tickets/{tid}/attachments")), COUNTER_1_6).await;
    assert_eq!((s, list["attachments"][0]["pages"].as_u64(), list["attachments"][0]["title"].as_str()), (200, Some(3), Some("临时身份证材料")));
    let aid = list["attachments"][0]["id"].as_str().unwrap();
    let got = http.get(h.url(&format!("/attachments/{aid}/pdf"))).bearer_auth(COUNTER_1_6).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), scan.as_slice());
    assert_eq!(get(&http, &h.url(&format!("/tickets/{tid}/attachments")), KIOSK).await.0, 403, "a kiosk cannot read what others scanned");
    let r = http.post(h.url("/tickets/20261127-Z999/attachments")).bearer_auth(KIOSK).body(scan).send().await.unwrap();
    assert_eq!(r.status(), 404);
    h.stop().await;
}

#[tokio::test]
async fn managers_change_the_configuration_live() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hall.toml");
    std::fs::write(&file, hallq::config::DEFAULT_TOML).unwrap();
    let data = dir.path().join("data");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let mut child = common::spawn_serve(&file, &data, port);
    common::wait_healthy(&base).await;
    let http = client();
    let (s, c) = get(&http, &format!("{base}/config"), MANAGER).await;
    assert_eq!((s, c["version"].as_u64()), (200, Some(1)));
    assert_eq!(c["toml"].as_str(), Some(hallq::config::DEFAULT_TOML));
    assert_eq!(get(&http, &format!("{base}/config"), KIOSK).await.0, 403);

    // Follow the event stream as a kiosk would.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/v1/events?token={KIOSK}")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");

    // A manager renames the hall, hides an item from the kiosks and adds a kiosk token.
    let edited = hallq::config::DEFAULT_TOML
        .replacen("name = \"示例县市民之家\"", "name = \"示例县政务服务中心\"", 1)
        .replacen("id = \"linshi-sfz\"", "id = \"linshi-sfz\"\nkiosk = false", 1)
        + "\n[[tokens]]\ntoken = \"new-kiosk-token-3\"\nrole = \"kiosk\"\nname = \"kiosk-3\"\n";
    let put = |body: String, version: &str| http.put(format!("{base}/config")).bearer_auth(MANAGER).header("If-Match", version).body(body).send();
    let r = put(edited.clone(), "1").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);
    let e = next_json(&mut ws).await;
    assert_eq!((e["type"].as_str(), e["version"].as_u64()), (Some("config_changed"), Some(2)));
    let (_, cat) = get(&http, &format!("{base}/catalog"), "new-kiosk-token-3").await;
    assert_eq!(cat["hall"]["name"], "示例县政务服务中心", "the new token and the new name work at once");
    assert_eq!(cat["config_version"], 2);
    let item = cat["services"].as_array().unwrap().iter().find(|s| s["id"] == "linshi-sfz").unwrap();
    assert_eq!(item["kiosk"], false);

    // Editing an old version, or an invalid text, changes nothing.
    let r = put(edited.clone(), "1").await.unwrap();
    assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()["error"]["code"].clone()), (409, json!("version_conflict")));
    let r = put(edited.replacen("prefix = \"A\"", "prefix = \"AA\"", 1), "2").await.unwrap();
    assert_eq!(r.status(), 422);
    let e = r.json::<Value>().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid_config");
    assert!(e["error"]["message"].as_str().unwrap().contains("prefix"), "{e}");

    // A restart keeps the manager's version; then the installer edits the file and reloads.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut child = common::spawn_serve(&file, &data, port);
    common::wait_healthy(&base).await;
    assert_eq!(get(&http, &format!("{base}/catalog"), KIOSK).await.1["hall"]["name"], "示例县政务服务中心");
    std::fs::write(&file, hallq::config::DEFAULT_TOML.replacen("name = \"示例县市民之家\"", "name = \"示例县便民服务中心\"", 1)).unwrap();
    let (s, r) = post(&http, &format!("{base}/config/reload"), MANAGER, json!({})).await;
    assert_eq!((s, r["version"].as_u64(), r["changed"].as_bool()), (200, Some(3), Some(true)));
    assert_eq!(get(&http, &format!("{base}/catalog"), KIOSK).await.1["hall"]["name"], "示例县便民服务中心");
    assert_eq!(get(&http, &format!("{base}/catalog"), "new-kiosk-token-3").await.0, 401, "the file has no such token");
    let (_, r) = post(&http, &format!("{base}/config/reload"), MANAGER, json!({})).await;
    assert_eq!(r["changed"], false);
    child.kill().unwrap();
    child.wait().unwrap();
}
