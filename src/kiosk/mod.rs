//! The self-service kiosk: [`controller`] is its behaviour without IO; [`runtime`] does
//! the IO (hall service over HTTP, ticket printer, ID-card reader) and, with the `ui`
//! feature, drives the Slint screens of `ui/`.

pub mod controller;
#[cfg(feature = "ui")]
pub mod errands;
#[cfg(feature = "ui")]
pub mod runtime;
#[cfg(feature = "ui")]
pub mod screenshots;

#[cfg(test)]
mod tests;

use controller::{Catalog, CatalogItem, KioskSettings};

/// The catalogue as `GET /api/v1/catalog` returns it.
pub fn catalog_from_json(v: &serde_json::Value) -> Catalog {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
    let items = v["services"]
        .as_array()
        .map(|a| {
            a.iter()
                // Items the hall offers at the desk only are not shown.
                .filter(|i| i["kiosk"].as_bool() != Some(false))
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
    let k = &v["kiosk"];
    let d = KioskSettings::default();
    let strings = |x: &serde_json::Value| x.as_array().map(|a| a.iter().map(s).collect::<Vec<_>>());
    let kiosk = KioskSettings {
        tiles: strings(&k["tiles"]).unwrap_or(d.tiles),
        welcome: s(&k["welcome"]),
        welcome_en: s(&k["welcome_en"]),
        pin_sha256: s(&k["manager_pin_sha256"]),
        idle_secs: k["idle_seconds"].as_u64().map(|x| x as u32).unwrap_or(d.idle_secs),
        idle_secs_elderly: k["idle_seconds_elderly"].as_u64().map(|x| x as u32).unwrap_or(d.idle_secs_elderly),
        ticket_header: strings(&v["ticket"]["header"]).unwrap_or(d.ticket_header),
        ticket_footer: strings(&v["ticket"]["footer"]).unwrap_or(d.ticket_footer),
        ticket_qr: v["ticket"]["qr"].as_bool().unwrap_or(true),
    };
    Catalog { hall_name: s(&v["hall"]["name"]), hall_name_en: s(&v["hall"]["name_en"]), items, kiosk }
}

/// The catalogue of a configuration, as the API would serve it (for screenshots and tests,
/// where there is no service to ask).
pub fn catalog_from_config(config: &crate::config::Config) -> Catalog {
    let json = serde_json::json!({
        "hall": {"name": config.hall.name, "name_en": config.hall.name_en},
        "services": config.services.iter().map(|s| {
            let dept = config.departments.iter().find(|d| d.id == s.department);
            serde_json::json!({
                "id": s.id, "name": s.name, "name_en": s.name_en,
                "department": {"name": dept.map(|d| d.name.as_str()), "name_en": dept.map(|d| d.name_en.as_str())},
                "mode_label": s.mode.label_zh(), "category": s.category, "hot": s.hot, "materials": s.materials,
                "windows": config.windows.iter().filter(|w| config.window_serves(w, &s.queue)).map(|w| serde_json::json!({"number": w.number, "floor": w.floor})).collect::<Vec<_>>(),
                "waiting": 0, "estimate_minutes": 0, "identity": s.identity,
                "time_limit_days": s.time_limit_days, "promised_days": s.promised_days, "kiosk": s.kiosk,
            })
        }).collect::<Vec<_>>(),
        "kiosk": config.kiosk,
        "ticket": config.ticket,
    });
    catalog_from_json(&json)
}
