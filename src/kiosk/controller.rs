//! The kiosk's behaviour, without IO: inputs (taps, cards, answers from the hall service
//! and the printer, device health, the clock) go in; the effects to carry out come out in
//! the order they are to be carried out, and the view to draw is derived from the
//! visitor's [`Session`] and the kiosk's own state. The runtime does the IO.
//!
//! Each errand has its module: [`super::browse`] (browse and take a number),
//! [`super::appointment`] (check-in), [`super::results`] (print results),
//! [`super::scanning`] (scan papers) and [`super::manager`] (the manager menu).

use hallq_ui::view::{DeviceKind, Errand, KioskView, Screen, UiAction};

pub use super::browse::initials;
use super::manager::ManagerMenu;
pub use super::model::*;
use super::session::{ErrandState, Help, List, Request, Session};
use super::text::{said, tr};

pub struct Controller {
    pub(super) settings: Settings,
    pub(super) catalog: Catalog,
    /// The visitor now at the kiosk.
    pub(super) session: Session,
    pub(super) devices: OptionalDevices,
    pub(super) manager: ManagerMenu,
    pub(super) english: bool,
    pub(super) elderly: bool,
    pub(super) clock: String,
    /// Seconds without a touch, and (when counting down) left before going home.
    pub(super) idle: u32,
    idle_left: u32,
    seed: u64,
    serial: u64,
    /// Why the kiosk cannot issue (ticket printer, hall service); None when it can.
    pub(super) fault: Option<Said>,
    /// The line of the out-of-service screen.
    out_of_service: Said,
    /// Issuing from the kiosk's number leases: the hall is unreachable.
    pub(super) offline: bool,
    /// The screen last spoken in elderly mode.
    spoken: Option<(Screen, String)>,
    /// The visitor who left had scanned pages: the runtime is to forget them.
    forget_scans: bool,
    /// Drawn from the state above after every input.
    view: KioskView,
}

/// Faults of the devices only some errands need (None: working).
#[derive(Debug, Default)]
pub(super) struct OptionalDevices {
    pub a4: Option<Said>,
    pub scanner: Option<Said>,
    pub reader: Option<Said>,
}

/// A device's name on the self-test screen.
pub fn device_label(device: DeviceKind, english: bool) -> String {
    match device {
        DeviceKind::TicketPrinter => tr!(english, "号票打印机"),
        DeviceKind::IdcardReader => tr!(english, "身份证读卡器"),
        DeviceKind::A4Printer => tr!(english, "A4 打印机"),
        DeviceKind::Scanner => tr!(english, "扫描仪"),
        DeviceKind::HallService => tr!(english, "叫号系统连接"),
    }
}

impl Controller {
    pub fn new(settings: Settings, seed: u64) -> Controller {
        let mut c = Controller {
            settings,
            catalog: Catalog::default(),
            session: Session::default(),
            devices: OptionalDevices::default(),
            manager: ManagerMenu::default(),
            english: false,
            elderly: false,
            clock: String::new(),
            idle: 0,
            idle_left: 0,
            seed,
            serial: 0,
            fault: None,
            out_of_service: Said::Hall { zh: String::new(), en: None },
            offline: false,
            spoken: None,
            forget_scans: false,
            view: KioskView::default(),
        };
        c.home();
        c.view = c.render();
        c
    }

    pub fn view(&self) -> &KioskView {
        &self.view
    }

    pub(super) fn en(&self) -> bool {
        self.english
    }

    pub(super) fn screen(&self) -> Screen {
        self.session.screen
    }

    pub(super) fn show(&mut self, screen: Screen) {
        self.session.screen = screen;
    }

    /// The visitor leaves: a new session on the home screen (or the out-of-service screen).
    pub(super) fn home(&mut self) {
        if self.session.has_scans() {
            self.forget_scans = true;
        }
        self.session = Session::default();
        if let Some(f) = self.fault.clone() {
            self.out_of_service(f);
        }
    }

