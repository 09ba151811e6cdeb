//! The kiosk's IO: the hall service over HTTP, the ticket printer and the ID-card reader,
//! feeding the controller and carrying out its effects. The view goes to the Slint window
//! (`hallq kiosk`), or wherever the caller's render function sends it.
//!
//! The effects the controller asks for are carried out one after another, in the order it
//! asked, by one device task ([`Devices`]): it owns the ticket printer, the ticket's
//! template and the visitor's scanned pages, and looks at the printer between tickets.
//! Watchers (the hall, the reader, the A4 printer, the scanner) feed inputs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallq_drivers::device::KioskDevice;
use hallq_drivers::idcard::{CardEvent, IdReader, Poller};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::Template;
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::{transport, DeviceUri};
use hallq_proto::{
    CheckIn, ClientError, EventView, FeedItem, HallClient, Identity, IssueTicket, RequestId, ServiceId, TicketId, TicketView,
};
use hallq_ui::view::{DeviceKind, KioskView};

use super::controller::{AppointmentRow, Card, Controller, Effect, Input, IssueFailure, Issued, ResultRow, Settings};
use super::errands::{Scanner, Speaker, VoiceOut, A4};
use super::text::{said, Said};

pub struct KioskOptions {
    /// The offline journal (leases and tickets issued while the hall is unreachable);
    /// `None`: `journal.db` in `work_dir`.
    pub journal: Option<PathBuf>,
    /// The clock offline tickets are stamped with (`None`: the system's; tests give the
    /// hall's simulated one).
    pub clock: Option<Arc<dyn crate::service::Clock>>,
    /// The hall service, such as https://192.168.1.10:8443.
    pub server: String,
    pub token: String,
    /// The hall CA to trust for an https:// server (`hallq tls init`'s ca.pem); `None`:
    /// the system's trust store.
    pub ca: Option<PathBuf>,
    pub printer: String,
    pub idcard: Option<String>,
    /// The simulated printer, when `printer` is sim://printer.
    pub sim_printer: Option<SimPrinter>,
    pub kiosk_id: String,
    /// The A4 printer for results: ipp://… or sim://a4.
    pub a4: Option<String>,
    /// The document scanner: sane:DEVICE.
    pub scanner: Option<String>,
    /// SANE_CONFIG_DIR for the scanner (the demo enables SANE's test backend).
    pub sane_config_dir: Option<PathBuf>,
    /// Scratch space, and where sim://a4 files its PDFs.
    pub work_dir: PathBuf,
    pub voice: VoiceOut,
}

/// What the kiosk shares between its tasks and threads.
pub struct Core {
    controller: Mutex<Controller>,
    hall: HallClient,
    opts: KioskOptions,
    render: Box<dyn Fn(KioskView) + Send + Sync>,
    /// Faults seen by each watcher.
    faults: Mutex<Faults>,
    /// The ticket printer reports its paper running low (it still prints).
    paper_low: std::sync::atomic::AtomicBool,
    a4: Option<A4>,
    scanner: Option<Scanner>,
    speaker: Speaker,
    /// Closes the kiosk program (the manager's exit).
    on_exit: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Offline issuing: the journal, the hall's catalogue and zone as last seen.
    offline: Offline,
    /// To the device task, in order.
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
}

/// What the device task owns; only it touches the ticket printer.
pub struct Devices {
    printer: TicketPrinter,
    /// The ticket as the hall's configuration has it now.
    template: Template,
    /// The visitor's scanned pages, full size, in order.
    scans: Vec<image::DynamicImage>,
}

/// What the device task is asked to do, in the order asked (a few a tap, never many
/// waiting: their size does not matter).
#[allow(clippy::large_enum_variant)]
enum Job {
    /// An effect of the controller.
    Effect(Effect),
    /// The hall's ticket settings changed (header, footer, QR, public address).
    Ticket(super::controller::KioskSettings),
    /// Look at the ticket printer (every 5 s; never in the middle of a ticket).
    CheckPrinter,
}

/// Who watches what: each watcher's fault is kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watcher {
    Printer,
    Reader,
    Service,
}

#[derive(Debug, Default)]
struct Faults {
    printer: Option<Said>,
    reader: Option<Said>,
    service: Option<Said>,
}

