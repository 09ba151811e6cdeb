//! The order of calls: priority classes and their ratio, longest wait first, people
//! ahead and the estimated wait.

use super::*;

/// Which line a waiting ticket stands in when a window chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Class {
    /// Green channel, and appointments whose slot is due.
    Priority,
    Normal,
    /// Appointments not yet due: called only when nobody else waits.
    Early,
}

pub(super) fn class_of(config: &Config, t: &Ticket, now: Ts) -> Class {
    class_of_key(config, &WaitKey::of(t), now)
}

pub(super) fn class_of_key(config: &Config, t: &WaitKey, now: Ts) -> Class {
    match t.priority {
        Priority::Green => Class::Priority,
        Priority::Appointment => match t.slot {
            Some(slot) if now < slot - chrono::Duration::minutes(config.rules.appointment_early_minutes as i64) => Class::Early,
            _ => Class::Priority,
        },
        Priority::Normal => Class::Normal,
    }
}

/// The key a ticket is ordered by within its class: appointments by slot, others by wait.
pub(super) fn order_key(t: &Ticket) -> (Ts, &str) {
    order_of_key(&WaitKey::of(t), &t.id)
}

pub(super) fn order_of_key<'a>(k: &WaitKey, id: &'a str) -> (Ts, &'a str) {
    match (k.priority, k.slot) {
        (Priority::Appointment, Some(slot)) => (slot, id),
        _ => (k.wait_since, id),
    }
}

/// People who will be called before `t` in its queue (now, as things stand).
pub fn people_ahead(state: &State, config: &Config, t: &Ticket, now: Ts) -> u32 {
    let key = WaitKey::of(t);
    let class = class_of_key(config, &key, now);
    // `t` itself (when waiting) has its own key and id, so it is never before itself.
    let ahead = |(id, k): (&str, &WaitKey)| {
        let oc = class_of_key(config, k, now);
        oc < class || (oc == class && order_of_key(k, id) < order_of_key(&key, &t.id))
    };
    let line = state.waiting.get(&t.queue).map_or(0, |w| w.len());
    match state.wait_index.0.get(&t.queue) {
        // The index agrees with the line: scan it.
        Some(keys) if keys.len() == line => keys.iter().map(|(id, k)| (id.as_str(), k)).filter(|e| ahead(*e)).count() as u32,
        // A state read without its caches: look each ticket up.
        _ => state.waiting_in(&t.queue).map(|o| (o.id.as_str(), WaitKey::of(o))).filter(|(id, k)| ahead((id, k))).count() as u32,
    }
}

/// Minutes until `ahead` people have been served in `queue`, from measured service times
/// and the windows open for it (or all windows that serve it, before any opened).
pub fn estimate_minutes(state: &State, config: &Config, queue: &str, ahead: u32) -> u32 {
    if ahead == 0 {
        return 0;
    }
    let mean_secs = state
        .queues
        .get(queue)
        .map(|q| q.mean_service_secs)
        .filter(|s| *s > 0.0)
        .unwrap_or_else(|| config.queue(queue).map(|q| q.service_minutes as f64 * 60.0).unwrap_or(600.0));
    let serving: Vec<&crate::config::Window> = config.windows.iter().filter(|w| config.window_serves(w, queue)).collect();
    let open = serving.iter().filter(|w| state.windows.get(&w.number).is_some_and(|s| s.open && s.paused.is_none())).count();
    let windows = if open > 0 { open } else { serving.len().max(1) };
    ((ahead as f64 * mean_secs / windows as f64) / 60.0).ceil() as u32
}

/// The ticket window `w` calls next: the priority ratio between classes, longest wait
/// first within a class across all the queues the window serves.
pub(super) fn choose_next<'a>(state: &'a State, config: &Config, w: &WindowState, now: Ts) -> Option<&'a Ticket> {
    let wconf = config.window(w.number)?;
    let mut best: [Option<&Ticket>; 3] = [None, None, None];
    let queues = config.queues.iter().filter(|q| config.window_serves(wconf, &q.id));
    for t in queues.flat_map(|q| state.waiting_in(&q.id)) {
        let slot = &mut best[class_of(config, t, now) as usize];
        if slot.is_none_or(|b| order_key(t) < order_key(b)) {
            *slot = Some(t);
        }
    }
    let [priority, normal, early] = best;
    let ratio = config.rules.call_ratio;
    match (priority, normal) {
        (Some(p), Some(n)) => {
            if ratio.priority > 0 && w.normal_streak >= ratio.normal {
                Some(p)
            } else {
                Some(n)
            }
        }
        (Some(p), None) => Some(p),
        (None, Some(n)) => Some(n),
        (None, None) => early,
    }
}

/// Waiting count and estimated wait for the last in line, per queue.
pub fn queue_summary(state: &State, config: &Config) -> Vec<(String, u32, u32)> {
    config
        .queues
        .iter()
        .map(|q| {
            let waiting = state.waiting.get(&q.id).map_or(0, |w| w.len()) as u32;
            (q.id.clone(), waiting, estimate_minutes(state, config, &q.id, waiting))
        })
        .collect()
}
