//! The OpenAPI document against the service: every route of `api::RULES` is in
//! the document and the document has no other; every route is served by the router; and
//! the answers of a small hall day, its error answers, the stream's hello and its events
//! validate against the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses).
//!
//! The day runs through `HallClient`, as the kiosk, the counters and the displays do, with a
//! recording proxy between the client and the hall: what is validated is the raw JSON the
//! service sent, not a value the client re-serialized.

mod common;

use std::collections::{BTreeSet, HashMap};

use axum::http::header;
use chrono::DateTime;
use common::*;
/// Every route of the access table (method, path).
fn routes() -> Vec<(&'static str, &'static str)> {
    hallq::api::RULES.iter().map(|r| (r.method, r.path)).collect()
}
use hallq_proto::{self as proto, ErrorCode, HallClient, WindowAction, WindowCommand, WindowNo};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const KIOSK: &str = "demo-kiosk-1";
const COUNTER_1_6: &str = "demo-counter-1-6";
const COUNTER_7_16: &str = "demo-counter-7-16";
const DISPLAY: &str = "demo-display";
const MANAGER: &str = "demo-manager";
const SYSTEM: &str = "demo-system";

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The served OpenAPI document.
async fn fetch_doc(h: &TestHall) -> Value {
    let r = client().get(h.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    r.json().await.expect("the document is JSON")
}

/// (method, path) of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("a path item").iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

/// The ROUTES template that a concrete path (under /api/v1) and method match: literal
/// segments must be equal, `{x}` takes any one segment; the most literal template wins.
fn template_of(method: &str, path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.strip_prefix("/api/v1").unwrap_or(path).split('/').collect();
    routes()
        .into_iter()
        .filter(|(m, _)| *m == method)
        .filter_map(|(_, t)| {
            let ts: Vec<&str> = t.split('/').collect();
            let fits = ts.len() == segs.len() && ts.iter().zip(&segs).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s);
            fits.then(|| (ts.iter().filter(|t| !t.starts_with('{')).count(), t))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Validates JSON against the document's schemas.
struct Schemas {
    components: Value,
    doc: Value,
    cache: HashMap<String, jsonschema::Validator>,
}

impl Schemas {
    fn new(doc: Value) -> Schemas {
        Schemas { components: doc["components"].clone(), doc, cache: HashMap::new() }
    }

    /// The documented answer of an operation for a status (`Null` when undocumented).
    fn response(&self, method: &str, template: &str, status: u16) -> &Value {
        &self.doc["paths"][template][method]["responses"][status.to_string()]
    }

    /// The errors of `instance` against `schema` (which may `$ref` the document's
    /// components): empty when it is valid.
    fn errors(&mut self, schema: &Value, instance: &Value) -> Vec<String> {
        let key = schema.to_string();
        if !self.cache.contains_key(&key) {
            // `#/components/schemas/X` resolves against this root.
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": self.components,
                "allOf": [schema],
            });
            let v = jsonschema::draft202012::options().build(&root).unwrap_or_else(|e| panic!("schema {key} does not compile: {e}"));
            self.cache.insert(key.clone(), v);
        }
        self.cache[&key].iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
    }

    fn component(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }
}

fn rt<T: Serialize + DeserializeOwned>(v: &Value) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(&t).unwrap())
}

