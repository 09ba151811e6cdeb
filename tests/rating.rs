//! Honest ratings: a visitor rates with their ticket's token, or on the rating tablet of the
//! window that asked, with the one-time nonce of that request; the counter being rated
//! cannot rate, and the log records who did.

mod common;

use common::*;
use hallq::engine::{Event, RatingSource};
use hallq_proto::{
    ErrorCode, Evaluate, EvaluationAnswer, EventView, FeedItem, HallClient, Rating, Role, StreamEvent, TicketId, WindowAction,
    WindowCommand, WindowNo,
};

const KIOSK: &str = "demo-kiosk-1";
const COUNTER_1_6: &str = "demo-counter-1-6";
const DISPLAY: &str = "demo-display";
const MANAGER: &str = "demo-manager";
const TABLET_1: &str = "demo-rating-1";
const TABLET_7: &str = "demo-rating-7";

fn none() -> WindowCommand {
    WindowCommand::default()
}

fn by_tablet(rating: Rating, nonce: &str) -> Evaluate {
    Evaluate { rating, token: None, nonce: Some(nonce.into()) }
}

/// The next live `rating_requested` on a feed.
async fn next_request(feed: &mut hallq_proto::EventFeed) -> StreamEvent {
    within(10, "a rating request on the stream", async {
        loop {
            if let Some(FeedItem::Event { event, .. }) = feed.next().await {
                if matches!(event.event, EventView::RatingRequested { .. }) {
                    return event;
                }
            }
        }
    })
    .await
}

