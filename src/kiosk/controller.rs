//! The kiosk's behaviour, without IO: inputs (taps, cards, answers from the hall service
//! and the printer, device health, the clock) go in; the view to draw and the effects to
//! carry out (issue a ticket, print it) come out. The runtime does the IO.

use hallq_ui::view::{ItemDetail, ItemRow, KioskView, Screen, TicketShown, Tile, UiAction};
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

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    pub hall_name: String,
    pub hall_name_en: String,
    pub items: Vec<CatalogItem>,
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
    /// Faults of the devices and of the hall connection; None when all is well.
    Health(Option<String>),
    Catalog(Catalog),
    /// Once a second, with the hall-local time to show.
    Tick(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Issue { request_id: String, service: String, identity: Option<(String, String)> },
    Print(Issued),
}

pub struct Settings {
    pub kiosk_id: String,
    /// Seconds without a touch before going home.
    pub idle_secs: u32,
    pub idle_secs_elderly: u32,
    /// Tries of one issue request before giving up.
    pub issue_attempts: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { kiosk_id: "kiosk".into(), idle_secs: 60, idle_secs_elderly: 120, issue_attempts: 3 }
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
        if self.en() { en.to_string() } else { zh.to_string() }
    }

    fn item_name(&self, i: &CatalogItem) -> String {
        if self.en() && !i.name_en.is_empty() { i.name_en.clone() } else { i.name.clone() }
    }

    fn home(&mut self) {
        // Forget the visitor.
        self.item = None;
        self.card = None;
        self.request = None;
        self.view.search.clear();
        self.view.holder.clear();
        self.view.ticket = TicketShown::default();
        self.view.hall_name = if self.en() && !self.catalog.hall_name_en.is_empty() { self.catalog.hall_name_en.clone() } else { self.catalog.hall_name.clone() };
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
        let mut tiles = vec![
            Tile { id: "personal".into(), label: self.t("个人事项", "Personal"), sub: self.t("户籍、社保、公积金、不动产…", "ID, insurance, housing…") },
            Tile { id: "business".into(), label: self.t("企业事项", "Business"), sub: self.t("企业开办、税务、报建…", "Start-up, tax, permits…") },
            Tile { id: "hot".into(), label: self.t("热门事项", "Popular"), sub: self.t("大家常办的事", "What most people come for") },
            Tile { id: "departments".into(), label: self.t("按部门", "By department"), sub: self.t("公安、人社、医保…", "Police, social security…") },
            Tile { id: "search".into(), label: self.t("拼音搜索", "Search"), sub: self.t("输入拼音首字母", "Pinyin initials") },
        ];
        for f in floors {
            tiles.push(Tile { id: format!("floor:{f}"), label: self.t(&format!("{f}楼事项"), &format!("Floor {f}")), sub: self.t("按办理楼层查找", "Items served on this floor") });
        }
        self.view.tiles = tiles;
    }

    fn out_of_service(&mut self, why: String) {
        self.view.screen = Screen::OutOfService;
        self.view.out_of_service = why;
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

    fn issue_effect(&self) -> Option<Effect> {
        let (request_id, _) = self.request.clone()?;
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

    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Ui(action) => {
                self.idle = 0;
                self.view.idle_left = 0;
                self.on_ui(action)
            }
            Input::Catalog(c) => {
                self.catalog = c;
                if self.view.screen == Screen::Home {
                    self.home();
                }
                vec![]
            }
            Input::Tick(clock) => {
                self.view.clock = clock;
                let busy = matches!(self.view.screen, Screen::Home | Screen::OutOfService | Screen::Printing);
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
            Input::Health(fault) => {
                self.fault = fault.clone();
                match (fault, self.view.screen) {
                    // A visitor mid-ticket finishes on their own screen; the fault shows after.
                    (_, Screen::Printing | Screen::Ticket) => {}
                    (Some(f), _) => self.out_of_service(f),
                    (None, Screen::OutOfService) => self.home(),
                    (None, _) => {}
                }
                vec![]
            }
            Input::Card(card) => {
                if self.view.screen != Screen::Identity {
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
                self.view.screen = Screen::Confirm;
                vec![]
            }
            Input::CardUnreadable(msg) => {
                if self.view.screen == Screen::Identity {
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
                };
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

    fn on_ui(&mut self, action: UiAction) -> Vec<Effect> {
        if self.view.screen == Screen::OutOfService {
            // Language and text size may change; nothing else works until the fault clears.
            match action {
                UiAction::SetEnglish(e) => self.view.english = e,
                UiAction::ToggleElderly => self.view.elderly = !self.view.elderly,
                _ => {}
            }
            return vec![];
        }
        if self.view.screen == Screen::Printing {
            return vec![];
        }
        match action {
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
                Screen::Identity => self.view.screen = Screen::Item,
                Screen::Confirm => {
                    self.card = None;
                    self.view.holder.clear();
                    self.view.screen = Screen::Item;
                }
                Screen::Message => {
                    if self.item.is_some() && self.request.is_none() && self.view.ticket.number.is_empty() {
                        self.view.screen = Screen::Identity;
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
                if self.view.screen == Screen::Identity && self.item.as_ref().is_some_and(|i| i.identity != "required") {
                    self.view.screen = Screen::Confirm;
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
                        ItemRow { id: format!("dept:{d}"), name: if en { e } else { d.clone() }, department: String::new(), mode: self.t(&format!("{n} 个事项"), &format!("{n} items")), waiting: 0, estimate_minutes: 0 }
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
            "take-number" => {
                if let Some(f) = self.fault.clone() {
                    self.out_of_service(f);
                    return vec![];
                }
                match self.item.as_ref().map(|i| i.identity.as_str()) {
                    Some("none") => self.view.screen = Screen::Confirm,
                    Some(_) => self.view.screen = Screen::Identity,
                    None => self.home(),
                }
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
