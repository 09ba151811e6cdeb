//! The self-service kiosk: [`controller`] is its behaviour without IO (the visitor's
//! [`session`], one module per errand: [`browse`], [`appointment`], [`results`],
//! [`scanning`], [`manager`]; texts through [`text`]); [`runtime`] does
//! the IO (hall service over HTTP, ticket printer, ID-card reader: its effects in order on
//! one device task; the watchers that feed it in `watchers`; issuing while the hall is
//! unreachable in `offline`) and, with the `ui` feature, drives the Slint screens of `ui/`.

pub mod appointment;
pub mod browse;
pub mod controller;
#[cfg(feature = "ui")]
pub mod errands;
pub mod journal;
pub mod manager;
pub mod model;
pub mod next;
#[cfg(feature = "ui")]
mod offline;
pub mod pin;
pub mod results;
#[cfg(feature = "ui")]
pub mod runtime;
pub mod scanning;
#[cfg(feature = "ui")]
pub mod screenshots;
pub mod session;
pub mod text;
pub mod village;
#[cfg(feature = "ui")]
mod watchers;

#[cfg(test)]
mod tests;

use controller::{Catalog, CatalogItem, Desk, KioskSettings};

/// The kiosk's catalogue from the hall's `GET /api/v1/catalog`.
pub fn catalog_from_proto(v: &hallq_proto::Catalog) -> Catalog {
    let items = v
        .services
        .iter()
        // Items the hall offers at the desk only are not shown.
        .filter(|i| i.kiosk)
        .map(|i| CatalogItem {
            id: i.id.to_string(),
            name: i.name.clone(),
            name_en: i.name_en.clone(),
            department: i.department.name.clone().unwrap_or_default(),
            department_en: i.department.name_en.clone().unwrap_or_default(),
            mode: i.mode_label.clone(),
            mode_en: i.mode_label_en.clone(),
            queue: i.queue.to_string(),
            category: i.category,
            hot: i.hot,
            materials: i.materials.clone(),
            materials_en: i.materials_en.clone(),
            waiting_area: i.waiting_area.clone(),
            waiting_area_en: i.waiting_area_en.clone(),
            windows: i.windows.iter().map(|w| (w.number.get(), w.floor)).collect(),
            waiting: i.waiting,
            estimate_minutes: i.estimate_minutes,
            identity: i.identity,
            time_limit_days: i.time_limit_days,
            promised_days: i.promised_days,
        })
        .collect();
    let k = &v.kiosk;
    let kiosk = KioskSettings {
        tiles: k.tiles.clone(),
        welcome: k.welcome.clone(),
        welcome_en: k.welcome_en.clone(),
        manager_pin: k.manager_pin.clone().unwrap_or_default(),
        idle_secs: k.idle_seconds,
        idle_secs_elderly: k.idle_seconds_elderly,
        ticket_header: v.ticket.header.clone(),
        ticket_footer: v.ticket.footer.clone(),
        ticket_qr: v.ticket.qr,
        public_url: v.ticket.public_url.clone().unwrap_or_default(),
    };
    let desks = v.desks.iter().map(|d| Desk { name: d.name.clone(), name_en: d.name_en.clone(), floor: d.floor }).collect();
    Catalog {
        hall_name: v.hall.name.clone(),
        hall_name_en: v.hall.name_en.clone(),
        items,
        kiosk,
        desks,
        no_show: (v.no_show.text.clone(), v.no_show.text_en.clone()),
    }
}

/// The catalogue of a configuration, as the API would serve it to a kiosk (for
/// screenshots and tests, where there is no service to ask).
pub fn catalog_from_config(config: &crate::config::Config) -> Catalog {
    let state = crate::engine::State::default();
    catalog_from_proto(&crate::api::catalog_of(config, &state, &crate::api::Viewer::Kiosk))
}
