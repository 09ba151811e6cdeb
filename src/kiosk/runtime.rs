//! The kiosk's IO: the hall service over HTTP, the ticket printer and the ID-card reader,
//! feeding the controller and carrying out its effects. The view goes to the Slint window
//! (`hallq kiosk`) or, without a display, to PNG files (the headless kiosk of `hallq demo`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallq_drivers::idcard::{CardEvent, IdReader, Poller};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::{transport, DeviceUri};
use hallq_ui::view::{KioskView, UiAction};

use super::controller::{Card, Controller, Effect, Input, IssueFailure, Issued, Settings};

pub struct KioskOptions {
    /// The hall service, such as http://192.168.1.10:8080.
    pub server: String,
    pub token: String,
    pub printer: String,
    pub idcard: Option<String>,
    /// The simulated printer, when `printer` is sim://printer.
    pub sim_printer: Option<SimPrinter>,
    pub kiosk_id: String,
}

/// What the kiosk shares between its threads.
pub struct Core {
    controller: Mutex<Controller>,
    printer: Mutex<TicketPrinter>,
    http: reqwest::Client,
    opts: KioskOptions,
    template: Template,
    render: Box<dyn Fn(KioskView) + Send + Sync>,
    /// Faults seen by each watcher: printer, reader, service.
    faults: Mutex<[Option<String>; 3]>,
}

const PRINTER: usize = 0;
const READER: usize = 1;
const SERVICE: usize = 2;

impl Core {
    pub fn new(opts: KioskOptions, render: Box<dyn Fn(KioskView) + Send + Sync>) -> anyhow::Result<Arc<Core>> {
        let uri: DeviceUri = opts.printer.parse()?;
        let printer = TicketPrinter::open(&uri, opts.sim_printer.as_ref())?;
        let settings = Settings { kiosk_id: opts.kiosk_id.clone(), ..Settings::default() };
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let template = Template { status_url: format!("{}/t/{{id}}?token={{token}}", opts.server.trim_end_matches('/')), ..Template::default() };
        Ok(Arc::new(Core {
            controller: Mutex::new(Controller::new(settings, seed)),
            printer: Mutex::new(printer),
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?,
            opts,
            template,
            render,
            faults: Mutex::new([None, None, None]),
        }))
    }

    /// Feeds one input and carries out what it asks for.
    pub fn input(self: &Arc<Self>, input: Input) {
        let (effects, view) = {
            let mut c = self.controller.lock().unwrap_or_else(|p| p.into_inner());
            let effects = c.handle(input);
            (effects, c.view().clone())
        };
        (self.render)(view);
        for e in effects {
            let core = self.clone();
            tokio::spawn(async move { core.effect(e).await });
        }
    }

    pub fn view(&self) -> KioskView {
        self.controller.lock().unwrap_or_else(|p| p.into_inner()).view().clone()
    }

    fn set_fault(self: &Arc<Self>, which: usize, fault: Option<String>) {
        let combined = {
            let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            if f[which] == fault {
                return;
            }
            f[which] = fault.clone();
            f.iter().flatten().next().cloned()
        };
        // Managers see the kiosk's devices in the hall's state (the connection itself they
        // see by its absence).
        if which != SERVICE {
            let device = if which == PRINTER { "ticket-printer" } else { "idcard-reader" };
            let (http, url, token) = (self.http.clone(), format!("{}/api/v1/devices/status", self.opts.server.trim_end_matches('/')), self.opts.token.clone());
            tokio::spawn(async move {
                if let Err(e) = http.post(url).bearer_auth(token).json(&serde_json::json!({"device": device, "fault": fault})).send().await {
                    tracing::warn!("cannot report {device} status to the hall service: {e}");
                }
            });
        }
        self.input(Input::Health(combined));
    }

