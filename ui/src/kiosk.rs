//! The kiosk window: a [`KioskView`] in, [`UiAction`]s out.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::generated::{
    ChoiceData, DetailData, Errand, ItemData, KioskAdapter, KioskWindow, RowState, Screen, TicketData, TileData, TileKind,
};
use crate::view::{self, DeviceKind, KioskView, RowTarget, TileId, UiAction};

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
    a.set_screen(screen(v.screen));
    a.set_english(v.english);
    a.set_elderly(v.elderly);
    a.set_hall_name(s(&v.hall_name));
    a.set_clock(s(&v.clock));
    a.set_title(s(&v.title));
    a.set_tiles(model(
        v.tiles
            .iter()
            .map(|t| {
                let (kind, floor) = tile_kind(t.id);
                TileData { kind, floor, label: s(&t.label), sub: s(&t.sub) }
            })
            .collect(),
    ));
    a.set_items(model(
        v.items
            .iter()
            .map(|i| ItemData {
                id: s(match &i.target {
                    RowTarget::Item(id) | RowTarget::Department(id) => id,
                }),
                department_row: matches!(i.target, RowTarget::Department(_)),
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
        card_required: d.card_required,
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
        wait: s(&t.wait),
        ahead: t.ahead as i32,
        estimate: t.estimate_minutes as i32,
        url: s(&t.status_url),
        problem: s(&t.print_problem),
        qr: if t.qr.width == 0 {
            slint::Image::default()
        } else {
            slint::Image::from_rgb8(slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(&t.qr.rgb, t.qr.width, t.qr.height))
        },
        offline: t.offline,
    });
    a.set_out_of_service(s(&v.out_of_service));
    a.set_elsewhere(s(&v.elsewhere));
    a.set_idle_left(v.idle_left as i32);
    a.set_welcome(s(&v.welcome));
    a.set_flow(match v.flow {
        view::Errand::Ticket => Errand::Ticket,
        view::Errand::Appointment => Errand::Appointment,
        view::Errand::Results => Errand::Results,
        view::Errand::Scan => Errand::Scan,
    });
    a.set_code(s(&v.code));
    let rows = |r: &[crate::view::ChoiceRow]| {
        model(r.iter().map(|c| ChoiceData { id: s(&c.id), title: s(&c.title), sub: s(&c.sub), state: row_state(c.state) }).collect())
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
    a.set_help(s(&v.help));
    a.set_next(s(&v.next));
}

fn screen(screen: view::Screen) -> Screen {
    use view::Screen as V;
    match screen {
        V::Home => Screen::Home,
        V::Items => Screen::Items,
        V::Search => Screen::Search,
        V::Item => Screen::Item,
        V::Identity => Screen::Identity,
        V::Confirm => Screen::Confirm,
        V::Printing => Screen::Printing,
        V::Ticket => Screen::Ticket,
        V::Message => Screen::Message,
        V::OutOfService => Screen::OutOfService,
        V::Appointment => Screen::Appointment,
        V::Choices => Screen::Choices,
        V::Documents => Screen::Documents,
        V::Scan => Screen::Scan,
        V::ManagerPin => Screen::ManagerPin,
        V::Manager => Screen::Manager,
    }
}

fn row_state(s: view::RowState) -> RowState {
    match s {
        view::RowState::None => RowState::None,
        view::RowState::Ok => RowState::Ok,
        view::RowState::Fault => RowState::Fault,
        view::RowState::Busy => RowState::Busy,
    }
}

fn tile_kind(id: TileId) -> (TileKind, i32) {
    match id {
        TileId::Personal => (TileKind::Personal, 0),
        TileId::Business => (TileKind::Business, 0),
        TileId::Hot => (TileKind::Hot, 0),
        TileId::Departments => (TileKind::Departments, 0),
        TileId::Search => (TileKind::Search, 0),
        TileId::Appointment => (TileKind::Appointment, 0),
        TileId::Results => (TileKind::Results, 0),
        TileId::Scan => (TileKind::Scan, 0),
        TileId::Floor(f) => (TileKind::Floor, f),
        TileId::Help => (TileKind::Help, 0),
    }
}

fn tile_id(kind: TileKind, floor: i32) -> TileId {
    match kind {
        TileKind::Personal => TileId::Personal,
        TileKind::Business => TileId::Business,
        TileKind::Hot => TileId::Hot,
        TileKind::Departments => TileId::Departments,
        TileKind::Search => TileId::Search,
        TileKind::Appointment => TileId::Appointment,
        TileKind::Results => TileId::Results,
        TileKind::Scan => TileId::Scan,
        TileKind::Floor => TileId::Floor(floor),
        TileKind::Help => TileId::Help,
    }
}

fn first_char(text: &str) -> Option<char> {
    text.chars().next()
}

/// Calls `f` with each tap, typed as the screens' callbacks are.
pub fn on_action(window: &KioskWindow, f: impl Fn(UiAction) + 'static) {
    let a = window.global::<KioskAdapter>();
    let f = Rc::new(f);
    macro_rules! on {
        ($set:ident, |$($arg:ident),+| $action:expr) => {{
            let f = f.clone();
            a.$set(move |$($arg),+| if let Some(action) = $action { f(action) });
        }};
        ($set:ident, $action:expr) => {{
            let f = f.clone();
            a.$set(move || f($action));
        }};
    }
    on!(on_tile, |kind, floor| Some(UiAction::Tile(tile_id(kind, floor))));
    on!(on_item, |id| Some(UiAction::Item(id.into())));
    on!(on_department, |name| Some(UiAction::Department(name.into())));
    on!(on_take_number, UiAction::TakeNumber);
    on!(on_search_key, |key| first_char(&key).map(UiAction::SearchKey));
    on!(on_search_backspace, UiAction::SearchBackspace);
    on!(on_back, UiAction::Back);
    on!(on_home, UiAction::Home);
    on!(on_touch, UiAction::Touch);
    on!(on_toggle_elderly, UiAction::ToggleElderly);
    on!(on_set_english, |english| Some(UiAction::SetEnglish(english)));
    on!(on_call_staff, UiAction::CallStaff);
    on!(on_next_step, UiAction::Next);
    on!(on_skip_identity, UiAction::SkipIdentity);
    on!(on_confirm, UiAction::Confirm);
    on!(on_code_key, |key| first_char(&key).map(UiAction::CodeKey));
    on!(on_code_backspace, UiAction::CodeBackspace);
    on!(on_code_enter, UiAction::CodeEnter);
    on!(on_choose, |id| Some(UiAction::Choose(id.into())));
    on!(on_scan_flatbed, UiAction::ScanFlatbed);
    on!(on_scan_feeder, UiAction::ScanFeeder);
    on!(on_select_page, |page| usize::try_from(page).ok().map(UiAction::SelectPage));
    on!(on_delete_page, UiAction::DeletePage);
    on!(on_submit, UiAction::Submit);
    on!(on_corner, UiAction::Corner);
    on!(on_pin_key, |key| first_char(&key).map(UiAction::PinKey));
    on!(on_pin_backspace, UiAction::PinBackspace);
    on!(on_pin_enter, UiAction::PinEnter);
    on!(on_self_test, |device| DeviceKind::from_name(&device).map(UiAction::SelfTest));
    on!(on_exit, UiAction::Exit);
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
