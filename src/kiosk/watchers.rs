//! The kiosk's watchers: the hall's catalogue and waits ([`catalogue_task`]), its clock and
//! health, its event stream, the A4 printer, the scanner, the ticket printer (through the
//! device task) and the ID-card reader, each feeding the controller inputs.

use std::sync::Arc;
use std::time::Duration;

use hallq_drivers::idcard::{CardEvent, IdReader, Poller};
use hallq_drivers::{transport, DeviceUri};
use hallq_proto::{ClientError, EventView, FeedItem, HallClient};
use hallq_ui::view::DeviceKind;

use super::controller::{Card, Input};
use super::runtime::{Core, Job, Watcher};
use super::text::{said, Said};

/// What the catalogue task is asked to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// The catalogue, unless the hall's is the one held (its ETag).
    Catalog,
    /// The waits and estimates of each queue.
    Figures,
}

/// Waits after an event before fetching the figures, so a burst of events costs one fetch.
const FIGURES_DEBOUNCE: Duration = Duration::from_secs(1);

/// `GET /catalog` with the ETag of the catalogue held (`If-None-Match`): `None` when the
/// hall answered 304 (the catalogue held is current), else the new one, whose ETag is kept.
pub async fn fetch_catalog(hall: &HallClient, etag: &mut Option<String>) -> Result<Option<hallq_proto::Catalog>, ClientError> {
    Ok(hall.catalog_if_changed(etag.as_deref()).await?.map(|(catalog, tag)| {
        *etag = tag;
        catalog
    }))
}

/// The kiosk's catalogue and its waits: the full catalogue (close to a megabyte in a large
/// hall) when asked (config_changed) and every 60 s, each time with its ETag so an unchanged
/// one costs a 304; the figures (each queue's waiting and estimate) when events change waits
/// (after [`FIGURES_DEBOUNCE`], one fetch for a burst) and every 15 s. Figures of a newer
/// configuration fetch the catalogue. Every answer, or its absence, is the hall's health.
async fn catalogue_task(c: Arc<Core>, mut wanted: tokio::sync::mpsc::UnboundedReceiver<Refresh>) {
    let mut etag: Option<String> = None;
    let mut version: Option<u64> = None;
    let mut slow = tokio::time::interval(Duration::from_secs(60));
    let mut fallback = tokio::time::interval(Duration::from_secs(15));
    fallback.reset();
    loop {
        let mut want = tokio::select! {
            _ = slow.tick() => Refresh::Catalog,
            _ = fallback.tick() => Refresh::Figures,
            w = wanted.recv() => match w {
                Some(w) => {
                    tokio::time::sleep(FIGURES_DEBOUNCE).await;
                    w
                }
                None => return,
            },
        };
        // Everything asked meanwhile is answered by this one fetch.
        while let Ok(w) = wanted.try_recv() {
            if w == Refresh::Catalog {
                want = Refresh::Catalog;
            }
        }
        if want == Refresh::Figures {
            match c.hall.catalog_figures().await {
                Ok(f) if version == Some(f.config_version) => {
                    c.hall_answered(Ok(()));
                    let figures = f.queues.into_iter().map(|q| (q.id.to_string(), q.waiting, q.estimate_minutes)).collect();
                    c.input(Input::Figures(figures));
                    fallback.reset();
                    continue;
                }
                // A configuration this kiosk does not hold yet: the catalogue.
                Ok(_) => {}
                Err(e) => {
                    c.hall_answered(Err(e));
                    continue;
                }
            }
        }
        match fetch_catalog(&c.hall, &mut etag).await {
            Ok(None) => c.hall_answered(Ok(())),
            Ok(Some(v)) => {
                version = Some(v.config_version);
                c.hall_answered(Ok(()));
                c.keep_catalog(&v);
                c.input(Input::Catalog(super::catalog_from_proto(&v)));
                fallback.reset();
            }
            Err(e) => c.hall_answered(Err(e)),
        }
    }
}

