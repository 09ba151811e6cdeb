//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations and the
//! contract's types (`hallq_proto`). The routes themselves are listed in `access::RULES`.

use std::sync::OnceLock;

use hallq_proto as proto;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::*;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A device token from the hall configuration (kiosk, counter, display, manager, system), or a staff session from POST /login."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "hallq hall service", description = "The LAN API of a citizen service hall's queue: kiosks take numbers, counters call them, displays follow the event stream. Errors are `{\"error\":{\"code\":…,\"message\":…}}` with a stable code."),
    servers((url = "/api/v1")),
    modifiers(&BearerToken),
    paths(
        health, ready, metrics, openapi, catalog, catalog_figures, state, me, login, logout, stream_ticket, waiting, device_status, announce, issue, get_ticket, evaluate, window_action, events,
        appointments::book, appointments::find, appointments::check_in,
        offline::lease, offline::upload, desk::issue, desk::reprint,
        documents::deliver, documents::find, documents::result_pdf, documents::collected, documents::attach, documents::attachments, documents::attachment_pdf,
        config::get_config, config::put_config, config::reload, config::versions, config::version, config::diff, config::rollback, config::ticket_preview,
        alerts::alerts, help::call, help::list, help::answer,
        reports::report, reports::export, reports::charts, reports::supervision,
    ),
    components(schemas(proto::ErrorBody, proto::ErrorCode, proto::WindowAction, proto::Hello, proto::StreamEvent, proto::EventView))
)]
pub struct ApiDoc;

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}
