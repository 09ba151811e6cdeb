//! The alert webhook: each raise and clear POSTed as `hallq-alert/1` JSON, one at a time and
//! in order, HMAC-signed with `[alerts] webhook_secret`, tried again after doubling delays
//! up to `webhook_attempts` times, each try within `webhook_timeout_seconds`; every try is
//! logged and kept for `GET /alerts`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hallq_proto::{self as proto, Alert, AlertChange, AlertDelivery, DeliveryOutcome};

use super::local;
use crate::config::Config;
use crate::engine::Ts;
use crate::service::WeakHall;

/// The delay before the second try; it doubles after each failed try, up to the maximum.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The header with the body's HMAC-SHA256 under `[alerts] webhook_secret`.
pub const SIGNATURE_HEADER: &str = "x-hallq-signature";
/// The webhook body's schema name.
pub const WEBHOOK_SCHEMA: &str = "hallq-alert/1";

/// A raise or clear on its way to the webhook.
pub(super) struct Outgoing {
    pub(super) alert: String,
    pub(super) change: AlertChange,
    pub(super) body: Vec<u8>,
}

/// The webhook's body for one raise or clear.
pub fn webhook_body(config: &Config, change: AlertChange, alert: &Alert, now: Ts) -> proto::AlertWebhook {
    proto::AlertWebhook {
        schema: WEBHOOK_SCHEMA.into(),
        change,
        hall: config.hall.name.clone(),
        at: now.with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        alert: alert.clone(),
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`: the signature header's value.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(super) async fn deliver_all(weak: WeakHall, mut rx: tokio::sync::mpsc::Receiver<Outgoing>) {
    // One at a time and in order: a clear never overtakes its raise.
    while let Some(out) = rx.recv().await {
        deliver(&weak, out).await;
    }
}

/// The TLS setup of the webhook's client: the system's trust store, as the hall's own
/// clients use without `--ca`.
fn tls() -> rustls::ClientConfig {
    static TLS: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let c = TLS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring offers TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    rustls::ClientConfig::clone(c)
}

/// Tries one raise or clear until the webhook takes it or the attempts run out, each try
/// within `webhook_timeout_seconds`, the delay doubling between tries. The settings in
/// force at each try count (a manager may fix the address meanwhile).
async fn deliver(weak: &WeakHall, out: Outgoing) {
    let mut delay = BACKOFF_FIRST;
    let mut attempt = 1u32;
    loop {
        let Some(hall) = weak.upgrade() else { return };
        let config = hall.config();
        let (alerts, clock) = (hall.alerts().clone(), hall.clock());
        drop(hall);
        let a = &config.alerts;
        if a.webhook_url.is_empty() {
            return;
        }
        let timeout = Duration::from_secs(a.webhook_timeout_seconds.into());
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls())
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build();
        let change = match out.change {
            AlertChange::Raised => "alert_raised",
            AlertChange::Cleared => "alert_cleared",
        };
        let result = match http {
            Ok(http) => {
                let mut req = http
                    .post(&a.webhook_url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("x-hallq-event", change)
                    .header("x-hallq-alert", &out.alert)
                    .header("x-hallq-attempt", attempt.to_string())
                    .body(out.body.clone());
                if let Some(key) = a.signing_key() {
                    req = req.header(SIGNATURE_HEADER, signature(key, &out.body));
                }
                // The client's own deadline covers the whole request; this one is a guard.
                match tokio::time::timeout(timeout + Duration::from_secs(1), req.send()).await {
                    Ok(Ok(r)) if r.status().is_success() => Ok(r.status().as_u16()),
                    Ok(Ok(r)) => Err((Some(r.status().as_u16()), format!("answered HTTP {}", r.status()))),
                    Ok(Err(e)) if e.is_timeout() => Err((None, format!("no answer within {} s", timeout.as_secs()))),
                    Ok(Err(e)) if e.is_connect() => Err((None, format!("cannot connect: {}", e.without_url()))),
                    Ok(Err(e)) => Err((None, e.without_url().to_string())),
                    Err(_) => Err((None, format!("no answer within {} s", timeout.as_secs()))),
                }
            }
            Err(e) => Err((None, format!("cannot make the HTTP client: {e}"))),
        };
        let last = attempt >= a.webhook_attempts;
        let (status, error, outcome) = match result {
            Ok(status) => (Some(status), None, DeliveryOutcome::Delivered),
            Err((status, e)) => (status, Some(e), if last { DeliveryOutcome::GivenUp } else { DeliveryOutcome::Retrying }),
        };
        match (outcome, &error) {
            (DeliveryOutcome::Delivered, _) => tracing::info!(alert = %out.alert, attempt, "alert webhook: {change} delivered"),
            (DeliveryOutcome::Retrying, Some(e)) => {
                tracing::warn!(alert = %out.alert, attempt, "alert webhook: {change} failed ({e}); trying again in {} s", delay.as_secs_f64())
            }
            (_, e) => {
                tracing::error!(alert = %out.alert, attempt, "alert webhook: {change} given up after {attempt} tries ({})", e.as_deref().unwrap_or(""))
            }
        }
        alerts.record(AlertDelivery {
            alert: out.alert.clone(),
            change: out.change,
            attempt,
            at: local(&config, clock.now()),
            status,
            error,
            outcome,
            retry_in_secs: (outcome == DeliveryOutcome::Retrying).then_some(delay.as_secs_f64()),
        });
        if outcome != DeliveryOutcome::Retrying {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(BACKOFF_MAX);
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
