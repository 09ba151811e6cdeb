//! Live configuration: a manager reads the configuration in force, replaces it (validated,
//! versioned) or has the service reload its file; the new version is in force for the next
//! request and announced on the event stream as `config_changed`, which kiosks and pages
//! follow without a restart.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use hallq_proto::{self as proto, ErrorCode};

use super::{Api, ApiError, ApiResult, Caller};
use crate::config::live::{ConfigStore, LiveError, Version};

/// Largest configuration accepted (the 231-window county hall is about 60 KB).
pub const CONFIG_BODY_LIMIT: usize = 1024 * 1024;

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> ApiError {
        match &e {
            LiveError::Invalid(c) if !c.field.is_empty() => {
                ApiError::new(ErrorCode::InvalidConfig, e.to_string()).at(c.field.clone(), c.line)
            }
            LiveError::Invalid(_) => ApiError::new(ErrorCode::InvalidConfig, e.to_string()),
            LiveError::Conflict { .. } => ApiError::new(ErrorCode::VersionConflict, e.to_string()),
            LiveError::NoFile => ApiError::new(ErrorCode::NoConfigFile, e.to_string()),
            LiveError::Io(m) => {
                tracing::error!("configuration store: {m}");
                ApiError::new(ErrorCode::StoreUnavailable, format!("无法保存配置：{m}"))
            }
        }
    }
}

/// The hall's configuration versions. A hall that runs without the published demo tokens
/// and staff (so not started with `--demo`) is refused a version that brings them back.
fn store(api: &Api) -> ConfigStore {
    let demo_in_force = !api.hall.config().demo_secrets().is_empty();
    ConfigStore::new(api.hall.db_path().parent().unwrap_or(std::path::Path::new("."))).refusing_demo(!demo_in_force)
}

async fn put_in_force(api: &Api, config: crate::config::Config, v: &Version, by: &str, actor: crate::engine::Actor) -> ApiResult<()> {
    api.hall.set_config(config, v.number, v.digest.clone(), by.to_string(), actor).await?;
    tracing::info!("configuration version {} in force (by {by})", v.number);
    Ok(())
}

/// `GET /config`: the configuration in force, as TOML, with its version. Tokens are never
/// shown in clear: each `token = "…"` is given as its `token_sha256 = "…"`, so the text put
/// back as it is keeps every token working.
#[utoipa::path(get, path = "/config", tag = "manager", security(("token" = [])), responses((status = 200, body = proto::ConfigVersion), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn get_config(State(api): State<Api>) -> ApiResult<Json<proto::ConfigVersion>> {
    let s = store(&api);
    let newest =
        tokio::task::spawn_blocking(move || s.newest()).await.map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "请重试。"))??;
    let version = api.hall.view().state.config_version;
    Ok(Json(match newest {
        Some(v) if v.number == version => {
            let text = crate::config::redact_tokens(&v.text).map_err(|e| {
                tracing::error!("configuration version {}: {e}", v.number);
                ApiError::new(ErrorCode::StoreUnavailable, "无法显示当前配置（令牌无法隐去）。")
            })?;
            proto::ConfigVersion { version: v.number, digest: Some(v.digest), toml: Some(text) }
        }
        // Started without a saved version (the demo): the embedded text is not the source,
        // so say which version is in force and that there is no text to edit yet.
        _ => proto::ConfigVersion { version, digest: None, toml: None },
    }))
}

/// `PUT /config` with the TOML as the body and `If-Match: VERSION` (the version edited).
#[utoipa::path(put, path = "/config", tag = "manager", security(("token" = [])), request_body(content = String, content_type = "application/toml"),
    params(("If-Match" = Option<u64>, Header, description = "The version that was edited")),
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::ConfigSaved), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn put_config(
    State(api): State<Api>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::ConfigSaved>> {
    let body = body.map_err(|_| ApiError::new(ErrorCode::BodyTooLarge, "配置文件太大（上限 1 MB）。"))?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| ApiError::new(ErrorCode::BadEncoding, "配置应为 UTF-8 编码的 TOML 文本。"))?;
    let expected = match headers.get(header::IF_MATCH) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(|s| s.trim_matches('"'))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| ApiError::new(ErrorCode::BadIfMatch, "If-Match 应为所编辑的配置版本号。"))?,
        ),
        None => None,
    };
    let s = store(&api);
    let (config, v) = tokio::task::spawn_blocking(move || s.save(&text, expected))
        .await
        .map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "请重试。"))??;
    put_in_force(&api, config, &v, &caller.name, caller.actor()).await?;
    Ok(Json(proto::ConfigSaved { version: v.number, digest: v.digest }))
}

