//! From a ticket to what the ticket printer prints: the one way a ticket becomes paper,
//! used by the kiosk (from the hall's typed answer) and the demo.

use hallq_drivers::printer::ticket::{Field, Template, TicketModel};
use hallq_proto::TicketView;

/// The printable form of a ticket as the hall issued it: the hall's configured name, names
/// looked up, the issue time in the hall's zone, the holder masked, the figures at issue.
pub fn model(t: &TicketView) -> TicketModel {
    TicketModel {
        hall_name: t.hall.clone(),
        number: t.number.to_string(),
        id: t.id.to_string(),
        service: t.service.name.clone().unwrap_or_else(|| t.service.id.clone()),
        queue: t.queue.name.clone().unwrap_or_else(|| t.queue.id.clone()),
        people_ahead: t.people_ahead_at_issue,
        estimate_minutes: t.estimate_minutes_at_issue,
        windows: t.windows.iter().map(|w| (w.number.get(), w.floor)).collect(),
        // "2026-11-27T09:31:05+08:00" → "2026-11-27 09:31".
        issued_at: t.issued_at.replacen('T', " ", 1).chars().take(16).collect(),
        holder: t
            .holder
            .as_ref()
            .map(|h| match &h.id_number {
                Some(id) => format!("{}（{id}）", h.name),
                None => h.name.clone(),
            })
            .unwrap_or_default(),
        token: t.token.clone().unwrap_or_default(),
        priority_label: t.priority.label_zh().to_string(),
        offline: t.offline,
        waiting_area: t.waiting_area.clone(),
        no_show_rule: t.no_show_rule.clone(),
    }
}

/// The hall's `[ticket]` settings applied to a template: the header and footer lines, and the
/// QR code on or off. The kiosk applies them to each catalogue it receives; the console's
/// preview draws with them.
pub fn apply_settings(template: &mut Template, header: &[String], footer: &[String], qr: bool) {
    template.header = header.to_vec();
    template.footer = footer.to_vec();
    template.fields.retain(|f| *f != Field::Qr);
    if qr {
        template.fields.push(Field::Qr);
    }
}

/// A sample ticket of `config` as its kiosks would print it: the first item the kiosks
/// offer, a masked holder, a few people ahead. The console's preview and the installer's
/// test print (`hallq devices test-print`) print it.
pub fn sample(config: &crate::config::Config, now: crate::engine::Ts) -> anyhow::Result<TicketModel> {
    use anyhow::Context;
    let service = config.services.iter().find(|s| s.kiosk).or(config.services.first()).context("the configuration has no item")?;
    let queue = config.queues.iter().find(|q| q.id == service.queue);
    let windows = queue
        .map(|q| config.windows.iter().filter(|w| config.window_serves(w, &q.id)).map(|w| (w.number, w.floor)).collect())
        .unwrap_or_default();
    let prefix = queue.map(|q| q.prefix.as_str()).unwrap_or("A");
    let now = crate::engine::local(config, now);
    Ok(TicketModel {
        hall_name: config.hall.name.clone(),
        number: format!("{prefix}001"),
        id: "preview".into(),
        service: service.name.clone(),
        queue: queue.map(|q| q.name.clone()).unwrap_or_default(),
        people_ahead: 3,
        estimate_minutes: 12,
        windows,
        issued_at: now.format("%Y-%m-%d %H:%M").to_string(),
        holder: "张*（1101**********002X）".into(),
        token: "preview".into(),
        priority_label: String::new(),
        offline: false,
        waiting_area: config.waiting_area(&service.queue).0,
        no_show_rule: config.no_show_rule().0,
    })
}

/// A sample ticket of `config` drawn by the printer simulator to a PNG: the manager
/// console's live preview of the ticket template.
pub fn preview_png(config: &crate::config::Config, now: crate::engine::Ts) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    let sample = sample(config, now)?;
    let base = if config.hall.public_url.is_empty() { "http://hall.example" } else { config.hall.public_url.as_str() };
    let mut template = Template { status_url: format!("{}/t/{{id}}?token={{token}}", base.trim_end_matches('/')), ..Template::default() };
    apply_settings(&mut template, &config.ticket.header, &config.ticket.footer, config.ticket.qr);
    let doc = template.render(&sample).context("laying the ticket out")?;
    let bytes = hallq_drivers::printer::encode::encode(&doc).context("encoding the ticket")?;
    let pages = hallq_drivers::printer::sim::render(&bytes).context("drawing the ticket")?;
    let page = pages.first().context("the ticket prints nothing")?;
    let mut png = std::io::Cursor::new(Vec::new());
    page.image.write_to(&mut png, image::ImageFormat::Png).context("writing the PNG")?;
    Ok(png.into_inner())
}
