//! The hidden manager menu: five taps in a row on the top-left corner, the PIN (checked
//! against the hall's Argon2 hash; five wrong ones lock the menu for five minutes), then
//! the devices' self-tests and the exit.

use hallq_ui::view::{ChoiceRow, DeviceKind, KioskView, RowState, Screen, UiAction};

use super::controller::{device_label, Controller};
use super::model::Effect;
use super::pin;
use super::text::tr;

/// How a device's self-test went.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TestState {
    #[default]
    Untested,
    Busy,
    /// Passed or failed, with what it found.
    Done(bool, String),
}

/// The menu's state, kept across visitors (the lock outlives them).
#[derive(Debug, Default)]
pub struct ManagerMenu {
    corner_taps: u32,
    pin: String,
    failures: u32,
    /// Seconds (clock ticks) the menu stays locked after too many wrong PINs.
    locked: u32,
    tests: Vec<(DeviceKind, TestState)>,
}

impl ManagerMenu {
    /// A second passed.
    pub fn tick(&mut self) {
        if self.locked > 0 {
            self.locked -= 1;
            if self.locked == 0 {
                tracing::info!("manager menu unlocked");
            }
        }
    }

    pub fn tested(&mut self, device: DeviceKind, ok: bool, text: String) {
        if let Some((_, state)) = self.tests.iter_mut().find(|(d, _)| *d == device) {
            *state = TestState::Done(ok, text);
        }
    }
}

impl Controller {
    /// The manager's taps; None when the tap is not the menu's.
    pub(super) fn on_manager(&mut self, action: &UiAction) -> Option<Vec<Effect>> {
        if !matches!(action, UiAction::Corner | UiAction::Touch) {
            self.manager.corner_taps = 0;
        }
        let m = &mut self.manager;
        match (self.session.screen, action) {
            (screen, UiAction::Corner) => {
                m.corner_taps += 1;
                if m.corner_taps >= 5 && m.locked > 0 {
                    // Locked after too many wrong PINs: the taps do nothing a visitor would see.
                    m.corner_taps = 0;
                    tracing::warn!("manager menu locked for {} s more after wrong PINs", m.locked);
                } else if m.corner_taps >= 5
                    && !self.catalog.kiosk.manager_pin.is_empty()
                    && !matches!(screen, Screen::Printing | Screen::Documents)
                {
                    m.corner_taps = 0;
                    m.pin.clear();
                    self.session.status.clear();
                    self.show(Screen::ManagerPin);
                }
            }
            (Screen::ManagerPin, UiAction::PinKey(c)) if c.is_ascii_digit() && m.pin.len() < 12 => m.pin.push(*c),
            (Screen::ManagerPin, UiAction::PinBackspace) => {
                m.pin.pop();
            }
            (Screen::ManagerPin, UiAction::PinEnter) => self.pin_entered(),
            (Screen::Manager, UiAction::SelfTest(d)) => {
                if let Some((_, state)) = m.tests.iter_mut().find(|(t, _)| t == d) {
                    *state = TestState::Busy;
                    return Some(vec![Effect::SelfTest(*d)]);
                }
            }
            (Screen::Manager, UiAction::Exit) => return Some(vec![Effect::Exit]),
            (Screen::ManagerPin | Screen::Manager, UiAction::Back | UiAction::Home) => self.home(),
            (Screen::ManagerPin | Screen::Manager, _) => {}
            _ => return None,
        }
        Some(vec![])
    }

    fn pin_entered(&mut self) {
        let m = &mut self.manager;
        // One Argon2 check (~50-100 ms on a kiosk): fine on the UI thread, once per Enter.
        let ok = m.locked == 0 && pin::verify_pin(&self.catalog.kiosk.manager_pin, &m.pin);
        m.pin.clear();
        if ok {
            m.failures = 0;
            m.tests = DeviceKind::ALL.iter().map(|d| (*d, TestState::Untested)).collect();
            self.session.status.clear();
            self.show(Screen::Manager);
            tracing::info!("manager menu opened");
            return;
        }
        m.failures += 1;
        tracing::warn!("wrong manager PIN ({} in a row)", m.failures);
        if m.failures >= pin::MAX_WRONG {
            m.failures = 0;
            m.locked = pin::LOCK_SECS;
            tracing::warn!("manager menu locked for {} s after {} wrong PINs", pin::LOCK_SECS, pin::MAX_WRONG);
            self.home();
        } else {
            self.session.status = tr!(self.en(), "PIN 不正确");
        }
    }

    pub(super) fn render_manager(&self, v: &mut KioskView) {
        let en = self.en();
        v.pin_len = self.manager.pin.len() as u32;
        v.tests = self
            .manager
            .tests
            .iter()
            .map(|(d, state)| {
                let (state, sub) = match state {
                    TestState::Untested => (RowState::None, tr!(en, "未测试")),
                    TestState::Busy => (RowState::Busy, tr!(en, "正在测试…")),
                    TestState::Done(true, text) => (RowState::Ok, text.clone()),
                    TestState::Done(false, text) => (RowState::Fault, text.clone()),
                };
                ChoiceRow { id: d.name().into(), title: device_label(*d, en), sub, state }
            })
            .collect();
    }
}
