//! The self-service kiosk: [`controller`] is its behaviour without IO; [`runtime`] does
//! the IO (hall service over HTTP, ticket printer, ID-card reader) and, with the `ui`
//! feature, drives the Slint screens of `ui/`.

pub mod controller;
#[cfg(feature = "ui")]
pub mod runtime;
#[cfg(feature = "ui")]
pub mod screenshots;

#[cfg(test)]
mod tests;

use controller::{Catalog, CatalogItem};

/// The catalogue as `GET /api/v1/catalog` returns it.
pub fn catalog_from_json(v: &serde_json::Value) -> Catalog {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
    let items = v["services"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| CatalogItem {
                    id: s(&i["id"]),
                    name: s(&i["name"]),
                    name_en: s(&i["name_en"]),
                    department: s(&i["department"]["name"]),
                    department_en: s(&i["department"]["name_en"]),
                    mode: s(&i["mode_label"]),
                    category: s(&i["category"]),
                    hot: i["hot"].as_bool().unwrap_or(false),
                    materials: i["materials"].as_array().map(|m| m.iter().map(s).collect()).unwrap_or_default(),
                    windows: i["windows"]
                        .as_array()
                        .map(|w| w.iter().map(|w| (w["number"].as_u64().unwrap_or(0) as u32, w["floor"].as_i64().unwrap_or(1) as i32)).collect())
                        .unwrap_or_default(),
                    waiting: i["waiting"].as_u64().unwrap_or(0) as u32,
                    estimate_minutes: i["estimate_minutes"].as_u64().unwrap_or(0) as u32,
                    identity: s(&i["identity"]),
                    time_limit_days: i["time_limit_days"].as_u64().unwrap_or(0) as u32,
                    promised_days: i["promised_days"].as_u64().unwrap_or(0) as u32,
                })
                .collect()
        })
        .unwrap_or_default();
    Catalog { hall_name: s(&v["hall"]["name"]), hall_name_en: s(&v["hall"]["name_en"]), items }
}
