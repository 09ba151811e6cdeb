//! Issue 11: reports over the API (`GET /reports`), for managers only, from the read model
//! brought up to the newest event, with who served each ticket.

mod common;

use chrono::NaiveDate;
use common::*;
use hallq_proto::{ErrorCode, Evaluate, Rating, ReportBy, WindowAction, WindowCommand, WindowNo};

#[tokio::test]
async fn managers_get_reports_by_item_window_and_staff_member() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let kiosk = h.client("demo-kiosk-1");
        let mut issued = Vec::new();
        for i in 0..3 {
            issued.push(kiosk.issue(&issue_req(&format!("rep-{i}"), "linshi-sfz")).await.unwrap().ticket);
        }
        // Staff 1001 serves two at window 4; a shared counter token serves the third.
        let staff = h.client(&h.client("").login("1001", "demo-1001").await.unwrap().token);
        let counter = h.client("demo-counter-1-6");
        let none = WindowCommand::default();
        for (who, n) in [(&staff, 0), (&staff, 1), (&counter, 2)] {
            who.window_action(WindowNo(4), WindowAction::CallNext, &none).await.unwrap();
            h.advance(chrono::Duration::minutes(3));
            who.window_action(WindowNo(4), WindowAction::Start, &none).await.unwrap();
            h.advance(chrono::Duration::minutes(5));
            who.window_action(WindowNo(4), WindowAction::Finish, &none).await.unwrap();
            let t = &issued[n];
            let rating = if n == 1 { Rating::VeryDissatisfied } else { Rating::VerySatisfied };
            h.client("").evaluate(&t.id, &Evaluate { rating, token: t.token.clone(), nonce: None }).await.unwrap();
        }
        let manager = h.client("demo-manager");
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let by_staff = manager.report(day, day, ReportBy::Staff).await.unwrap();
        let row = |key: &str| by_staff.rows.iter().find(|r| r.key == key).unwrap_or_else(|| panic!("no {key}: {by_staff:?}")).clone();
        let s = row("1001");
        assert_eq!((s.tickets, s.served, s.ratings.clone()), (2, 2, vec![1, 0, 0, 0, 1]));
        assert!((300..=301).contains(&s.service_p90_secs) && (300.0..=301.0).contains(&s.service_mean_secs), "{s:?}");
        assert_eq!(row("token counter-floor1-a").tickets, 1, "{by_staff:?}");
        assert_eq!(by_staff.dissatisfied.len(), 1);
        assert_eq!(by_staff.dissatisfied[0].ticket, issued[1].id);
        assert_eq!(by_staff.dissatisfied[0].staff.as_deref(), Some("1001"));
        assert!(by_staff.as_of_seq >= 10);
        let by_item = manager.report(day, day, ReportBy::Item).await.unwrap();
        assert_eq!(by_item.rows.iter().map(|r| (r.key.as_str(), r.tickets)).collect::<Vec<_>>(), [("linshi-sfz", 3)]);
        // Managers only; a bad period is named.
        assert_eq!(refusal(counter.report(day, day, ReportBy::Item).await), (403, ErrorCode::ForbiddenRole));
        assert_eq!(refusal(staff.report(day, day, ReportBy::Item).await), (403, ErrorCode::ForbiddenRole));
        let later = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(refusal(manager.report(later, day, ReportBy::Item).await), (400, ErrorCode::BadQuery));
        h.stop().await;
    })
    .await
}
