//! What each role receives: the one place that turns the hall's state and events into the
//! contract's views (`hallq_proto`). Times are in the hall's own offset.
//!
//! The projection rule (an invariant, see ARCHITECTURE.md):
//! - no role ever receives an ID hash, a birth date, a clear ID number or a request_id;
//! - a ticket's token is only in the answer that issued it;
//! - display and visitor (and the hall's other systems on the stream): calls, window states,
//!   queue figures, notices; no holder;
//! - kiosk: the catalogue (with its manager PIN hash) and the answers to its own requests;
//!   nothing of other visitors;
//! - counter: holders as a masked name, for the queues of its windows only;
//! - manager: masked name and masked ID number;
//! - rating tablet: what a display sees, plus its own window's rating requests with their
//!   one-time nonce (no other role receives a nonce).

use std::sync::OnceLock;

use axum::extract::ws::Utf8Bytes;
use hallq_proto as proto;
use proto::{EventView, HolderView, IssuedTicket, StreamEvent, TicketId, TicketNumber, WindowNo};

use crate::config::{Config, Role};
use crate::engine::{self, Event, Holder, Status, Ticket};
use crate::service::Hall;
use crate::store::Record;

/// Who a view is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Viewer {
    Display,
    /// A visitor's phone, by its ticket's token.
    Visitor,
    Kiosk,
    /// A counter terminal or a signed-in member of staff, with the windows it works.
    Counter {
        windows: Vec<u32>,
    },
    Manager,
    /// The booking or approval system.
    System,
    /// A rating tablet beside one window.
    Rating {
        window: u32,
    },
}

impl Viewer {
    pub fn of(role: Role, windows: &[u32]) -> Viewer {
        match role {
            // Monitoring reaches /metrics only (access.rs); were it to see more, the least.
            Role::Display | Role::Metrics => Viewer::Display,
            Role::Kiosk => Viewer::Kiosk,
            Role::Counter => Viewer::Counter { windows: windows.to_vec() },
            Role::Manager => Viewer::Manager,
            Role::System => Viewer::System,
            // The configuration binds a rating token to exactly one window.
            Role::Rating => Viewer::Rating { window: windows.first().copied().unwrap_or(0) },
        }
    }

    /// Whether this viewer may see who holds a ticket of `queue` (masked).
    fn sees_holder_of(&self, c: &Config, queue: &str) -> bool {
        match self {
            Viewer::Manager => true,
            Viewer::Counter { windows } => windows.iter().any(|n| c.window(*n).is_some_and(|w| c.window_serves(w, queue))),
            _ => false,
        }
    }

    fn is_staff(&self) -> bool {
        matches!(self, Viewer::Counter { .. } | Viewer::Manager)
    }

    /// The shared stream audience of an event for this viewer: the views of one event are
    /// built once per audience and shared by every connection in it.
    pub fn audience(&self, c: &Config, event: &Event) -> Audience {
        self.audience_with(|| c, event)
    }

    /// As [`Viewer::audience`], asking for the configuration only where the answer depends
    /// on it (a counter and a new ticket): the stream's hot path for displays stays free of
    /// the configuration lock.
    pub fn audience_with<C: std::ops::Deref<Target = Config>>(&self, config: impl FnOnce() -> C, event: &Event) -> Audience {
        match (self, event) {
            (Viewer::Manager, _) => Audience::Manager,
            (Viewer::Counter { .. }, Event::TicketIssued { ticket }) if self.sees_holder_of(&config(), &ticket.queue) => {
                Audience::CounterOwn
            }
            (Viewer::Counter { .. }, _) => Audience::Counter,
            // A rating tablet: its own window's rating requests, with their nonce.
            (Viewer::Rating { window }, Event::RatingRequested { window: w, .. }) if w == window => Audience::RatingDevice,
            _ => Audience::Public,
        }
    }
}

/// The groups of stream clients that receive the same bytes of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Displays, visitors' phones, kiosks, the hall's other systems.
    Public = 0,
    /// Counters, for an event about a queue they do not serve.
    Counter = 1,
    /// Counters, for a ticket of a queue they serve: its holder's masked name.
    CounterOwn = 2,
    Manager = 3,
    /// The rating tablet of the window an event (a rating request) is about: the nonce.
    RatingDevice = 4,
}