/// `POST /config/reload`: reads the service's configuration file again.
#[utoipa::path(post, path = "/config/reload", tag = "manager", security(("token" = [])), responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::ConfigReloaded), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn reload(State(api): State<Api>, caller: Caller) -> ApiResult<Json<proto::ConfigReloaded>> {
    let s = store(&api);
    let r = tokio::task::spawn_blocking(move || s.reload()).await.map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "请重试。"))??;
    match r {
        Some((config, v)) => {
            put_in_force(&api, config, &v, &format!("{} (reload)", caller.name), caller.actor()).await?;
            Ok(Json(proto::ConfigReloaded { version: v.number, changed: true }))
        }
        None => Ok(Json(proto::ConfigReloaded { version: api.hall.view().state.config_version, changed: false })),
    }
}

fn unavailable() -> ApiError {
    ApiError::new(ErrorCode::StoreUnavailable, "请重试。")
}

/// A version's text as a manager may see it: tokens as their digests, secrets hidden.
fn redacted(v: &Version) -> ApiResult<String> {
    crate::config::redact_tokens(&v.text).map_err(|e| {
        tracing::error!("configuration version {}: {e}", v.number);
        ApiError::new(ErrorCode::StoreUnavailable, format!("无法显示配置版本 {}（令牌无法隐去）。", v.number))
    })
}

fn version_of(s: &ConfigStore, n: u64) -> ApiResult<Version> {
    s.version(n)?.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("没有配置版本 {n}。")))
}

/// `GET /config/versions`: every saved version, newest first, with who put it in force
/// and when, from the chain's `config_changed` events.
#[utoipa::path(get, path = "/config/versions", tag = "manager", security(("token" = [])), responses((status = 200, body = proto::ConfigVersionList), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn versions(State(api): State<Api>) -> ApiResult<Json<proto::ConfigVersionList>> {
    let s = store(&api);
    let log = api.hall.db_path().to_path_buf();
    let config = api.hall.config();
    let in_force = api.hall.view().state.config_version;
    let versions = tokio::task::spawn_blocking(move || -> ApiResult<Vec<proto::ConfigVersionInfo>> {
        let numbers = s.numbers()?;
        let conn = crate::store::open_reader(&log)?;
        // Each version's newest record in the chain (a version put in force again after a
        // restart is logged again; the first time is when it was made).
        let mut logged = std::collections::HashMap::new();
        for r in crate::store::events_of_kind(&conn, "config_changed", 10_000)? {
            if let crate::engine::Event::ConfigChanged { version, by, actor, .. } = r.event {
                logged.insert(version, (r.at, by, actor));
            }
        }
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers.into_iter().rev() {
            let Some(v) = s.version(n)? else { continue };
            let seen = logged.get(&n);
            out.push(proto::ConfigVersionInfo {
                version: n,
                digest: v.digest,
                at: seen.map(|(at, _, _)| at.with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
                by: seen.map(|(_, by, _)| by.clone()),
                actor: seen.map(|(_, _, a)| a.clone()).filter(|a| !a.is_unrecorded()),
                in_force: n == in_force,
            });
        }
        Ok(out)
    })
    .await
    .map_err(|_| unavailable())??;
    Ok(Json(proto::ConfigVersionList { in_force, versions }))
}

/// `GET /config/versions/{version}`: a saved version's TOML (tokens redacted).
#[utoipa::path(get, path = "/config/versions/{version}", tag = "manager", security(("token" = [])), params(("version" = u64, Path, description = "The version number")), responses((status = 200, body = proto::ConfigVersion), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, description = "No such version", body = proto::ErrorBody)))]
pub(super) async fn version(State(api): State<Api>, Path(n): Path<u64>) -> ApiResult<Json<proto::ConfigVersion>> {
    let s = store(&api);
    let v = tokio::task::spawn_blocking(move || version_of(&s, n)).await.map_err(|_| unavailable())??;
    Ok(Json(proto::ConfigVersion { version: v.number, toml: Some(redacted(&v)?), digest: Some(v.digest) }))
}

/// `GET /config/diff?from=A&to=B`: what changed from version A to version B.
#[utoipa::path(get, path = "/config/diff", tag = "manager", security(("token" = [])),
    params(("from" = u64, Query, description = "The earlier version"), ("to" = u64, Query, description = "The later version")),
    responses((status = 200, body = proto::ConfigDiff), (status = 400, description = "from or to missing or not a number", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, description = "No such version", body = proto::ErrorBody)))]