    async fn effect(self: Arc<Self>, e: Effect) {
        match e {
            Effect::Issue { request_id, service, identity } => {
                let mut body = serde_json::json!({"request_id": request_id, "service": service});
                if let Some((id, name)) = identity {
                    body["identity"] = serde_json::json!({"id_number": id, "name": name});
                }
                let url = format!("{}/api/v1/tickets", self.opts.server.trim_end_matches('/'));
                let result = match self.http.post(&url).bearer_auth(&self.opts.token).json(&body).send().await {
                    Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                        Ok(t) => Ok(issued_from_json(&t, &self.template)),
                        Err(e) => Err(IssueFailure::Unreachable(e.to_string())),
                    },
                    Ok(r) if r.status().is_server_error() => Err(IssueFailure::Unreachable(format!("HTTP {}", r.status()))),
                    Ok(r) => {
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        Err(IssueFailure::Refused(v["error"]["message"].as_str().unwrap_or("无法取号，请到服务台咨询。").to_string()))
                    }
                    Err(e) => Err(IssueFailure::Unreachable(e.to_string())),
                };
                self.input(Input::Issued(result));
            }
            Effect::Print(t) => {
                let core = self.clone();
                let result = tokio::task::spawn_blocking(move || {
                    let model = TicketModel {
                        hall_name: core.view().hall_name,
                        number: t.number.clone(),
                        id: t.id.clone(),
                        service: t.service.clone(),
                        queue: String::new(),
                        people_ahead: t.ahead,
                        estimate_minutes: t.estimate_minutes,
                        windows: t.windows.clone(),
                        issued_at: String::new(),
                        holder: t.holder.clone(),
                        token: t.token.clone(),
                        priority_label: String::new(),
                    };
                    let tpl = Template { fields: core.template.fields.iter().copied().filter(|f| !matches!(f, hallq_drivers::printer::ticket::Field::Queue | hallq_drivers::printer::ticket::Field::IssuedAt)).collect(), ..core.template.clone() };
                    let r = core.printer.lock().unwrap_or_else(|p| p.into_inner()).print_ticket(&tpl, &model);
                    r.map(|_| ()).map_err(|e| (e.fault().visitor_message().to_string(), matches!(e, hallq_drivers::printer::PrintError::FailedDuring(_))))
                })
                .await
                .unwrap_or_else(|_| Err(("打印机故障，请联系工作人员".into(), true)));
                if let Err((msg, _)) = &result {
                    self.set_fault(PRINTER, Some(msg.clone()));
                }
                self.input(Input::Printed(result));
            }
        }
    }
}

fn issued_from_json(t: &serde_json::Value, template: &Template) -> Issued {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let id = s(&t["id"]);
    let token = s(&t["token"]);
    Issued {
        status_url: template.status_url.replace("{id}", &id).replace("{token}", &token),
        id,
        number: s(&t["number"]),
        service: s(&t["service"]["name"]),
        holder: t["holder"]["name"].as_str().map(|n| format!("{n}（{}）", t["holder"]["id_number"].as_str().unwrap_or(""))).unwrap_or_default(),
        windows: t["windows"].as_array().map(|w| w.iter().map(|w| (w["number"].as_u64().unwrap_or(0) as u32, w["floor"].as_i64().unwrap_or(1) as i32)).collect()).unwrap_or_default(),
        ahead: t["people_ahead_at_issue"].as_u64().unwrap_or(0) as u32,
        estimate_minutes: t["estimate_minutes_at_issue"].as_u64().unwrap_or(0) as u32,
        token,
    }
}

