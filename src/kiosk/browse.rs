//! Browse and take a number: the home tiles, the lists (category, popular, department,
//! floor, pinyin search), an item, the card step, confirming, and the ticket issued and
//! printed. The other errands reuse the card step and the issuing.

use hallq_proto::{Category, IdentityRule};
use hallq_ui::view::{ItemDetail, ItemRow, KioskView, RowTarget, Screen, Thumb, TicketShown, Tile, TileId};
use pinyin::ToPinyin;

use super::controller::Controller;

use super::model::{Card, CatalogItem, Effect, Issued};
use super::session::{ErrandState, List};
use super::text::{tr, Said};

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

/// The pinyin syllables of a name without tones, such as 户口迁入登记 → hu kou qian ru
/// deng ji (the same readings as [`initials`] for the characters it fixes).
pub fn syllables(name: &str) -> Vec<String> {
    const OVERRIDES: &[(char, &str)] = &[('行', "xing"), ('长', "chang"), ('重', "chong"), ('乐', "le")];
    name.chars()
        .filter_map(|c| {
            if let Some((_, s)) = OVERRIDES.iter().find(|(k, _)| *k == c) {
                return Some(s.to_string());
            }
            c.to_pinyin().map(|p| p.plain().to_string())
        })
        .collect()
}

