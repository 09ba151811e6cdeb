//! No dead ends: the next step an error screen offers (a number for 身份证换领 when the card
//! has expired, the materials during the lunch break, a normal number when no appointment
//! is found) and where the service desk is (out of service, an expired card).

use hallq_ui::view::Screen;

use super::controller::Controller;
use super::model::{Card, Effect};
use super::session::ErrandState;
use super::text::{tr, Said};

/// The button on a message screen, and what it does.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Take a number for this item, with this card when there is one (an expired card
    /// still names its holder for 换领).
    TakeNumber { item: String, card: Option<Card> },
    /// The item's materials (its screen), to prepare while issuing is paused.
    Materials(String),
    /// Take a normal number: the home screen's items.
    Browse,
}

impl Controller {
    /// "服务台（1楼导引台）", or just the service desk when the hall names none.
    pub(super) fn desk_text(&self) -> String {
        match self.desk_place() {
            // "the Guidance desk, floor 1", not "the service desk (Guidance desk, floor 1)".
            Some(place) if self.en() && place.to_lowercase().contains("desk") => format!("the {place}"),
            Some(place) => tr!(self.en(), "服务台（{}）", place),
            None => tr!(self.en(), "服务台"),
        }
    }

    /// The out-of-service screen's second line: where to go instead.
    pub(super) fn elsewhere_text(&self) -> String {
        tr!(self.en(), "请到{}取号或办理，也可使用其他自助机", self.desk_text())
    }

    /// A card that has expired: where the desk is, and a number for 身份证换领 when the hall
    /// offers it on the kiosk.
    pub(super) fn on_expired_card(&mut self, card: Card) -> Vec<Effect> {
        let wanted = self.screen() == Screen::Identity || (self.screen() == Screen::Appointment && self.session.card.is_none());
        if !wanted {
            return vec![];
        }
        let en = self.en();
        let renew = self.catalog.items.iter().find(|i| i.name.contains("换领")).cloned();
        let title = tr!(en, "证件已过期");
        let desk = self.desk_text();
        let body = match &renew {
            Some(_) => tr!(en, "您的证件有效期至 {0}，已过期。可以先取号办理身份证换领，或到{1}人工办理。", card.expired_on, desk),
            None => tr!(en, "您的证件有效期至 {0}，已过期。请到{1}人工办理。", card.expired_on, desk),
        };
        self.message(title, body);
        if let Some(item) = renew {
            self.session.next = Some(Next::TakeNumber { item: item.id, card: Some(card) });
        }
        vec![]
    }

    /// The hall refused a ticket for the lunch break: the materials to look at meanwhile.
    pub(super) fn on_lunch_break(&mut self, said: Said, until: Option<String>) {
        self.session.request = None;
        let en = self.en();
        let then = match until {
            Some(t) => tr!(en, "可先查看所需材料，{} 后再来取号", t),
            None => tr!(en, "可先查看所需材料，午休后再来取号"),
        };
        self.message(tr!(en, "午休暂停取号"), format!("{}\n{then}", said.text(en)));
        if let Some(item) = &self.session.item {
            self.session.next = Some(Next::Materials(item.id.clone()));
        }
    }

    /// A check-in the hall refused, or no appointment found: a normal number instead, for
    /// the appointment's item when it is known.
    pub(super) fn offer_a_normal_number(&mut self) {
        let ErrandState::Appointment(a) = &self.session.errand else { return };
        let service = a.checking.as_ref().and_then(|code| a.found.iter().find(|f| &f.code == code)).map(|f| f.service.clone());
        let item = service.and_then(|s| self.catalog.items.iter().find(|i| i.name == s)).map(|i| i.id.clone());
        self.session.next = Some(match item {
            Some(item) => Next::TakeNumber { item, card: self.session.card.clone() },
            None => Next::Browse,
        });
    }

    /// The next-step button's label.
    pub(super) fn next_label(&self) -> String {
        let en = self.en();
        match &self.session.next {
            None => String::new(),
            Some(Next::TakeNumber { item, .. }) => {
                let name = self.catalog.items.iter().find(|i| &i.id == item).map(|i| self.item_name(i)).unwrap_or_default();
                tr!(en, "取号办理：{}", name)
            }
            Some(Next::Materials(_)) => tr!(en, "查看所需材料"),
            Some(Next::Browse) => tr!(en, "直接取号"),
        }
    }

    /// The visitor took the next step offered.
    pub(super) fn next_step(&mut self) -> Vec<Effect> {
        if self.screen() != Screen::Message {
            return vec![];
        }
        let Some(next) = self.session.next.take() else { return vec![] };
        let item_of = |c: &Controller, id: &str| c.catalog.items.iter().find(|i| i.id == id).cloned();
        match next {
            Next::TakeNumber { item, card } => {
                let Some(item) = item_of(self, &item) else {
                    self.home();
                    return vec![];
                };
                self.session.errand = ErrandState::Ticket;
                self.session.request = None;
                self.session.item = Some(item);
                match card {
                    Some(card) if !self.stopped() => {
                        self.session.card = Some(card);
                        self.show(Screen::Confirm);
                    }
                    Some(_) => {}
                    None => {
                        self.session.card = None;
                        self.take_number();
                    }
                }
            }
            Next::Materials(item) => match item_of(self, &item) {
                Some(item) => {
                    self.session.item = Some(item);
                    self.show(Screen::Item);
                }
                None => self.home(),
            },
            Next::Browse => self.home(),
        }
        vec![]
    }
}
