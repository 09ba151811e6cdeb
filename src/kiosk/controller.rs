//! The kiosk's behaviour, without IO: inputs (taps, cards, answers from the hall service
//! and the printer, device health, the clock) go in; the view to draw and the effects to
//! carry out (issue a ticket, print it) come out. The runtime does the IO.

use hallq_ui::view::{ChoiceRow, ItemDetail, ItemRow, KioskView, Screen, Thumb, TicketShown, Tile, UiAction};
use pinyin::ToPinyin;

/// One service item as the kiosk shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CatalogItem {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub department: String,
    pub department_en: String,
    pub mode: String,
    /// "personal" or "business".
    pub category: String,
    pub hot: bool,
    pub materials: Vec<String>,
    /// (window number, floor).
    pub windows: Vec<(u32, i32)>,
    pub waiting: u32,
    pub estimate_minutes: u32,
    /// "required", "optional" or "none".
    pub identity: String,
    pub time_limit_days: u32,
    pub promised_days: u32,
}

/// What the hall's configuration says about kiosks (`[kiosk]`, `[ticket]`), live.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskSettings {
    pub tiles: Vec<String>,
    pub welcome: String,
    pub welcome_en: String,
    /// Argon2 hash (PHC string) of the manager PIN, or the old SHA-256 (hex) form; empty:
    /// no manager menu. See [`crate::kiosk::pin`].
    pub manager_pin: String,
    pub idle_secs: u32,
    pub idle_secs_elderly: u32,
    pub ticket_header: Vec<String>,
    pub ticket_footer: Vec<String>,
    pub ticket_qr: bool,
    /// The hall's public base URL for the ticket QR; empty: the kiosk's `--server`.
    pub public_url: String,
}

impl Default for KioskSettings {
    fn default() -> KioskSettings {
        KioskSettings {
            tiles: crate::config::KIOSK_TILES.iter().map(|t| t.to_string()).collect(),
            welcome: String::new(),
            welcome_en: String::new(),
            manager_pin: String::new(),
            idle_secs: 60,
            idle_secs_elderly: 120,
            ticket_header: vec!["{hall}".into()],
            ticket_footer: Vec::new(),
            ticket_qr: true,
            public_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    pub hall_name: String,
    pub hall_name_en: String,
    /// The items offered on kiosks.
    pub items: Vec<CatalogItem>,
    pub kiosk: KioskSettings,
}

/// One of the visitor's appointments, as the hall service lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentRow {
    pub code: String,
    pub service: String,
    /// "2026-11-27 10:00".
    pub slot: String,
    pub checked_in: bool,
}

/// A result waiting for the visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub id: String,
    pub title: String,
    pub department: String,
    /// The nonce the hall gave this kiosk for it: fetching and collecting need it.
    pub nonce: Option<String>,
}

/// Which visitor errand is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    #[default]
    Ticket,
    Appointment,
    Results,
    Scan,
}

/// A card the reader read, already reduced to what the kiosk needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id_number: String,
    pub name: String,
    pub masked: String,
    /// "2026-01-04" when the card has expired, else empty.
    pub expired_on: String,
}

/// A ticket the hall service issued.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Issued {
    pub id: String,
    pub number: String,
    pub service: String,
    pub holder: String,
    pub windows: Vec<(u32, i32)>,
    pub ahead: u32,
    pub estimate_minutes: u32,
    pub token: String,
    pub status_url: String,
    /// What the ticket printer prints, made from the hall's answer by `tickets::model`.
    pub printable: hallq_drivers::printer::ticket::TicketModel,
    /// Issued from the kiosk's number lease while the hall was unreachable.
    pub offline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IssueFailure {
    /// The hall service said no (limit, cap, hours…): its message is for the visitor.
    Refused(String),
    /// No answer: the request may be retried with the same request_id.
    Unreachable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Ui(UiAction),
    Card(Card),
    CardUnreadable(String),
    Issued(Result<Issued, IssueFailure>),
    /// Err(visitor message, whether the ticket may be incomplete).
    Printed(Result<(), (String, bool)>),
    /// The hall is unreachable but the kiosk issues from its number leases (true), or the
    /// hall answers again (false): a line on the home screen says so.
    Offline(bool),
    /// Faults that stop issuing: the ticket printer's and the hall connection's; None when
    /// all is well. The kiosk shows its out-of-service screen (after the visitor now at it).
    Health(Option<String>),
    Catalog(Catalog),
    /// Once a second, with the hall-local time to show.
    Tick(String),
    /// The visitor's appointments (or why they could not be looked up).
    Appointments(Result<Vec<AppointmentRow>, String>),
    /// The results waiting for the visitor.
    Results(Result<Vec<ResultRow>, String>),
    /// How the A4 printing goes: a line for the visitor and a percentage.
    DocProgress(String, u32),
    /// The A4 printing ended: the results printed and marked collected, or why it stopped.
    DocsPrinted(Result<u32, String>),
    /// Pages scanned (thumbnails), or why scanning failed.
    Scanned(Result<Vec<Thumb>, String>),
    /// Faults of the devices only some errands need: "idcard-reader", "a4-printer" or
    /// "scanner" (None: working again). Only the errands that need the device stop: items
    /// that require the ID card send the visitor to the service desk, items where it is
    /// optional skip the card step.
    OptionalDevice(&'static str, Option<String>),
    /// A self-test finished: device, passed, what it found.
    SelfTested(String, bool, String),
    /// The scanned pages did not reach the hall service (the ticket is fine).
    AttachFailed,
}

// A handful of effects per tap, never stored in bulk: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Issue {
        request_id: String,
        service: String,
        identity: Option<(String, String)>,
    },
    Print(Issued),
    FindAppointments {
        identity: (String, String),
    },
    CheckIn {
        request_id: String,
        code: String,
        identity: Option<(String, String)>,
    },
    FindResults {
        identity: (String, String),
    },
    /// Print these results on the A4 printer one after another, marking each collected
    /// once it printed.
    PrintResults(Vec<ResultRow>),
    /// Scan pages: on the flatbed (one) or from the feeder (all); `replace` retakes a page.
    Scan {
        feeder: bool,
        replace: Option<usize>,
    },
    DeletePage(usize),
    /// Attach the scanned pages to the ticket just issued.
    Attach {
        ticket: String,
        title: String,
    },
    /// The visitor left: forget scanned pages.
    ForgetScans,
    /// Say this aloud (elderly mode).
    Speak(String),
    SelfTest(String),
    Exit,
}