impl Faults {
    fn of(&mut self, w: Watcher) -> &mut Option<Said> {
        match w {
            Watcher::Printer => &mut self.printer,
            Watcher::Reader => &mut self.reader,
            Watcher::Service => &mut self.service,
        }
    }
}

/// What the kiosk needs to issue while the hall is unreachable.
struct Offline {
    journal: Option<super::journal::Journal>,
    clock: Arc<dyn crate::service::Clock>,
    catalog: Mutex<Option<hallq_proto::Catalog>>,
    /// The hall's UTC offset, from its clock's answers (the machine's until then).
    offset: Mutex<chrono::FixedOffset>,
    /// The hall does not answer and the kiosk issues from its leases.
    active: std::sync::atomic::AtomicBool,
    /// The hall answers but refuses this kiosk's token (revoked): no offline issuing, whose
    /// tickets could never be uploaded.
    refused: std::sync::atomic::AtomicBool,
    /// The hall's offset is in the journal (written once per run, and when it changes).
    offset_saved: std::sync::atomic::AtomicBool,
}

impl Offline {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.clock.now().with_timezone(&*self.offset.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Numbers left in today's leases, over all queues.
    fn left_today(&self) -> u32 {
        let Some(j) = &self.journal else { return 0 };
        j.left(self.now().date_naive()).map(|l| l.iter().map(|(_, n)| n).sum()).unwrap_or(0)
    }

    fn catalog(&self) -> Option<hallq_proto::Catalog> {
        self.catalog.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The ticket printer's paper near its end, as managers see it (a warning, not a fault: it
/// still prints).
const PAPER_LOW: &str = "打印纸即将用完，请准备更换纸卷（paper near end）";

impl Core {
    pub fn new(opts: KioskOptions, render: Box<dyn Fn(KioskView) + Send + Sync>) -> anyhow::Result<Arc<Core>> {
        let uri: DeviceUri = opts.printer.parse()?;
        let printer = TicketPrinter::open(&uri, opts.sim_printer.as_ref())?;
        let a4 = opts.a4.as_deref().map(|u| A4::open(u, opts.work_dir.join("a4"))).transpose().map_err(|e| anyhow::anyhow!("--a4: {e}"))?;
        let scanner = match opts.scanner.as_deref().map(|u| u.parse::<DeviceUri>()).transpose()? {
            Some(DeviceUri::Sane { device }) => {
                Some(Scanner { device, sane_config_dir: opts.sane_config_dir.clone(), work_dir: opts.work_dir.clone() })
            }
            Some(other) => anyhow::bail!("--scanner {other}: not a scanner address; use sane:DEVICE (see `hallq devices`)"),
            None => None,
        };
        // Without a reader (no --idcard), items that need a card send visitors to the desk.
        let settings = Settings {
            kiosk_id: opts.kiosk_id.clone(),
            has_a4: a4.is_some(),
            has_scanner: scanner.is_some(),
            has_reader: opts.idcard.is_some(),
            ..Settings::default()
        };
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let template = Template { status_url: status_url_template(&opts.server), ..Template::default() };
        let english = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let e = english.clone();
        let speaker = Speaker::start(opts.voice.clone(), move || e.load(std::sync::atomic::Ordering::Relaxed));
        let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |v: KioskView| {
            english.store(v.english, std::sync::atomic::Ordering::Relaxed);
            render(v)
        });
        let journal_path = opts.journal.clone().unwrap_or_else(|| opts.work_dir.join("journal.db"));
        let journal = match super::journal::Journal::open(&journal_path) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::error!("offline journal {}: {e}; this kiosk will not issue while the hall is unreachable", journal_path.display());
                None
            }
        };
        // A kiosk started while the hall is unreachable offers what it offered last.
        let catalog = journal
            .as_ref()
            .and_then(|j| j.catalog().ok().flatten())
            .and_then(|json| serde_json::from_str::<hallq_proto::Catalog>(&json).ok());
        // The hall's zone as last seen (the machine's before the hall ever answered).
        let offset = journal.as_ref().and_then(|j| j.offset().ok().flatten()).unwrap_or_else(|| *chrono::Local::now().offset());
        let offline = Offline {
            journal,
            clock: opts.clock.clone().unwrap_or_else(|| Arc::new(crate::service::SystemClock)),
            catalog: Mutex::new(catalog),
            offset: Mutex::new(offset),
            active: Default::default(),
            refused: Default::default(),
            offset_saved: Default::default(),
        };
        let hall = HallClient::builder(&opts.server, opts.token.clone())
            .ca_file_opt(opts.ca.as_ref())
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| anyhow::anyhow!("--ca: {e}"))?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| anyhow::anyhow!("the kiosk runtime needs a tokio runtime to run in"))?;
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        let core = Arc::new(Core {
            controller: Mutex::new(Controller::new(settings, seed)),
            hall,
            opts,
            render,
            faults: Mutex::new(Faults::default()),
            paper_low: std::sync::atomic::AtomicBool::new(false),
            a4,
            scanner,
            speaker,
            on_exit: std::sync::OnceLock::new(),
            offline,
            jobs,
        });
        let devices = Devices { printer, template, scans: Vec::new() };
        runtime.spawn(core.clone().device_task(devices, queue));
        Ok(core)
    }

    /// What the manager's exit does (close the window). Set once.
    pub fn on_exit(&self, f: impl Fn() + Send + Sync + 'static) {
        if self.on_exit.set(Box::new(f)).is_err() {
            tracing::warn!("the kiosk's exit was already set");
        }
    }

    /// The device task: one job at a time, in order, until the kiosk goes.
    async fn device_task(self: Arc<Self>, mut devices: Devices, mut queue: tokio::sync::mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = queue.recv().await {
            match job {
                Job::Effect(e) => self.effect(&mut devices, e).await,
                Job::Ticket(k) => {
                    let t = &mut devices.template;
                    crate::tickets::apply_settings(t, &k.ticket_header, &k.ticket_footer, k.ticket_qr);
                    // Visitors' phones open the hall's public address when it has one.
                    let base = if k.public_url.is_empty() { &self.opts.server } else { &k.public_url };
                    t.status_url = status_url_template(base);
                }
                Job::CheckPrinter => self.check_printer(&mut devices.printer),
            }
        }
    }

    fn send(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            tracing::error!("the kiosk's device task has ended");
        }
    }

    /// The ticket printer's status, between tickets.
    fn check_printer(self: &Arc<Self>, printer: &mut TicketPrinter) {
        let status = tokio::task::block_in_place(|| printer.status());
        let low = matches!(&status, Ok(Some(s)) if s.paper_near_end);
        let low_changed = self.paper_low.swap(low, std::sync::atomic::Ordering::SeqCst) != low;
        let fault = match status {
            Ok(Some(s)) => s.fault().map(|f| Said::from(f.visitor_message())),
            Ok(None) => None,
            Err(e) => Some(e.fault().visitor_message().into()),
        };
        let working = fault.is_none();
        // Paper running low still prints: nothing changes for the visitor, but managers
        // are told (a warning alert) so a roll is at hand before it runs out.
        if !self.set_fault(Watcher::Printer, fault) && working && low_changed {
            self.report(DeviceKind::TicketPrinter, self.paper_note());
        }
    }

    fn report(self: &Arc<Self>, device: DeviceKind, fault: Option<String>) {
        let hall = self.hall.clone();
        tokio::spawn(async move {
            if let Err(e) = hall.device_status(device.name(), fault.as_deref()).await {
                tracing::warn!("cannot report {} status to the hall service: {e}", device.name());
            }
        });
    }

    /// Feeds one input and carries out what it asks for.
    pub fn input(self: &Arc<Self>, input: Input) {
        if let Input::Catalog(c) = &input {
            self.send(Job::Ticket(c.kiosk.clone()));
        }
        let (effects, view) = {
            let mut c = self.controller.lock().unwrap_or_else(|p| p.into_inner());
            let effects = c.handle(input);
            (effects, c.view().clone())
        };
        (self.render)(view);
        for e in effects {
            self.send(Job::Effect(e));
        }
    }

    pub fn view(&self) -> KioskView {
        self.controller.lock().unwrap_or_else(|p| p.into_inner()).view().clone()
    }

    /// Records a watcher's fault; whether it changed.
    fn set_fault(self: &Arc<Self>, which: Watcher, fault: Option<Said>) -> bool {
        let combined = {
            let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            if *f.of(which) == fault {
                return false;
            }
            *f.of(which) = fault.clone();
            // Only the ticket printer and the hall stop issuing, and the hall only when the
            // kiosk has no numbers leased to issue from.
            let offline = f.service.is_some()
                && !self.offline.refused.load(std::sync::atomic::Ordering::SeqCst)
                && self.offline.left_today() > 0
                && self.offline.catalog().is_some();
            let was = self.offline.active.swap(offline, std::sync::atomic::Ordering::SeqCst);
            if was != offline {
                if offline {
                    tracing::warn!("the hall service is unreachable: issuing from this kiosk's number leases");
                } else {
                    tracing::info!("offline issuing ends");
                }
            }
            let service = if offline { None } else { f.service.clone() };
            (f.printer.clone().or(service), offline)
        };
        let (combined, offline) = combined;
        self.input(Input::Offline(offline));
        // Managers see the kiosk's devices in the hall's state (the connection itself they
        // see by its absence).
        if which == Watcher::Printer {
            self.report(DeviceKind::TicketPrinter, fault.as_ref().map(|f| f.text(false)).or_else(|| self.paper_note()));
        } else if which == Watcher::Reader {
            self.report(DeviceKind::IdcardReader, fault.as_ref().map(|f| f.text(false)));
        }
        if which == Watcher::Reader {
            // A reader fault turns off only what needs a card.
            self.input(Input::OptionalDevice(DeviceKind::IdcardReader, fault));
        } else {
            self.input(Input::Health(combined));
        }
        true
    }

    /// What managers are told of a ticket printer that works but whose paper runs low.
    fn paper_note(&self) -> Option<String> {
        self.paper_low.load(std::sync::atomic::Ordering::SeqCst).then(|| PAPER_LOW.to_string())
    }

    async fn effect(self: &Arc<Self>, devices: &mut Devices, e: Effect) {
        match e {
            Effect::Issue { request_id, service, identity } => {
                // Known unreachable: straight from the lease, without waiting for a timeout.
                if self.offline.active.load(std::sync::atomic::Ordering::SeqCst) {
                    let r = self.issue_offline(&request_id, &service, identity, &devices.template);
                    self.input(Input::Issued(r));
                    return;
                }
                let req = IssueTicket {
                    request_id: RequestId::new(request_id.clone()),
                    service: ServiceId::new(service.clone()),
                    identity: identity.clone().map(|(id_number, name)| Identity { id_number, name }),
                    priority: Default::default(),
                    appointment_slot: None,
                };
                let result = match self.hall.issue(&req).await {
                    // No answer: the ticket comes from the lease (with the same request_id,
                    // so a ticket the hall did issue meanwhile is withdrawn on upload).
                    Err(e) if (e.is_transient() || matches!(e, ClientError::Protocol(_))) && self.offline.left_today() > 0 => {
                        tracing::warn!("issuing online failed ({e}); issuing offline");
                        self.issue_offline(&request_id, &service, identity, &devices.template)
                    }
                    other => issued(other, &devices.template),
                };
                self.input(Input::Issued(result));
            }
            Effect::CheckIn { request_id, code, identity } => {
                let req = CheckIn {
                    request_id: RequestId::new(request_id),
                    identity: identity.map(|(id_number, name)| Identity { id_number, name }),
                };
                let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                let result = self.hall.check_in(&code, &req).await;
                self.input(Input::Issued(issued(result, &devices.template)));
            }
            Effect::FindAppointments { identity: (id_number, name) } => {
                let r = self.hall.find_appointments(&Identity { id_number, name }).await;
                let rows = r.map_err(|e| Said::hall(&e)).map(|list| {
                    list.appointments
                        .into_iter()
                        .map(|a| AppointmentRow {
                            code: a.code,
                            service: a.service.name.unwrap_or(a.service.id),
                            slot: a.slot.replacen('T', " ", 1).chars().take(16).collect(),
                            checked_in: a.ticket.is_some(),
                        })
                        .collect()
                });
                self.input(Input::Appointments(rows));
            }
            Effect::FindResults { identity: (id_number, name) } => {
                let r = self.hall.find_results(&Identity { id_number, name }).await;
                let rows = r.map_err(|e| Said::hall(&e)).map(|list| {
                    list.results
                        .into_iter()
                        .map(|r| ResultRow { id: r.id, title: r.title, department: r.department, nonce: r.nonce })
                        .collect()
                });
                self.input(Input::Results(rows));
            }
            Effect::PrintResults(list) => {
                let result = self.print_results(list).await;
                if let Err(msg) = &result {
                    self.report(DeviceKind::A4Printer, Some(msg.text(false)));
                }
                self.input(Input::DocsPrinted(result));
            }
            Effect::Scan { feeder, replace } => {
                let pages = tokio::task::block_in_place(|| match &self.scanner {
                    Some(s) => s.scan(feeder, |line| self.input(Input::DocProgress(line, 1))).map_err(|e| {
                        // The scanner itself failing (stuck, gone) turns scanning off until it
                        // answers again; a jam or an open cover is the visitor's to put right.
                        if e.is_device_fault() {
                            self.report(DeviceKind::Scanner, Some(e.to_string()));
                            self.input(Input::OptionalDevice(DeviceKind::Scanner, Some(super::errands::scan_said(&e))));
                        }
                        super::errands::scan_said(&e)
                    }),
                    None => Err(said!("本机未连接扫描仪")),
                });
                let thumbs = pages.map(|pages| {
                    let thumbs: Vec<_> = pages.iter().map(super::errands::thumb).collect();
                    let scans = &mut devices.scans;
                    match replace {
                        Some(i) if i < scans.len() && pages.len() == 1 => scans[i] = pages.into_iter().next().expect("one page"),
                        _ => scans.extend(pages),
                    }
                    thumbs
                });
                self.input(Input::Scanned(thumbs));
            }
            Effect::DeletePage(i) => {
                if i < devices.scans.len() {
                    devices.scans.remove(i);
                }
            }
            Effect::ForgetScans => devices.scans.clear(),
            Effect::Attach { ticket, title } => {
                // The pages leave the device task; sending them may take a while and holds
                // up no one.
                let pages = std::mem::take(&mut devices.scans);
                tokio::spawn(self.clone().attach(ticket, title, pages));
            }
            Effect::Speak(text) => self.speaker.say(text),
            Effect::CallForHelp => {
                // Off the device task: a slow hall holds up no ticket.
                let core = self.clone();
                tokio::spawn(async move {
                    let reached = core.hall.call_for_help().await.map_err(|e| tracing::warn!("帮办: the hall was not told: {e}")).is_ok();
                    core.input(Input::HelpCalled(reached));
                });
            }
            Effect::SelfTest(device) => {
                let (ok, text) = self.self_test(device, devices).await;
                self.input(Input::SelfTested(device, ok, text));
            }
            Effect::Exit => {
                tracing::info!("the manager closed the kiosk program");
                match self.on_exit.get() {
                    Some(f) => f(),
                    None => tracing::warn!("this kiosk has no way to close (no window): the exit does nothing"),
                }
            }
            Effect::Print(t) => {
                let Devices { printer, template, .. } = devices;
                let result = tokio::task::block_in_place(|| printer.print_ticket(template, &t.printable)).map(|_| ()).map_err(|e| {
                    (Said::from(e.fault().visitor_message()), matches!(e, hallq_drivers::printer::PrintError::FailedDuring(_)))
                });
                if let Err((msg, _)) = &result {
                    self.set_fault(Watcher::Printer, Some(msg.clone()));
                }
                self.input(Input::Printed(result));
            }
        }
    }

    /// Sends the visitor's scanned pages to the hall, attached to their ticket (a few tries).
    async fn attach(self: Arc<Self>, ticket: String, title: String, pages: Vec<image::DynamicImage>) {
        let n = pages.len();
        let pdf = tokio::task::spawn_blocking(move || hallq_drivers::pdf::images_to_pdf(&pages, 150)).await;
        let Ok(Ok(pdf)) = pdf else {
            tracing::error!("could not make the PDF of {n} scanned pages for {ticket}");
            self.input(Input::AttachFailed);
            return;
        };
        let mut sent = false;
        let hall = self.hall.with_deadline(Duration::from_secs(60));
        let ticket = TicketId::new(ticket);
        for attempt in 0..3 {
            match hall.attach(&ticket, &title, n as u32, pdf.clone()).await {
                Ok(_) => {
                    sent = true;
                    break;
                }
                Err(e) if !e.is_transient() => {
                    tracing::error!("the hall refused the scanned pages of {ticket}: {e}");
                    break;
                }
                Err(e) => tracing::warn!("sending the scanned pages of {ticket} (try {}): {e}", attempt + 1),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if !sent {
            self.input(Input::AttachFailed);
        }
    }
}

impl Core {
    /// Keeps the hall's catalogue for offline issuing (in the journal too, when its
    /// configuration version is new, so a kiosk restarted offline still has it).
    fn keep_catalog(&self, v: &hallq_proto::Catalog) {
        let mut kept = self.offline.catalog.lock().unwrap_or_else(|p| p.into_inner());
        let new_version = kept.as_ref().is_none_or(|k| k.config_version != v.config_version);
        *kept = Some(v.clone());
        drop(kept);
        if let (true, Some(j)) = (new_version, &self.offline.journal) {
            if let Err(e) =
                serde_json::to_string(v).map_err(|e| e.to_string()).and_then(|json| j.save_catalog(&json).map_err(|e| e.to_string()))
            {
                tracing::warn!("cannot keep the catalogue for offline issuing: {e}");
            }
        }
    }

    /// Leases numbers for every queue this kiosk's items use whose lease is running low
    /// (none left, or less than half a block). A queue the hall refuses is asked again after
    /// 5 minutes.
    async fn top_up_leases(&self, cat: &hallq_proto::Catalog, refused: &mut std::collections::HashMap<String, std::time::Instant>) {
        let Some(journal) = &self.offline.journal else { return };
        let today = self.offline.now().date_naive();
        let left: std::collections::HashMap<String, u32> = journal.left(today).unwrap_or_default().into_iter().collect();
        let queues: std::collections::BTreeSet<&str> = cat.services.iter().filter(|s| s.kiosk).map(|s| s.queue.as_str()).collect();
        let block = cat.kiosk.offline_block;
        for q in queues {
            let have = left.get(q).copied().unwrap_or(0);
            if block == 0 || have * 2 > block || refused.get(q).is_some_and(|t| t.elapsed() < Duration::from_secs(300)) {
                continue;
            }
            match self.hall.lease(&hallq_proto::QueueId::new(q)).await {
                Ok(l) if l.date == today => {
                    if let Err(e) = journal.add_lease(l.date, q, &l.prefix, l.from, l.to) {
                        tracing::error!("{e}");
                    }
                }
                Ok(l) => tracing::warn!("the hall leased numbers for {} but this kiosk's date is {today}; clocks differ", l.date),
                Err(ClientError::Refused { message, .. }) => {
                    tracing::info!("no lease of queue {q}: {message}");
                    refused.insert(q.to_string(), std::time::Instant::now());
                }
                Err(_) => return,
            }
        }
    }

    /// A ticket from this kiosk's number lease, journaled (durably) before it is printed;
    /// uploaded by [`super::journal::upload`] once the hall answers.
    fn issue_offline(
        &self,
        request_id: &str,
        service: &str,
        identity: Option<(String, String)>,
        template: &Template,
    ) -> Result<Issued, IssueFailure> {
        let down = || IssueFailure::Refused(said!("无法连接叫号系统，请到服务台取号。"));
        let (Some(journal), Some(cat)) = (&self.offline.journal, self.offline.catalog()) else { return Err(down()) };
        let item = cat.services.iter().find(|s| s.id.as_str() == service).ok_or_else(down)?;
        let queue = cat.queues.iter().find(|q| q.id == item.queue);
        let now = self.offline.now();
        let token = hex::encode(rand::random::<[u8; 16]>());
        let issue = super::journal::OfflineIssue {
            date: now.date_naive(),
            queue: item.queue.as_str(),
            request_id,
            service,
            issued_at: now,
            identity: identity.clone(),
            token: &token,
        };
        let r = journal.issue(&issue).map_err(|e| match e {
            super::journal::JournalError::UsedUp(_) => IssueFailure::Refused(said!(
                "网络中断，本机“{}”的离线号段已用完，请到服务台取号。",
                queue.map(|q| q.name.as_str()).unwrap_or(item.queue.as_str())
            )),
            e => {
                tracing::error!("{e}");
                down()
            }
        })?;
        tracing::info!("issued {} offline for {service}", r.number);
        let holder = identity.map(|(id, name)| hallq_proto::HolderView {
            name: crate::identity::mask_name(&name),
            id_number: crate::identity::IdNumber::parse(&id).ok().map(|n| n.masked()),
        });
        let view = TicketView {
            hall: cat.hall.name.clone(),
            id: TicketId::new(format!("{}-{}", r.issued_at.format("%Y%m%d"), r.number)),
            number: hallq_proto::TicketNumber::new(&r.number),
            date: r.issued_at.date_naive(),
            service: hallq_proto::Named { id: item.id.to_string(), name: Some(item.name.clone()), name_en: Some(item.name_en.clone()) },
            queue: hallq_proto::Named {
                id: item.queue.to_string(),
                name: queue.map(|q| q.name.clone()),
                name_en: queue.map(|q| q.name_en.clone()),
            },
            status: hallq_proto::Status::Waiting,
            priority: hallq_proto::Priority::Normal,
            channel: hallq_proto::Channel::Kiosk,
            issued_at: r.issued_at.to_rfc3339(),
            holder,
            appointment_slot: None,
            window: None,
            windows: item.windows.clone(),
            people_ahead: None,
            estimate_minutes: None,
            people_ahead_at_issue: 0,
            estimate_minutes_at_issue: 0,
            recalls: 0,
            rating: None,
            history: None,
            token: Some(r.token.clone()),
            offline: true,
            // Where to wait and the 过号 rule as the hall's catalogue has them.
            waiting_area: item.waiting_area.clone(),
            waiting_area_en: item.waiting_area_en.clone(),
            no_show_rule: cat.no_show.text.clone(),
            no_show_rule_en: cat.no_show.text_en.clone(),
        };
        let mut issued = issued_from(&view, template);
        issued.offline = true;
        Ok(issued)
    }

    /// Prints results one after another; each is marked collected as soon as it printed.
    async fn print_results(self: &Arc<Self>, list: Vec<ResultRow>) -> Result<u32, Said> {
        let n = list.len() as u32;
        let mut done = 0u32;
        for (i, r) in list.into_iter().enumerate() {
            let i = i as u32;
            let base = i * 100 / n;
            self.input(Input::DocProgress(said!("正在取得第 {}/{} 份：{}", i + 1, n, r.title), base));
            let slow = self.hall.with_deadline(Duration::from_secs(60));
            let pdf = slow.result_pdf(&r.id, r.nonce.as_deref()).await.map_err(|e| Said::hall(&e))?;
            let core = self.clone();
            let title = r.title.clone();
            let printed = tokio::task::spawn_blocking(move || {
                let a4 = core.a4.as_ref().ok_or_else(|| said!("本机未连接A4打印机"))?;
                a4.print(pdf, &title, |what, pct| {
                    let line = Said::Join(vec![Said::Text(what.to_string()), said!(" 第 {}/{} 份：{}", i + 1, n, title)]);
                    core.input(Input::DocProgress(line, base + pct / n))
                })
                .map_err(Said::Text)
            })
            .await
            .unwrap_or_else(|_| Err(said!("打印中断，请联系工作人员")));
            printed?;
            // Printed: the hall deletes it. If that fails, it still printed; the next visit
            // would print it again, which is safer than losing it.
            if let Err(e) = self.hall.result_collected(&r.id, r.nonce.as_deref()).await {
                tracing::warn!("result {} printed but not marked collected: {e}", r.id);
            }
            done += 1;
        }
        Ok(done)
    }

    async fn self_test(self: &Arc<Self>, device: DeviceKind, devices: &mut Devices) -> (bool, String) {
        /// A shared device's self-test away from the async workers (it may take seconds).
        async fn test_handle(device: Option<impl KioskDevice + 'static>, missing: &str) -> Result<String, String> {
            let Some(mut d) = device else { return Err(missing.into()) };
            tokio::task::spawn_blocking(move || d.self_test()).await.unwrap_or_else(|_| Err("测试中断".into()))
        }
        let r = match device {
            DeviceKind::TicketPrinter => tokio::task::block_in_place(|| devices.printer.self_test()),
            DeviceKind::IdcardReader => match (&self.opts.idcard, self.faults.lock().unwrap_or_else(|p| p.into_inner()).reader.clone()) {
                (None, _) => Err("未配置读卡器（--idcard）".into()),
                (Some(_), None) => Ok("读卡器在线（刷一张证件可验证读卡）".into()),
                (Some(_), Some(f)) => Err(f.text(false)),
            },
            DeviceKind::A4Printer => test_handle(self.a4.clone(), "未配置A4打印机（--a4）").await,
            DeviceKind::Scanner => test_handle(self.scanner.clone(), "未配置扫描仪（--scanner）").await,
            DeviceKind::HallService => match self.hall.catalog().await {
                Ok(_) => Ok(format!("{} 连接正常", self.opts.server)),
                Err(ClientError::Refused { status, message, .. }) => {
                    Err(format!("{}：HTTP {status}（检查令牌）：{message}", self.opts.server))
                }
                Err(e) => Err(format!("{}：{e}", self.opts.server)),
            },
        };
        match r {
            Ok(t) => (true, t),
            Err(e) => (false, e),
        }
    }
}

/// The visitor's status page for the ticket QR, under `base` (the hall's public URL, or
/// the kiosk's `--server`): `{id}` and `{token}` are filled per ticket.
pub fn status_url_template(base: &str) -> String {
    format!("{}/t/{{id}}?token={{token}}", base.trim_end_matches('/'))
}

/// The controller's ticket from the hall's answer to an issue or a check-in: the
/// hall's refusal in its words, or unreachable (to be retried with the same request_id).
fn issued(r: Result<hallq_proto::Issued, ClientError>, template: &Template) -> Result<Issued, IssueFailure> {
    match r {
        Ok(i) => Ok(issued_from(&i.ticket, template)),
        Err(e) if e.is_transient() => Err(IssueFailure::Unreachable(e.to_string())),
        Err(ClientError::Protocol(m)) => Err(IssueFailure::Unreachable(m)),
        Err(e) if e.code() == Some(hallq_proto::ErrorCode::LunchBreak) => {
            let until = match &e {
                ClientError::Refused { until, .. } => until.clone(),
                _ => None,
            };
            Err(IssueFailure::LunchBreak { said: Said::hall(&e), until })
        }
        Err(e) => Err(IssueFailure::Refused(Said::hall(&e))),
    }
}

/// The controller's ticket from the hall's typed answer; what is printed is made by
/// `tickets::model` from the same answer.
fn issued_from(t: &TicketView, template: &Template) -> Issued {
    let token = t.token.clone().unwrap_or_default();
    Issued {
        status_url: template.status_url.replace("{id}", t.id.as_str()).replace("{token}", &token),
        id: t.id.to_string(),
        number: t.number.to_string(),
        service: t.service.name.clone().unwrap_or_else(|| t.service.id.clone()),
        holder: t.holder.as_ref().map(|h| format!("{}（{}）", h.name, h.id_number.clone().unwrap_or_default())).unwrap_or_default(),
        windows: t.windows.iter().map(|w| (w.number.get(), w.floor)).collect(),
        waiting_area: t.waiting_area.clone(),
        waiting_area_en: t.waiting_area_en.clone(),
        ahead: t.people_ahead_at_issue,
        estimate_minutes: t.estimate_minutes_at_issue,
        token,
        printable: crate::tickets::model(t),
        offline: t.offline,
    }
}

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

/// Runs the kiosk in a Slint window (linuxkms on kiosk hardware, a desktop window with the
/// `desktop` feature of hallq-ui). Blocks until the window closes.
pub fn run_window(opts: KioskOptions) -> anyhow::Result<()> {
    let window = hallq_ui::kiosk::new_window().map_err(|e| {
        anyhow::anyhow!(
            "cannot open the kiosk screen: {e}. On a kiosk, check /dev/dri and /dev/input permissions; without a display use --screenshots"
        )
    })?;
    run_in(window, opts)
}

/// Runs the kiosk in a window already opened. Blocks until it closes.
pub fn run_in(window: hallq_ui::kiosk::Window, opts: KioskOptions) -> anyhow::Result<()> {
    let sender = hallq_ui::kiosk::sender(&window);
    let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |view| sender.send(view));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let core = rt.block_on(async { Core::new(opts, render) })?;
    hallq_ui::kiosk::apply(&window, &core.view());
    core.on_exit(hallq_ui::kiosk::quit);
    let c = core.clone();
    let handle = rt.handle().clone();
    hallq_ui::kiosk::on_action(&window, move |a| {
        let c = c.clone();
        handle.spawn(async move { c.input(Input::Ui(a)) });
    });
    rt.spawn({
        let c = core.clone();
        async move { start(c) }
    });
    hallq_ui::kiosk::run(&window).map_err(|e| anyhow::anyhow!("kiosk screen: {e}"))?;
    drop(rt);
    Ok(())
}
