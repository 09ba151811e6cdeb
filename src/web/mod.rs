//! Web pages served by the hall service: the start page `/` (links to every page, no token
//! needed), the manager console (`/console`), the service desk (`/desk`), the hall overview, the counter terminal, the window and hall displays, the
//! rating tablet and the visitor's status page. They are plain HTML and JavaScript compiled
//! into the binary; each page with hall data follows the event stream.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("index.html");
const OVERVIEW: &str = include_str!("overview.html");
const CONSOLE: &str = include_str!("console.html");
const DESK: &str = include_str!("desk.html");
const COUNTER: &str = include_str!("counter.html");
const WINDOW: &str = include_str!("window.html");
const HALL: &str = include_str!("hall.html");
const RATE: &str = include_str!("rate.html");
const TICKET: &str = include_str!("ticket.html");
const JS: &str = include_str!("static/hallq.js");
const CSS: &str = include_str!("static/hallq.css");
const CONSOLE_JS: &str = include_str!("static/console.js");
const DESK_JS: &str = include_str!("static/desk.js");
/// Apache ECharts, vendored from npm by `scripts/vendor-echarts` (the console's charts).
const ECHARTS: &str = include_str!("vendor/echarts.min.js");

/// The console and the desk act with a staff session: their own scripts only, never inside
/// another site's frame.
const STAFF_PAGE_HEADERS: [(header::HeaderName, &str); 2] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
];

pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Html(INDEX) }))
        .route("/overview", get(|| async { Html(OVERVIEW) }))
        .route("/console", get(|| async { (STAFF_PAGE_HEADERS, Html(CONSOLE)) }))
        .route("/desk", get(|| async { (STAFF_PAGE_HEADERS, Html(DESK)) }))
        .route("/counter", get(|| async { Html(COUNTER) }))
        .route("/display/window", get(|| async { Html(WINDOW) }))
        .route("/display/hall", get(|| async { Html(HALL) }))
        .route("/rate", get(|| async { Html(RATE) }))
        .route("/t/{id}", get(|| async { Html(TICKET) }))
        .route("/static/hallq.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS).into_response() }))
        .route("/static/hallq.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response() }))
        .route("/static/desk.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], DESK_JS).into_response() }))
        .route(
            "/static/console.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], CONSOLE_JS).into_response() }),
        )
        .route(
            "/static/echarts.min.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")], ECHARTS)
                    .into_response()
            }),
        )
}