const AUDIENCES: usize = 5;

fn holder_view(h: &Holder, with_id: bool) -> HolderView {
    HolderView { name: h.masked_name.clone(), id_number: with_id.then(|| h.masked_id.clone()) }
}

fn tid(s: &str) -> TicketId {
    TicketId::new(s)
}

/// One event as an audience may see it; `None` when it may not see it at all.
pub fn event_view(r: &Record, a: Audience) -> Option<StreamEvent> {
    let staff = matches!(a, Audience::Counter | Audience::CounterOwn | Audience::Manager);
    // Who acted (a staff number, a token's name): counters and managers only; displays,
    // visitors, kiosks, rating tablets and the hall's systems never receive it.
    let who = |actor: &engine::Actor| (staff && !actor.is_unrecorded()).then(|| actor.clone());
    let event = match &r.event {
        Event::DayOpened { date, expired } => EventView::DayOpened { date: *date, expired: expired.iter().map(|t| tid(t)).collect() },
        Event::TicketIssued { ticket: t } => EventView::TicketIssued {
            ticket: IssuedTicket {
                id: tid(&t.id),
                number: TicketNumber::new(&t.number),
                service: t.service.as_str().into(),
                queue: t.queue.as_str().into(),
                priority: t.priority,
                channel: t.channel,
                holder: match a {
                    Audience::Manager => t.holder.as_ref().map(|h| holder_view(h, true)),
                    Audience::CounterOwn => t.holder.as_ref().map(|h| holder_view(h, false)),
                    _ => None,
                },
                offline: t.offline.is_some(),
            },
        },
        Event::WindowOpened { window, actor } => EventView::WindowOpened { window: WindowNo(*window), actor: who(actor) },
        Event::WindowClosed { window, actor } => EventView::WindowClosed { window: WindowNo(*window), actor: who(actor) },
        Event::TicketCalled { ticket, number, window, reason, actor } => EventView::TicketCalled {
            ticket: tid(ticket),
            number: TicketNumber::new(number),
            window: WindowNo(*window),
            reason: if staff { reason.clone() } else { None },
            actor: who(actor),
        },
        Event::TicketRecalled { ticket, number, window, recalls, actor } => EventView::TicketRecalled {
            ticket: tid(ticket),
            number: TicketNumber::new(number),
            window: WindowNo(*window),
            recalls: *recalls,
            actor: who(actor),
        },
        Event::ServiceStarted { ticket, window, actor } => {
            EventView::ServiceStarted { ticket: tid(ticket), window: WindowNo(*window), actor: who(actor) }
        }
        Event::TicketFinished { ticket, window, actor } => {
            EventView::TicketFinished { ticket: tid(ticket), window: WindowNo(*window), actor: who(actor) }
        }
        Event::TicketNoShow { ticket, window, actor } => {
            EventView::TicketNoShow { ticket: tid(ticket), window: WindowNo(*window), actor: who(actor) }
        }
        Event::TicketRequeued { ticket, window, actor } => {
            EventView::TicketRequeued { ticket: tid(ticket), window: WindowNo(*window), actor: who(actor) }
        }
        Event::TicketTransferred { ticket, window, service, queue, actor } => EventView::TicketTransferred {
            ticket: tid(ticket),
            window: WindowNo(*window),
            service: service.as_str().into(),
            queue: queue.as_str().into(),
            actor: who(actor),
        },
        Event::WindowPaused { window, reason, actor } => {
            EventView::WindowPaused { window: WindowNo(*window), reason: reason.clone(), actor: who(actor) }
        }
        Event::WindowResumed { window, actor } => EventView::WindowResumed { window: WindowNo(*window), actor: who(actor) },
        Event::TicketRated { ticket, window, rating, .. } if staff => EventView::TicketRated {
            ticket: tid(ticket),
            window: window.map(WindowNo),
            rating: *rating,
            actor: r.event.actor().and_then(|x| who(&x)),
        },
        // Staff see that a window asked; only that window's rating tablet gets the nonce.
        Event::RatingRequested { ticket, window, nonce, actor } if staff || a == Audience::RatingDevice => EventView::RatingRequested {
            ticket: tid(ticket),
            window: WindowNo(*window),
            nonce: (a == Audience::RatingDevice && !nonce.is_empty()).then(|| nonce.clone()),
            actor: who(actor),
        },
        Event::DeviceStatusChanged { kiosk, device, fault } if a == Audience::Manager => {
            EventView::DeviceStatusChanged { kiosk: kiosk.clone(), device: device.clone(), fault: fault.clone() }
        }
        Event::AppointmentBooked { appointment: ap } if a == Audience::Manager => EventView::AppointmentBooked {
            code: ap.code.clone(),
            service: ap.service.as_str().into(),
            slot: ap.slot,
            holder: ap.holder.as_ref().map(|h| holder_view(h, true)),
        },
        Event::AppointmentCheckedIn { code, ticket } if a == Audience::Manager => {
            EventView::AppointmentCheckedIn { code: code.clone(), ticket: tid(ticket) }
        }
        // Everyone learns of a new version; only staff learn who made it.
        Event::ConfigChanged { version, digest, by, actor } => EventView::ConfigChanged {
            version: *version,
            digest: digest.clone(),
            by: if staff { by.clone() } else { String::new() },
            actor: who(actor),
        },
        Event::ResultCollected { result, kiosk, actor } if a == Audience::Manager => {
            EventView::ResultCollected { result: result.clone(), kiosk: kiosk.clone(), actor: who(actor) }
        }
        Event::TicketReprinted { ticket, desk, actor, .. } if staff => {
            EventView::TicketReprinted { ticket: tid(ticket), desk: desk.clone(), actor: who(actor) }
        }
        Event::StaffSignedIn { actor, role } if a == Audience::Manager => EventView::StaffSignedIn { actor: actor.clone(), role: *role },
        Event::StaffSignedOut { actor } if a == Audience::Manager => EventView::StaffSignedOut { actor: actor.clone() },
        Event::AttachmentRead { attachment, ticket, actor } if a == Audience::Manager => {
            EventView::AttachmentRead { attachment: attachment.clone(), ticket: tid(ticket), actor: actor.clone() }
        }
        Event::HelpRequested { kiosk, place } if staff => EventView::HelpRequested { kiosk: kiosk.clone(), place: place.clone() },
        Event::HelpAnswered { kiosk, actor } if staff => EventView::HelpAnswered { kiosk: kiosk.clone(), actor: actor.clone() },
        Event::NumbersLeased { lease: l } if a == Audience::Manager => {
            EventView::NumbersLeased { kiosk: l.kiosk.clone(), queue: l.queue.as_str().into(), date: l.date, from: l.from, to: l.to }
        }
        Event::TicketRated { .. }
        | Event::NumbersLeased { .. }
        | Event::RatingRequested { .. }
        | Event::DeviceStatusChanged { .. }
        | Event::AppointmentBooked { .. }
        | Event::AppointmentCheckedIn { .. }
        | Event::ResultCollected { .. }
        | Event::TicketReprinted { .. }
        | Event::StaffSignedIn { .. }
        | Event::StaffSignedOut { .. }
        | Event::AttachmentRead { .. }
        | Event::HelpRequested { .. }
        | Event::HelpAnswered { .. } => return None,
    };
    Some(StreamEvent { seq: r.seq, at: r.at, event })
}

