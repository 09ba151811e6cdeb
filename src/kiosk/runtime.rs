//! The kiosk's IO: the hall service over HTTP, the ticket printer and the ID-card reader,
//! feeding the controller and carrying out its effects. The view goes to the Slint window
//! (`hallq kiosk`), or wherever the caller's render function sends it.
//!
//! The effects the controller asks for are carried out one after another, in the order it
//! asked, by one device task ([`Devices`]): it owns the ticket printer, the ticket's
//! template and the visitor's scanned pages, and looks at the printer between tickets.
//! Watchers (the hall, the reader, the A4 printer, the scanner: `watchers.rs`) feed inputs;
//! issuing from number leases while the hall is unreachable is `offline.rs`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallq_drivers::device::KioskDevice;
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::Template;
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::DeviceUri;
use hallq_proto::{CheckIn, ClientError, HallClient, Identity, IssueTicket, RequestId, ServiceId, TicketId, TicketView};
use hallq_ui::view::{DeviceKind, KioskView};

use super::controller::{AppointmentRow, Controller, Effect, Input, IssueFailure, Issued, ResultRow, Settings};
use super::errands::{Scanner, Speaker, VoiceOut, A4};
use super::offline::Offline;
use super::text::{said, Said};
pub use super::watchers::{fetch_catalog, start};

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
    pub(super) controller: Mutex<Controller>,
    pub(super) hall: HallClient,
    pub(super) opts: KioskOptions,
    pub(super) render: Box<dyn Fn(KioskView) + Send + Sync>,
    /// Faults seen by each watcher.
    faults: Mutex<Faults>,
    /// The ticket printer reports its paper running low (it still prints).
    pub(super) paper_low: std::sync::atomic::AtomicBool,
    pub(super) a4: Option<A4>,
    pub(super) scanner: Option<Scanner>,
    pub(super) speaker: Speaker,
    /// Closes the kiosk program (the manager's exit).
    pub(super) on_exit: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Offline issuing: the journal, the hall's catalogue and zone as last seen.
    pub(super) offline: Offline,
    /// To the device task, in order.
    pub(super) jobs: tokio::sync::mpsc::UnboundedSender<Job>,
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
pub(super) enum Job {
    /// An effect of the controller.
    Effect(Effect),
    /// The hall's ticket settings changed (header, footer, QR, public address).
    Ticket(super::controller::KioskSettings),
    /// Look at the ticket printer (every 5 s; never in the middle of a ticket).
    CheckPrinter,
}

/// Who watches what: each watcher's fault is kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Watcher {
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

    pub(super) fn send(&self, job: Job) {
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

    pub(super) fn report(self: &Arc<Self>, device: DeviceKind, fault: Option<String>) {
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
    pub(super) fn set_fault(self: &Arc<Self>, which: Watcher, fault: Option<Said>) -> bool {
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
pub(super) fn issued_from(t: &TicketView, template: &Template) -> Issued {
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