impl Core {
    /// The hall answered the kiosk's catalogue or figures request, or did not: its health.
    fn hall_answered(self: &Arc<Self>, r: Result<(), ClientError>) {
        match r {
            Ok(()) => {
                self.offline.refused.store(false, std::sync::atomic::Ordering::SeqCst);
                self.set_fault(Watcher::Service, None);
            }
            Err(ClientError::Refused { status: 401 | 403, .. }) => {
                self.offline.refused.store(true, std::sync::atomic::Ordering::SeqCst);
                self.set_fault(Watcher::Service, Some(said!("本机未获授权连接叫号系统，请联系工作人员")));
            }
            Err(e) => {
                tracing::debug!("the hall's catalogue: {e}");
                self.set_fault(Watcher::Service, Some(said!("无法连接叫号系统，请到服务台取号")));
            }
        }
    }
}

/// Starts the watchers: catalogue and clock from the hall service, printer status, and
/// the card reader. Runs on the current tokio runtime.
pub fn start(core: Arc<Core>) {
    // A kiosk started while the hall is unreachable offers what it offered last (and issues
    // from its leases): the catalogue kept in the journal.
    if let Some(cat) = core.offline.catalog() {
        core.input(Input::Catalog(super::catalog_from_proto(&cat)));
    }
    // The catalogue: fetched when its configuration changes (ETag: a 304 costs nothing)
    // and every 60 s; the waits (`/catalog/figures`, ~1 KB) after events that change them
    // and every 15 s. See [`catalogue_task`].
    let (refresh, wanted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(catalogue_task(core.clone(), wanted));
    // The hall service's clock every second.
    let c = core.clone();
    tokio::spawn(async move {
        loop {
            let health = c.hall.health().await.ok();
            if let Some(offset) = health.as_ref().and_then(|h| chrono::DateTime::parse_from_rfc3339(&h.now).ok()).map(|t| *t.offset()) {
                let changed = std::mem::replace(&mut *c.offline.offset.lock().unwrap_or_else(|p| p.into_inner()), offset) != offset;
                let unsaved = !c.offline.offset_saved.swap(true, std::sync::atomic::Ordering::SeqCst);
                if let (true, Some(j)) = (changed || unsaved, &c.offline.journal) {
                    if let Err(e) = j.save_offset(offset) {
                        tracing::warn!("{e}");
                    }
                }
            }
            let clock = match &health {
                Some(h) => Some(h.now.replacen('T', " ", 1).chars().take(16).collect::<String>()),
                // Offline: the kiosk's own clock in the hall's zone.
                None if c.offline.active.load(std::sync::atomic::Ordering::SeqCst) => {
                    Some(c.offline.now().format("%Y-%m-%d %H:%M").to_string())
                }
                None => None,
            };
            if health.is_none() {
                c.set_fault(Watcher::Service, Some(said!("无法连接叫号系统，请到服务台取号")));
            } else if health.is_some() && c.offline.active.load(std::sync::atomic::Ordering::SeqCst) {
                // Back: the figures' poll would wait up to 15 s.
                c.set_fault(Watcher::Service, None);
            }
            c.input(Input::Tick(clock.unwrap_or_default()));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    // Offline issuing: leases kept topped up while the hall answers, and the tickets issued
    // from them uploaded as soon as it answers again.
    if core.offline.journal.is_some() {
        let c = core.clone();
        tokio::spawn(async move {
            let mut refused: std::collections::HashMap<String, std::time::Instant> = Default::default();
            loop {
                let journal = c.offline.journal.as_ref().expect("checked");
                let online = !c.offline.active.load(std::sync::atomic::Ordering::SeqCst);
                if online {
                    super::journal::upload(&c.hall, journal, c.offline.now()).await;
                }
                if let (true, Some(cat)) = (online, c.offline.catalog()) {
                    c.top_up_leases(&cat, &mut refused).await;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }
    // The event stream: config_changed fetches the catalogue (items, tiles, texts, ticket
    // template) again at once; events that change waits fetch the figures. The feed resumes
    // after a drop.
    let c = core.clone();
    tokio::spawn(async move {
        let mut feed = c.hall.events(None);
        while let Some(item) = feed.next().await {
            let FeedItem::Event { event, .. } = item else { continue };
            let want = match event.event {
                EventView::ConfigChanged { version, .. } => {
                    tracing::info!("configuration version {version}: fetching the catalogue");
                    Refresh::Catalog
                }
                EventView::TicketIssued { .. }
                | EventView::TicketCalled { .. }
                | EventView::TicketRequeued { .. }
                | EventView::TicketTransferred { .. }
                | EventView::TicketNoShow { .. }
                | EventView::DayOpened { .. } => Refresh::Figures,
                _ => continue,
            };
            if refresh.send(want).is_err() {
                return;
            }
        }
    });
    // The optional devices, every 30 s: A4 printer condition (over IPP).
    if core.a4.is_some() {
        let c = core.clone();
        tokio::spawn(async move {
            loop {
                let cc = c.clone();
                let fault = tokio::task::spawn_blocking(move || cc.a4.as_ref().and_then(|a| a.fault())).await.unwrap_or(None);
                // Every time (the hall logs only changes): a failed print paused the errand
                // and reported it meanwhile, and a printer that answers again resumes it.
                c.report(DeviceKind::A4Printer, fault.clone());
                c.input(Input::OptionalDevice(DeviceKind::A4Printer, fault.map(Said::Text)));
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
    }
    // The scanner, every 30 s while nobody is scanning: whether SANE lists it. A scan that
    // failed for the scanner's sake pauses scanning at once (Effect::Scan); this resumes
    // it once the scanner is back.
    if core.scanner.is_some() {
        let c = core.clone();
        tokio::spawn(async move {
            loop {
                let scanning = c.controller.lock().unwrap_or_else(|p| p.into_inner()).scanning();
                if !scanning {
                    let cc = c.clone();
                    let fault =
                        tokio::task::spawn_blocking(move || cc.scanner.as_ref().and_then(|s| s.check().err())).await.unwrap_or(None);
                    c.report(DeviceKind::Scanner, fault.clone());
                    c.input(Input::OptionalDevice(DeviceKind::Scanner, fault.map(Said::Text)));
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
    }
    // The printer, every 5 s, by the device task between tickets.
    let c = core.clone();
    tokio::spawn(async move {
        loop {
            c.send(Job::CheckPrinter);
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    // The card reader, in its own thread (serial IO blocks).
    if let Some(uri) = core.opts.idcard.clone() {
        let c = core.clone();
        let handle = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            let _guard = handle.enter();
            loop {
                let reader =
                    uri.parse::<DeviceUri>().map_err(|e| e.to_string()).and_then(|u| transport::open(&u).map_err(|e| e.to_string()));
                let mut poller = match reader {
                    Ok(t) => Poller::new(IdReader::new(t)),
                    Err(e) => {
                        tracing::warn!("ID-card reader: {e}");
                        c.set_fault(Watcher::Reader, Some(said!("身份证读卡器故障，请联系工作人员")));
                        std::thread::sleep(Duration::from_secs(5));
                        continue;
                    }
                };
                c.set_fault(Watcher::Reader, None);
                loop {
                    match poller.poll() {
                        Ok(Some(CardEvent::Placed(id))) => {
                            let today = chrono::Local::now().date_naive();
                            let expired_on = if id.expired_on(today) {
                                match id.valid_until {
                                    Some(hallq_drivers::idcard::card::ValidUntil::Date(d)) => d.to_string(),
                                    _ => String::new(),
                                }
                            } else {
                                String::new()
                            };
                            c.input(Input::Card(Card {
                                masked: format!("{}（{}）", id.masked_name(), id.masked_id()),
                                id_number: id.id_number.clone(),
                                name: id.name.clone(),
                                expired_on,
                            }));
                        }
                        Ok(Some(CardEvent::Unreadable(e))) => c.input(Input::CardUnreadable(Said::Text(e.to_string()))),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!("ID-card reader: {}", e.staff_message());
                            c.set_fault(Watcher::Reader, Some(said!("身份证读卡器故障，请联系工作人员")));
                            break;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
    }
}
