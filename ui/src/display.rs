//! The display window: a [`DisplayView`] in; nothing comes out (nobody taps a display).

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::generated::{CallRow, DisplayAdapter, DisplayWindow, QueueRow, WindowTileData};
use crate::view::DisplayView;

pub use crate::generated::DisplayWindow as Window;

fn s(x: &str) -> SharedString {
    SharedString::from(x)
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

/// Puts a view on the window.
pub fn apply(window: &DisplayWindow, v: &DisplayView) {
    let _ = slint::select_bundled_translation(if v.english { "en" } else { "zh" });
    let a = window.global::<DisplayAdapter>();
    a.set_mode(s(&v.mode));
    a.set_hall_name(s(&v.hall_name));
    a.set_clock(s(&v.clock));
    a.set_connected(v.connected);
    a.set_problem(s(&v.problem));
    a.set_window_number(v.window.number as i32);
    a.set_window_name(s(&v.window.name));
    a.set_window_open(v.window.open);
    a.set_current(s(&v.window.current));
    a.set_line(s(&v.window.line));
    a.set_paused(v.window.paused);
    let row = |c: &crate::view::CallShown| CallRow {
        number: s(&c.number),
        window: c.window as i32,
        recall: c.recall,
        line: s(&c.line),
        short: s(&c.short),
    };
    a.set_place(s(&v.place));
    a.set_has_newest(!v.calls.is_empty());
    a.set_newest(v.calls.first().map(row).unwrap_or_default());
    a.set_earlier(model(v.calls.iter().skip(1).map(row).collect()));
    a.set_page_kind(s(if v.page_kind.is_empty() { "windows" } else { &v.page_kind }));
    a.set_page(v.page.max(1) as i32);
    a.set_pages(v.pages.max(1) as i32);
    a.set_windows(model(
        v.windows
            .iter()
            .map(|w| WindowTileData { number: w.number as i32, name: s(&w.name), current: s(&w.current), paused: w.paused })
            .collect(),
    ));
    a.set_queues(model(
        v.queues.iter().map(|q| QueueRow { name: s(&q.name), waiting: q.waiting as i32, estimate: q.estimate_minutes as i32 }).collect(),
    ));
    a.set_notice(s(&v.notice));
    a.set_flash(v.flash);
}

pub fn new_window() -> Result<DisplayWindow, slint::PlatformError> {
    DisplayWindow::new()
}

/// Sends views to the window from any thread.
#[derive(Clone)]
pub struct ViewSender(slint::Weak<DisplayWindow>);

impl ViewSender {
    pub fn send(&self, view: DisplayView) {
        let _ = self.0.upgrade_in_event_loop(move |w| apply(&w, &view));
    }
}

pub fn sender(window: &DisplayWindow) -> ViewSender {
    ViewSender(window.as_weak())
}

/// Shows the window and runs the event loop until it closes.
pub fn run(window: &DisplayWindow) -> Result<(), slint::PlatformError> {
    window.run()
}
