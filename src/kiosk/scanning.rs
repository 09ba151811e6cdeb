//! Scan papers for pre-review: the visitor chooses the item, swipes the card (or not, where
//! the item allows), scans pages on the flatbed or from the feeder (retakes one, deletes
//! one), and submits: the ticket is issued and the pages attached to it.

use hallq_ui::view::{Screen, Thumb};

use super::controller::Controller;
use super::model::Effect;
use super::session::{ErrandState, List};
use super::text::{tr, Said};

/// At most this many pages a visitor.
const MAX_PAGES: usize = 30;

/// The scanning errand's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scanning {
    /// The pages scanned so far, as thumbnails (the runtime keeps them full size).
    pub pages: Vec<Thumb>,
    /// The page selected for a retake or deletion.
    pub selected: Option<usize>,
    /// A scan is under way, and how far (1-100).
    pub busy: Option<u32>,
}

fn scanning_of(errand: &mut ErrandState) -> Option<&mut Scanning> {
    match errand {
        ErrandState::Scan(s) => Some(s),
        _ => None,
    }
}

impl Controller {
    /// The scanner is at work: the visitor waits for the pages.
    pub fn scanning(&self) -> bool {
        matches!(&self.session.errand, ErrandState::Scan(Scanning { busy: Some(_), .. }))
    }

    /// The scan tile: choose the item to scan papers for.
    pub(super) fn start_scan_errand(&mut self) {
        if let Some(f) = self.devices.scanner.clone() {
            let title = tr!(self.en(), "材料预审暂停");
            let body = tr!(self.en(), "{}。您可以直接取号，到窗口提交纸质材料。", f.text(self.en()));
            self.message(title, body);
            return;
        }
        self.session.errand = ErrandState::Scan(Scanning::default());
        self.list(List::ScanItems);
    }

    /// The item chosen and the card step done: the scan screen.
    pub(super) fn start_scan(&mut self) {
        self.show(Screen::Scan);
        if let Some(s) = scanning_of(&mut self.session.errand) {
            s.selected = None;
            s.busy = None;
        }
        self.session.status = match &self.devices.scanner {
            Some(f) => f.text(self.en()),
            None => tr!(self.en(), "请将材料正面朝下放在扫描玻璃上，或放入上方进纸器，然后点击扫描"),
        };
    }

    pub(super) fn scan(&mut self, feeder: bool) -> Vec<Effect> {
        if self.screen() != Screen::Scan {
            return vec![];
        }
        if let Some(f) = self.devices.scanner.clone() {
            self.session.status = f.text(self.en());
            return vec![];
        }
        let en = self.en();
        let Some(s) = scanning_of(&mut self.session.errand) else { return vec![] };
        if s.pages.len() >= MAX_PAGES && s.selected.is_none() {
            self.session.status = tr!(en, "最多扫描 30 页");
            return vec![];
        }
        s.busy = Some(1);
        let replace = s.selected;
        self.session.status = tr!(en, "正在扫描，请勿移动材料…");
        vec![Effect::Scan { feeder, replace }]
    }

    pub(super) fn select_page(&mut self, i: usize) -> Vec<Effect> {
        let on_screen = self.screen() == Screen::Scan;
        if let Some(s) = scanning_of(&mut self.session.errand).filter(|s| on_screen && i < s.pages.len()) {
            s.selected = if s.selected == Some(i) { None } else { Some(i) };
        }
        vec![]
    }

    pub(super) fn delete_page(&mut self) -> Vec<Effect> {
        let Some(s) = scanning_of(&mut self.session.errand) else { return vec![] };
        match s.selected.take().filter(|i| *i < s.pages.len()) {
            Some(i) => {
                s.pages.remove(i);
                vec![Effect::DeletePage(i)]
            }
            None => vec![],
        }
    }

    pub(super) fn submit_scans(&mut self) -> Vec<Effect> {
        if self.screen() != Screen::Scan || !self.session.has_scans() || self.stopped() {
            return vec![];
        }
        self.issue()
    }

    pub(super) fn on_scan_progress(&mut self, line: Said, percent: u32) {
        if self.screen() != Screen::Scan {
            return;
        }
        if let Some(busy) = scanning_of(&mut self.session.errand).and_then(|s| s.busy.as_mut()) {
            *busy = percent.clamp(1, 100);
            self.session.status = line.text(self.en());
        }
    }

    pub(super) fn on_scanned(&mut self, result: Result<Vec<Thumb>, Said>) {
        if self.screen() != Screen::Scan {
            return;
        }
        self.idle = 0;
        let en = self.en();
        let Some(s) = scanning_of(&mut self.session.errand) else { return };
        s.busy = None;
        self.session.status = match result {
            Ok(pages) => {
                match s.selected.take() {
                    Some(i) if i < s.pages.len() && pages.len() == 1 => s.pages[i] = pages.into_iter().next().expect("one page"),
                    _ => s.pages.extend(pages),
                }
                tr!(en, "已扫描 {} 页", s.pages.len())
            }
            Err(msg) => msg.text(en),
        };
    }

    /// The scanned pages did not reach the hall: the visitor is told on the ticket screen.
    pub(super) fn on_attach_failed(&mut self) {
        if !matches!(self.screen(), Screen::Ticket | Screen::Printing) {
            return;
        }
        let en = self.en();
        if let Some(t) = self.session.ticket.as_mut() {
            t.print_problem = tr!(en, "扫描的材料未能送达窗口，请在窗口出示纸质材料。");
        }
    }
}