/// The answer read as the contract's type and written again: equal to what was sent
/// unless the service sent a field the contract does not have (or misses one it has).
fn round_trip(schema_name: &str, v: &Value) -> Option<Result<Value, String>> {
    macro_rules! by_name {
        ($($t:ident),* $(,)?) => {
            match schema_name {
                $(stringify!($t) => Some(rt::<proto::$t>(v)),)*
                _ => None,
            }
        };
    }
    by_name!(
        Health,
        Catalog,
        HallState,
        Me,
        LoginAnswer,
        TicketView,
        EvaluationAnswer,
        WindowActionAnswer,
        DeviceStatusAnswer,
        WaitingLine,
        AppointmentView,
        AppointmentList,
        ResultList,
        Delivered,
        Collected,
        AttachmentMeta,
        AttachmentList,
        ConfigVersion,
        ConfigSaved,
        ConfigReloaded,
        AlertsView,
        ErrorBody,
        StreamEvent,
        Hello,
    )
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Checks one JSON value against a schema and, where the schema names a contract type,
/// that the type reads and writes it unchanged. Problems are pushed to `problems`.
fn check_json(schemas: &mut Schemas, schema: &Value, v: &Value, what: &str, problems: &mut Vec<String>) {
    for e in schemas.errors(schema, v) {
        problems.push(format!("{what}: {e}\n    in {}", short(v)));
    }
    if let Some(name) = ref_name(schema) {
        match round_trip(name, v) {
            Some(Ok(back)) if back != *v => problems.push(format!(
                "{what}: {name} does not read and write it unchanged:\n    sent {}\n    read {}",
                short(v),
                short(&back)
            )),
            Some(Err(e)) => problems.push(format!("{what}: not a {name}: {e}\n    in {}", short(v))),
            _ => {}
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s
    }
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_in_the_table() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let doc = fetch_doc(&h).await;
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "OpenAPI 3.1: {}", doc["openapi"]);
        assert_eq!(doc["servers"][0]["url"], "/api/v1", "paths are relative to /api/v1");
        let in_doc = documented(&doc);
        let in_table: BTreeSet<(String, String)> = routes().iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(in_table.len(), routes().len(), "ROUTES lists a route twice");
        let missing: Vec<_> = in_table.difference(&in_doc).collect();
        let unlisted: Vec<_> = in_doc.difference(&in_table).collect();
        assert!(missing.is_empty(), "routes of ROUTES missing from openapi.json: {missing:?}");
        assert!(unlisted.is_empty(), "operations of openapi.json missing from ROUTES: {unlisted:?}");
        // Every $ref of the document names a component schema.
        let text = doc.to_string();
        let dangling: BTreeSet<&str> = text
            .split("\"$ref\":\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .filter(|r| r.strip_prefix("#/components/schemas/").is_none_or(|name| doc["components"]["schemas"].get(name).is_none()))
            .collect();
        assert!(
            dangling.is_empty(),
            "openapi.json refers to schemas it does not define (register them in ApiDoc's components in src/api/openapi.rs): {dangling:?}"
        );
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn every_route_of_the_table_is_served() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let http = client();
        for (method, path) in routes() {
            let concrete =
                path.replace("{id}", "20261127-A001").replace("{window}", "1").replace("{action}", "open").replace("{code}", "YY0000");
            let m = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let r = http.request(m, h.url(&concrete)).bearer_auth(MANAGER).send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let code = body["error"]["code"].as_str();
            assert!(
                status != 405 && code != Some("not_found") && code != Some("method_not_allowed"),
                "{method} {path} is in ROUTES but the router does not serve it: {status} {body}"
            );
        }
        // The fallbacks themselves answer with their codes.
        let r = http.get(h.url("/no/such/route")).bearer_auth(MANAGER).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "not_found");
        let r = http.delete(h.url("/tickets")).bearer_auth(MANAGER).send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "method_not_allowed");
        h.stop().await;
    })
    .await
}

#[test]
fn every_error_code_has_a_client_or_server_error_status() {
    for code in ErrorCode::ALL {
        let s = code.http_status();
        assert!((400..600).contains(&s), "{code}: {s}");
        // The code reads back from its wire form.
        let back: ErrorCode = serde_json::from_value(json!(code.as_str())).unwrap();
        assert_eq!(back, *code);
    }
}

