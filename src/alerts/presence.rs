//! Who the hall has heard from: each kiosk's last request, each display token's event
//! streams (web and Slint displays follow `GET /events`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::engine::Ts;
use crate::service::Clock;

/// Kiosks by when they last called the API, and display tokens by their event streams.
/// One per hall, shared by every listener.
#[derive(Default)]
pub struct Presence {
    kiosks: Mutex<HashMap<String, Ts>>,
    /// The configuration version of the catalogue each kiosk last fetched.
    kiosk_versions: Mutex<HashMap<String, u64>>,
    displays: Mutex<BTreeMap<String, DisplayConn>>,
}

/// The event streams of one display token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisplayConn {
    pub open: u32,
    pub connected_at: Option<Ts>,
    pub last_heard: Option<Ts>,
    pub disconnected_at: Option<Ts>,
}

impl Presence {
    /// A kiosk's request (names come from the configuration's tokens: a bounded set).
    pub fn kiosk_seen(&self, kiosk: &str, at: Ts) {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).insert(kiosk.to_string(), at);
    }

    /// A kiosk fetched the catalogue of configuration `version`.
    pub fn kiosk_config(&self, kiosk: &str, version: u64) {
        self.kiosk_versions.lock().unwrap_or_else(|p| p.into_inner()).insert(kiosk.to_string(), version);
    }

    pub fn kiosk_config_version(&self, kiosk: &str) -> Option<u64> {
        self.kiosk_versions.lock().unwrap_or_else(|p| p.into_inner()).get(kiosk).copied()
    }

    pub fn kiosk_last_seen(&self, kiosk: &str) -> Option<Ts> {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).get(kiosk).copied()
    }

    pub(super) fn kiosks(&self) -> HashMap<String, Ts> {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn displays(&self) -> BTreeMap<String, DisplayConn> {
        self.displays.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A display token's event stream opened; it counts as open until the returned guard
    /// is dropped.
    pub fn display_connected(self: &Arc<Self>, display: &str, clock: Arc<dyn Clock>) -> DisplayStream {
        let now = clock.now();
        {
            let mut m = self.displays.lock().unwrap_or_else(|p| p.into_inner());
            let c = m.entry(display.to_string()).or_default();
            c.open += 1;
            c.connected_at = Some(now);
            c.last_heard = Some(now);
            c.disconnected_at = None;
        }
        DisplayStream { presence: self.clone(), display: display.to_string(), clock }
    }
}

/// One open event stream of a display token.
pub struct DisplayStream {
    presence: Arc<Presence>,
    display: String,
    clock: Arc<dyn Clock>,
}

impl DisplayStream {
    /// The display said something (a pong, most often).
    pub fn heard(&self) {
        let now = self.clock.now();
        if let Some(c) = self.presence.displays.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.display) {
            c.last_heard = Some(now);
        }
    }
}

impl Drop for DisplayStream {
    fn drop(&mut self) {
        let now = self.clock.now();
        if let Some(c) = self.presence.displays.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.display) {
            c.open = c.open.saturating_sub(1);
            if c.open == 0 {
                c.disconnected_at = Some(now);
            }
        }
    }
}
