//! From a ticket in the hall's state to what the ticket printer prints.

use hallq_drivers::printer::ticket::TicketModel;

use crate::config::Config;
use crate::engine::{Priority, Ticket};

/// The printable form of a ticket: names looked up, times in the hall's zone, holder masked.
pub fn model(config: &Config, t: &Ticket, people_ahead: u32, estimate_minutes: u32) -> TicketModel {
    let service = config.service(&t.service);
    let queue = config.queue(&t.queue);
    TicketModel {
        hall_name: config.hall.name.clone(),
        number: t.number.clone(),
        id: t.id.clone(),
        service: service.map(|s| s.name.clone()).unwrap_or_else(|| t.service.clone()),
        queue: queue.map(|q| q.name.clone()).unwrap_or_else(|| t.queue.clone()),
        people_ahead,
        estimate_minutes,
        windows: config.windows.iter().filter(|w| config.window_serves(w, &t.queue)).map(|w| (w.number, w.floor)).collect(),
        issued_at: t.issued_at.with_timezone(&config.offset()).format("%Y-%m-%d %H:%M").to_string(),
        holder: t.holder.as_ref().map(|h| format!("{}（{}）", h.masked_name, h.masked_id)).unwrap_or_default(),
        token: t.token.clone(),
        priority_label: match t.priority {
            Priority::Normal => String::new(),
            Priority::Green => "绿色通道".into(),
            Priority::Appointment => "预约".into(),
        },
    }
}
