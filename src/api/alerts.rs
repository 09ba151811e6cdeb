//! `GET /alerts` for managers: the alerts raised now (most severe, then newest, first) and
//! the alert webhook's recent attempts. The alerts themselves are looked at by
//! `crate::alerts` on its own thread.

use axum::extract::State;
use axum::Json;
use hallq_proto as proto;

use super::{Api, ApiResult};

/// The alerts raised now and the webhook's recent attempts.
#[utoipa::path(get, path = "/alerts", tag = "manager", security(("token" = [])), responses((status = 200, body = proto::AlertsView), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn alerts(State(api): State<Api>) -> ApiResult<Json<proto::AlertsView>> {
    let config = api.hall.config();
    let alerts = api.hall.alerts();
    Ok(Json(proto::AlertsView {
        now: api.hall.now().with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        active: alerts.active(),
        webhook: !config.alerts.webhook_url.is_empty(),
        deliveries: alerts.deliveries(),
    }))
}
