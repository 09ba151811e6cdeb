//! Appointment check-in: the visitor swipes the ID card (their appointments are looked up
//! and one is chosen) or types the appointment code (or scans its QR code), and the hall
//! issues the appointment's ticket.

use hallq_ui::view::{ChoiceRow, KioskView, RowState, Screen};

use super::controller::Controller;
use super::model::{AppointmentRow, Effect};
use super::session::ErrandState;
use super::text::{tr, Said};

/// The check-in errand's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckIn {
    /// The appointment code typed so far.
    pub code: String,
    /// The visitor's appointments, found by their card.
    pub found: Vec<AppointmentRow>,
    /// The code being checked in.
    pub checking: Option<String>,
}

fn check_in_of(errand: &mut ErrandState) -> Option<&mut CheckIn> {
    match errand {
        ErrandState::Appointment(s) => Some(s),
        _ => None,
    }
}

impl Controller {
    pub(super) fn start_appointment(&mut self) {
        if self.stopped() {
            return;
        }
        self.session.errand = ErrandState::Appointment(CheckIn::default());
        self.session.status.clear();
        self.show(Screen::Appointment);
    }

    /// Back to the start of the check-in: another card or a typed code.
    pub(super) fn appointment_again(&mut self) {
        self.session.card = None;
        if let Some(a) = check_in_of(&mut self.session.errand) {
            a.code.clear();
            a.found.clear();
        }
        self.show(Screen::Appointment);
    }

    pub(super) fn find_appointments(&mut self) -> Vec<Effect> {
        self.session.status = tr!(self.en(), "正在查询您的预约…");
        let Some(identity) = self.identity() else { return vec![] };
        vec![Effect::FindAppointments { identity }]
    }

    pub(super) fn code_key(&mut self, key: Option<char>) -> Vec<Effect> {
        let on_screen = self.screen() == Screen::Appointment;
        if let Some(a) = check_in_of(&mut self.session.errand) {
            match key {
                Some(c) if on_screen && c.is_ascii_alphanumeric() && a.code.len() < 16 => a.code.push(c.to_ascii_uppercase()),
                Some(_) => {}
                None => {
                    a.code.pop();
                }
            }
        }
        vec![]
    }

    pub(super) fn code_enter(&mut self) -> Vec<Effect> {
        let code = match &self.session.errand {
            ErrandState::Appointment(a) if self.screen() == Screen::Appointment && a.code.len() >= 4 => a.code.clone(),
            _ => return vec![],
        };
        self.check_in(code)
    }

    pub(super) fn choose_appointment(&mut self, code: String) -> Vec<Effect> {
        match &self.session.errand {
            ErrandState::Appointment(a) if a.found.iter().any(|f| f.code == code) => self.check_in(code),
            _ => vec![],
        }
    }

    fn check_in(&mut self, code: String) -> Vec<Effect> {
        if self.stopped() {
            return vec![];
        }
        if let Some(a) = check_in_of(&mut self.session.errand) {
            a.checking = Some(code);
        }
        self.issue()
    }

    pub(super) fn on_appointments(&mut self, found: Result<Vec<AppointmentRow>, Said>) {
        if self.screen() != Screen::Appointment || check_in_of(&mut self.session.errand).is_none() {
            return;
        }
        self.session.status.clear();
        let en = self.en();
        match found {
            Err(msg) => self.message(tr!(en, "无法查询预约"), msg.text(en)),
            Ok(list) if list.is_empty() => {
                self.message(tr!(en, "没有找到您的预约"), tr!(en, "请核对预约信息，或输入预约码；也可以直接取号。"));
                self.offer_a_normal_number();
            }
            Ok(list) => {
                if let Some(a) = check_in_of(&mut self.session.errand) {
                    a.found = list;
                }
                self.show(Screen::Choices);
            }
        }
    }

    pub(super) fn render_appointment(&self, a: &CheckIn, v: &mut KioskView) {
        let en = self.en();
        v.code = a.code.clone();
        v.title = tr!(en, "您的预约");
        v.choices = a
            .found
            .iter()
            .map(|a| ChoiceRow {
                id: a.code.clone(),
                title: a.service.clone(),
                sub: if a.checked_in {
                    tr!(en, "{} · 已签到，点击重打号票", a.slot)
                } else {
                    format!("{} · {}", a.slot, a.code)
                },
                state: RowState::None,
            })
            .collect();
    }
}
