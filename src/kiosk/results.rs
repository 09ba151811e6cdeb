//! Print my results: the visitor swipes the ID card, the results waiting for them are
//! listed, and the ones they choose are printed on the A4 printer (each marked collected
//! once it printed).

use hallq_ui::view::{ChoiceRow, KioskView, RowState, Screen};

use super::controller::Controller;
use super::model::{Effect, ResultRow};
use super::session::ErrandState;
use super::text::{tr, Said};

/// The results errand's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Collect {
    /// The results found for the card (None: still looking).
    pub found: Option<Vec<ResultRow>>,
    /// Printing, once the visitor chose.
    pub printing: Option<Printing>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Printing {
    pub percent: u32,
    /// The A4 printing ended (printed, or stopped).
    pub done: bool,
}

fn collect_of(errand: &mut ErrandState) -> Option<&mut Collect> {
    match errand {
        ErrandState::Results(s) => Some(s),
        _ => None,
    }
}

impl Controller {
    /// Results are being printed: the visitor waits for their papers.
    pub(super) fn printing_results(&self) -> bool {
        matches!(&self.session.errand, ErrandState::Results(Collect { printing: Some(p), .. }) if !p.done)
    }

    pub(super) fn start_results(&mut self) {
        if let Some(f) = self.devices.a4.clone() {
            let t = tr!(self.en(), "自助打印暂停");
            self.message(t, f.text(self.en()));
            return;
        }
        if self.reader_down() {
            self.results_need_card();
            return;
        }
        self.session.errand = ErrandState::Results(Collect::default());
        self.show(Screen::Identity);
    }

    /// Printing results needs the card, and none can be read here.
    pub(super) fn results_need_card(&mut self) {
        let why = self.reader_down_text();
        let title = tr!(self.en(), "自助打印暂停");
        let body = tr!(self.en(), "{}，打印办理结果需要刷身份证。请到服务台领取。", why);
        self.message(title, body);
    }

    pub(super) fn find_results(&mut self) -> Vec<Effect> {
        if let Some(r) = collect_of(&mut self.session.errand) {
            r.found = None;
        }
        self.show(Screen::Choices);
        self.session.status = tr!(self.en(), "正在查询您的办理结果…");
        let Some(identity) = self.identity() else { return vec![] };
        vec![Effect::FindResults { identity }]
    }

    pub(super) fn on_results(&mut self, found: Result<Vec<ResultRow>, Said>) {
        if self.screen() != Screen::Choices || collect_of(&mut self.session.errand).is_none() {
            return;
        }
        self.session.status.clear();
        let en = self.en();
        match found {
            Err(msg) => self.message(tr!(en, "无法查询办理结果"), msg.text(en)),
            Ok(list) if list.is_empty() => {
                self.message(tr!(en, "暂无可打印的结果"), tr!(en, "您的办理结果尚未送达或已领取。如有疑问请到服务台咨询。"))
            }
            Ok(list) => {
                if let Some(r) = collect_of(&mut self.session.errand) {
                    r.found = Some(list);
                }
            }
        }
    }

    pub(super) fn choose_results(&mut self, id: &str) -> Vec<Effect> {
        let ErrandState::Results(r) = &self.session.errand else { return vec![] };
        let chosen: Vec<ResultRow> = r.found.iter().flatten().filter(|r| id == "all" || r.id == id).cloned().collect();
        if chosen.is_empty() {
            return vec![];
        }
        if let Some(f) = self.devices.a4.clone() {
            let t = tr!(self.en(), "自助打印暂停");
            self.message(t, f.text(self.en()));
            return vec![];
        }
        if let Some(r) = collect_of(&mut self.session.errand) {
            r.printing = Some(Printing::default());
        }
        self.show(Screen::Documents);
        self.session.status = tr!(self.en(), "正在准备打印…");
        vec![Effect::PrintResults(chosen)]
    }

    pub(super) fn on_print_progress(&mut self, line: &Said, percent: u32) {
        if self.screen() != Screen::Documents {
            return;
        }
        if let Some(p) = collect_of(&mut self.session.errand).and_then(|r| r.printing.as_mut()) {
            p.percent = percent.clamp(1, 100);
            self.session.status = line.text(self.en());
        }
    }

    pub(super) fn on_printed_results(&mut self, result: Result<u32, Said>) {
        if self.screen() != Screen::Documents {
            return;
        }
        self.idle = 0;
        if let Some(p) = collect_of(&mut self.session.errand).and_then(|r| r.printing.as_mut()) {
            p.percent = 100;
            p.done = true;
        }
        self.session.status = match result {
            Ok(n) => tr!(self.en(), "已打印 {} 份，已为您登记领取。请从下方出纸口取走文件。", n),
            Err(msg) => {
                let line = tr!(self.en(), "打印未完成：{}。未打印的结果仍为您保留。", msg.text(self.en()));
                self.devices.a4 = Some(msg);
                line
            }
        };
    }

    pub(super) fn render_results(&self, r: &Collect, v: &mut KioskView) {
        let en = self.en();
        v.progress_percent = r.printing.as_ref().map(|p| p.percent).unwrap_or(0);
        let Some(found) = &r.found else {
            v.title = tr!(en, "正在查询您的办理结果…");
            return;
        };
        v.title = tr!(en, "您可以打印的结果");
        v.choices = std::iter::once(ChoiceRow {
            id: "all".into(),
            title: tr!(en, "全部打印（{} 份）", found.len()),
            sub: String::new(),
            state: RowState::None,
        })
        .chain(found.iter().map(|r| ChoiceRow {
            id: r.id.clone(),
            title: r.title.clone(),
            sub: r.department.clone(),
            state: RowState::None,
        }))
        .collect();
    }
}
