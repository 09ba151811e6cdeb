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

use super::controller::{AppointmentRow, Card, Controller, Effect, Input, IssueFailure, Issued, ResultRow, Settings};
use super::errands::{Scanner, Speaker, VoiceOut, A4};

pub struct KioskOptions {
    /// The hall service, such as http://192.168.1.10:8080.
    pub server: String,
    pub token: String,
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

/// What the kiosk shares between its threads.
pub struct Core {
    controller: Mutex<Controller>,
    printer: Mutex<TicketPrinter>,
    http: reqwest::Client,
    opts: KioskOptions,
    template: Mutex<Template>,
    render: Box<dyn Fn(KioskView) + Send + Sync>,
    /// Faults seen by each watcher: printer, reader, service.
    faults: Mutex<[Option<String>; 3]>,
    a4: Option<A4>,
    scanner: Option<Scanner>,
    /// The visitor's scanned pages, full size, in order.
    scans: Mutex<Vec<image::DynamicImage>>,
    speaker: Speaker,
    /// Closes the kiosk program (the manager's exit).
    on_exit: Mutex<Option<Box<dyn Fn() + Send>>>,
}

const PRINTER: usize = 0;
const READER: usize = 1;
const SERVICE: usize = 2;

impl Core {
    pub fn new(opts: KioskOptions, render: Box<dyn Fn(KioskView) + Send + Sync>) -> anyhow::Result<Arc<Core>> {
        let uri: DeviceUri = opts.printer.parse()?;
        let printer = TicketPrinter::open(&uri, opts.sim_printer.as_ref())?;
        let a4 = opts.a4.as_deref().map(|u| A4::open(u, opts.work_dir.join("a4"))).transpose().map_err(|e| anyhow::anyhow!("--a4: {e}"))?;
        let scanner = match opts.scanner.as_deref().map(|u| u.parse::<DeviceUri>()).transpose()? {
            Some(DeviceUri::Sane { device }) => Some(Scanner { device, sane_config_dir: opts.sane_config_dir.clone(), work_dir: opts.work_dir.clone() }),
            Some(other) => anyhow::bail!("--scanner {other}: not a scanner address; use sane:DEVICE (see `hallq devices`)"),
            None => None,
        };
        let settings = Settings { kiosk_id: opts.kiosk_id.clone(), has_a4: a4.is_some(), has_scanner: scanner.is_some(), ..Settings::default() };
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let template = Template { status_url: format!("{}/t/{{id}}?token={{token}}", opts.server.trim_end_matches('/')), ..Template::default() };
        let english = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let e = english.clone();
        let speaker = Speaker::start(opts.voice.clone(), move || e.load(std::sync::atomic::Ordering::Relaxed));
        let render: Box<dyn Fn(KioskView) + Send + Sync> = Box::new(move |v: KioskView| {
            english.store(v.english, std::sync::atomic::Ordering::Relaxed);
            render(v)
        });
        Ok(Arc::new(Core {
            controller: Mutex::new(Controller::new(settings, seed)),
            printer: Mutex::new(printer),
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?,
            opts,
            template: Mutex::new(template),
            render,
            faults: Mutex::new([None, None, None]),
            a4,
            scanner,
            scans: Mutex::new(Vec::new()),
            speaker,
            on_exit: Mutex::new(None),
        }))
    }