pub(super) async fn diff(
    State(api): State<Api>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> ApiResult<Json<proto::ConfigDiff>> {
    let number = |k: &str| {
        q.get(k).and_then(|v| v.parse::<u64>().ok()).ok_or_else(|| ApiError::new(ErrorCode::BadQuery, format!("{k} 应为配置版本号。")))
    };
    let (from, to) = (number("from")?, number("to")?);
    let s = store(&api);
    let (a, b) = tokio::task::spawn_blocking(move || Ok::<_, ApiError>((version_of(&s, from)?, version_of(&s, to)?)))
        .await
        .map_err(|_| unavailable())??;
    let (a, b) = (redacted(&a)?, redacted(&b)?);
    let d = similar::TextDiff::from_lines(&a, &b);
    let (mut added, mut removed) = (0u32, 0u32);
    for change in d.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let text = d.unified_diff().context_radius(3).header(&format!("v{from}"), &format!("v{to}")).to_string();
    Ok(Json(proto::ConfigDiff { from, to, changed: added.min(removed), added, removed, diff: text }))
}

/// `POST /config/rollback`: an earlier version in force again, saved as a new version (so
/// the list keeps every step and the chain records who went back).
#[utoipa::path(post, path = "/config/rollback", tag = "manager", security(("token" = [])), request_body = proto::ConfigRollback,
    responses((status = 200, body = proto::ConfigSaved), (status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, description = "No such version", body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn rollback(
    State(api): State<Api>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::ConfigSaved>> {
    let b: proto::ConfigRollback = super::parse_body(body, false)?.expect("non-empty");
    let s = store(&api);
    let current = api.hall.config();
    let (config, v) = tokio::task::spawn_blocking(move || {
        let old = version_of(&s, b.version)?;
        // Going back never brings back a token or staff account that was taken out (rotated
        // after a leak, a person who left, a published demo secret removed): those are put
        // back by editing, never by a rollback.
        if let Ok(then) = crate::config::Config::parse(&old.text, "config") {
            let revoked = revoked_credentials(&then, &current);
            if !revoked.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "v{} 含有此后已撤销的令牌或工作人员账号（{}），不能回滚恢复；请在当前版本上编辑。",
                        b.version,
                        revoked.join("、")
                    ),
                )
                .at("tokens", None));
            }
        }
        // Saved as it was: the stored text holds the tokens themselves, and a version that
        // no longer validates (demo secrets refused since) is refused here too.
        s.save(&old.text, b.expected).map_err(ApiError::from)
    })
    .await
    .map_err(|_| unavailable())??;
    put_in_force(&api, config, &v, &format!("{} (rollback to v{})", caller.name, b.version), caller.actor()).await?;
    Ok(Json(proto::ConfigSaved { version: v.number, digest: v.digest }))
}

/// `POST /config/ticket-preview` with a configuration's TOML: a sample ticket as the kiosks
/// would print it under that configuration's `[ticket]` settings, drawn by the printer
/// simulator as a PNG (the console's live preview). Nothing is saved.
#[utoipa::path(post, path = "/config/ticket-preview", tag = "manager", security(("token" = [])), request_body(content = String, content_type = "application/toml"),
    responses((status = 200, description = "The sample ticket", content_type = "image/png"), (status = 400, description = "Not UTF-8", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn ticket_preview(State(api): State<Api>, body: Result<Bytes, BytesRejection>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let body = body.map_err(|_| ApiError::new(ErrorCode::BodyTooLarge, "配置文件太大（上限 1 MB）。"))?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| ApiError::new(ErrorCode::BadEncoding, "配置应为 UTF-8 编码的 TOML 文本。"))?;
    let now = api.hall.now();
    let png = tokio::task::spawn_blocking(move || -> ApiResult<Vec<u8>> {
        let config = crate::config::Config::parse(&text, "config").map_err(|e| ApiError::from(LiveError::Invalid(e)))?;
        crate::tickets::preview_png(&config, now)
            .map_err(|e| ApiError::new(ErrorCode::InvalidConfig, format!("号票无法排版：{e:#}")).at("ticket", None))
    })
    .await
    .map_err(|_| unavailable())??;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
}

/// The tokens (by name) and staff accounts (by number) of `then` that `now` does not hold
/// as they were: a token whose secret is gone, a person removed or with another password.
fn revoked_credentials(then: &crate::config::Config, now: &crate::config::Config) -> Vec<String> {
    let tokens: std::collections::HashSet<[u8; 32]> = now.tokens.iter().filter_map(|t| t.digest()).collect();
    let staff: std::collections::HashSet<(&str, &str)> = now.staff.iter().map(|p| (p.id.as_str(), p.password.as_str())).collect();
    let mut out: Vec<String> =
        then.tokens.iter().filter(|t| t.digest().is_some_and(|d| !tokens.contains(&d))).map(|t| format!("令牌 {}", t.name)).collect();
    out.extend(then.staff.iter().filter(|p| !staff.contains(&(p.id.as_str(), p.password.as_str()))).map(|p| format!("工号 {}", p.id)));
    out
}