/// A logged event as the writer publishes it, with its views built once per audience on
/// first use and shared by every stream connection.
pub struct Published {
    pub record: Record,
    texts: [OnceLock<Option<Utf8Bytes>>; AUDIENCES],
}

impl Published {
    pub fn new(record: Record) -> Published {
        Published { record, texts: Default::default() }
    }

    /// The stream message of this event for `a`; `None` when it may not see it.
    pub fn text(&self, a: Audience) -> Option<Utf8Bytes> {
        self.texts[a as usize].get_or_init(|| event_text(&self.record, a)).clone()
    }
}

/// The stream message of one event for an audience.
pub fn event_text(r: &Record, a: Audience) -> Option<Utf8Bytes> {
    event_view(r, a).map(|e| serde_json::to_string(&e).expect("stream events serialize").into())
}

pub(super) fn local_time(c: &Config, t: engine::Ts) -> String {
    t.with_timezone(&c.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The windows (with floors) that serve a queue.
fn windows_for(c: &Config, queue: &str) -> Vec<proto::WindowRef> {
    c.windows.iter().filter(|w| c.window_serves(w, queue)).map(window_ref).collect()
}

fn window_ref(w: &crate::config::Window) -> proto::WindowRef {
    proto::WindowRef { number: WindowNo(w.number), name: w.name.clone(), floor: w.floor }
}

fn queue_figures(state: &engine::State, c: &Config) -> Vec<proto::QueueFigures> {
    c.queues
        .iter()
        .zip(engine::queue_summary(state, c))
        .map(|(q, (_, waiting, est))| proto::QueueFigures {
            id: q.id.as_str().into(),
            name: q.name.clone(),
            name_en: q.name_en.clone(),
            prefix: q.prefix.clone(),
            waiting,
            estimate_minutes: est,
            issued_today: None,
            longest_wait_minutes: None,
            windows: None,
        })
        .collect()
}

fn named(id: &str, name: Option<&str>, name_en: Option<&str>) -> proto::Named {
    proto::Named { id: id.to_string(), name: name.map(str::to_string), name_en: name_en.map(str::to_string) }
}

/// `GET /catalog`. The kiosk manager PIN's hash is only in a kiosk's own catalogue.
pub fn catalog_view(hall: &Hall, viewer: &Viewer) -> proto::Catalog {
    let c: &Config = &hall.config();
    let view = hall.view();
    catalog_of(c, &view.state, viewer)
}

/// `GET /catalog/figures`: each queue's waits now.
pub fn catalog_figures(hall: &Hall) -> proto::CatalogFigures {
    let c: &Config = &hall.config();
    let seq = hall.last_seq();
    let view = hall.view();
    proto::CatalogFigures {
        config_version: view.state.config_version,
        seq,
        queues: engine::queue_summary(&view.state, c)
            .into_iter()
            .map(|(id, waiting, estimate_minutes)| proto::QueueWait { id: id.as_str().into(), waiting, estimate_minutes })
            .collect(),
    }
}

/// The catalogue of a configuration and a state (the service's, or an empty one for
/// screenshots and tests without a service).
pub fn catalog_of(c: &Config, state: &engine::State, viewer: &Viewer) -> proto::Catalog {
    let summary = engine::queue_summary(state, c);
    // Where each queue's visitors wait: once per queue, not once per item (470 in a large hall).
    let areas: std::collections::HashMap<&str, (String, String)> =
        c.queues.iter().map(|q| (q.id.as_str(), c.waiting_area(&q.id))).collect();
    let queues = queue_figures(state, c)
        .into_iter()
        .map(|mut q| {
            q.windows = Some(windows_for(c, q.id.as_str()));
            q
        })
        .collect();
    let services = c
        .services
        .iter()
        .map(|s| {
            let dept = c.departments.iter().find(|d| d.id == s.department);
            let (waiting, est) = summary.iter().find(|(q, _, _)| *q == s.queue).map(|(_, w, e)| (*w, *e)).unwrap_or((0, 0));
            proto::CatalogService {
                id: s.id.as_str().into(),
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                department: named(&s.department, dept.map(|d| d.name.as_str()), dept.map(|d| d.name_en.as_str())),
                queue: s.queue.as_str().into(),
                mode: s.mode,
                mode_label: s.mode.label_zh().into(),
                mode_label_en: s.mode.label_en().into(),
                category: s.category,
                time_limit_days: s.time_limit_days,
                promised_days: s.promised_days,
                identity: s.identity,
                hot: s.hot,
                materials: s.materials.clone(),
                materials_en: if s.materials_en.is_empty() { s.materials.clone() } else { s.materials_en.clone() },
                kiosk: s.kiosk,
                issued_today: state.service_issued.get(&s.id).copied().unwrap_or(0),
                daily_cap: s.daily_cap,
                waiting,
                estimate_minutes: est,
                windows: windows_for(c, &s.queue),
                waiting_area: areas.get(s.queue.as_str()).map(|a| a.0.clone()).unwrap_or_default(),
                waiting_area_en: areas.get(s.queue.as_str()).map(|a| a.1.clone()).unwrap_or_default(),
            }
        })
        .collect();
    proto::Catalog {
        hall: proto::HallName {
            name: c.hall.name.clone(),
            name_en: c.hall.name_en.clone(),
            utc_offset: Some(c.hall.utc_offset.to_string()),
        },
        hours: proto::Hours {
            open_days: c.hours.open_days.iter().map(|d| d.to_string()).collect(),
            sessions: c.hours.sessions.iter().map(|s| proto::Session { start: s.start.to_string(), end: s.end.to_string() }).collect(),
            issue_cutoff: c.hours.issue_cutoff.to_string(),
        },
        departments: c
            .departments
            .iter()
            .map(|d| proto::Department { id: d.id.clone(), name: d.name.clone(), name_en: d.name_en.clone() })
            .collect(),
        queues,
        services,
        windows: c
            .windows
            .iter()
            .map(|w| proto::WindowInfo {
                number: WindowNo(w.number),
                name: w.name.clone(),
                kind: w.kind,
                floor: w.floor,
                queues: w.queues.iter().map(|q| q.as_str().into()).collect(),
            })
            .collect(),
        kiosk: proto::KioskSettings {
            tiles: c.kiosk.tiles.clone(),
            welcome: c.kiosk.welcome.clone(),
            welcome_en: c.kiosk.welcome_en.clone(),
            manager_pin: (*viewer == Viewer::Kiosk).then(|| {
                if c.kiosk.manager_pin.is_empty() {
                    c.kiosk.manager_pin_sha256.clone()
                } else {
                    c.kiosk.manager_pin.clone()
                }
            }),
            idle_seconds: c.kiosk.idle_seconds,
            idle_seconds_elderly: c.kiosk.idle_seconds_elderly,
            offline_block: c.kiosk.offline_block,
        },
        ticket: proto::TicketSettings {
            header: c.ticket.header.clone(),
            footer: c.ticket.footer.clone(),
            qr: c.ticket.qr,
            public_url: Some(c.hall.public_url.trim_end_matches('/').to_string()).filter(|u| !u.is_empty()),
        },
        config_version: state.config_version,
        no_show: no_show_rule(c),
        desks: c
            .desks
            .iter()
            .map(|d| proto::DeskInfo { id: d.id.clone(), name: d.name.clone(), name_en: d.name_en.clone(), floor: d.floor })
            .collect(),
    }
}

fn service_name(c: &Config, id: &str) -> (String, String) {
    c.service(id).map(|s| (s.name.clone(), s.name_en.clone())).unwrap_or_else(|| (id.to_string(), id.to_string()))
}

/// How a ticket is shown to a viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAnswer {
    /// The answer that issued it: with its status-page token, and the holder masked as
    /// printed on the ticket.
    Issuing,
    /// A look-up later.
    Lookup,
}

/// A ticket as `viewer` may see it.
pub fn ticket_view(hall: &Hall, t: &Ticket, viewer: &Viewer, answer: TicketAnswer) -> proto::TicketView {
    let c: &Config = &hall.config();
    let (ahead, est) = if t.status == Status::Waiting && answer == TicketAnswer::Issuing {
        // The answer that issued it says what was printed: the engine counted it then.
        (Some(t.people_ahead_at_issue), Some(t.estimate_minutes_at_issue))
    } else if t.status == Status::Waiting {
        let view = hall.view();
        let a = engine::people_ahead(&view.state, c, t, hall.now());
        (Some(a), Some(engine::estimate_minutes(&view.state, c, &t.queue, a)))
    } else {
        (None, None)
    };
    let (name, name_en) = service_name(c, &t.service);
    let queue = c.queue(&t.queue);
    let issuing = answer == TicketAnswer::Issuing;
    let (waiting_area, waiting_area_en) = c.waiting_area(&t.queue);
    let (no_show_rule, no_show_rule_en) = c.no_show_rule();
    let holder = match (viewer, issuing) {
        // The kiosk prints the masked name and ID number on the ticket it issued.
        (Viewer::Kiosk, true) | (Viewer::Manager, _) => t.holder.as_ref().map(|h| holder_view(h, true)),
        (Viewer::Counter { .. }, true) => t.holder.as_ref().map(|h| holder_view(h, false)),
        (v, false) if v.sees_holder_of(c, &t.queue) => t.holder.as_ref().map(|h| holder_view(h, false)),
        _ => None,
    };
    proto::TicketView {
        hall: c.hall.name.clone(),
        id: tid(&t.id),
        number: TicketNumber::new(&t.number),
        date: t.date,
        service: named(&t.service, Some(&name), Some(&name_en)),
        queue: named(&t.queue, queue.map(|q| q.name.as_str()), queue.map(|q| q.name_en.as_str())),
        status: t.status,
        priority: t.priority,
        channel: t.channel,
        issued_at: local_time(c, t.issued_at),
        holder,
        appointment_slot: t.appointment_slot.map(|s| local_time(c, s)),
        window: t.window.and_then(|n| c.window(n)).map(window_ref),
        windows: windows_for(c, &t.queue),
        people_ahead: ahead,
        estimate_minutes: est,
        people_ahead_at_issue: t.people_ahead_at_issue,
        estimate_minutes_at_issue: t.estimate_minutes_at_issue,
        recalls: t.recalls,
        // The visitor's own rating, for the visitor and staff only.
        rating: if viewer.is_staff() || *viewer == Viewer::Visitor { t.rating } else { None },
        history: viewer.is_staff().then(|| {
            t.history
                .iter()
                .map(|h| proto::HistoryView {
                    at: local_time(c, h.at),
                    what: h.what.clone(),
                    window: h.window.map(WindowNo),
                    note: h.note.clone(),
                    by: h.by.clone(),
                })
                .collect()
        }),
        // Only the kiosk that prints it: staff never hold a visitor's status-page token.
        token: (issuing && *viewer == Viewer::Kiosk).then(|| t.token.clone()),
        offline: t.offline.is_some(),
        waiting_area,
        waiting_area_en,
        no_show_rule,
        no_show_rule_en,
    }
}

/// The hall's 过号 rule from `[rules]`, for counters (when 过号 is allowed) and tickets.
pub fn no_show_rule(c: &Config) -> proto::NoShowRule {
    let (text, text_en) = c.no_show_rule();
    let r = &c.rules;
    proto::NoShowRule {
        after_recalls: r.no_show_after_recalls,
        after_minutes: r.no_show_after_minutes,
        max_recalls: r.max_recalls,
        recall_min_gap_secs: r.recall_min_gap_secs,
        requeue_within_minutes: r.requeue_within_minutes,
        text,
        text_en,
    }
}

pub fn window_view(hall: &Hall, number: u32, viewer: &Viewer) -> proto::WindowView {
    let c: &Config = &hall.config();
    let view = hall.view();
    window_of(c, &view.state, number, viewer)
}

fn window_of(c: &Config, state: &engine::State, number: u32, viewer: &Viewer) -> proto::WindowView {
    let w = state.windows.get(&number).cloned().unwrap_or(engine::WindowState { number, ..Default::default() });
    let conf = c.window(number);
    let own = match viewer {
        Viewer::Manager => true,
        Viewer::Counter { windows } => windows.contains(&number),
        _ => false,
    };
    let current = w.current.as_ref().and_then(|id| state.tickets.get(id)).map(|t| {
        let (name, name_en) = service_name(c, &t.service);
        proto::CurrentTicket {
            id: tid(&t.id),
            number: TicketNumber::new(&t.number),
            status: t.status,
            service: name,
            service_en: name_en,
            holder: if own { t.holder.as_ref().map(|h| h.masked_name.clone()) } else { None },
            recalls: t.recalls,
            called_at: t.called_at.map(|at| local_time(c, at)),
            started_at: t.started_at.map(|at| local_time(c, at)),
        }
    });
    proto::WindowView {
        number: WindowNo(number),
        name: conf.map(|w| w.name.clone()),
        floor: conf.map(|w| w.floor),
        zone: conf.and_then(|w| w.zone.clone()),
        kind: conf.map(|w| w.kind),
        queues: conf.map(|w| w.queues.iter().map(|q| q.as_str().into()).collect()),
        open: w.open,
        paused: w.paused.is_some(),
        pause_reason: w.paused,
        current,
        served_today: w.served_today,
        paused_since: w.paused_at.map(|at| local_time(c, at)),
        staff: if own { w.staff } else { None },
    }
}

/// `GET /state` as `viewer` may see it.
pub fn state_view(hall: &Hall, viewer: &Viewer) -> proto::HallState {
    let c: &Config = &hall.config();
    let view = hall.view();
    let now = hall.now();
    let windows = c.windows.iter().map(|w| window_of(c, &view.state, w.number, viewer)).collect();
    let queues = queue_figures(&view.state, c)
        .into_iter()
        .map(|mut q| {
            q.issued_today = Some(view.state.queues.get(q.id.as_str()).map(|s| s.issued_today).unwrap_or(0));
            let longest = view.state.waiting_in(q.id.as_str()).map(|t| (now - t.wait_since).num_minutes().max(0)).max().unwrap_or(0);
            q.longest_wait_minutes = Some(longest as u32);
            q
        })
        .collect();
    let calls = view
        .recent_calls
        .iter()
        .rev()
        .filter_map(|r| match &r.event {
            Event::TicketCalled { ticket, number, window, .. } => Some((r, ticket, number, *window, false)),
            Event::TicketRecalled { ticket, number, window, .. } => Some((r, ticket, number, *window, true)),
            _ => None,
        })
        .map(|(r, ticket, number, window, recall)| proto::CallView {
            seq: r.seq,
            at: local_time(c, r.at),
            ticket: tid(ticket),
            number: TicketNumber::new(number),
            window: WindowNo(window),
            recall,
        })
        .collect();
    let devices = (*viewer == Viewer::Manager).then(|| {
        view.state
            .devices
            .iter()
            .map(|(key, fault)| {
                let (kiosk, device) = key.split_once('/').unwrap_or((key.as_str(), ""));
                proto::DeviceView { kiosk: kiosk.into(), device: device.into(), ok: fault.is_none(), fault: fault.clone() }
            })
            .collect()
    });
    proto::HallState {
        seq: hall.last_seq(),
        date: view.state.date,
        now: local_time(c, hall.now()),
        hall: proto::HallName { name: c.hall.name.clone(), name_en: c.hall.name_en.clone(), utc_offset: None },
        devices,
        // Filled by the state route for managers (the API knows when it last heard each kiosk).
        kiosks: None,
        displays: None,
        display: proto::DisplaySettings {
            notice: c.display.notice.clone(),
            recent_calls: c.display.recent_calls as u32,
            page_seconds: c.display.page_seconds,
        },
        voice: proto::VoiceSettings { enabled: c.voice.enabled, volume: c.voice.volume },
        windows,
        queues,
        recent_calls: calls,
    }
}

/// The waiting line for a window: every waiting ticket of the queues it serves, in the
/// order it would call them, with how long each has waited.
pub fn waiting_view(hall: &Hall, window: u32) -> proto::WaitingLine {
    let c: &Config = &hall.config();
    let now = hall.now();
    let view = hall.view();
    let Some(w) = c.window(window) else { return proto::WaitingLine { window: WindowNo(window), tickets: vec![] } };
    let mut tickets: Vec<&Ticket> =
        c.queues.iter().filter(|q| c.window_serves(w, &q.id)).flat_map(|q| view.state.waiting_in(&q.id)).collect();
    tickets.sort_by_key(|t| (engine::people_ahead(&view.state, c, t, now), t.wait_since));
    let tickets = tickets
        .iter()
        .map(|t| proto::WaitingTicket {
            id: tid(&t.id),
            number: TicketNumber::new(&t.number),
            service: service_name(c, &t.service).0,
            queue: t.queue.as_str().into(),
            priority: t.priority,
            holder: t.holder.as_ref().map(|h| h.masked_name.clone()),
            waited_minutes: (now - t.issued_at).num_minutes().max(0),
            appointment_slot: t.appointment_slot.map(|s| local_time(c, s)),
        })
        .collect();
    proto::WaitingLine { window: WindowNo(window), tickets }
}

/// An appointment for the booking system, the kiosk of the person it belongs to, counters
/// and managers: the masked ID number only for managers and the booking system that sent it.
pub fn appointment_view(c: &Config, a: &engine::Appointment, viewer: &Viewer) -> proto::AppointmentView {
    let with_id = matches!(viewer, Viewer::Manager | Viewer::System);
    let service = c.service(&a.service);
    proto::AppointmentView {
        code: a.code.clone(),
        service: named(&a.service, service.map(|s| s.name.as_str()), service.map(|s| s.name_en.as_str())),
        slot: local_time(c, a.slot),
        holder: a.holder.as_ref().map(|h| holder_view(h, with_id)),
        ticket: a.ticket.as_deref().map(tid),
    }
}
