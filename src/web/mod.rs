//! Built-in web pages served by the hall service. For now one page: a live overview of
//! the hall (windows, queues, latest calls) that follows the event stream.

use axum::response::Html;
use axum::routing::get;
use axum::Router;

const OVERVIEW: &str = include_str!("overview.html");

pub fn router() -> Router {
    Router::new().route("/", get(|| async { Html(OVERVIEW) }))
}