/// A served ticket at window 1 and the hall.
async fn served_at_window_1() -> (TestHall, TicketId, String) {
    let h = TestHall::start().await;
    let t = h.client(KIOSK).issue(&issue_req("r1", "linshi-sfz")).await.unwrap().ticket;
    let counter = h.client(COUNTER_1_6);
    counter.window_action(WindowNo(1), WindowAction::CallNext, &none()).await.unwrap();
    counter.window_action(WindowNo(1), WindowAction::Start, &none()).await.unwrap();
    counter.window_action(WindowNo(1), WindowAction::Finish, &none()).await.unwrap();
    let token = t.token.clone().expect("the issuing answer holds the ticket's token");
    (h, t.id, token)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tablet_of_the_window_rates_once_with_its_nonce() {
    let (h, id, _) = served_at_window_1().await;
    let counter = h.client(COUNTER_1_6);
    let tablet_1 = h.client(TABLET_1);
    let tablet_7 = h.client(TABLET_7);
    let me = tablet_1.me().await.unwrap();
    assert_eq!(
        (me.role, me.windows.iter().map(|w| w.number.0).collect::<Vec<_>>()),
        (Role::Rating, vec![1]),
        "the tablet learns its window"
    );

    // The counter being rated cannot rate, asked or not; nor can a manager.
    let rate_as_counter = Evaluate { rating: Rating::VerySatisfied, token: None, nonce: None };
    assert_eq!(refusal(counter.evaluate(&id, &rate_as_counter).await), (403, ErrorCode::ForbiddenRole));
    assert_eq!(refusal(h.client(MANAGER).evaluate(&id, &rate_as_counter).await), (403, ErrorCode::ForbiddenRole));

    let mut feed_1 = tablet_1.events(None);
    let mut feed_7 = tablet_7.events(None);
    let mut display = h.client(DISPLAY).events(None);
    for f in [&mut feed_1, &mut feed_7, &mut display] {
        within(10, "the stream connects", async { while !matches!(f.next().await, Some(FeedItem::Connected { .. })) {} }).await;
    }
    let asked = counter.window_action(WindowNo(1), WindowAction::RequestRating, &none()).await.unwrap();
    // The counter sees that it asked, without the nonce.
    let seen: Vec<_> = asked
        .events
        .iter()
        .filter_map(|e| match &e.event {
            EventView::RatingRequested { window, nonce, .. } => Some((window.0, nonce.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(seen, [(1, None)], "{:?}", asked.events);

    let request = next_request(&mut feed_1).await;
    let EventView::RatingRequested { ticket, window, nonce: Some(nonce), actor: None } = request.event else {
        panic!("the tablet of window 1 gets the nonce: {request:?}");
    };
    assert_eq!((ticket, window), (id.clone(), WindowNo(1)));
    assert_eq!(nonce.len(), 32);

    // Without the nonce, with a wrong one, or from the tablet of another window: refused.
    let no_nonce = Evaluate { rating: Rating::VerySatisfied, token: None, nonce: None };
    assert_eq!(refusal(tablet_1.evaluate(&id, &no_nonce).await), (403, ErrorCode::BadRatingNonce));
    assert_eq!(
        refusal(tablet_1.evaluate(&id, &by_tablet(Rating::VerySatisfied, "0123456789abcdef0123456789abcdef")).await),
        (403, ErrorCode::BadRatingNonce)
    );
    assert_eq!(refusal(tablet_7.evaluate(&id, &by_tablet(Rating::VerySatisfied, &nonce)).await), (403, ErrorCode::ForbiddenWindow));

    let r: EvaluationAnswer = tablet_1.evaluate(&id, &by_tablet(Rating::Satisfied, &nonce)).await.unwrap();
    assert_eq!(r.label, "满意");
    // Used once.
    assert_eq!(refusal(tablet_1.evaluate(&id, &by_tablet(Rating::VerySatisfied, &nonce)).await), (403, ErrorCode::BadRatingNonce));

    // The tablet of window 7 and the display never receive the request (nor its nonce), live
    // or from the log: read both up to an event they do see, the window pausing after it.
    let pause = WindowCommand { reason: Some("午休".into()), ..none() };
    let paused = counter.window_action(WindowNo(1), WindowAction::Pause, &pause).await.unwrap();
    let last = paused.events.last().expect("the pause is an event").seq;
    assert!(last > r.seq.expect("the rating was logged"));
    for (feed, who) in [(&mut feed_7, "the tablet of window 7"), (&mut display, "the display")] {
        within(10, "the live stream up to the pause", async {
            loop {
                if let Some(FeedItem::Event { event, .. }) = feed.next().await {
                    assert!(!matches!(event.event, EventView::RatingRequested { .. } | EventView::TicketRated { .. }), "{who}: {event:?}");
                    if event.seq >= last {
                        break;
                    }
                }
            }
        })
        .await;
    }
    for (token, who) in [(TABLET_7, "the tablet of window 7"), (DISPLAY, "the display")] {
        let texts = stream_texts(&h.events_url(&format!("since=0&token={token}")), last, 10).await;
        assert!(texts.iter().all(|t| !t.contains("rating_requested") && !t.contains(&nonce)), "{who}: {texts:?}");
    }
    let manager_texts = stream_texts(&h.events_url(&format!("since=0&token={MANAGER}")), last, 10).await;
    assert!(manager_texts.iter().any(|t| t.contains("rating_requested")), "managers see the request");
    assert!(manager_texts.iter().all(|t| !t.contains(&nonce)), "but never its nonce");

    // The chain records who rated.
    let dir = h.stop().await;
    let conn = hallq::store::open_reader(&dir.path().join("hallq.db")).unwrap();
    let rated: Vec<_> = hallq::store::events_since(&conn, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            Event::TicketRated { ticket, source, rating, .. } => Some((ticket, source, rating)),
            _ => None,
        })
        .collect();
    assert_eq!(rated, [(id.as_str().to_string(), RatingSource::Device { name: "rating-1".into() }, Rating::Satisfied)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_visitor_rates_with_the_ticket_token_and_the_log_says_so() {
    let (h, id, token) = served_at_window_1().await;
    let phone = HallClient::with_timeout(&h.server(), "", CALL_TIMEOUT);
    let wrong = Evaluate { rating: Rating::Neutral, token: Some("not-the-token".into()), nonce: None };
    assert_eq!(refusal(phone.evaluate(&id, &wrong).await).1, ErrorCode::Unauthorized);
    let r = phone.evaluate(&id, &Evaluate { rating: Rating::VerySatisfied, token: Some(token.clone()), nonce: None }).await.unwrap();
    assert_eq!(r.label, "非常满意");
    // A request after the rating is refused, and the tablet has nothing to rate.
    let counter = h.client(COUNTER_1_6);
    assert_eq!(refusal(counter.window_action(WindowNo(1), WindowAction::RequestRating, &none()).await).1, ErrorCode::AlreadyRated);
    assert_eq!(
        refusal(h.client(TABLET_1).evaluate(&id, &by_tablet(Rating::Dissatisfied, "0123456789abcdef0123456789abcdef")).await).1,
        ErrorCode::BadRatingNonce
    );

    let dir = h.stop().await;
    let conn = hallq::store::open_reader(&dir.path().join("hallq.db")).unwrap();
    let sources: Vec<_> = hallq::store::events_since(&conn, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            Event::TicketRated { source, .. } => Some(source),
            _ => None,
        })
        .collect();
    assert_eq!(sources, [RatingSource::Visitor]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_request_makes_the_old_nonce_stale() {
    let (h, id, _) = served_at_window_1().await;
    let counter = h.client(COUNTER_1_6);
    let tablet = h.client(TABLET_1);
    let mut feed = tablet.events(None);
    within(10, "the stream connects", async { while !matches!(feed.next().await, Some(FeedItem::Connected { .. })) {} }).await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        counter.window_action(WindowNo(1), WindowAction::RequestRating, &none()).await.unwrap();
        match next_request(&mut feed).await.event {
            EventView::RatingRequested { nonce: Some(n), .. } => nonces.push(n),
            other => panic!("{other:?}"),
        }
    }
    assert_ne!(nonces[0], nonces[1], "each request draws its own nonce");
    assert_eq!(refusal(tablet.evaluate(&id, &by_tablet(Rating::Satisfied, &nonces[0])).await), (403, ErrorCode::BadRatingNonce));
    tablet.evaluate(&id, &by_tablet(Rating::Satisfied, &nonces[1])).await.unwrap();
}

#[test]
fn old_logs_read_as_visitor_ratings_and_requests_without_a_nonce() {
    let rated: Event = serde_json::from_str(r#"{"type":"ticket_rated","ticket":"20261127-B001","window":4,"rating":"satisfied"}"#).unwrap();
    assert!(matches!(rated, Event::TicketRated { source: RatingSource::Visitor, .. }), "{rated:?}");
    let asked: Event = serde_json::from_str(r#"{"type":"rating_requested","ticket":"20261127-B001","window":4}"#).unwrap();
    assert!(matches!(&asked, Event::RatingRequested { nonce, .. } if nonce.is_empty()), "{asked:?}");
}
