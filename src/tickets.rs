//! From a ticket to what the ticket printer prints: the one way a ticket becomes paper,
//! used by the kiosk (from the hall's typed answer) and the demo.

use hallq_drivers::printer::ticket::TicketModel;
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
    }
}