/// Issue 9's small hall day through HallClient (and, for bad input, raw requests through
/// the same proxy); every answer is then checked against the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_of_a_hall_day_validate_against_the_documented_schemas() {
    within(300, "test", async {
        let h = TestHall::start().await;
        let (server, log) = recording_proxy(&h.server()).await;
        let hall = |token: &str| HallClient::with_timeout(&server, token, CALL_TIMEOUT);
        let (anon, kiosk, display, manager, system) = (hall(""), hall(KIOSK), hall(DISPLAY), hall(MANAGER), hall(SYSTEM));
        let (counter, counter_1_6) = (hall(COUNTER_7_16), hall(COUNTER_1_6));
        let raw = client();
        let none = WindowCommand::default;

        // The document itself, and who is who.
        raw.get(format!("{server}/api/v1/openapi.json")).send().await.unwrap();
        anon.health().await.unwrap();
        let login = anon.login("1001", "demo-1001").await.unwrap();
        let staff = hall(&login.token);
        // Each role reads what the access table lets it (the refusals are validated too).
        let allowed = |r: Result<(), hallq_proto::ClientError>| match r {
            Ok(()) | Err(hallq_proto::ClientError::Refused { code: ErrorCode::ForbiddenRole, .. }) => {}
            Err(e) => panic!("{e:?}"),
        };
        for c in [&kiosk, &display, &manager, &system, &counter, &staff] {
            allowed(c.catalog().await.map(drop));
            allowed(c.catalog_figures().await.map(drop));
            allowed(c.me().await.map(drop));
            allowed(c.state().await.map(drop));
        }

        // The catalogue again with its ETag: 304, nothing sent.
        let (_, tag) = kiosk.catalog_if_changed(None).await.unwrap().unwrap();
        assert!(kiosk.catalog_if_changed(tag.as_deref()).await.unwrap().is_none());

        // 帮办: a kiosk calls, the desk sees it and goes; a second answer finds nothing open.
        kiosk.call_for_help().await.unwrap();
        assert_eq!(staff.help_calls().await.unwrap().calls.len(), 1);
        staff.answer_help("kiosk-1").await.unwrap();
        assert_eq!(refusal(manager.answer_help("kiosk-1").await).1, ErrorCode::NoHelpCall);

        // Tickets with and without an ID card, a retry, an elderly visitor.
        let zhang = identity(&id_number("19900101", 7), "张三");
        let elder = identity(&id_number("19450312", 8), "欧阳娜娜");
        let c1 = kiosk.issue(&issue_with_card("day-1", "hukou-qianru", &zhang)).await.unwrap().ticket;
        let b1 = kiosk.issue(&issue_req("day-2", "linshi-sfz")).await.unwrap().ticket;
        assert!(kiosk.issue(&issue_req("day-2", "linshi-sfz")).await.unwrap().repeated);
        let b2 = kiosk.issue(&issue_with_card("day-3", "wuzui-zhengming", &elder)).await.unwrap().ticket;
        assert_eq!(b2.priority, proto::Priority::Green);
        let token = c1.token.clone().unwrap();
        kiosk.device_status("ticket-printer", Some("打印机缺纸")).await.unwrap();
        kiosk.device_status("ticket-printer", None).await.unwrap();
        // Offline issuing: a lease, a ticket printed from it uploaded (twice: the same answer),
        // another kiosk's upload of that number refused.
        let lease = kiosk.lease(&proto::QueueId::new("H")).await.unwrap();
        assert_eq!((lease.to, lease.to + 1 - lease.from), (999, 10));
        let printed_at = h.hall.now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let upload = proto::UploadOffline {
            request_id: proto::RequestId::new("day-offline-1"),
            service: proto::ServiceId::new("shui-kaihu"),
            number: proto::TicketNumber::new(format!("H{}", lease.from)),
            issued_at: printed_at,
            identity: None,
            token: "0123456789abcdef0123456789abcdef".into(),
        };
        let off = kiosk.upload_offline(&upload).await.unwrap();
        assert!(off.ticket.offline && !off.repeated);
        assert!(kiosk.upload_offline(&upload).await.unwrap().repeated);
        let other = hall("demo-kiosk-2");
        assert_eq!(refusal(other.upload_offline(&upload).await).1, ErrorCode::NotLeased);
        // A print time past the calendar's end (which chrono parses) is refused at the door, and
        // the hall's writer keeps answering.
        let far = serde_json::json!({"request_id": "day-offline-far", "service": "shui-kaihu", "number": format!("H{}", lease.from + 1),
            "issued_at": "+262142-12-31T23:59:59Z", "token": "0123456789abcdef0123456789abcdef"});
        let r = raw.post(h.url("/tickets/offline")).bearer_auth(KIOSK).json(&far).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{:?}", r.text().await);
        kiosk.device_status("ticket-printer", None).await.unwrap();
        for c in [&kiosk, &manager, &counter, &display, &system] {
            allowed(c.ticket(&c1.id).await.map(drop));
        }
        anon.ticket_as_visitor(&c1.id, &token).await.unwrap();
        counter.waiting(WindowNo(7)).await.unwrap();
        counter_1_6.waiting(WindowNo(4)).await.unwrap();

        // Window 7 calls C001, recalls it, serves it; the visitor rates on the phone.
        counter.window_action(WindowNo(7), WindowAction::CallNext, &none()).await.unwrap();
        assert_eq!(refusal(counter.window_action(WindowNo(7), WindowAction::Recall, &none()).await).1, ErrorCode::RecallTooSoon);
        h.advance(chrono::Duration::seconds(30));
        counter.window_action(WindowNo(7), WindowAction::Recall, &none()).await.unwrap();
        counter.window_action(WindowNo(7), WindowAction::Start, &none()).await.unwrap();
        counter.window_action(WindowNo(7), WindowAction::Finish, &none()).await.unwrap();
        counter.window_action(WindowNo(7), WindowAction::RequestRating, &none()).await.unwrap();
        anon.evaluate(&c1.id, &proto::Evaluate { rating: proto::Rating::VerySatisfied, token: Some(token.clone()), nonce: None })
            .await
            .unwrap();
        assert_eq!(
            refusal(
                anon.evaluate(&c1.id, &proto::Evaluate { rating: proto::Rating::Satisfied, token: Some(token.clone()), nonce: None }).await
            )
            .1,
            ErrorCode::AlreadyRated
        );
        assert_eq!(
            refusal(counter.evaluate(&c1.id, &proto::Evaluate { rating: proto::Rating::Satisfied, token: None, nonce: None }).await).1,
            ErrorCode::ForbiddenRole
        );

        // Window 4 (a signed-in member of staff): the green channel first, a no-show put back,
        // a call out of turn, a transfer, a pause with its reason.
        let first = staff.window_action(WindowNo(4), WindowAction::CallNext, &none()).await.unwrap().window.current.unwrap().id;
        staff.window_action(WindowNo(4), WindowAction::Start, &none()).await.unwrap();
        staff.window_action(WindowNo(4), WindowAction::Finish, &none()).await.unwrap();
        let second = staff.window_action(WindowNo(4), WindowAction::CallNext, &none()).await.unwrap().window.current.unwrap().id;
        assert_eq!(BTreeSet::from([first, second.clone()]), BTreeSet::from([b1.id.clone(), b2.id.clone()]));
        // 过号 only after the hall's rule: 2 recalls or 3 minutes after the call.
        assert_eq!(refusal(staff.window_action(WindowNo(4), WindowAction::NoShow, &none()).await).1, ErrorCode::NoShowTooSoon);
        h.advance(chrono::Duration::minutes(3));
        staff.window_action(WindowNo(4), WindowAction::NoShow, &none()).await.unwrap();
        let again = WindowCommand { ticket: Some(second.clone()), ..none() };
        staff.window_action(WindowNo(4), WindowAction::Requeue, &again).await.unwrap();
        assert_eq!(refusal(staff.window_action(WindowNo(4), WindowAction::Call, &again).await).1, ErrorCode::ReasonRequired);
        let out_of_turn = WindowCommand { reason: Some("材料已补齐".into()), ..again.clone() };
        staff.window_action(WindowNo(4), WindowAction::Call, &out_of_turn).await.unwrap();
        staff.window_action(WindowNo(4), WindowAction::Start, &none()).await.unwrap();
        let to = WindowCommand { service: Some("sfz-buling".into()), ..none() };
        staff.window_action(WindowNo(4), WindowAction::Transfer, &to).await.unwrap();
        let pause = WindowCommand { reason: Some("系统维护".into()), ..none() };
        staff.window_action(WindowNo(4), WindowAction::Pause, &pause).await.unwrap();
        assert_eq!(refusal(staff.window_action(WindowNo(4), WindowAction::CallNext, &none()).await).1, ErrorCode::WindowPaused);
        staff.window_action(WindowNo(4), WindowAction::Resume, &none()).await.unwrap();
        staff.window_action(WindowNo(4), WindowAction::Close, &none()).await.unwrap();
        staff.window_action(WindowNo(4), WindowAction::Open, &none()).await.unwrap();
        // The transferred ticket is served at window 8; its visitor rates on the phone.
        counter.window_action(WindowNo(8), WindowAction::CallNext, &none()).await.unwrap();
        counter.window_action(WindowNo(8), WindowAction::Start, &none()).await.unwrap();
        counter.window_action(WindowNo(8), WindowAction::Finish, &none()).await.unwrap();
        let second_token = [&b1, &b2].into_iter().find(|t| t.id == second).and_then(|t| t.token.clone());
        anon.evaluate(&second, &proto::Evaluate { rating: proto::Rating::Satisfied, token: second_token, nonce: None }).await.unwrap();
        assert_eq!(refusal(manager.window_action(WindowNo(23), WindowAction::CallNext, &none()).await).1, ErrorCode::NothingWaiting);

        // Appointments.
        let li = identity(&id_number("19800101", 9), "李四");
        let slot = DateTime::parse_from_rfc3339("2026-11-27T10:00:00+08:00").unwrap();
        let book = |code: &str, service: &str, who: Option<&proto::Identity>| proto::BookAppointment {
            code: code.into(),
            service: service.into(),
            slot,
            identity: who.cloned(),
        };
        system.book_appointment(&book("YY2001", "huzhao", Some(&li))).await.unwrap();
        system.book_appointment(&book("YY2001", "huzhao", Some(&li))).await.unwrap();
        system.book_appointment(&book("YY2002", "sfz-buling", None)).await.unwrap();
        kiosk.find_appointments(&li).await.unwrap();
        let ci = kiosk.check_in("YY2001", &proto::CheckIn { request_id: "day-ci-1".into(), identity: Some(li.clone()) }).await.unwrap();
        assert!(!ci.repeated);
        assert!(kiosk.check_in("YY2001", &proto::CheckIn { request_id: "day-ci-2".into(), identity: None }).await.unwrap().repeated);
        kiosk.check_in("yy2002", &proto::CheckIn { request_id: "day-ci-3".into(), identity: None }).await.unwrap();

        // Results and scanned materials.
        use base64::Engine as _;
        let pdf = b"%PDF-1.7\nresult".to_vec();
        let delivery = proto::DeliverResult {
            external_id: "SP-1".into(),
            identity: li.clone(),
            title: "护照受理回执".into(),
            department: "出入境".into(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            keep_days: Some(7),
        };
        let r = system.deliver_result(&delivery).await.unwrap();
        system.deliver_result(&delivery).await.unwrap();
        let not_pdf = proto::DeliverResult { external_id: "SP-2".into(), pdf_base64: "R0lGODlh".into(), ..delivery.clone() };
        assert_eq!(refusal(system.deliver_result(&not_pdf).await).1, ErrorCode::NotPdf);
        let nonce = kiosk.find_results(&li).await.unwrap().results[0].nonce.clone();
        assert_eq!(refusal(kiosk.result_pdf(&r.id, None).await).1, ErrorCode::ResultNonceRequired);
        assert_eq!(refusal(kiosk.result_pdf(&r.id, Some("0123")).await).1, ErrorCode::BadResultNonce);
        assert_eq!(kiosk.result_pdf(&r.id, nonce.as_deref()).await.unwrap(), pdf);
        kiosk.result_collected(&r.id, nonce.as_deref()).await.unwrap();
        assert_eq!(refusal(kiosk.result_collected(&r.id, nonce.as_deref()).await).1, ErrorCode::BadResultNonce);
        assert_eq!(refusal(manager.result_collected(&r.id, None).await).1, ErrorCode::AlreadyCollected);
        let a = kiosk.attach(&ci.ticket.id, "护照材料", 2, b"%PDF-1.4 scan".to_vec()).await.unwrap();
        // A counter reads the materials of tickets its windows called.
        counter.window_action(WindowNo(7), WindowAction::Open, &none()).await.unwrap();
        let pre = WindowCommand { ticket: Some(ci.ticket.id.clone()), reason: Some("预审材料".into()), ..none() };
        counter.window_action(WindowNo(7), WindowAction::Call, &pre).await.unwrap();
        counter.attachments(&ci.ticket.id).await.unwrap();
        counter.attachment_pdf(&a.id).await.unwrap();

        // Configuration and voice.
        manager.config().await.unwrap();
        let saved = manager.put_config(hallq::config::DEFAULT_TOML, None).await.unwrap();
        assert_eq!(refusal(manager.put_config(hallq::config::DEFAULT_TOML, Some(saved.version + 5)).await).1, ErrorCode::VersionConflict);
        manager.config().await.unwrap();
        assert_eq!(refusal(manager.reload_config().await).1, ErrorCode::NoConfigFile);
        // The service as `hallq serve --config FILE` starts it: the file is its source; the
        // installer edits it and has it reloaded.
        let file = h.dir.path().join("hall.toml");
        std::fs::write(&file, hallq::config::DEFAULT_TOML).unwrap();
        hallq::config::live::ConfigStore::new(h.dir.path()).resolve(&file).unwrap();
        std::fs::write(&file, hallq::config::DEFAULT_TOML.replacen("name = \"示例县市民之家\"", "name = \"示例县便民服务中心\"", 1))
            .unwrap();
        assert!(manager.reload_config().await.unwrap().changed);
        assert!(!manager.reload_config().await.unwrap().changed);
        // Every version, one, a diff, a rollback, and the ticket preview of a text.
        let newest = manager.config_versions().await.unwrap().in_force;
        manager.config_version(newest).await.unwrap();
        assert_eq!(refusal(manager.config_version(newest + 100).await).1, ErrorCode::NotFound);
        manager.config_diff(1, newest).await.unwrap();
        manager.config_rollback(newest - 1, Some(newest)).await.unwrap();
        let preview =
            |body: &'static str| raw.post(format!("{server}/api/v1/config/ticket-preview")).bearer_auth(MANAGER).body(body).send();
        assert_eq!(preview(hallq::config::DEFAULT_TOML).await.unwrap().status(), 200);
        assert_eq!(preview("[hall]\nname = 1\n").await.unwrap().status(), 422);
        // The service desk issues and reprints on its printer (the simulator here).
        let at_desk = proto::IssueTicket {
            request_id: "desk-contract-1".into(),
            service: "linshi-sfz".into(),
            identity: None,
            priority: proto::Priority::Normal,
            appointment_slot: None,
        };
        let d = staff.desk_issue("desk-1", &at_desk).await.unwrap();
        assert!(d.print.printed, "{:?}", d.print);
        staff.desk_issue("desk-1", &at_desk).await.unwrap();
        staff.desk_reprint("desk-1", &d.ticket.id).await.unwrap();
        assert_eq!(refusal(staff.desk_reprint("desk-0", &d.ticket.id).await).1, ErrorCode::UnknownDesk);
        display.announce("C001", WindowNo(7)).await.unwrap();
        // Reports of the day so far.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let report = manager.report(day, day, hallq_proto::ReportBy::Window).await.unwrap();
        assert!(report.rows.iter().any(|r| r.key == "7"), "{report:?}");
        // The same as files, the charts, and supervision (C001 was called by choice at window 7).
        manager.report_export(day, day, hallq_proto::ReportBy::Window, "csv", "zh").await.unwrap();
        manager.report_export(day, day, hallq_proto::ReportBy::Staff, "xlsx", "en").await.unwrap();
        manager.report_charts(day, day).await.unwrap();
        let supervision = manager.supervision(day, day, None, None).await.unwrap();
        assert!(supervision.actions.iter().any(|a| a.reason.as_deref() == Some("预审材料")), "{supervision:?}");
        // Alerts: the scanner's fault is raised within a few seconds of the hall's clock.
        kiosk.device_status("scanner", Some("scanner jammed")).await.unwrap();
        let alerts = within(10, "the scanner's alert", async {
            loop {
                let a = manager.alerts().await.unwrap();
                if a.active.iter().any(|a| a.subject.device.as_deref() == Some("scanner")) {
                    break a;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
        .await;
        assert!(alerts.active.iter().all(|a| !a.message.is_empty() && !a.message_en.is_empty()), "{alerts:?}");
        kiosk.device_status("scanner", None).await.unwrap();
        // The monitoring's view and readiness.
        anon.ready().await.unwrap();
        hall("demo-metrics").metrics().await.unwrap();

        // Refusals of every kind of caller mistake.
        assert_eq!(refusal(hall("not-a-token").state().await).1, ErrorCode::Unauthorized);
        assert_eq!(refusal(display.issue(&issue_req("day-x", "linshi-sfz")).await).1, ErrorCode::ForbiddenRole);
        assert_eq!(refusal(counter.window_action(WindowNo(4), WindowAction::CallNext, &none()).await).1, ErrorCode::ForbiddenWindow);
        assert_eq!(refusal(manager.ticket(&"20991231-Z999".into()).await).1, ErrorCode::UnknownTicket);
        assert_eq!(refusal(anon.login("1002", "wrong").await).1, ErrorCode::WrongPassword);
        assert_eq!(refusal(kiosk.issue(&issue_req("day-y", "no-such-item")).await).1, ErrorCode::UnknownService);
        let base = format!("{server}/api/v1");
        let sent = [
            raw.post(format!("{base}/tickets")).bearer_auth(KIOSK).body("{not json").send().await,
            raw.post(format!("{base}/tickets")).bearer_auth(KIOSK).body(vec![b'x'; 20_000]).send().await,
            raw.post(format!("{base}/windows/4/dance")).bearer_auth(MANAGER).send().await,
            raw.get(format!("{base}/no/such/route")).send().await,
            raw.delete(format!("{base}/tickets")).bearer_auth(KIOSK).send().await,
            raw.get(format!("{base}/events")).bearer_auth(DISPLAY).send().await,
            raw.get(format!("{base}/announce?number=C001")).bearer_auth(DISPLAY).send().await,
            raw.get(format!("{base}/state")).send().await,
        ];
        for r in sent {
            assert!(r.unwrap().status().is_client_error());
        }

        // A browser's one-time stream ticket, and a second staff session ended.
        hall(DISPLAY).stream_ticket().await.unwrap();
        let other = anon.login("2001", "demo-2001").await.unwrap();
        hall(&other.token).logout().await.unwrap();

        // A last public event that every stream below reads up to.
        let sentinel = manager
            .window_action(WindowNo(26), WindowAction::Pause, &WindowCommand { reason: Some("下班".into()), ..none() })
            .await
            .unwrap();
        let last = sentinel.events.last().expect("the pause is an event").seq;

        // Now check every answer the proxy saw.
        let doc = fetch_doc(&h).await;
        let mut schemas = Schemas::new(doc);
        let mut problems = Vec::new();
        let mut undocumented_errors = BTreeSet::new();
        let mut answered: BTreeSet<(String, &str)> = BTreeSet::new();
        let mut codes_seen = BTreeSet::new();
        // The checks can fail: a wrong code, a missing field and a stray type are caught.
        let bad_error = json!({"error": {"code": "no_such_code", "message": 1}});
        assert_eq!(schemas.errors(&Schemas::component("ErrorBody"), &bad_error).len(), 2, "ErrorBody validation is not effective");
        let mut bad_ticket = serde_json::to_value(&c1).unwrap();
        assert!(schemas.errors(&Schemas::component("TicketView"), &bad_ticket).is_empty());
        bad_ticket.as_object_mut().unwrap().remove("number");
        bad_ticket["status"] = json!("lost");
        assert_eq!(schemas.errors(&Schemas::component("TicketView"), &bad_ticket).len(), 2, "TicketView validation is not effective");
        let mut extra = Vec::new();
        check_json(
            &mut schemas,
            &Schemas::component("Health"),
            &json!({"status": "ok", "seq": 1, "date": null, "now": "x", "id_hash": "ab"}),
            "x",
            &mut extra,
        );
        assert_eq!(extra.len(), 1, "a field outside the contract is not caught: {extra:?}");
        let exchanges = log.lock().unwrap().clone();
        assert!(exchanges.len() > 100, "the day made {} requests", exchanges.len());
        for x in &exchanges {
            let what = format!("{} {} → {}", x.method, x.path, x.status);
            let Some(template) = template_of(&x.method, &x.path) else {
                // Only the deliberate requests to no route and with no method get here.
                let e: Value = serde_json::from_slice(&x.body).unwrap_or(Value::Null);
                check_json(&mut schemas, &Schemas::component("ErrorBody"), &e, &what, &mut problems);
                codes_seen.insert(e["error"]["code"].as_str().unwrap_or("").to_string());
                continue;
            };
            let documented = schemas.response(&x.method, template, x.status).clone();
            if x.status == 304 {
                // Not modified: documented, and nothing sent.
                if documented.is_null() || !x.body.is_empty() {
                    problems.push(format!("{what}: an undocumented 304, or one with a body ({} bytes)", x.body.len()));
                }
                continue;
            }
            if (200..300).contains(&x.status) {
                answered.insert((x.method.clone(), template));
                if documented.is_null() {
                    problems.push(format!("{what}: status {} is not documented for {} {template}", x.status, x.method));
                    continue;
                }
                let content = &documented["content"];
                if content.as_object().is_some_and(|c| !c.is_empty()) {
                    let ct = x.content_type.split(';').next().unwrap_or("").trim();
                    if content.get(ct).is_none() {
                        problems.push(format!(
                            "{what}: answered as {ct:?}, documented as {:?}",
                            content.as_object().unwrap().keys().collect::<Vec<_>>()
                        ));
                        continue;
                    }
                    if ct == "application/json" {
                        let v: Value = match serde_json::from_slice(&x.body) {
                            Ok(v) => v,
                            Err(e) => {
                                problems.push(format!("{what}: not JSON: {e}"));
                                continue;
                            }
                        };
                        let schema = content[ct]["schema"].clone();
                        check_json(&mut schemas, &schema, &v, &what, &mut problems);
                    }
                }
            } else {
                let e: Value = serde_json::from_slice(&x.body).unwrap_or(Value::Null);
                check_json(&mut schemas, &Schemas::component("ErrorBody"), &e, &what, &mut problems);
                match serde_json::from_value::<proto::ErrorBody>(e.clone()) {
                    Ok(b) => {
                        codes_seen.insert(b.error.code.as_str().to_string());
                        if b.error.code.http_status() != x.status {
                            problems.push(format!(
                                "{what}: code {} has status {} by the contract",
                                b.error.code,
                                b.error.code.http_status()
                            ));
                        }
                        if b.error.message.trim().is_empty() {
                            problems.push(format!("{what}: an error without a message"));
                        }
                    }
                    Err(err) => problems.push(format!("{what}: not an error body: {err}: {e}")),
                }
                if documented.is_null() {
                    undocumented_errors.insert(format!("{} {template} {}", x.method, x.status));
                } else if let Some(s) = documented["content"]["application/json"].get("schema") {
                    if ref_name(s) != Some("ErrorBody") {
                        problems.push(format!("{what}: documented with {s}, not ErrorBody"));
                    }
                }
            }
        }

        // The stream: the hello and every event, for the roles that see the most and the
        // least.
        let stream_schema = schemas.response("get", "/events", 101)["content"]["application/json"]["schema"].clone();
        assert_eq!(ref_name(&stream_schema), Some("StreamEvent"), "the stream's messages are documented");
        let mut kinds = BTreeSet::new();
        for query in [
            format!("since=0&token={MANAGER}"),
            format!("since=0&token={DISPLAY}"),
            format!("since=0&token={COUNTER_7_16}"),
            format!("since=0&token={}", login.token),
            format!("since=0&ticket={}&token={token}", c1.id),
        ] {
            let texts = stream_texts(&h.events_url(&query), last, 30).await;
            let (hello, events) = texts.split_first().expect("a hello");
            let hello: Value = serde_json::from_str(hello).unwrap();
            check_json(&mut schemas, &Schemas::component("Hello"), &hello, "the stream's hello", &mut problems);
            for t in events {
                let v: Value = serde_json::from_str(t).unwrap();
                kinds.insert(v["type"].as_str().unwrap_or("").to_string());
                check_json(&mut schemas, &stream_schema, &v, &format!("stream event ({query})"), &mut problems);
            }
        }
        answered.insert(("get".into(), "/events"));

        assert!(problems.is_empty(), "{} answers differ from openapi.json:\n{}", problems.len(), problems.join("\n"));
        // The day reached every route with an answer, every event kind and the refusals.
        let unanswered: Vec<_> = routes().into_iter().filter(|(m, p)| !answered.contains(&(m.to_string(), *p))).collect();
        assert!(unanswered.is_empty(), "the day left routes unchecked: {unanswered:?}");
        let all_kinds = [
            "day_opened",
            "ticket_issued",
            "window_opened",
            "window_closed",
            "ticket_called",
            "ticket_recalled",
            "service_started",
            "ticket_finished",
            "ticket_no_show",
            "ticket_requeued",
            "ticket_transferred",
            "window_paused",
            "window_resumed",
            "ticket_rated",
            "rating_requested",
            "device_status_changed",
            "appointment_booked",
            "appointment_checked_in",
            "config_changed",
            "result_collected",
            "numbers_leased",
            "ticket_reprinted",
            "help_requested",
            "help_answered",
        ];
        let missed: Vec<_> = all_kinds.iter().filter(|k| !kinds.contains(**k)).collect();
        assert!(missed.is_empty(), "event kinds not validated: {missed:?}");
        for c in [
            "unauthorized",
            "forbidden_role",
            "forbidden_window",
            "not_found",
            "method_not_allowed",
            "bad_json",
            "body_too_large",
            "websocket_required",
            "bad_query",
            "unknown_action",
            "unknown_ticket",
            "already_rated",
            "not_pdf",
            "version_conflict",
            "no_config_file",
            "wrong_password",
            "recall_too_soon",
            "no_show_too_soon",
            "no_help_call",
            "reason_required",
            "nothing_waiting",
            "window_paused",
            "already_collected",
            "unknown_service",
            "result_nonce_required",
            "bad_result_nonce",
            "unknown_desk",
        ] {
            assert!(codes_seen.contains(c), "the day never got a {c} refusal (seen: {codes_seen:?})");
        }
        if !undocumented_errors.is_empty() {
            eprintln!("error statuses answered but not in openapi.json: {undocumented_errors:?}");
        }
        h.stop().await;
    })
    .await
}