pub struct Settings {
    pub kiosk_id: String,
    /// An A4 printer for results, a scanner and an ID-card reader are attached. Without a
    /// reader the kiosk behaves as with a faulty one (see [`Input::OptionalDevice`]).
    pub has_a4: bool,
    pub has_scanner: bool,
    pub has_reader: bool,
    /// Seconds without a touch before going home.
    pub idle_secs: u32,
    pub idle_secs_elderly: u32,
    /// Tries of one issue request before giving up.
    pub issue_attempts: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            kiosk_id: "kiosk".into(),
            has_a4: true,
            has_scanner: true,
            has_reader: true,
            idle_secs: 60,
            idle_secs_elderly: 120,
            issue_attempts: 3,
        }
    }
}

pub struct Controller {
    settings: Settings,
    catalog: Catalog,
    view: KioskView,
    /// Where Back goes from the item list.
    list_origin: Screen,
    item: Option<CatalogItem>,
    card: Option<Card>,
    request: Option<(String, u32)>,
    fault: Option<String>,
    idle: u32,
    seed: u64,
    serial: u64,
    flow: Flow,
    results: Vec<ResultRow>,
    appointments: Vec<AppointmentRow>,
    a4_fault: Option<String>,
    scanner_fault: Option<String>,
    reader_fault: Option<String>,
    corner_taps: u32,
    pin: String,
    pin_failures: u32,
    /// Seconds (clock ticks) the manager menu stays locked after too many wrong PINs.
    pin_locked: u32,
    /// The screen last spoken in elderly mode.
    spoken: Option<(Screen, String)>,
    forget_scans: bool,
    checkin_code: Option<String>,
    /// Issuing from the kiosk's number leases: the hall is unreachable.
    offline: bool,
}

/// Pinyin initials of a name, such as 户口迁入登记 → HKQRDJ. Characters the pinyin crate
/// reads wrongly in these names are fixed by a small table.
pub fn initials(name: &str) -> String {
    const OVERRIDES: &[(char, char)] = &[('行', 'X'), ('长', 'C'), ('重', 'C'), ('乐', 'L')];
    name.chars()
        .filter_map(|c| {
            if c.is_ascii_alphanumeric() {
                return Some(c.to_ascii_uppercase());
            }
            if let Some((_, l)) = OVERRIDES.iter().find(|(k, _)| *k == c) {
                return Some(*l);
            }
            c.to_pinyin().and_then(|p| p.first_letter().chars().next()).map(|l| l.to_ascii_uppercase())
        })
        .collect()
}

/// A device's name on the self-test screen.
pub fn device_label(device: &str, english: bool) -> String {
    let (zh, en) = match device {
        "ticket-printer" => ("号票打印机", "Ticket printer"),
        "idcard-reader" => ("身份证读卡器", "ID-card reader"),
        "a4-printer" => ("A4 打印机", "A4 printer"),
        "scanner" => ("扫描仪", "Scanner"),
        "hall-service" => ("叫号系统连接", "Hall service"),
        other => (other, other),
    };
    if english {
        en.into()
    } else {
        zh.into()
    }
}

