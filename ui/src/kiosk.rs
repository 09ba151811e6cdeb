//! The kiosk window: a [`KioskView`] in, [`UiAction`]s out.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::generated::{ChoiceData, DetailData, ItemData, KioskAdapter, KioskWindow, TicketData, TileData};
use crate::view::{KioskView, UiAction};

pub use slint::PlatformError;

fn s(x: &str) -> SharedString {
    SharedString::from(x)
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

/// Puts a view on the window.
pub fn apply(window: &KioskWindow, v: &KioskView) {
    // Chinese is the source language; English comes from the bundled translation.
    let _ = slint::select_bundled_translation(if v.english { "en" } else { "zh" });
    let a = window.global::<KioskAdapter>();
    a.set_screen(s(v.screen.name()));
    a.set_english(v.english);
    a.set_elderly(v.elderly);
    a.set_hall_name(s(&v.hall_name));
    a.set_clock(s(&v.clock));
    a.set_title(s(&v.title));
    a.set_tiles(model(v.tiles.iter().map(|t| TileData { id: s(&t.id), label: s(&t.label), sub: s(&t.sub) }).collect()));
    a.set_items(model(
        v.items
            .iter()
            .map(|i| ItemData {
                id: s(&i.id),
                name: s(&i.name),
                department: s(&i.department),
                mode: s(&i.mode),
                waiting: i.waiting as i32,
                estimate: i.estimate_minutes as i32,
            })
            .collect(),
    ));
    let d = &v.detail;
    a.set_detail(DetailData {
        name: s(&d.name),
        department: s(&d.department),
        mode: s(&d.mode),
        materials: model(d.materials.iter().map(|m| s(m)).collect()),
        windows: s(&d.windows),
        waiting: d.waiting as i32,
        estimate: d.estimate_minutes as i32,
        time_limit: s(&d.time_limit),
        identity: s(&d.identity),
    });
    a.set_search(s(&v.search));
    a.set_holder(s(&v.holder));
    a.set_message_title(s(&v.message_title));
    a.set_message_body(s(&v.message_body));
    let t = &v.ticket;
    a.set_ticket(TicketData {
        number: s(&t.number),
        service: s(&t.service),
        holder: s(&t.holder),
        windows: s(&t.windows),
        ahead: t.ahead as i32,
        estimate: t.estimate_minutes as i32,
        url: s(&t.status_url),
        problem: s(&t.print_problem),
        offline: t.offline,
    });
    a.set_out_of_service(s(&v.out_of_service));
    a.set_idle_left(v.idle_left as i32);
    a.set_welcome(s(&v.welcome));
    a.set_flow(s(&v.flow));
    a.set_code(s(&v.code));
    let rows = |r: &[crate::view::ChoiceRow]| {
        model(r.iter().map(|c| ChoiceData { id: s(&c.id), title: s(&c.title), sub: s(&c.sub), state: s(&c.state) }).collect())
    };
    a.set_choices(rows(&v.choices));
    a.set_tests(rows(&v.tests));
    a.set_progress(s(&v.progress));
    a.set_progress_percent(v.progress_percent as i32);
    a.set_pages(model(
        v.pages
            .iter()
            .map(|p| slint::Image::from_rgb8(slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(&p.rgb, p.width, p.height)))
            .collect(),
    ));
    a.set_selected_page(v.selected_page.map(|i| i as i32).unwrap_or(-1));
    a.set_pin_len(v.pin_len as i32);
}

/// Calls `f` with each tap.
pub fn on_action(window: &KioskWindow, f: impl Fn(UiAction) + 'static) {
    window.global::<KioskAdapter>().on_action(move |kind, arg| {
        if let Some(a) = UiAction::parse(&kind, &arg) {
            f(a);
        }
    });
}

pub fn new_window() -> Result<KioskWindow, PlatformError> {
    KioskWindow::new()
}

pub use crate::generated::KioskWindow as Window;

/// Sends views to the window from any thread.
#[derive(Clone)]
pub struct ViewSender(slint::Weak<KioskWindow>);

impl ViewSender {
    pub fn send(&self, view: KioskView) {
        let _ = self.0.upgrade_in_event_loop(move |w| apply(&w, &view));
    }
}

pub fn sender(window: &KioskWindow) -> ViewSender {
    ViewSender(window.as_weak())
}

/// Shows the window and runs the event loop until it closes.
pub fn run(window: &KioskWindow) -> Result<(), PlatformError> {
    window.run()
}

/// Ends the event loop (the manager's exit), from any thread.
pub fn quit() {
    let _ = slint::invoke_from_event_loop(|| {
        let _ = slint::quit_event_loop();
    });
}