    /// What the manager's exit does (close the window).
    pub fn on_exit(&self, f: impl Fn() + Send + 'static) {
        *self.on_exit.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(f));
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.opts.server.trim_end_matches('/'))
    }

    /// POSTs JSON with the kiosk's token: Ok(body) on success, Err(message for the visitor).
    async fn post_json(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        match self.http.post(self.url(path)).bearer_auth(&self.opts.token).json(&body).send().await {
            Ok(r) if r.status().is_success() => r.json().await.map_err(|e| e.to_string()),
            Ok(r) => {
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                Err(v["error"]["message"].as_str().unwrap_or("叫号系统暂时无法处理，请到服务台咨询。").to_string())
            }
            Err(_) => Err("无法连接叫号系统，请到服务台咨询。".into()),
        }
    }

    fn report(self: &Arc<Self>, device: &'static str, fault: Option<String>) {
        let (http, url, token) = (self.http.clone(), self.url("/devices/status"), self.opts.token.clone());
        tokio::spawn(async move {
            if let Err(e) = http.post(url).bearer_auth(token).json(&serde_json::json!({"device": device, "fault": fault})).send().await {
                tracing::warn!("cannot report {device} status to the hall service: {e}");
            }
        });
    }

    /// Feeds one input and carries out what it asks for.
    pub fn input(self: &Arc<Self>, input: Input) {
        if let Input::Catalog(c) = &input {
            // The ticket as the hall's configuration has it now.
            let mut t = self.template.lock().unwrap_or_else(|p| p.into_inner());
            t.header = c.kiosk.ticket_header.clone();
            t.footer = c.kiosk.ticket_footer.clone();
            let qr = hallq_drivers::printer::ticket::Field::Qr;
            t.fields.retain(|f| *f != qr);
            if c.kiosk.ticket_qr {
                t.fields.push(qr);
            }
        }
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
            self.report(if which == PRINTER { "ticket-printer" } else { "idcard-reader" }, fault);
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
                let result = self.issue_request("/tickets", body).await;
                self.input(Input::Issued(result));
            }
            Effect::CheckIn { request_id, code, identity } => {
                let mut body = serde_json::json!({"request_id": request_id});
                if let Some((id, name)) = identity {
                    body["identity"] = serde_json::json!({"id_number": id, "name": name});
                }
                let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                let result = self.issue_request(&format!("/appointments/{code}/check-in"), body).await;
                self.input(Input::Issued(result));
            }
            Effect::FindAppointments { identity: (id, name) } => {
                let r = self.post_json("/appointments/find", serde_json::json!({"identity": {"id_number": id, "name": name}})).await;
                let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                let rows = r.map(|v| {
                    v["appointments"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|a| AppointmentRow {
                                    code: s(&a["code"]),
                                    service: s(&a["service"]["name"]),
                                    slot: s(&a["slot"]).replace('T', " ").chars().take(16).collect(),
                                    checked_in: !a["ticket"].is_null(),
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                });
                self.input(Input::Appointments(rows));
            }
            Effect::FindResults { identity: (id, name) } => {
                let r = self.post_json("/results/find", serde_json::json!({"identity": {"id_number": id, "name": name}})).await;
                let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                let rows = r.map(|v| {
                    v["results"]
                        .as_array()
                        .map(|a| a.iter().map(|r| ResultRow { id: s(&r["id"]), title: s(&r["title"]), department: s(&r["department"]) }).collect())
                        .unwrap_or_default()
                });
                self.input(Input::Results(rows));
            }
            Effect::PrintResults(list) => {
                let result = self.print_results(list).await;
                if let Err(msg) = &result {
                    self.report("a4-printer", Some(msg.clone()));
                }
                self.input(Input::DocsPrinted(result));
            }
            Effect::Scan { feeder, .. } => {
                let core = self.clone();
                let pages = tokio::task::spawn_blocking(move || match &core.scanner {
                    Some(s) => s.scan(feeder, |line| core.input(Input::DocProgress(line, 1))),
                    None => Err("本机未连接扫描仪".into()),
                })
                .await
                .unwrap_or_else(|_| Err("扫描失败，请联系工作人员".into()));
                let replace = self.controller.lock().unwrap_or_else(|p| p.into_inner()).view().selected_page;
                let thumbs = pages.map(|pages| {
                    let thumbs: Vec<_> = pages.iter().map(super::errands::thumb).collect();
                    let mut scans = self.scans.lock().unwrap_or_else(|p| p.into_inner());
                    match replace {
                        Some(i) if i < scans.len() && pages.len() == 1 => scans[i] = pages.into_iter().next().expect("one page"),
                        _ => scans.extend(pages),
                    }
                    thumbs
                });
                self.input(Input::Scanned(thumbs));
            }
            Effect::DeletePage(i) => {
                let mut scans = self.scans.lock().unwrap_or_else(|p| p.into_inner());
                if i < scans.len() {
                    scans.remove(i);
                }
            }
            Effect::ForgetScans => self.scans.lock().unwrap_or_else(|p| p.into_inner()).clear(),
            Effect::Attach { ticket, title } => {
                let pages = std::mem::take(&mut *self.scans.lock().unwrap_or_else(|p| p.into_inner()));
                let n = pages.len();
                let pdf = tokio::task::spawn_blocking(move || hallq_drivers::pdf::images_to_pdf(&pages, 150)).await;
                let Ok(Ok(pdf)) = pdf else {
                    tracing::error!("could not make the PDF of {n} scanned pages for {ticket}");
                    self.input(Input::AttachFailed);
                    return;
                };
                let mut sent = false;
                for attempt in 0..3 {
                    let r = self
                        .http
                        .post(self.url(&format!("/tickets/{ticket}/attachments")))
                        .query(&[("title", title.as_str()), ("pages", &n.to_string())])
                        .bearer_auth(&self.opts.token)
                        .header("content-type", "application/pdf")
                        .timeout(Duration::from_secs(60))
                        .body(pdf.clone())
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            sent = true;
                            break;
                        }
                        Ok(r) if r.status().is_client_error() => {
                            tracing::error!("the hall refused the scanned pages of {ticket}: HTTP {}", r.status());
                            break;
                        }
                        other => tracing::warn!("sending the scanned pages of {ticket} (try {}): {:?}", attempt + 1, other.map(|r| r.status())),
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                if !sent {
                    self.input(Input::AttachFailed);
                }
            }
            Effect::Speak(text) => self.speaker.say(text),
            Effect::SelfTest(device) => {
                let (ok, text) = self.self_test(&device).await;
                self.input(Input::SelfTested(device, ok, text));
            }
            Effect::Exit => {
                tracing::info!("the manager closed the kiosk program");
                match self.on_exit.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                    Some(f) => f(),
                    None => std::process::exit(0),
                }
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
                    let base = core.template.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let tpl = Template { fields: base.fields.iter().copied().filter(|f| !matches!(f, hallq_drivers::printer::ticket::Field::Queue | hallq_drivers::printer::ticket::Field::IssuedAt)).collect(), ..base.clone() };
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

impl Core {
    /// Issues a ticket (or checks an appointment in): the hall's refusal in its words, or
    /// unreachable (to be retried with the same request_id).
    async fn issue_request(&self, path: &str, body: serde_json::Value) -> Result<Issued, IssueFailure> {
        match self.http.post(self.url(path)).bearer_auth(&self.opts.token).json(&body).send().await {
            Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                Ok(t) => Ok(issued_from_json(&t, &self.template.lock().unwrap_or_else(|p| p.into_inner()))),
                Err(e) => Err(IssueFailure::Unreachable(e.to_string())),
            },
            Ok(r) if r.status().is_server_error() => Err(IssueFailure::Unreachable(format!("HTTP {}", r.status()))),
            Ok(r) => {
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                Err(IssueFailure::Refused(v["error"]["message"].as_str().unwrap_or("无法取号，请到服务台咨询。").to_string()))
            }
            Err(e) => Err(IssueFailure::Unreachable(e.to_string())),
        }
    }

    /// Prints results one after another; each is marked collected as soon as it printed.
    async fn print_results(self: &Arc<Self>, list: Vec<ResultRow>) -> Result<u32, String> {
        let n = list.len() as u32;
        let mut done = 0u32;
        for (i, r) in list.into_iter().enumerate() {
            let i = i as u32;
            let base = i * 100 / n;
            self.input(Input::DocProgress(format!("正在取得第 {}/{n} 份：{}", i + 1, r.title), base));
            let pdf = match self.http.get(self.url(&format!("/results/{}/pdf", r.id))).bearer_auth(&self.opts.token).timeout(Duration::from_secs(60)).send().await {
                Ok(resp) if resp.status().is_success() => resp.bytes().await.map_err(|e| format!("下载失败：{e}"))?.to_vec(),
                Ok(resp) => {
                    let v: serde_json::Value = resp.json().await.unwrap_or_default();
                    return Err(v["error"]["message"].as_str().unwrap_or("无法取得结果文件").to_string());
                }
                Err(_) => return Err("无法连接叫号系统，请到服务台咨询".into()),
            };
            let core = self.clone();
            let title = r.title.clone();
            let printed = tokio::task::spawn_blocking(move || {
                let a4 = core.a4.as_ref().ok_or_else(|| "本机未连接A4打印机".to_string())?;
                a4.print(pdf, &title, |what, pct| core.input(Input::DocProgress(format!("{what} 第 {}/{n} 份：{title}", i + 1), base + pct / n)))
            })
            .await
            .unwrap_or_else(|_| Err("打印中断，请联系工作人员".into()));
            printed?;
            // Printed: the hall deletes it. If that fails, it still printed; the next visit
            // would print it again, which is safer than losing it.
            if let Err(e) = self.post_json(&format!("/results/{}/collected", r.id), serde_json::json!({})).await {
                tracing::warn!("result {} printed but not marked collected: {e}", r.id);
            }
            done += 1;
        }
        Ok(done)
    }

    async fn self_test(self: &Arc<Self>, device: &str) -> (bool, String) {
        let core = self.clone();
        match device {
            "ticket-printer" => {
                let r = tokio::task::spawn_blocking(move || {
                    let mut p = core.printer.lock().unwrap_or_else(|p| p.into_inner());
                    match p.status() {
                        Ok(Some(s)) if s.fault().is_some() => Err(s.fault().map(|f| f.staff_message().to_string()).unwrap_or_default()),
                        Err(e) => Err(e.to_string()),
                        _ => {
                            let model = TicketModel {
                                hall_name: "打印自检 / self-test".into(),
                                number: "T000".into(),
                                id: "self-test".into(),
                                service: "打印自检".into(),
                                queue: String::new(),
                                people_ahead: 0,
                                estimate_minutes: 0,
                                windows: vec![],
                                issued_at: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
                                holder: String::new(),
                                token: String::new(),
                                priority_label: String::new(),
                            };
                            let tpl = Template { fields: vec![hallq_drivers::printer::ticket::Field::Number, hallq_drivers::printer::ticket::Field::IssuedAt], ..Template::default() };
                            p.print_ticket(&tpl, &model).map(|_| format!("{}：已打印测试票", p.describe())).map_err(|e| e.to_string())
                        }
                    }
                })
                .await
                .unwrap_or_else(|_| Err("测试中断".into()));
                match r {
                    Ok(t) => (true, t),
                    Err(e) => (false, e),
                }
            }
            "idcard-reader" => match &self.opts.idcard {
                None => (false, "未配置读卡器（--idcard）".into()),
                Some(_) => match self.faults.lock().unwrap_or_else(|p| p.into_inner())[READER].clone() {
                    None => (true, "读卡器在线（刷一张证件可验证读卡）".into()),
                    Some(f) => (false, f),
                },
            },
            "a4-printer" => match &self.a4 {
                None => (false, "未配置A4打印机（--a4）".into()),
                Some(_) => {
                    let r = tokio::task::spawn_blocking(move || core.a4.as_ref().and_then(|a| a.fault())).await.unwrap_or(Some("测试中断".into()));
                    match r {
                        None => (true, "A4打印机就绪".into()),
                        Some(f) => (false, f),
                    }
                }
            },
            "scanner" => match &self.scanner {
                None => (false, "未配置扫描仪（--scanner）".into()),
                Some(_) => {
                    let r = tokio::task::spawn_blocking(move || core.scanner.as_ref().map(|s| s.check()).unwrap_or(Err("未配置".into()))).await.unwrap_or(Err("测试中断".into()));
                    match r {
                        Ok(t) => (true, t),
                        Err(e) => (false, e),
                    }
                }
            },
            "hall-service" => match self.http.get(self.url("/catalog")).bearer_auth(&self.opts.token).send().await {
                Ok(r) if r.status().is_success() => (true, format!("{} 连接正常", self.opts.server)),
                Ok(r) => (false, format!("{}：HTTP {}（检查令牌）", self.opts.server, r.status())),
                Err(e) => (false, format!("{}：{e}", self.opts.server)),
            },
            other => (false, format!("unknown device {other}")),
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
    // Configuration changes: the event stream says config_changed, the catalogue (items,
    // tiles, texts, ticket template) is fetched again at once. Resumes after a drop.
    let c = core.clone();
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let ws_base = c.opts.server.trim_end_matches('/').replacen("http", "ws", 1);
        let mut since: Option<u64> = None;
        loop {
            let from = since.map(|s| format!("&since={s}")).unwrap_or_default();
            if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(format!("{ws_base}/api/v1/events?token={}{from}", c.opts.token)).await {
                while let Some(Ok(msg)) = ws.next().await {
                    let tokio_tungstenite::tungstenite::Message::Text(text) = msg else { continue };
                    let Ok(e) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
                    if e["type"] == "hello" {
                        since = since.or(e["since"].as_u64());
                        continue;
                    }
                    since = e["seq"].as_u64().or(since);
                    if e["type"] == "config_changed" {
                        match c.http.get(c.url("/catalog")).bearer_auth(&c.opts.token).send().await {
                            Ok(r) if r.status().is_success() => {
                                if let Ok(v) = r.json::<serde_json::Value>().await {
                                    tracing::info!("configuration version {} applied", e["version"]);
                                    c.input(Input::Catalog(super::catalog_from_json(&v)));
                                }
                            }
                            _ => tracing::warn!("configuration changed but the catalogue could not be fetched; the next poll will"),
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    // The optional devices, every 30 s: A4 printer condition (over IPP).
    if core.a4.is_some() {
        let c = core.clone();
        tokio::spawn(async move {
            let mut last: Option<Option<String>> = None;
            loop {
                let cc = c.clone();
                let fault = tokio::task::spawn_blocking(move || cc.a4.as_ref().and_then(|a| a.fault())).await.unwrap_or(None);
                if last.as_ref() != Some(&fault) {
                    c.report("a4-printer", fault.clone());
                    c.input(Input::OptionalDevice("a4-printer", fault.clone()));
                    last = Some(fault);
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
    }
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
        // Most visitors take a number; every fourth checks in for an appointment, every
        // fourth prints a result (the demo books and delivers those for their cards).
        let errand = match visitor % 4 {
            1 => "appointment",
            2 => "results",
            _ => "hot",
        };
        match view.screen {
            Screen::Home if *step > self.pause_between => Some(UiAction::Tile(errand.into())),
            Screen::Appointment if *step == 3 => {
                (self.place_card)(visitor);
                None
            }
            Screen::Choices if *step > 4 && !view.choices.is_empty() => Some(UiAction::Choose(view.choices[0].id.clone())),
            Screen::Documents if view.progress_percent >= 100 && *step > 6 => Some(UiAction::Home),
            Screen::Choices | Screen::Appointment if *step > 30 => Some(UiAction::Home),
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