/// Starts the watchers: catalogue and clock from the hall service, printer status, and
/// the card reader. Runs on the current tokio runtime.
pub fn start(core: Arc<Core>) {
    // The hall service: catalogue every 15 s, clock every second.
    let c = core.clone();
    tokio::spawn(async move {
        let base = c.opts.server.trim_end_matches('/').to_string();
        let mut n = 0u64;
        loop {
            if n % 15 == 0 {
                match c.http.get(format!("{base}/api/v1/catalog")).bearer_auth(&c.opts.token).send().await {
                    Ok(r) if r.status().is_success() => {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            c.input(Input::Catalog(super::catalog_from_json(&v)));
                            c.set_fault(SERVICE, None);
                        }
                    }
                    Ok(r) if r.status() == 401 || r.status() == 403 => {
                        c.set_fault(SERVICE, Some("本机未获授权连接叫号系统，请联系工作人员".into()));
                    }
                    _ => c.set_fault(SERVICE, Some("无法连接叫号系统，请到服务台取号".into())),
                }
            }
            let clock = match c.http.get(format!("{base}/api/v1/health")).send().await {
                Ok(r) => r.json::<serde_json::Value>().await.ok().and_then(|v| v["now"].as_str().map(|s| s.replace('T', " ").chars().take(16).collect())),
                Err(_) => None,
            };
            if clock.is_none() && n % 15 != 0 {
                c.set_fault(SERVICE, Some("无法连接叫号系统，请到服务台取号".into()));
            }
            c.input(Input::Tick(clock.unwrap_or_default()));
            n += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    // The printer, every 5 s while nobody is printing.
    let c = core.clone();
    tokio::spawn(async move {
        loop {
            let cc = c.clone();
            let status = tokio::task::spawn_blocking(move || cc.printer.lock().unwrap_or_else(|p| p.into_inner()).status()).await;
            let fault = match status {
                Ok(Ok(Some(s))) => s.fault().map(|f| f.visitor_message().to_string()),
                Ok(Ok(None)) => None,
                Ok(Err(e)) => Some(e.fault().visitor_message().to_string()),
                Err(_) => Some("打印机故障，请联系工作人员".into()),
            };
            c.set_fault(PRINTER, fault);
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
                let reader = uri.parse::<DeviceUri>().map_err(|e| e.to_string()).and_then(|u| transport::open(&u).map_err(|e| e.to_string()));
                let mut poller = match reader {
                    Ok(t) => Poller::new(IdReader::new(t)),
                    Err(e) => {
                        tracing::warn!("ID-card reader: {e}");
                        c.set_fault(READER, Some("身份证读卡器故障，请联系工作人员".into()));
                        std::thread::sleep(Duration::from_secs(5));
                        continue;
                    }
                };
                c.set_fault(READER, None);
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
                            c.input(Input::Card(Card { masked: format!("{}（{}）", id.masked_name(), id.masked_id()), id_number: id.id_number.clone(), name: id.name.clone(), expired_on }));
                        }
                        Ok(Some(CardEvent::Unreadable(e))) => c.input(Input::CardUnreadable(e.to_string())),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!("ID-card reader: {}", e.staff_message());
                            c.set_fault(READER, Some("身份证读卡器故障，请联系工作人员".into()));
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
    let window = hallq_ui::kiosk::new_window().map_err(|e| anyhow::anyhow!("cannot open the kiosk screen: {e}. On a kiosk, check /dev/dri and /dev/input permissions; without a display use --screenshots"))?;
    let sender = hallq_ui::kiosk::sender(&window);
    let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |view| sender.send(view));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let core = rt.block_on(async { Core::new(opts, render) })?;
    hallq_ui::kiosk::apply(&window, &core.view());
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

/// A headless kiosk for `hallq demo` where there is no display: simulated visitors tap
/// through it, and each screen they see is written to `dir` as PNG.
pub fn run_headless(opts: KioskOptions, dir: PathBuf, visitors: VisitorScript) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let headless = hallq_ui::headless::Headless::init().map_err(|e| anyhow::anyhow!("{e}"))?;
    let window = hallq_ui::kiosk::new_window().map_err(|e| anyhow::anyhow!("{e}"))?;
    let latest: Arc<Mutex<Option<KioskView>>> = Arc::default();
    let l = latest.clone();
    let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |v| *l.lock().unwrap_or_else(|p| p.into_inner()) = Some(v));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let core = rt.block_on(async { Core::new(opts, render) })?;
    rt.spawn({
        let c = core.clone();
        async move { start(c) }
    });
    let mut shown = String::new();
    let mut step = 0usize;
    let mut last = hallq_ui::view::Screen::Home;
    let mut visitor = 0usize;
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let view = latest.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(view) = view {
            let name = view.screen.name().to_string();
            hallq_ui::kiosk::apply(&window, &view);
            // Keep the latest picture of each screen, and a numbered one of each change.
            if name != shown {
                let img = headless.render(1080, 1920);
                let _ = img.save(dir.join(format!("kiosk-{name}.png")));
                shown = name;
            }
        }
        // The next tap of the scripted visitor, when the kiosk shows what it expects.
        let now = core.view();
        if now.screen != last {
            last = now.screen;
            step = 0;
        }
        if let Some(action) = visitors.next(&now, visitor, &mut step) {
            if matches!(action, UiAction::Home) {
                visitor += 1;
            }
            let c = core.clone();
            rt.spawn(async move { c.input(Input::Ui(action)) });
        }
        if visitors.done(visitor) {
            break;
        }
    }
    Ok(())
}

/// Scripted kiosk visitors for the headless demo.
pub struct VisitorScript {
    pub items: Vec<String>,
    pub count: usize,
    /// Places a card when a visitor is asked for one.
    pub place_card: Box<dyn Fn(usize) + Send + Sync>,
    pub pause_between: usize,
}

impl VisitorScript {
    fn done(&self, visitor: usize) -> bool {
        self.count > 0 && visitor >= self.count
    }

    fn next(&self, view: &KioskView, visitor: usize, step: &mut usize) -> Option<UiAction> {
        use hallq_ui::view::Screen;
        *step += 1;
        let item = self.items.get(visitor % self.items.len().max(1))?.clone();
        match view.screen {
            Screen::Home if *step > self.pause_between => Some(UiAction::Tile("hot".into())),
            Screen::Items if *step > 2 => Some(UiAction::Item(item)),
            Screen::Item if *step > 3 => Some(UiAction::Tile("take-number".into())),
            Screen::Identity if *step == 2 => {
                (self.place_card)(visitor);
                None
            }
            Screen::Identity if *step > 6 => Some(UiAction::SkipIdentity),
            Screen::Confirm if *step > 2 => Some(UiAction::Confirm),
            Screen::Ticket | Screen::Message if *step > 8 => Some(UiAction::Home),
            _ => None,
        }
    }
}
