//! Least privilege, cell by cell: every route of the access table (`hallq::api::RULES`)
//! with every role's token, no token, an expired staff session and a visitor's ticket
//! token. A caller the table does not allow gets 401 or 403 before the handler runs (so
//! before its body is read); one it allows never does.

mod common;

use chrono::Duration;
use common::*;
use hallq::api::{May, RULES};
use hallq::config::Role;
use serde_json::Value;

/// Who calls, and how they present themselves.
#[derive(Debug, Clone)]
enum Who {
    Role(Role, &'static str),
    /// A member of staff signed in (a counter, by password).
    Session(String),
    Nobody,
    ExpiredSession(String),
    Visitor {
        ticket: String,
        token: String,
    },
}

fn allowed(may: &[May], who: &Who) -> bool {
    may.contains(&May::Anyone)
        || match who {
            Who::Role(r, _) => may.contains(&May::Role(*r)),
            Who::Visitor { .. } => may.contains(&May::Visitor),
            Who::Session(_) => may.contains(&May::Role(Role::Counter)) || may.contains(&May::StaffSession),
            Who::Nobody | Who::ExpiredSession(_) => false,
        }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_every_caller() {
    within(120, "test", async {
        let h = TestHall::start().await;
        // A ticket whose token plays the visitor, and a staff session that then expires.
        let issued = h.client("demo-kiosk-1").issue(&issue_req("access-1", "linshi-sfz")).await.unwrap().ticket;
        let visitor = Who::Visitor { ticket: issued.id.to_string(), token: issued.token.clone().unwrap() };
        let session = h.client("").login("1001", "demo-1001").await.unwrap().token;
        let mut whos = vec![
            Who::Role(Role::Kiosk, "demo-kiosk-1"),
            Who::Role(Role::Counter, "demo-counter-1-6"),
            Who::Role(Role::Display, "demo-display"),
            Who::Role(Role::Manager, "demo-manager"),
            Who::Role(Role::System, "demo-system"),
            Who::Role(Role::Rating, "demo-rating-1"),
            Who::Role(Role::Metrics, "demo-metrics"),
            Who::Nobody,
            Who::ExpiredSession(session),
            visitor,
        ];
        // The session ends after 12 hours; another begins.
        h.advance(Duration::hours(13));
        whos.push(Who::Session(h.client("").login("1002", "demo-1002").await.unwrap().token));
        let http = client();
        let mut cells = 0;
        // Signing out ends the session the other cells use: that cell comes last.
        let mut rules: Vec<_> = RULES.iter().collect();
        rules.sort_by_key(|r| r.path == "/logout");
        for rule in rules {
            for who in &whos {
                let ticket = match who {
                    Who::Visitor { ticket, .. } => ticket.clone(),
                    _ => issued.id.to_string(),
                };
                let mut path = rule
                    .path
                    .replace("{id}", &ticket)
                    .replace("{window}", "1")
                    .replace("{action}", "open")
                    .replace("{code}", "YY0000")
                    .replace("{version}", "1")
                    .replace("{desk}", "desk-1");
                if let Who::Visitor { ticket, token } = who {
                    path = format!("{path}?ticket={ticket}&token={token}");
                }
                let mut req = http.request(rule.method.to_uppercase().parse().unwrap(), h.url(&path));
                match who {
                    Who::Role(_, token) => req = req.bearer_auth(token),
                    Who::ExpiredSession(token) | Who::Session(token) => req = req.bearer_auth(token),
                    _ => {}
                }
                // A body that would be refused if read: a refusal by role comes first. The
                // visitor's rating carries the ticket's token in its body, so it is read.
                if rule.path.ends_with("/evaluation") {
                    let token = match who {
                        Who::Visitor { token, .. } => serde_json::json!(token),
                        _ => Value::Null,
                    };
                    req = req.json(&serde_json::json!({"rating": "satisfied", "token": token}));
                } else if rule.method != "get" {
                    req = req.header("content-type", "application/json").body("{\"not\": \"valid for any route\"");
                }
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let code = body["error"]["code"].as_str().unwrap_or("").to_string();
                let refused_as_caller =
                    matches!((status, code.as_str()), (401, "unauthorized" | "session_expired") | (403, "forbidden_role"));
                if allowed(rule.may, who) {
                    assert!(!refused_as_caller, "{} {} as {who:?} is allowed but got {status} {code}", rule.method, rule.path);
                } else {
                    assert!(refused_as_caller, "{} {} as {who:?} must be refused but got {status} {body}", rule.method, rule.path);
                }
                cells += 1;
            }
        }
        assert_eq!(cells, RULES.len() * whos.len());
        eprintln!("{cells} cells of route × caller checked");
        h.stop().await;
    })
    .await
}

#[test]
fn the_table_opens_to_anyone_only_what_needs_no_token() {
    let open: Vec<&str> = RULES.iter().filter(|r| r.may.contains(&May::Anyone)).map(|r| r.path).collect();
    assert_eq!(open, ["/health", "/ready", "/openapi.json", "/login"]);
    let visitor: Vec<&str> = RULES.iter().filter(|r| r.may.contains(&May::Visitor)).map(|r| r.path).collect();
    assert_eq!(visitor, ["/events", "/tickets/{id}", "/tickets/{id}/evaluation"]);
    let sessions: Vec<&str> = RULES.iter().filter(|r| r.may.contains(&May::StaffSession)).map(|r| r.path).collect();
    // Signing out, and the service desk: a person behind every ticket it prints.
    assert_eq!(sessions, ["/logout", "/desks/{desk}/tickets", "/desks/{desk}/reprint"]);
    // Ratings: the visitor, or the rating tablet of a window; never the counter being rated.
    let rating = RULES.iter().find(|r| r.path == "/tickets/{id}/evaluation").unwrap();
    assert_eq!(rating.may, &[May::Visitor, May::Role(Role::Rating)]);
    let tablet: Vec<&str> = RULES.iter().filter(|r| r.may.contains(&May::Role(Role::Rating))).map(|r| r.path).collect();
    assert!(tablet.iter().all(|p| ["/me", "/events", "/stream-ticket", "/tickets/{id}/evaluation"].contains(p)), "{tablet:?}");
    // The monitoring's token reads the metrics and nothing else; only managers share them.
    let monitoring: Vec<&str> = RULES.iter().filter(|r| r.may.contains(&May::Role(Role::Metrics))).map(|r| r.path).collect();
    assert_eq!(monitoring, ["/metrics"]);
    assert_eq!(RULES.iter().find(|r| r.path == "/metrics").unwrap().may, &[May::Role(Role::Metrics), May::Role(Role::Manager)]);
    // The configuration is the managers' alone.
    for r in RULES.iter().filter(|r| r.path.starts_with("/config")) {
        assert_eq!(r.may, &[May::Role(Role::Manager)], "{}", r.path);
    }
}