/// "1楼 4、5号窗口；2楼 26号窗口" (as printed on the ticket), or its English form.
fn windows_text(windows: &[(u32, i32)], english: bool) -> String {
    if !english {
        return hallq_drivers::printer::ticket::windows_text(windows);
    }
    let mut floors: Vec<i32> = windows.iter().map(|(_, f)| *f).collect();
    floors.sort();
    floors.dedup();
    floors
        .iter()
        .map(|f| {
            let nums: Vec<String> = windows.iter().filter(|(_, x)| x == f).map(|(n, _)| n.to_string()).collect();
            format!("floor {f}, windows {}", nums.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Controller {
    pub fn new(settings: Settings, seed: u64) -> Controller {
        let mut c = Controller {
            settings,
            catalog: Catalog::default(),
            view: KioskView::default(),
            list_origin: Screen::Home,
            item: None,
            card: None,
            request: None,
            fault: None,
            idle: 0,
            seed,
            serial: 0,
            flow: Flow::Ticket,
            results: Vec::new(),
            appointments: Vec::new(),
            a4_fault: None,
            scanner_fault: None,
            reader_fault: None,
            corner_taps: 0,
            pin: String::new(),
            pin_failures: 0,
            pin_locked: 0,
            spoken: None,
            forget_scans: false,
            checkin_code: None,
            offline: false,
        };
        c.home();
        c
    }

    pub fn view(&self) -> &KioskView {
        &self.view
    }

    fn en(&self) -> bool {
        self.view.english
    }

    fn t(&self, zh: &str, en: &str) -> String {
        if self.en() {
            en.to_string()
        } else {
            zh.to_string()
        }
    }

    fn item_name(&self, i: &CatalogItem) -> String {
        if self.en() && !i.name_en.is_empty() {
            i.name_en.clone()
        } else {
            i.name.clone()
        }
    }

    fn home(&mut self) {
        // Forget the visitor.
        self.item = None;
        self.card = None;
        self.request = None;
        self.flow = Flow::Ticket;
        self.checkin_code = None;
        self.results.clear();
        self.appointments.clear();
        self.view.search.clear();
        self.view.holder.clear();
        self.view.code.clear();
        self.view.choices.clear();
        self.view.progress.clear();
        self.view.progress_percent = 0;
        if !self.view.pages.is_empty() {
            self.view.pages.clear();
            self.forget_scans = true;
        }
        self.view.selected_page = None;
        self.view.ticket = TicketShown::default();
        self.view.hall_name = if self.en() && !self.catalog.hall_name_en.is_empty() {
            self.catalog.hall_name_en.clone()
        } else {
            self.catalog.hall_name.clone()
        };
        let k = &self.catalog.kiosk;
        self.view.welcome = if self.en() { k.welcome_en.clone() } else { k.welcome.clone() };
        if self.offline {
            self.view.welcome =
                self.t("网络中断：本机离线取号，号票照常有效", "Network down: this kiosk issues offline tickets, valid as usual");
        }
        if let Some(f) = self.fault.clone() {
            self.out_of_service(f);
            return;
        }
        self.view.screen = Screen::Home;
        let floors = {
            let mut f: Vec<i32> = self.catalog.items.iter().flat_map(|i| i.windows.iter().map(|(_, f)| *f)).collect();
            f.sort();
            f.dedup();
            f
        };
        let mut tiles = Vec::new();
        for id in self.catalog.kiosk.tiles.clone() {
            let (label, sub) = match id.as_str() {
                "personal" => (self.t("个人事项", "Personal"), self.t("户籍、社保、公积金、不动产…", "ID, insurance, housing…")),
                "business" => (self.t("企业事项", "Business"), self.t("企业开办、税务、报建…", "Start-up, tax, permits…")),
                "hot" => (self.t("热门事项", "Popular"), self.t("大家常办的事", "What most people come for")),
                "departments" => (self.t("按部门", "By department"), self.t("公安、人社、医保…", "Police, social security…")),
                "search" => (self.t("拼音搜索", "Search"), self.t("输入拼音首字母", "Pinyin initials")),
                // Offline, only taking a number works: check-in, results and scanning need
                // the hall.
                "appointment" | "results" | "scan" if self.offline => continue,
                "appointment" if self.reader_down() => {
                    (self.t("预约签到", "Appointment check-in"), self.t("输入预约码", "Type your appointment code"))
                }
                "appointment" => {
                    (self.t("预约签到", "Appointment check-in"), self.t("刷身份证或输入预约码", "ID card or appointment code"))
                }
                // Results are found by the visitor's card and printed on the A4 printer.
                "results" if self.settings.has_a4 && self.settings.has_reader => {
                    let sub = if self.a4_fault.is_some() || self.reader_fault.is_some() {
                        self.t("暂停服务，请到服务台领取", "Paused: please ask at the service desk")
                    } else {
                        self.t("刷身份证打印办理结果", "Swipe your ID card to print")
                    };
                    (self.t("自助打印", "Print my results"), sub)
                }
                "scan" if self.settings.has_scanner => {
                    let sub = if self.scanner_fault.is_some() {
                        self.t("暂停服务，请到窗口提交纸质材料", "Paused: bring your papers to the window")
                    } else {
                        self.t("扫描材料，窗口提前审核", "Scan papers for pre-review")
                    };
                    (self.t("材料预审", "Scan materials"), sub)
                }
                "floors" => {
                    for f in &floors {
                        tiles.push(Tile {
                            id: format!("floor:{f}"),
                            label: self.t(&format!("{f}楼事项"), &format!("Floor {f}")),
                            sub: self.t("按办理楼层查找", "Items served on this floor"),
                        });
                    }
                    continue;
                }
                _ => continue,
            };
            tiles.push(Tile { id, label, sub });
        }
        self.view.tiles = tiles;
    }

    fn out_of_service(&mut self, why: String) {
        self.view.screen = Screen::OutOfService;
        self.view.out_of_service = why;
    }

    /// No ID card can be read now: the kiosk has no reader, or its reader is faulty.
    fn reader_down(&self) -> bool {
        !self.settings.has_reader || self.reader_fault.is_some()
    }

    fn reader_down_text(&self) -> String {
        if self.settings.has_reader {
            self.t("本机身份证读卡器暂不可用", "This kiosk's ID-card reader is not working")
        } else {
            self.t("本机没有身份证读卡器", "This kiosk has no ID-card reader")
        }
    }

    /// The card step of the item chosen, or what stands for it when no card can be read:
    /// items where the card is optional go on without it, items that require it send the
    /// visitor to the service desk.
    fn card_step(&mut self) {
        let Some(identity) = self.item.as_ref().map(|i| i.identity.clone()) else {
            self.home();
            return;
        };
        match (identity.as_str(), self.reader_down()) {
            ("none", _) | ("optional", true) => {
                if self.flow == Flow::Scan {
                    self.start_scan();
                } else {
                    self.view.screen = Screen::Confirm;
                }
            }
            (_, true) => self.send_to_desk(),
            (_, false) => self.view.screen = Screen::Identity,
        }
    }

    /// The item needs the ID card and none can be read here.
    fn send_to_desk(&mut self) {
        let name = self.item.as_ref().map(|i| self.item_name(i)).unwrap_or_default();
        let why = self.reader_down_text();
        let (title, body) = (
            self.t("请到服务台办理", "Please go to the service desk"),
            self.t(
                &format!("{why}。办理「{name}」需要核验身份证，请到服务台取号。"),
                &format!("{why}. {name} needs your ID card: please take a number at the service desk."),
            ),
        );
        self.message(title, body);
    }

    /// Printing results needs the card, and none can be read here.
    fn results_need_card(&mut self) {
        let why = self.reader_down_text();
        let (title, body) = (
            self.t("自助打印暂停", "Printing is paused"),
            self.t(
                &format!("{why}，打印办理结果需要刷身份证。请到服务台领取。"),
                &format!("{why}, and printing results needs your ID card. Please ask at the service desk."),
            ),
        );
        self.message(title, body);
    }

    fn rows<'a>(&self, items: impl Iterator<Item = &'a CatalogItem>) -> Vec<ItemRow> {
        items
            .map(|i| ItemRow {
                id: i.id.clone(),
                name: self.item_name(i),
                department: if self.en() { i.department_en.clone() } else { i.department.clone() },
                mode: i.mode.clone(),
                waiting: i.waiting,
                estimate_minutes: i.estimate_minutes,
            })
            .collect()
    }

    fn list(&mut self, title: String, items: Vec<ItemRow>) {
        self.view.title = title;
        self.view.items = items;
        self.view.screen = Screen::Items;
    }

    fn show_item(&mut self, id: &str) {
        let Some(i) = self.catalog.items.iter().find(|i| i.id == id).cloned() else { return };
        let en = self.en();
        self.view.detail = ItemDetail {
            name: self.item_name(&i),
            department: if en { i.department_en.clone() } else { i.department.clone() },
            mode: i.mode.clone(),
            materials: i.materials.clone(),
            windows: windows_text(&i.windows, en),
            waiting: i.waiting,
            estimate_minutes: i.estimate_minutes,
            time_limit: match (i.time_limit_days, i.promised_days, en) {
                (0, _, false) => "即时办结".into(),
                (0, _, true) => "done on the spot".into(),
                (l, p, false) => format!("法定 {l} 个工作日，承诺 {p} 个工作日"),
                (l, p, true) => format!("{l} working days by law, {p} promised"),
            },
            identity: i.identity.clone(),
        };
        self.item = Some(i);
        self.view.screen = Screen::Item;
    }

    fn search_results(&mut self) {
        let q = self.view.search.clone();
        self.view.items = if q.is_empty() {
            Vec::new()
        } else {
            let hits: Vec<&CatalogItem> = self.catalog.items.iter().filter(|i| initials(&i.name).contains(&q)).take(8).collect();
            self.rows(hits.into_iter())
        };
    }

    fn next_request_id(&mut self) -> String {
        self.serial += 1;
        format!("{}-{:x}-{}", self.settings.kiosk_id, self.seed, self.serial)
    }

    fn check_in(&mut self, code: String) -> Vec<Effect> {
        if let Some(f) = self.fault.clone() {
            self.out_of_service(f);
            return vec![];
        }
        let id = self.next_request_id();
        self.request = Some((id, 1));
        self.checkin_code = Some(code);
        self.view.screen = Screen::Printing;
        self.issue_effect().into_iter().collect()
    }

    fn issue_effect(&self) -> Option<Effect> {
        let (request_id, _) = self.request.clone()?;
        if self.flow == Flow::Appointment {
            return Some(Effect::CheckIn { request_id, code: self.checkin_code.clone()?, identity: self.identity() });
        }
        let item = self.item.as_ref()?;
        Some(Effect::Issue {
            request_id,
            service: item.id.clone(),
            identity: self.card.as_ref().map(|c| (c.id_number.clone(), c.name.clone())),
        })
    }

    fn message(&mut self, title: String, body: String) {
        self.view.message_title = title;
        self.view.message_body = body;
        self.view.screen = Screen::Message;
    }

    /// The identity of the card read, for the hall service.
    fn identity(&self) -> Option<(String, String)> {
        self.card.as_ref().map(|c| (c.id_number.clone(), c.name.clone()))
    }

    /// What to say aloud for the screen now up (elderly mode).
    fn prompt(&self) -> String {
        let v = &self.view;
        match v.screen {
            Screen::Home => self.t("您好，请点击您要办理的事项", "Hello. Please tap what you came for."),
            Screen::Items | Screen::Search => self.t("请选择事项", "Please choose an item."),
            Screen::Item => self.t(
                &format!("{}。请看所需材料，然后点击取号", v.detail.name),
                &format!("{}. Check the materials, then tap take a number.", v.detail.name),
            ),
            Screen::Identity => self.t("请将身份证放在下方读卡区", "Please place your ID card on the reader below."),
            Screen::Confirm => self.t("请核对后点击确认取号", "Please check, then tap confirm."),
            Screen::Printing => self.t("正在打印号票，请稍候", "Printing your ticket, please wait."),
            Screen::Ticket => {
                let n: String = v.ticket.number.chars().flat_map(|c| [c, ' ']).collect();
                self.t(
                    &format!("取号成功。您的号码是 {n}。请到{}等候叫号", v.ticket.windows),
                    &format!("Your number is {n}. Please wait for your call."),
                )
            }
            Screen::Message => format!("{}。{}", v.message_title, v.message_body),
            Screen::OutOfService => {
                self.t(&format!("本机暂停服务。{}", v.out_of_service), &format!("This kiosk is out of service. {}", v.out_of_service))
            }
            Screen::Appointment => self.t("请刷身份证，或输入预约码", "Please place your ID card, or type your appointment code."),
            Screen::Choices => v.title.clone(),
            Screen::Documents => v.progress.clone(),
            Screen::Scan => self.t("请将材料放在扫描区，然后点击扫描", "Place your papers on the scanner, then tap scan."),
            Screen::ManagerPin | Screen::Manager => String::new(),
        }
    }

    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = self.handle_input(input);
        self.view.flow = match self.flow {
            Flow::Ticket => "ticket",
            Flow::Appointment => "appointment",
            Flow::Results => "results",
            Flow::Scan => "scan",
        }
        .into();
        if std::mem::take(&mut self.forget_scans) {
            effects.push(Effect::ForgetScans);
        }
        if self.view.elderly {
            let prompt = self.prompt();
            let key = (self.view.screen, prompt.clone());
            if !prompt.is_empty() && self.spoken.as_ref() != Some(&key) {
                effects.push(Effect::Speak(prompt));
            }
            self.spoken = Some(key);
        } else {
            self.spoken = None;
        }
        effects
    }

    fn handle_input(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Ui(action) => {
                self.idle = 0;
                self.view.idle_left = 0;
                self.on_ui(action)
            }
            Input::Catalog(c) => {
                self.settings.idle_secs = c.kiosk.idle_secs.max(10);
                self.settings.idle_secs_elderly = c.kiosk.idle_secs_elderly.max(self.settings.idle_secs);
                self.catalog = c;
                if self.view.screen == Screen::Home {
                    self.home();
                }
                vec![]
            }
            Input::Appointments(found) => {
                if self.flow != Flow::Appointment || self.view.screen != Screen::Appointment {
                    return vec![];
                }
                self.view.progress.clear();
                match found {
                    Err(msg) => {
                        let t = self.t("无法查询预约", "Cannot look up appointments");
                        self.message(t, msg);
                    }
                    Ok(list) if list.is_empty() => {
                        let (t, b) = (
                            self.t("没有找到您的预约", "No appointment found"),
                            self.t(
                                "请核对预约信息，或输入预约码；也可以直接取号。",
                                "Check your booking or type its code; you can also take a normal number.",
                            ),
                        );
                        self.message(t, b);
                    }
                    Ok(list) => {
                        self.view.title = self.t("您的预约", "Your appointments");
                        self.view.choices = list
                            .iter()
                            .map(|a| ChoiceRow {
                                id: a.code.clone(),
                                title: a.service.clone(),
                                sub: if a.checked_in {
                                    self.t(
                                        &format!("{} · 已签到，点击重打号票", a.slot),
                                        &format!("{} · checked in, tap to print again", a.slot),
                                    )
                                } else {
                                    format!("{} · {}", a.slot, a.code)
                                },
                                state: String::new(),
                            })
                            .collect();
                        self.appointments = list;
                        self.view.screen = Screen::Choices;
                    }
                }
                vec![]
            }
            Input::Results(found) => {
                if self.flow != Flow::Results || self.view.screen != Screen::Choices {
                    return vec![];
                }
                self.view.progress.clear();
                match found {
                    Err(msg) => {
                        let t = self.t("无法查询办理结果", "Cannot look up results");
                        self.message(t, msg);
                    }
                    Ok(list) if list.is_empty() => {
                        let (t, b) = (
                            self.t("暂无可打印的结果", "Nothing to print yet"),
                            self.t(
                                "您的办理结果尚未送达或已领取。如有疑问请到服务台咨询。",
                                "Your results have not arrived yet or were collected. Please ask at the service desk.",
                            ),
                        );
                        self.message(t, b);
                    }
                    Ok(list) => {
                        self.view.title = self.t("您可以打印的结果", "Results ready for you");
                        let mut rows = vec![ChoiceRow {
                            id: "all".into(),
                            title: self.t(&format!("全部打印（{} 份）", list.len()), &format!("Print all ({})", list.len())),
                            sub: String::new(),
                            state: String::new(),
                        }];
                        rows.extend(list.iter().map(|r| ChoiceRow {
                            id: r.id.clone(),
                            title: r.title.clone(),
                            sub: r.department.clone(),
                            state: String::new(),
                        }));
                        self.view.choices = rows;
                        self.results = list;
                    }
                }
                vec![]
            }
            Input::DocProgress(line, percent) => {
                // Printing results, or scanning pages (busy until the pages come back).
                if self.view.screen == Screen::Documents || (self.view.screen == Screen::Scan && self.view.progress_percent > 0) {
                    self.view.progress = line;
                    self.view.progress_percent = percent.clamp(1, 100);
                }
                vec![]
            }
            Input::DocsPrinted(result) => {
                if self.view.screen != Screen::Documents {
                    return vec![];
                }
                self.idle = 0;
                self.view.progress_percent = 100;
                self.view.progress = match result {
                    Ok(n) => self.t(
                        &format!("已打印 {n} 份，已为您登记领取。请从下方出纸口取走文件。"),
                        &format!("{n} printed and recorded as collected. Please take your papers from the tray below."),
                    ),
                    Err(msg) => {
                        self.a4_fault = Some(msg.clone());
                        self.t(
                            &format!("打印未完成：{msg}。未打印的结果仍为您保留。"),
                            &format!("Printing stopped: {msg}. Results not printed are kept for you."),
                        )
                    }
                };
                vec![]
            }
            Input::Scanned(result) => {
                if self.view.screen != Screen::Scan {
                    return vec![];
                }
                self.idle = 0;
                match result {
                    Ok(pages) => {
                        match self.view.selected_page.take() {
                            Some(i) if i < self.view.pages.len() && pages.len() == 1 => {
                                self.view.pages[i] = pages.into_iter().next().expect("one page")
                            }
                            _ => self.view.pages.extend(pages),
                        }
                        self.view.progress =
                            self.t(&format!("已扫描 {} 页", self.view.pages.len()), &format!("{} pages scanned", self.view.pages.len()));
                    }
                    Err(msg) => self.view.progress = msg,
                }
                self.view.progress_percent = 0;
                vec![]
            }
            Input::OptionalDevice(which, fault) => {
                let slot = match which {
                    "a4-printer" => &mut self.a4_fault,
                    "scanner" => &mut self.scanner_fault,
                    "idcard-reader" => &mut self.reader_fault,
                    other => {
                        tracing::warn!("fault of an unknown device {other}");
                        return vec![];
                    }
                };
                // Watchers repeat what they see; only a change matters.
                if *slot == fault {
                    return vec![];
                }
                *slot = fault;
                match self.view.screen {
                    // The tiles say what is paused.
                    Screen::Home => self.home(),
                    // A visitor waiting at the reader that just failed is told at once.
                    Screen::Identity if self.reader_down() => {
                        if self.flow == Flow::Results {
                            self.results_need_card();
                        } else {
                            self.card_step();
                        }
                    }
                    _ => {}
                }
                vec![]
            }
            Input::AttachFailed => {
                if self.view.screen == Screen::Ticket || self.view.screen == Screen::Printing {
                    self.view.ticket.print_problem = self.t(
                        "扫描的材料未能送达窗口，请在窗口出示纸质材料。",
                        "The scanned papers did not reach the counter; please show the originals at the window.",
                    );
                }
                vec![]
            }
            Input::SelfTested(device, ok, text) => {
                if let Some(row) = self.view.tests.iter_mut().find(|r| r.id == device) {
                    row.state = if ok { "ok".into() } else { "fault".into() };
                    row.sub = text;
                }
                vec![]
            }
            Input::Tick(clock) => {
                self.view.clock = clock;
                if self.pin_locked > 0 {
                    self.pin_locked -= 1;
                    if self.pin_locked == 0 {
                        tracing::info!("manager menu unlocked");
                    }
                }
                let busy = matches!(self.view.screen, Screen::Home | Screen::OutOfService | Screen::Printing)
                    || (self.view.screen == Screen::Documents && self.view.progress_percent < 100)
                    || (self.view.screen == Screen::Scan && self.view.progress_percent > 0);
                if busy {
                    self.idle = 0;
                    self.view.idle_left = 0;
                } else {
                    self.idle += 1;
                    let limit = if self.view.elderly { self.settings.idle_secs_elderly } else { self.settings.idle_secs };
                    // The ticket screen goes home sooner: the visitor has what they came for.
                    let limit = if self.view.screen == Screen::Ticket { limit.min(30) } else { limit };
                    self.view.idle_left = limit.saturating_sub(self.idle);
                    if self.idle >= limit {
                        self.idle = 0;
                        self.view.idle_left = 0;
                        self.home();
                    }
                }
                vec![]
            }
            Input::Offline(offline) => {
                if self.offline != offline {
                    self.offline = offline;
                    if self.view.screen == Screen::Home {
                        self.home();
                    }
                }
                vec![]
            }
            Input::Health(fault) => {
                self.fault = fault.clone();
                match (fault, self.view.screen) {
                    // A visitor mid-ticket (or mid-way through printing results) finishes on
                    // their own screen; the fault shows after.
                    (_, Screen::Printing | Screen::Ticket | Screen::Documents) => {}
                    (Some(f), _) => self.out_of_service(f),
                    (None, Screen::OutOfService) => self.home(),
                    (None, _) => {}
                }
                vec![]
            }
            Input::Card(card) => {
                let wanted = self.view.screen == Screen::Identity || (self.view.screen == Screen::Appointment && self.card.is_none());
                if !wanted {
                    return vec![];
                }
                if !card.expired_on.is_empty() {
                    let (t, b) = (
                        self.t("证件已过期", "This card has expired"),
                        self.t(
                            &format!("您的证件有效期至 {}，已过期。请到服务台人工办理或先办理证件换领。", card.expired_on),
                            &format!("Your card was valid until {}. Please go to the service desk.", card.expired_on),
                        ),
                    );
                    self.message(t, b);
                    return vec![];
                }
                self.view.holder = card.masked.clone();
                self.card = Some(card);
                match self.flow {
                    Flow::Ticket => self.view.screen = Screen::Confirm,
                    Flow::Scan => self.start_scan(),
                    Flow::Appointment => {
                        self.view.progress = self.t("正在查询您的预约…", "Looking up your appointments…");
                        return vec![Effect::FindAppointments { identity: self.identity().expect("card just read") }];
                    }
                    Flow::Results => {
                        self.view.screen = Screen::Choices;
                        self.view.title = self.t("正在查询您的办理结果…", "Looking up your results…");
                        self.view.choices.clear();
                        self.view.progress = self.view.title.clone();
                        return vec![Effect::FindResults { identity: self.identity().expect("card just read") }];
                    }
                }
                vec![]
            }
            Input::CardUnreadable(msg) => {
                if matches!(self.view.screen, Screen::Identity | Screen::Appointment) {
                    let t = self.t("读卡失败", "Card not read");
                    self.message(t, msg);
                }
                vec![]
            }
            Input::Issued(Ok(t)) => {
                if self.view.screen != Screen::Printing {
                    return vec![];
                }
                self.view.ticket = TicketShown {
                    number: t.number.clone(),
                    service: t.service.clone(),
                    holder: t.holder.clone(),
                    windows: windows_text(&t.windows, self.en()),
                    ahead: t.ahead,
                    estimate_minutes: t.estimate_minutes,
                    status_url: t.status_url.clone(),
                    print_problem: String::new(),
                    offline: t.offline,
                };
                if self.flow == Flow::Scan && !self.view.pages.is_empty() {
                    let title = self.item.as_ref().map(|i| format!("{} 预审材料", i.name)).unwrap_or_else(|| "预审材料".into());
                    return vec![Effect::Attach { ticket: t.id.clone(), title }, Effect::Print(t)];
                }
                vec![Effect::Print(t)]
            }
            Input::Issued(Err(IssueFailure::Refused(msg))) => {
                self.request = None;
                let t = self.t("无法取号", "Cannot take a number");
                self.message(t, msg);
                vec![]
            }
            Input::Issued(Err(IssueFailure::Unreachable(why))) => {
                let Some((id, tries)) = self.request.clone() else { return vec![] };
                if tries < self.settings.issue_attempts {
                    self.request = Some((id, tries + 1));
                    return self.issue_effect().into_iter().collect();
                }
                self.request = None;
                let msg = self.t("无法连接叫号系统，请到服务台取号。", "Cannot reach the queue system; please go to the service desk.");
                self.fault = Some(msg.clone());
                tracing::warn!("issuing failed after retries: {why}");
                self.out_of_service(msg);
                vec![]
            }
            Input::Printed(Ok(())) => {
                if self.view.screen == Screen::Printing {
                    self.view.screen = Screen::Ticket;
                    self.idle = 0;
                }
                vec![]
            }
            Input::Printed(Err((msg, _during))) => {
                // The ticket exists whatever the printer did: show the number on screen.
                let number = self.view.ticket.number.clone();
                self.view.ticket.print_problem = self.t(
                    &format!("{msg}。号票未能完整打印，请记下您的号码 {number}，叫号时同样有效。"),
                    &format!("The ticket did not print completely. Please note your number {number}; it will be called as usual."),
                );
                self.view.screen = Screen::Ticket;
                self.fault = Some(msg);
                vec![]
            }
        }
    }

    fn start_scan(&mut self) {
        self.view.screen = Screen::Scan;
        self.view.selected_page = None;
        self.view.progress_percent = 0;
        self.view.progress = match &self.scanner_fault {
            Some(f) => f.clone(),
            None => self.t(
                "请将材料正面朝下放在扫描玻璃上，或放入上方进纸器，然后点击扫描",
                "Put the papers face down on the glass, or in the feeder on top, then tap scan",
            ),
        };
    }

    /// The hidden manager menu: five taps on the top-left corner, then the PIN.
    fn on_manager(&mut self, action: &UiAction) -> Option<Vec<Effect>> {
        match (self.view.screen, action) {
            (_, UiAction::Corner) => {
                self.corner_taps += 1;
                if self.corner_taps >= 5 && self.pin_locked > 0 {
                    // Locked after too many wrong PINs: the taps do nothing a visitor would see.
                    self.corner_taps = 0;
                    tracing::warn!("manager menu locked for {} s more after wrong PINs", self.pin_locked);
                } else if self.corner_taps >= 5
                    && !self.catalog.kiosk.manager_pin.is_empty()
                    && !matches!(self.view.screen, Screen::Printing | Screen::Documents)
                {
                    self.corner_taps = 0;
                    self.pin.clear();
                    self.view.pin_len = 0;
                    self.view.progress.clear();
                    self.view.screen = Screen::ManagerPin;
                }
                Some(vec![])
            }
            (Screen::ManagerPin, UiAction::PinKey(c)) if c.is_ascii_digit() && self.pin.len() < 12 => {
                self.pin.push(*c);
                self.view.pin_len = self.pin.len() as u32;
                Some(vec![])
            }
            (Screen::ManagerPin, UiAction::PinBackspace) => {
                self.pin.pop();
                self.view.pin_len = self.pin.len() as u32;
                Some(vec![])
            }
            (Screen::ManagerPin, UiAction::PinEnter) => {
                // One Argon2 check (~50-100 ms on a kiosk): fine on the UI thread, once per Enter.
                let ok = self.pin_locked == 0 && crate::kiosk::pin::verify_pin(&self.catalog.kiosk.manager_pin, &self.pin);
                self.pin.clear();
                self.view.pin_len = 0;
                if ok {
                    self.pin_failures = 0;
                    self.view.progress.clear();
                    self.view.tests = ["ticket-printer", "idcard-reader", "a4-printer", "scanner", "hall-service"]
                        .iter()
                        .map(|d| ChoiceRow {
                            id: d.to_string(),
                            title: device_label(d, self.en()),
                            sub: self.t("未测试", "not tested"),
                            state: String::new(),
                        })
                        .collect();
                    self.view.screen = Screen::Manager;
                    tracing::info!("manager menu opened");
                } else {
                    self.pin_failures += 1;
                    tracing::warn!("wrong manager PIN ({} in a row)", self.pin_failures);
                    if self.pin_failures >= crate::kiosk::pin::MAX_WRONG {
                        self.pin_failures = 0;
                        self.pin_locked = crate::kiosk::pin::LOCK_SECS;
                        tracing::warn!(
                            "manager menu locked for {} s after {} wrong PINs",
                            crate::kiosk::pin::LOCK_SECS,
                            crate::kiosk::pin::MAX_WRONG
                        );
                        self.home();
                    } else {
                        self.view.progress = self.t("PIN 不正确", "Wrong PIN");
                    }
                }
                Some(vec![])
            }
            (Screen::Manager, UiAction::SelfTest(d)) => {
                if let Some(row) = self.view.tests.iter_mut().find(|r| &r.id == d) {
                    row.state = "busy".into();
                    row.sub = if self.view.english { "testing…".into() } else { "正在测试…".into() };
                    return Some(vec![Effect::SelfTest(d.clone())]);
                }
                Some(vec![])
            }
            (Screen::Manager, UiAction::Exit) => Some(vec![Effect::Exit]),
            (Screen::ManagerPin | Screen::Manager, UiAction::Back | UiAction::Home) => {
                self.home();
                Some(vec![])
            }
            (Screen::ManagerPin | Screen::Manager, UiAction::Touch) => Some(vec![]),
            (Screen::ManagerPin | Screen::Manager, _) => Some(vec![]),
            _ => None,
        }
    }

    fn on_ui(&mut self, action: UiAction) -> Vec<Effect> {
        if !matches!(action, UiAction::Corner | UiAction::Touch) {
            self.corner_taps = 0;
        }
        if let Some(effects) = self.on_manager(&action) {
            return effects;
        }
        if self.view.screen == Screen::OutOfService {
            // Language and text size may change; nothing else works until the fault clears.
            match action {
                UiAction::SetEnglish(e) => self.view.english = e,
                UiAction::ToggleElderly => self.view.elderly = !self.view.elderly,
                _ => {}
            }
            return vec![];
        }
        if self.view.screen == Screen::Printing || (self.view.screen == Screen::Documents && self.view.progress_percent < 100) {
            return vec![];
        }
        match action {
            UiAction::Corner
            | UiAction::PinKey(_)
            | UiAction::PinBackspace
            | UiAction::PinEnter
            | UiAction::SelfTest(_)
            | UiAction::Exit => {}
            UiAction::CodeKey(c) => {
                if self.view.screen == Screen::Appointment && c.is_ascii_alphanumeric() && self.view.code.len() < 16 {
                    self.view.code.push(c.to_ascii_uppercase());
                }
            }
            UiAction::CodeBackspace => {
                self.view.code.pop();
            }
            UiAction::CodeEnter => {
                if self.view.screen == Screen::Appointment && self.view.code.len() >= 4 {
                    let code = self.view.code.clone();
                    return self.check_in(code);
                }
            }
            UiAction::Choose(id) => {
                if self.view.screen != Screen::Choices {
                    return vec![];
                }
                match self.flow {
                    Flow::Appointment if self.appointments.iter().any(|a| a.code == id) => {
                        return self.check_in(id);
                    }
                    Flow::Results => {
                        let chosen: Vec<ResultRow> = self.results.iter().filter(|r| id == "all" || r.id == id).cloned().collect();
                        if chosen.is_empty() {
                            return vec![];
                        }
                        if let Some(f) = self.a4_fault.clone() {
                            let t = self.t("自助打印暂停", "Printing is paused");
                            self.message(t, f);
                            return vec![];
                        }
                        self.view.screen = Screen::Documents;
                        self.view.progress = self.t("正在准备打印…", "Preparing to print…");
                        self.view.progress_percent = 0;
                        return vec![Effect::PrintResults(chosen)];
                    }
                    _ => {}
                }
            }
            UiAction::ScanFlatbed | UiAction::ScanFeeder => {
                if self.view.screen == Screen::Scan {
                    if let Some(f) = self.scanner_fault.clone() {
                        self.view.progress = f;
                        return vec![];
                    }
                    if self.view.pages.len() >= 30 && self.view.selected_page.is_none() {
                        self.view.progress = self.t("最多扫描 30 页", "At most 30 pages");
                        return vec![];
                    }
                    let feeder = action == UiAction::ScanFeeder;
                    self.view.progress = self.t("正在扫描，请勿移动材料…", "Scanning, please do not move the papers…");
                    self.view.progress_percent = 1;
                    return vec![Effect::Scan { feeder, replace: self.view.selected_page }];
                }
            }
            UiAction::SelectPage(i) => {
                if self.view.screen == Screen::Scan && i < self.view.pages.len() {
                    self.view.selected_page = if self.view.selected_page == Some(i) { None } else { Some(i) };
                }
            }
            UiAction::DeletePage => {
                if let Some(i) = self.view.selected_page.take().filter(|i| *i < self.view.pages.len()) {
                    self.view.pages.remove(i);
                    return vec![Effect::DeletePage(i)];
                }
            }
            UiAction::Submit => {
                if self.view.screen == Screen::Scan && !self.view.pages.is_empty() {
                    if let Some(f) = self.fault.clone() {
                        self.out_of_service(f);
                        return vec![];
                    }
                    let id = self.next_request_id();
                    self.request = Some((id, 1));
                    self.view.screen = Screen::Printing;
                    return self.issue_effect().into_iter().collect();
                }
            }
            UiAction::Touch => {}
            UiAction::SetEnglish(e) => {
                self.view.english = e;
                match self.view.screen {
                    Screen::Home => self.home(),
                    Screen::Item => {
                        if let Some(id) = self.item.as_ref().map(|i| i.id.clone()) {
                            self.show_item(&id);
                        }
                    }
                    _ => {}
                }
            }
            UiAction::ToggleElderly => self.view.elderly = !self.view.elderly,
            UiAction::Home => self.home(),
            UiAction::Back => match self.view.screen {
                Screen::Items | Screen::Search => {
                    if self.list_origin == Screen::Items && self.view.title != self.t("按部门", "By department") {
                        self.on_tile("departments");
                    } else {
                        self.home();
                    }
                }
                Screen::Item => {
                    if self.view.items.is_empty() {
                        self.home();
                    } else {
                        self.view.screen = if self.list_origin == Screen::Search { Screen::Search } else { Screen::Items };
                    }
                }
                Screen::Identity => {
                    if self.flow == Flow::Results {
                        self.home();
                    } else {
                        self.view.screen = Screen::Item;
                    }
                }
                Screen::Scan => {
                    self.view.screen = Screen::Item;
                }
                Screen::Choices if self.flow == Flow::Appointment => {
                    self.view.choices.clear();
                    self.card = None;
                    self.view.holder.clear();
                    self.view.screen = Screen::Appointment;
                }
                Screen::Confirm => {
                    self.card = None;
                    self.view.holder.clear();
                    self.view.screen = Screen::Item;
                }
                Screen::Message => {
                    if self.flow == Flow::Appointment && self.view.ticket.number.is_empty() {
                        // Try again: another card or a typed code.
                        self.request = None;
                        self.card = None;
                        self.view.holder.clear();
                        self.view.code.clear();
                        self.view.screen = Screen::Appointment;
                    } else if self.item.is_some() && self.request.is_none() && self.view.ticket.number.is_empty() {
                        // Another card; or, where no card can be read, the item again.
                        self.view.screen = if self.reader_down() { Screen::Item } else { Screen::Identity };
                    } else {
                        self.home();
                    }
                }
                _ => self.home(),
            },
            UiAction::Tile(id) => return self.on_tile(&id),
            UiAction::Item(id) => {
                if let Some(dept) = id.strip_prefix("dept:") {
                    let title = dept.to_string();
                    let rows = self.rows(self.catalog.items.iter().filter(|i| i.department == dept));
                    self.list_origin = Screen::Items;
                    self.list(title, rows);
                } else {
                    if self.view.screen == Screen::Search {
                        self.list_origin = Screen::Search;
                    }
                    self.show_item(&id);
                }
            }
            UiAction::SearchKey(c) => {
                if self.view.screen == Screen::Search && self.view.search.len() < 12 {
                    self.view.search.push(c.to_ascii_uppercase());
                    self.search_results();
                }
            }
            UiAction::SearchBackspace => {
                self.view.search.pop();
                self.search_results();
            }
            UiAction::SkipIdentity => {
                if self.view.screen == Screen::Identity
                    && self.flow != Flow::Results
                    && self.item.as_ref().is_some_and(|i| i.identity != "required")
                {
                    if self.flow == Flow::Scan {
                        self.start_scan();
                    } else {
                        self.view.screen = Screen::Confirm;
                    }
                }
            }
            UiAction::Confirm => {
                if self.view.screen == Screen::Confirm {
                    if let Some(f) = self.fault.clone() {
                        self.out_of_service(f);
                        return vec![];
                    }
                    let id = self.next_request_id();
                    self.request = Some((id, 1));
                    self.view.screen = Screen::Printing;
                    return self.issue_effect().into_iter().collect();
                }
            }
        }
        vec![]
    }

    fn on_tile(&mut self, id: &str) -> Vec<Effect> {
        self.list_origin = Screen::Home;
        match id {
            "personal" | "business" => {
                let title = if id == "personal" { self.t("个人事项", "Personal") } else { self.t("企业事项", "Business") };
                let rows = self.rows(self.catalog.items.iter().filter(|i| i.category == id));
                self.list(title, rows);
            }
            "hot" => {
                let title = self.t("热门事项", "Popular");
                let rows = self.rows(self.catalog.items.iter().filter(|i| i.hot));
                self.list(title, rows);
            }
            "departments" => {
                let mut depts: Vec<(String, String)> = Vec::new();
                for i in &self.catalog.items {
                    if !depts.iter().any(|(d, _)| *d == i.department) {
                        depts.push((i.department.clone(), i.department_en.clone()));
                    }
                }
                let en = self.en();
                let rows = depts
                    .into_iter()
                    .map(|(d, e)| {
                        let n = self.catalog.items.iter().filter(|i| i.department == d).count();
                        ItemRow {
                            id: format!("dept:{d}"),
                            name: if en { e } else { d.clone() },
                            department: String::new(),
                            mode: self.t(&format!("{n} 个事项"), &format!("{n} items")),
                            waiting: 0,
                            estimate_minutes: 0,
                        }
                    })
                    .collect();
                let title = self.t("按部门", "By department");
                self.list(title, rows);
            }
            "search" => {
                self.view.search.clear();
                self.view.items.clear();
                self.view.screen = Screen::Search;
            }
            "appointment" => {
                if let Some(f) = self.fault.clone() {
                    self.out_of_service(f);
                    return vec![];
                }
                self.flow = Flow::Appointment;
                self.view.code.clear();
                self.view.progress.clear();
                self.view.screen = Screen::Appointment;
            }
            "results" => {
                if let Some(f) = self.a4_fault.clone() {
                    let t = self.t("自助打印暂停", "Printing is paused");
                    self.message(t, f);
                    return vec![];
                }
                if self.reader_down() {
                    self.results_need_card();
                    return vec![];
                }
                self.flow = Flow::Results;
                self.view.screen = Screen::Identity;
            }
            "scan" => {
                if let Some(f) = self.scanner_fault.clone() {
                    let (t, b) = (
                        self.t("材料预审暂停", "Scanning is paused"),
                        self.t(
                            &format!("{f}。您可以直接取号，到窗口提交纸质材料。"),
                            "The scanner is not working. You can take a number and bring your papers to the window.",
                        ),
                    );
                    self.message(t, b);
                    return vec![];
                }
                self.flow = Flow::Scan;
                let title = self.t("选择要预审材料的事项", "Choose the item to scan papers for");
                let rows = self.rows(self.catalog.items.iter().filter(|i| !i.materials.is_empty()));
                self.list(title, rows);
            }
            "take-number" => {
                if let Some(f) = self.fault.clone() {
                    self.out_of_service(f);
                    return vec![];
                }
                self.card_step();
            }
            other => {
                if let Some(f) = other.strip_prefix("floor:").and_then(|f| f.parse::<i32>().ok()) {
                    let title = self.t(&format!("{f}楼事项"), &format!("Floor {f}"));
                    let rows = self.rows(self.catalog.items.iter().filter(|i| i.windows.iter().any(|(_, fl)| *fl == f)));
                    self.list(title, rows);
                }
            }
        }
        vec![]
    }
}