/// Whether `query` (lower-case letters) is the whole pinyin of the name from one of its
/// syllables on, as a visitor types it: "hukou", "qianru", "hukouq" find 户口迁入登记; "ukou"
/// (not from a syllable's start) does not.
fn spelled(name: &str, query: &str) -> bool {
    let s = syllables(name);
    (0..s.len()).any(|from| {
        let mut rest = query;
        for syllable in &s[from..] {
            if rest.len() <= syllable.len() {
                return syllable.starts_with(rest);
            }
            match rest.strip_prefix(syllable.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        false
    })
}

/// Whether an item answers a search, and how well (0 best): Chinese characters are looked
/// for in the name and the department (0); letters are pinyin initials of the name or its
/// whole pinyin typed from a syllable's start (0), or part of the English name or
/// department, in any case (1).
pub(super) fn search_rank(i: &CatalogItem, query: &str) -> Option<u8> {
    let q = query.trim();
    if q.is_empty() {
        return None;
    }
    if !q.is_ascii() {
        return (i.name.contains(q) || i.department.contains(q)).then_some(0);
    }
    if initials(&i.name).contains(&q.to_ascii_uppercase()) {
        return Some(0);
    }
    if q.len() >= 2 && q.chars().all(|c| c.is_ascii_alphabetic()) && spelled(&i.name, &q.to_ascii_lowercase()) {
        return Some(0);
    }
    let lower = q.to_ascii_lowercase();
    (q.len() >= 3 && (i.name_en.to_lowercase().contains(&lower) || i.department_en.to_lowercase().contains(&lower))).then_some(1)
}

/// "1楼 4、5号窗口；2楼 26号窗口" (as printed on the ticket), or its English form.
pub(super) fn windows_text(windows: &[(u32, i32)], english: bool) -> String {
    if !english {
        return hallq_drivers::printer::ticket::windows_text(windows);
    }
    hallq_drivers::printer::ticket::windows_by_floor(windows)
        .iter()
        .map(|(f, nums)| format!("floor {f}, windows {}", nums.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A QR code of `text` as a picture (6 pixels a module, a 4-module margin); empty when
/// there is nothing to encode or it does not fit.
pub(super) fn qr_thumb(text: &str) -> Thumb {
    const SCALE: usize = 6;
    const MARGIN: usize = 4;
    let Some(code) = (!text.is_empty()).then(|| qrcode::QrCode::new(text.as_bytes()).ok()).flatten() else { return Thumb::default() };
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * MARGIN) * SCALE;
    let mut rgb = vec![255u8; side * side * 3];
    for (i, c) in colors.iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + MARGIN, i / modules + MARGIN);
        for y in my * SCALE..(my + 1) * SCALE {
            for x in mx * SCALE..(mx + 1) * SCALE {
                let p = (y * side + x) * 3;
                rgb[p..p + 3].fill(0);
            }
        }
    }
    Thumb { width: side as u32, height: side as u32, rgb }
}

/// "请在1楼等候区等候，留意叫号" (or "Please wait in … and listen for your number"), from
/// the ticket's waiting area; without one, only to listen for the number.
pub(super) fn wait_here(t: &Issued, english: bool) -> String {
    let area = if english && !t.waiting_area_en.is_empty() { &t.waiting_area_en } else { &t.waiting_area };
    if area.is_empty() {
        tr!(english, "请留意叫号")
    } else {
        tr!(english, "请在{}等候，留意叫号", area)
    }
}

/// What to say aloud for the screen now up (elderly mode).
pub(super) fn prompt(v: &KioskView) -> String {
    let en = v.english;
    match v.screen {
        Screen::Home => tr!(en, "您好，请点击您要办理的事项"),
        Screen::Items | Screen::Search => tr!(en, "请选择事项"),
        Screen::Item => tr!(en, "{}。请看所需材料，然后点击取号", v.detail.name),
        Screen::Identity => tr!(en, "请将身份证放在下方读卡区"),
        Screen::Confirm => tr!(en, "请核对后点击确认取号"),
        Screen::Printing => tr!(en, "正在打印号票，请稍候"),
        Screen::Ticket => {
            let n: String = v.ticket.number.chars().flat_map(|c| [c, ' ']).collect();
            tr!(en, "取号成功。您的号码是 {0}。{1}", n, v.ticket.wait)
        }
        Screen::Message => format!("{}。{}", v.message_title, v.message_body),
        Screen::OutOfService => tr!(en, "本机暂停服务。{}", v.out_of_service),
        Screen::Appointment => tr!(en, "请刷身份证，或输入预约码"),
        Screen::Choices => v.title.clone(),
        Screen::Documents => v.progress.clone(),
        Screen::Scan => tr!(en, "请将材料放在扫描区，然后点击扫描"),
        Screen::ManagerPin | Screen::Manager => String::new(),
    }
}

impl Controller {
    pub(super) fn item_name(&self, i: &CatalogItem) -> String {
        if self.en() && !i.name_en.is_empty() {
            i.name_en.clone()
        } else {
            i.name.clone()
        }
    }

    /// The item's handling mode in the visitor's language.
    pub(super) fn item_mode(&self, i: &CatalogItem) -> String {
        if self.en() && !i.mode_en.is_empty() {
            i.mode_en.clone()
        } else {
            i.mode.clone()
        }
    }

    /// The line under the header on the home screen.
    pub(super) fn welcome(&self) -> String {
        if self.offline {
            return tr!(self.en(), "网络中断：本机离线取号，号票照常有效");
        }
        let k = &self.catalog.kiosk;
        if self.en() {
            k.welcome_en.clone()
        } else {
            k.welcome.clone()
        }
    }

    /// 长者模式's home screen: a few large choices (take a number with the card, check in,
    /// print results, find someone to help) instead of the hall's tiles.
    fn elderly_tiles(&self) -> Vec<Tile> {
        let en = self.en();
        let mut tiles = vec![Tile { id: TileId::Hot, label: tr!(en, "刷身份证取号"), sub: tr!(en, "选择事项，刷卡取号") }];
        if !self.offline {
            tiles.push(Tile { id: TileId::Appointment, label: tr!(en, "预约签到"), sub: tr!(en, "刷身份证或输入预约码") });
            if self.settings.has_a4 && self.settings.has_reader && self.devices.a4.is_none() && self.devices.reader.is_none() {
                tiles.push(Tile { id: TileId::Results, label: tr!(en, "打印结果"), sub: tr!(en, "刷身份证打印办理结果") });
            }
        }
        tiles.push(Tile { id: TileId::Departments, label: tr!(en, "更多事项"), sub: tr!(en, "按部门查找") });
        tiles.push(Tile { id: TileId::Help, label: tr!(en, "找人帮忙"), sub: tr!(en, "工作人员会来到这里") });
        tiles
    }

    /// The home screen's tiles, as the hall configured them, with what is paused.
    pub(super) fn tiles(&self) -> Vec<Tile> {
        if self.elderly {
            return self.elderly_tiles();
        }
        let en = self.en();
        let mut tiles = Vec::new();
        for name in &self.catalog.kiosk.tiles {
            if name == "floors" {
                let mut floors: Vec<i32> = self.catalog.items.iter().flat_map(|i| i.windows.iter().map(|(_, f)| *f)).collect();
                floors.sort();
                floors.dedup();
                tiles.extend(floors.into_iter().map(|f| Tile {
                    id: TileId::Floor(f),
                    label: tr!(en, "{}楼事项", f),
                    sub: tr!(en, "按办理楼层查找"),
                }));
                continue;
            }
            let Some(id) = TileId::from_setting(name) else { continue };
            let (label, sub) = match id {
                TileId::Personal => (tr!(en, "个人事项"), tr!(en, "户籍、社保、公积金、不动产…")),
                TileId::Business => (tr!(en, "企业事项"), tr!(en, "企业开办、税务、报建…")),
                TileId::Hot => (tr!(en, "热门事项"), tr!(en, "大家常办的事")),
                TileId::Departments => (tr!(en, "按部门"), tr!(en, "公安、人社、医保…")),
                TileId::Search => (tr!(en, "拼音搜索"), tr!(en, "拼音、首字母、汉字或英文")),
                // Offline, only taking a number works: check-in, results and scanning need
                // the hall.
                TileId::Appointment | TileId::Results | TileId::Scan if self.offline => continue,
                TileId::Appointment if self.reader_down() => (tr!(en, "预约签到"), tr!(en, "输入预约码")),
                TileId::Appointment => (tr!(en, "预约签到"), tr!(en, "刷身份证或输入预约码")),
                // Results are found by the visitor's card and printed on the A4 printer.
                TileId::Results if self.settings.has_a4 && self.settings.has_reader => {
                    let sub = if self.devices.a4.is_some() || self.devices.reader.is_some() {
                        tr!(en, "暂停服务，请到服务台领取")
                    } else {
                        tr!(en, "刷身份证打印办理结果")
                    };
                    (tr!(en, "自助打印"), sub)
                }
                TileId::Scan if self.settings.has_scanner => {
                    let sub = if self.devices.scanner.is_some() {
                        tr!(en, "暂停服务，请到窗口提交纸质材料")
                    } else {
                        tr!(en, "扫描材料，窗口提前审核")
                    };
                    (tr!(en, "材料预审"), sub)
                }
                _ => continue,
            };
            tiles.push(Tile { id, label, sub });
        }
        tiles
    }

    pub(super) fn on_tile(&mut self, tile: TileId) -> Vec<Effect> {
        match tile {
            TileId::Personal => self.list(List::Category(Category::Personal)),
            TileId::Business => self.list(List::Category(Category::Business)),
            TileId::Hot => self.list(List::Hot),
            TileId::Departments => self.list(List::Departments),
            TileId::Floor(f) => self.list(List::Floor(f)),
            TileId::Search => {
                self.session.search.clear();
                self.session.list = Some(List::Search);
                self.show(Screen::Search);
            }
            TileId::Appointment => self.start_appointment(),
            TileId::Results => self.start_results(),
            TileId::Scan => self.start_scan_errand(),
            TileId::Help => return self.call_staff(),
        }
        vec![]
    }

    pub(super) fn list(&mut self, list: List) {
        self.session.list = Some(list);
        self.show(Screen::Items);
    }

    pub(super) fn list_department(&mut self, name: String) -> Vec<Effect> {
        self.list(List::Department(name));
        vec![]
    }

    /// A list's title and lines.
    pub(super) fn list_rows(&self, list: &List) -> (String, Vec<ItemRow>) {
        let en = self.en();
        let items = self.catalog.items.iter();
        match list {
            List::Category(c) => {
                let title = match c {
                    Category::Personal => tr!(en, "个人事项"),
                    Category::Business => tr!(en, "企业事项"),
                };
                (title, self.rows(items.filter(|i| i.category == *c)))
            }
            List::Hot => (tr!(en, "热门事项"), self.rows(items.filter(|i| i.hot))),
            List::Departments => (tr!(en, "按部门"), self.departments()),
            List::Department(d) => (d.clone(), self.rows(items.filter(|i| i.department == *d))),
            List::Floor(f) => (tr!(en, "{}楼事项", f), self.rows(items.filter(|i| i.windows.iter().any(|(_, fl)| fl == f)))),
            List::ScanItems => (tr!(en, "选择要预审材料的事项"), self.rows(items.filter(|i| !i.materials.is_empty()))),
            List::Search => {
                let q = &self.session.search;
                let hits = if q.is_empty() {
                    Vec::new()
                } else {
                    // Pinyin (initials or spelled out) first, then English words; each item
                    // ranked once (its pinyin is worked out per keystroke).
                    let mut ranked: Vec<(u8, &CatalogItem)> =
                        self.catalog.items.iter().filter_map(|i| search_rank(i, q).map(|r| (r, i))).collect();
                    ranked.sort_by_key(|(r, _)| *r);
                    self.rows(ranked.into_iter().map(|(_, i)| i).take(8))
                };
                (String::new(), hits)
            }
        }
    }

    fn rows<'a>(&self, items: impl Iterator<Item = &'a CatalogItem>) -> Vec<ItemRow> {
        items
            .map(|i| ItemRow {
                target: RowTarget::Item(i.id.clone()),
                name: self.item_name(i),
                department: if self.en() { i.department_en.clone() } else { i.department.clone() },
                mode: self.item_mode(i),
                waiting: i.waiting,
                estimate_minutes: i.estimate_minutes,
            })
            .collect()
    }

    /// One line per department, in the catalogue's order, with its number of items.
    fn departments(&self) -> Vec<ItemRow> {
        let mut depts: Vec<(&str, &str)> = Vec::new();
        for i in &self.catalog.items {
            if !depts.iter().any(|(d, _)| *d == i.department) {
                depts.push((&i.department, &i.department_en));
            }
        }
        depts
            .into_iter()
            .map(|(d, e)| {
                let n = self.catalog.items.iter().filter(|i| i.department == d).count();
                ItemRow {
                    target: RowTarget::Department(d.to_string()),
                    name: if self.en() { e.to_string() } else { d.to_string() },
                    department: String::new(),
                    mode: tr!(self.en(), "{} 个事项", n),
                    waiting: 0,
                    estimate_minutes: 0,
                }
            })
            .collect()
    }

    pub(super) fn detail(&self, i: &CatalogItem) -> ItemDetail {
        let en = self.en();
        ItemDetail {
            name: self.item_name(i),
            department: if en { i.department_en.clone() } else { i.department.clone() },
            mode: self.item_mode(i),
            materials: if en && i.materials_en.len() == i.materials.len() { i.materials_en.clone() } else { i.materials.clone() },
            windows: windows_text(&i.windows, en),
            waiting: i.waiting,
            estimate_minutes: i.estimate_minutes,
            time_limit: match (i.time_limit_days, i.promised_days) {
                (0, _) => tr!(en, "即时办结"),
                (l, p) => tr!(en, "法定 {} 个工作日，承诺 {} 个工作日", l, p),
            },
            card_required: i.identity == IdentityRule::Required,
        }
    }

    pub(super) fn choose_item(&mut self, id: &str) -> Vec<Effect> {
        if let Some(i) = self.catalog.items.iter().find(|i| i.id == id).cloned() {
            self.session.item = Some(i);
            self.show(Screen::Item);
        }
        vec![]
    }

    pub(super) fn search_key(&mut self, key: Option<char>) -> Vec<Effect> {
        match key {
            // Pinyin initials, English words or Chinese characters (from a hardware keyboard
            // or a handwriting pad).
            Some(c) if self.screen() == Screen::Search && self.session.search.chars().count() < 24 => {
                self.session.search.push(c.to_ascii_uppercase())
            }
            Some(_) => {}
            None => {
                self.session.search.pop();
            }
        }
        vec![]
    }

    pub(super) fn take_number(&mut self) -> Vec<Effect> {
        if !self.stopped() {
            self.card_step();
        }
        vec![]
    }

    /// The card step of the item chosen, or what stands for it when no card can be read:
    /// items where the card is optional go on without it, items that require it send the
    /// visitor to the service desk.
    pub(super) fn card_step(&mut self) {
        let Some(identity) = self.session.item.as_ref().map(|i| i.identity) else {
            self.home();
            return;
        };
        match (identity, self.reader_down()) {
            (IdentityRule::None, _) | (IdentityRule::Optional, true) => self.after_card(),
            (_, true) => self.send_to_desk(),
            (_, false) => self.show(Screen::Identity),
        }
    }

    /// The card read or skipped: confirm, or scan the papers.
    fn after_card(&mut self) {
        if matches!(self.session.errand, ErrandState::Scan(_)) {
            self.start_scan();
        } else {
            self.show(Screen::Confirm);
        }
    }

    /// The item needs the ID card and none can be read here.
    fn send_to_desk(&mut self) {
        let name = self.session.item.as_ref().map(|i| self.item_name(i)).unwrap_or_default();
        let why = self.reader_down_text();
        let title = tr!(self.en(), "请到服务台办理");
        let body = tr!(self.en(), "{0}。办理「{1}」需要核验身份证，请到服务台取号。", why, name);
        self.message(title, body);
    }

    pub(super) fn skip_identity(&mut self) -> Vec<Effect> {
        if self.screen() == Screen::Identity
            && !matches!(self.session.errand, ErrandState::Results(_))
            && self.session.item.as_ref().is_some_and(|i| i.identity != IdentityRule::Required)
        {
            self.after_card();
        }
        vec![]
    }

    pub(super) fn confirm(&mut self) -> Vec<Effect> {
        if self.screen() != Screen::Confirm || self.stopped() {
            return vec![];
        }
        self.issue()
    }

    pub(super) fn on_card(&mut self, card: Card) -> Vec<Effect> {
        let wanted = self.screen() == Screen::Identity || (self.screen() == Screen::Appointment && self.session.card.is_none());
        if !wanted {
            return vec![];
        }
        if !card.expired_on.is_empty() {
            return self.on_expired_card(card);
        }
        self.session.card = Some(card);
        match self.session.errand {
            ErrandState::Ticket => {
                self.show(Screen::Confirm);
                vec![]
            }
            ErrandState::Scan(_) => {
                self.start_scan();
                vec![]
            }
            ErrandState::Appointment(_) => self.find_appointments(),
            ErrandState::Results(_) => self.find_results(),
        }
    }

    pub(super) fn on_issued(&mut self, t: Issued) -> Vec<Effect> {
        if self.screen() != Screen::Printing {
            return vec![];
        }
        self.session.ticket = Some(TicketShown {
            number: t.number.clone(),
            service: t.service.clone(),
            holder: t.holder.clone(),
            windows: windows_text(&t.windows, self.en()),
            wait: wait_here(&t, self.en()),
            ahead: t.ahead,
            estimate_minutes: t.estimate_minutes,
            status_url: t.status_url.clone(),
            print_problem: String::new(),
            qr: Thumb::default(),
            offline: t.offline,
        });
        if self.session.has_scans() {
            let title = self.session.item.as_ref().map(|i| format!("{} 预审材料", i.name)).unwrap_or_else(|| "预审材料".into());
            return vec![Effect::Attach { ticket: t.id.clone(), title }, Effect::Print(t)];
        }
        vec![Effect::Print(t)]
    }

    pub(super) fn on_ticket_printed(&mut self, result: Result<(), (Said, bool)>) {
        match result {
            Ok(()) => {
                if self.screen() == Screen::Printing {
                    self.show(Screen::Ticket);
                }
            }
            Err((msg, _during)) => {
                // The ticket exists whatever the printer did: show the number on screen.
                let en = self.en();
                if let Some(t) = self.session.ticket.as_mut() {
                    t.print_problem = tr!(en, "{0}。号票未能完整打印，请记下您的号码 {1}，叫号时同样有效。", msg.text(en), t.number);
                    // The QR the ticket would have carried, to keep on the visitor's phone.
                    t.qr = qr_thumb(&t.status_url);
                }
                self.show(Screen::Ticket);
                self.fault = Some(msg);
            }
        }
    }
}
