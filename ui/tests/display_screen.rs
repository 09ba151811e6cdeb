//! The display screens drawn from a view, found by their accessible labels: the window
//! display's number and line, the hall display's calls and windows, the reconnecting badge.

use hallq::display::{view_from_state, Mode};
use hallq_ui::display;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;

/// The hall's `/state` as the contract has it.
fn state() -> hallq_proto::HallState {
    let current = |number: &str| serde_json::json!({"id": format!("20261127-{number}"), "number": number, "status": "called", "service": "", "service_en": "", "recalls": 0});
    let window = |number: u32, paused: bool, current: serde_json::Value| {
        serde_json::json!({"number": number, "name": "即办窗口", "open": true, "paused": paused,
            "pause_reason": if paused { serde_json::json!("系统维护") } else { serde_json::Value::Null }, "current": current, "served_today": 0})
    };
    serde_json::from_value(serde_json::json!({
        "seq": 10,
        "now": "2026-11-27T09:31:05+08:00",
        "hall": {"name": "示例县市民之家", "name_en": "Demo County Hall"},
        "display": {"notice": "午休 12:00-13:30", "recent_calls": 8},
        "voice": {"enabled": true, "volume": 1.0},
        "windows": [window(5, false, current("B001")), window(6, true, serde_json::Value::Null)],
        "queues": [{"id": "B", "prefix": "B", "name": "即办业务", "name_en": "On the spot", "waiting": 4, "estimate_minutes": 9}],
        "recent_calls": [{"seq": 9, "at": "2026-11-27T09:31:00+08:00", "ticket": "20261127-B001", "number": "B001", "window": 5, "recall": false}]
    }))
    .expect("a /state the contract reads")
}

fn shows(w: &display::Window, label: &str) -> bool {
    w.show().unwrap();
    slint::platform::update_timers_and_animations();
    ElementHandle::find_by_accessible_label(w, label).next().is_some()
}

#[test]
fn window_and_hall_displays_show_the_view() {
    i_slint_backend_testing::init_no_event_loop();
    let w = display::new_window().unwrap();

    display::apply(&w, &view_from_state(&state(), Mode::Window(5), false));
    assert!(shows(&w, "current:B001"));
    assert!(shows(&w, "请B001号到5号窗口办理"));
    assert!(shows(&w, "5 号窗口"));
    assert!(!shows(&w, "正在重新连接…"));

    display::apply(&w, &view_from_state(&state(), Mode::Window(6), false));
    assert!(shows(&w, "暂停服务：系统维护"));
    assert!(shows(&w, "current:"), "no number while paused");

    let mut hall = view_from_state(&state(), Mode::Hall, false);
    display::apply(&w, &hall);
    assert!(shows(&w, "newest:请 B001 号到 5 号窗口"), "the newest call, whole");
    assert!(shows(&w, "window:5=B001"));
    assert!(shows(&w, "window:6=paused"));
    hall.connected = false;
    display::apply(&w, &hall);
    assert!(shows(&w, "正在重新连接…"));

    // English: the fixed texts come from the bundled translation.
    display::apply(&w, &view_from_state(&state(), Mode::Window(5), true));
    assert!(shows(&w, "Window 5"));
    assert!(shows(&w, "Number B001, please come to window 5"));
}