    pub(super) fn out_of_service(&mut self, why: Said) {
        self.show(Screen::OutOfService);
        self.out_of_service = why;
    }

    /// Out of service (printer, hall) when about to issue: true when it showed.
    pub(super) fn stopped(&mut self) -> bool {
        match self.fault.clone() {
            Some(f) => {
                self.out_of_service(f);
                true
            }
            None => false,
        }
    }

    pub(super) fn message(&mut self, title: String, body: String) {
        self.session.next = None;
        self.session.message = (title, body);
        self.show(Screen::Message);
    }

    /// 帮办: the hall is asked to send staff to this kiosk (once per visitor: pressing again
    /// adds nothing, unless the hall could not be told).
    pub(super) fn call_staff(&mut self) -> Vec<Effect> {
        if matches!(self.screen(), Screen::Manager | Screen::ManagerPin) || matches!(self.session.help, Some(Help::Calling | Help::Called))
        {
            return vec![];
        }
        self.session.help = Some(Help::Calling);
        vec![Effect::CallForHelp]
    }

    /// The footer's line after 帮办.
    fn help_line(&self) -> String {
        let en = self.en();
        match self.session.help {
            None => String::new(),
            Some(Help::Calling) => tr!(en, "正在通知工作人员…"),
            Some(Help::Called) => tr!(en, "已通知工作人员，请在此稍候"),
            Some(Help::Unreachable) => tr!(en, "请到{}寻求帮助", self.desk_text()),
        }
    }

    /// Where the hall's (first) service desk is: "1楼导引台", "Guidance desk, floor 1".
    pub(super) fn desk_place(&self) -> Option<String> {
        let d = self.catalog.desks.first()?;
        Some(match (self.en() && !d.name_en.is_empty(), &d) {
            (true, d) if d.name_en.to_lowercase().contains("floor") => d.name_en.clone(),
            (true, d) => format!("{}, floor {}", d.name_en, d.floor),
            (false, d) if d.name.contains('楼') => d.name.clone(),
            (false, d) => format!("{}楼{}", d.floor, d.name),
        })
    }

    /// No ID card can be read now: the kiosk has no reader, or its reader is faulty.
    pub(super) fn reader_down(&self) -> bool {
        !self.settings.has_reader || self.devices.reader.is_some()
    }

    pub(super) fn reader_down_text(&self) -> String {
        if self.settings.has_reader {
            tr!(self.en(), "本机身份证读卡器暂不可用")
        } else {
            tr!(self.en(), "本机没有身份证读卡器")
        }
    }

    /// The identity of the card read, for the hall service.
    pub(super) fn identity(&self) -> Option<(String, String)> {
        self.session.card.as_ref().map(|c| (c.id_number.clone(), c.name.clone()))
    }

    /// Starts issuing (a ticket or a check-in) with a new request_id.
    pub(super) fn issue(&mut self) -> Vec<Effect> {
        self.serial += 1;
        let id = format!("{}-{:x}-{}", self.settings.kiosk_id, self.seed, self.serial);
        self.session.request = Some(Request { id, tries: 1 });
        self.show(Screen::Printing);
        self.issue_effect().into_iter().collect()
    }

    /// The request under way, for the hall (again, on a retry: the same request_id).
    fn issue_effect(&self) -> Option<Effect> {
        let request_id = self.session.request.as_ref()?.id.clone();
        if let ErrandState::Appointment(a) = &self.session.errand {
            return Some(Effect::CheckIn { request_id, code: a.checking.clone()?, identity: self.identity() });
        }
        let item = self.session.item.as_ref()?;
        Some(Effect::Issue { request_id, service: item.id.clone(), identity: self.identity() })
    }

    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = self.handle_input(input);
        if std::mem::take(&mut self.forget_scans) {
            effects.push(Effect::ForgetScans);
        }
        self.view = self.render();
        if self.elderly {
            let prompt = super::browse::prompt(&self.view);
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
                self.idle_left = 0;
                return self.on_ui(action);
            }
            Input::Catalog(c) => {
                self.settings.idle_secs = c.kiosk.idle_secs.max(10);
                self.settings.idle_secs_elderly = c.kiosk.idle_secs_elderly.max(self.settings.idle_secs);
                self.catalog = c;
            }
            Input::Figures(figures) => {
                for item in &mut self.catalog.items {
                    if let Some((_, waiting, estimate)) = figures.iter().find(|(q, _, _)| *q == item.queue) {
                        item.waiting = *waiting;
                        item.estimate_minutes = *estimate;
                    }
                }
                // The item on screen shows its waits too.
                if let Some(shown) = self.session.item.as_mut() {
                    if let Some(i) = self.catalog.items.iter().find(|i| i.id == shown.id) {
                        shown.waiting = i.waiting;
                        shown.estimate_minutes = i.estimate_minutes;
                    }
                }
            }
            Input::Appointments(found) => self.on_appointments(found),
            Input::Results(found) => self.on_results(found),
            Input::DocProgress(line, percent) => {
                // Printing results, or scanning pages (busy until the pages come back).
                self.on_print_progress(&line, percent);
                self.on_scan_progress(line, percent);
            }
            Input::DocsPrinted(result) => self.on_printed_results(result),
            Input::Scanned(result) => self.on_scanned(result),
            Input::AttachFailed => self.on_attach_failed(),
            Input::HelpCalled(reached) => {
                if self.session.help == Some(Help::Calling) {
                    self.session.help = Some(if reached { Help::Called } else { Help::Unreachable });
                }
            }
            Input::OptionalDevice(device, fault) => self.on_optional_device(device, fault),
            Input::SelfTested(device, ok, text) => self.manager.tested(device, ok, text),
            Input::Tick(clock) => self.on_tick(clock),
            Input::Offline(offline) => self.offline = offline,
            Input::Health(fault) => {
                self.fault = fault.clone();
                match (fault, self.screen()) {
                    // A visitor mid-ticket (or mid-way through printing results) finishes on
                    // their own screen; the fault shows after.
                    (_, Screen::Printing | Screen::Ticket | Screen::Documents) => {}
                    (Some(f), _) => self.out_of_service(f),
                    (None, Screen::OutOfService) => self.home(),
                    (None, _) => {}
                }
            }
            Input::Card(card) if !card.expired_on.is_empty() => return self.on_expired_card(card),
            Input::Card(card) => return self.on_card(card),
            Input::CardUnreadable(msg) => {
                if matches!(self.screen(), Screen::Identity | Screen::Appointment) {
                    let t = tr!(self.en(), "读卡失败");
                    self.message(t, msg.text(self.en()));
                }
            }
            Input::Issued(Ok(t)) => return self.on_issued(t),
            Input::Issued(Err(IssueFailure::Refused(msg))) => {
                self.session.request = None;
                let t = tr!(self.en(), "无法取号");
                self.message(t, msg.text(self.en()));
                self.offer_a_normal_number();
            }
            Input::Issued(Err(IssueFailure::LunchBreak { said, until })) => self.on_lunch_break(said, until),
            Input::Issued(Err(IssueFailure::Unreachable(why))) => return self.on_unreachable(why),
            Input::Printed(result) => {
                let printing = self.screen() == Screen::Printing;
                self.on_ticket_printed(result);
                if printing && self.screen() == Screen::Ticket {
                    self.idle = 0;
                }
            }
        }
        vec![]
    }

    /// The hall did not answer: the same request again, or out of service after the tries.
    fn on_unreachable(&mut self, why: String) -> Vec<Effect> {
        let Some(request) = self.session.request.as_mut() else { return vec![] };
        if request.tries < self.settings.issue_attempts {
            request.tries += 1;
            return self.issue_effect().into_iter().collect();
        }
        self.session.request = None;
        let msg = said!("无法连接叫号系统，请到服务台取号。");
        self.fault = Some(msg.clone());
        tracing::warn!("issuing failed after retries: {why}");
        self.out_of_service(msg);
        vec![]
    }

    fn on_optional_device(&mut self, device: DeviceKind, fault: Option<Said>) {
        let slot = match device {
            DeviceKind::A4Printer => &mut self.devices.a4,
            DeviceKind::Scanner => &mut self.devices.scanner,
            DeviceKind::IdcardReader => &mut self.devices.reader,
            other => {
                tracing::warn!("{} is not an optional device", other.name());
                return;
            }
        };
        // Watchers repeat what they see; only a change matters.
        if *slot == fault {
            return;
        }
        *slot = fault;
        // (The home screen's tiles say what is paused: they are drawn from the faults.)
        // A visitor waiting at the reader that just failed is told at once.
        if self.screen() == Screen::Identity && self.reader_down() {
            if matches!(self.session.errand, ErrandState::Results(_)) {
                self.results_need_card();
            } else {
                self.card_step();
            }
        }
    }

    /// Nobody can be waiting on the kiosk's own work: the idle countdown may run.
    fn idle_may_run(&self) -> bool {
        match self.screen() {
            Screen::Home | Screen::OutOfService | Screen::Printing => false,
            Screen::Documents => !self.printing_results(),
            Screen::Scan => !self.scanning(),
            _ => true,
        }
    }

    fn on_tick(&mut self, clock: String) {
        self.clock = clock;
        self.manager.tick();
        if !self.idle_may_run() {
            self.idle = 0;
            self.idle_left = 0;
            return;
        }
        self.idle += 1;
        let limit = if self.elderly { self.settings.idle_secs_elderly } else { self.settings.idle_secs };
        // The ticket screen goes home sooner: the visitor has what they came for.
        let limit = if self.screen() == Screen::Ticket { limit.min(30) } else { limit };
        self.idle_left = limit.saturating_sub(self.idle);
        if self.idle >= limit {
            self.idle = 0;
            self.idle_left = 0;
            self.home();
        }
    }

    fn on_ui(&mut self, action: UiAction) -> Vec<Effect> {
        if let Some(effects) = self.on_manager(&action) {
            return effects;
        }
        // 帮办 works on every visitor screen, out of service and while printing too.
        if action == UiAction::CallStaff {
            return self.call_staff();
        }
        if self.screen() == Screen::OutOfService {
            // Language and text size may change; nothing else works until the fault clears.
            match action {
                UiAction::SetEnglish(e) => self.english = e,
                UiAction::ToggleElderly => self.elderly = !self.elderly,
                _ => {}
            }
            return vec![];
        }
        if self.screen() == Screen::Printing || (self.screen() == Screen::Documents && self.printing_results()) {
            return vec![];
        }
        match action {
            // The manager's, outside the manager menu: nothing.
            UiAction::Corner
            | UiAction::PinKey(_)
            | UiAction::PinBackspace
            | UiAction::PinEnter
            | UiAction::SelfTest(_)
            | UiAction::Exit
            | UiAction::Touch
            | UiAction::CallStaff => vec![],
            UiAction::SetEnglish(e) => {
                self.english = e;
                vec![]
            }
            UiAction::ToggleElderly => {
                self.elderly = !self.elderly;
                vec![]
            }
            UiAction::Home => {
                self.home();
                vec![]
            }
            UiAction::Back => {
                self.back();
                vec![]
            }
            UiAction::Tile(tile) => self.on_tile(tile),
            UiAction::Item(id) => self.choose_item(&id),
            UiAction::Department(name) => self.list_department(name),
            UiAction::TakeNumber => self.take_number(),
            UiAction::SearchKey(c) => self.search_key(Some(c)),
            UiAction::SearchBackspace => self.search_key(None),
            UiAction::SkipIdentity => self.skip_identity(),
            UiAction::Confirm => self.confirm(),
            UiAction::CodeKey(c) => self.code_key(Some(c)),
            UiAction::CodeBackspace => self.code_key(None),
            UiAction::CodeEnter => self.code_enter(),
            UiAction::Choose(id) => match (&self.session.errand, self.screen()) {
                (ErrandState::Appointment(_), Screen::Choices) => self.choose_appointment(id),
                (ErrandState::Results(_), Screen::Choices) => self.choose_results(&id),
                _ => vec![],
            },
            UiAction::ScanFlatbed => self.scan(false),
            UiAction::ScanFeeder => self.scan(true),
            UiAction::SelectPage(i) => self.select_page(i),
            UiAction::DeletePage => self.delete_page(),
            UiAction::Submit => self.submit_scans(),
            UiAction::Next => self.next_step(),
        }
    }

    /// Back: where to is decided by the screen and the errand's state.
    fn back(&mut self) {
        let errand = self.session.errand.kind();
        match self.screen() {
            Screen::Items | Screen::Search => match self.session.list {
                Some(List::Department(_)) => self.list(List::Departments),
                _ => self.home(),
            },
            Screen::Item => match self.session.list {
                Some(List::Search) => self.show(Screen::Search),
                Some(_) => self.show(Screen::Items),
                None => self.home(),
            },
            Screen::Identity if errand == Errand::Results => self.home(),
            Screen::Identity | Screen::Scan => self.show(Screen::Item),
            Screen::Choices if errand == Errand::Appointment => self.appointment_again(),
            Screen::Confirm => {
                self.session.card = None;
                self.show(Screen::Item);
            }
            Screen::Message if self.session.ticket.is_none() && errand == Errand::Appointment => {
                // Try again: another card or a typed code.
                self.session.request = None;
                self.appointment_again();
            }
            Screen::Message if self.session.ticket.is_none() && self.session.item.is_some() && self.session.request.is_none() => {
                // Another card; or, where no card can be read, the item again.
                self.show(if self.reader_down() { Screen::Item } else { Screen::Identity });
            }
            _ => self.home(),
        }
    }

    /// The view, drawn from the session and the kiosk's state.
    fn render(&self) -> KioskView {
        let en = self.en();
        let s = &self.session;
        let mut v = KioskView {
            screen: s.screen,
            english: en,
            elderly: self.elderly,
            hall_name: if en && !self.catalog.hall_name_en.is_empty() {
                self.catalog.hall_name_en.clone()
            } else {
                self.catalog.hall_name.clone()
            },
            clock: self.clock.clone(),
            search: s.search.clone(),
            holder: s.card.as_ref().map(|c| c.masked.clone()).unwrap_or_default(),
            message_title: s.message.0.clone(),
            message_body: s.message.1.clone(),
            ticket: s.ticket.clone().unwrap_or_default(),
            out_of_service: self.out_of_service.text(en),
            next: self.next_label(),
            idle_left: self.idle_left,
            flow: s.errand.kind(),
            progress: s.status.clone(),
            help: self.help_line(),
            ..KioskView::default()
        };
        if s.screen == Screen::OutOfService {
            v.elsewhere = self.elsewhere_text();
        }
        if s.screen == Screen::Home {
            v.tiles = self.tiles();
            v.welcome = self.welcome();
        }
        if let Some(item) = &s.item {
            v.detail = self.detail(item);
        }
        if let Some(list) = &s.list {
            (v.title, v.items) = self.list_rows(list);
        }
        match &s.errand {
            ErrandState::Ticket => {}
            ErrandState::Appointment(a) => self.render_appointment(a, &mut v),
            ErrandState::Results(r) => self.render_results(r, &mut v),
            ErrandState::Scan(scan) => {
                v.pages = scan.pages.clone();
                v.selected_page = scan.selected;
                v.progress_percent = scan.busy.unwrap_or(0);
            }
        }
        self.render_manager(&mut v);
        v
    }
}
