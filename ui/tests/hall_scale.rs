//! The Slint hall display at the brief's scale (231 windows, 24 queues, three floors),
//! drawn with the software renderer: a floor's pages, the whole hall's, English, a recall
//! and a long newest call. The pictures go to `HALLQ_SCREENSHOTS` when set (they are in
//! docs/display/), else to a temporary directory; the test checks the pages turn through
//! every window of the floor and that the newest call is drawn whole.

use hallq::config::scale::hall_231;
use hallq::display::layout::{page, page_count, Scope};
use hallq::display::{view_for, Mode};
use hallq_proto::{
    CallView, CurrentTicket, DisplaySettings, HallName, HallState, QueueFigures, Status, TicketNumber, VoiceSettings, WindowNo, WindowView,
};

fn state() -> HallState {
    let c = hall_231();
    let call = |seq: u64, number: &str, window: u32, recall: bool| CallView {
        seq,
        at: String::new(),
        ticket: format!("20261127-{number}").into(),
        number: TicketNumber::new(number),
        window: WindowNo(window),
        recall,
    };
    HallState {
        seq: 100,
        date: None,
        now: "2026-11-27T09:31:05+08:00".into(),
        hall: HallName { name: c.hall.name.clone(), name_en: c.hall.name_en.clone(), utc_offset: None },
        devices: None,
        kiosks: None,
        displays: None,
        display: DisplaySettings { notice: c.display.notice.clone(), recent_calls: 8, page_seconds: 8 },
        voice: VoiceSettings { enabled: true, volume: 1.0 },
        windows: c
            .windows
            .iter()
            .map(|w| WindowView {
                number: WindowNo(w.number),
                name: Some(w.name.clone()),
                floor: Some(w.floor),
                zone: w.zone.clone(),
                kind: Some(w.kind),
                queues: Some(w.queues.iter().map(|q| q.as_str().into()).collect()),
                open: true,
                paused: w.number % 17 == 0,
                pause_reason: None,
                current: (w.number % 3 != 0).then(|| CurrentTicket {
                    id: format!("20261127-w{}", w.number).into(),
                    number: TicketNumber::new(format!("{}{:03}", c.queues[w.number as usize % c.queues.len()].prefix, w.number % 200 + 1)),
                    status: Status::Serving,
                    service: String::new(),
                    service_en: String::new(),
                    holder: None,
                    recalls: 0,
                    called_at: None,
                    started_at: None,
                }),
                served_today: 0,
                paused_since: None,
                staff: None,
            })
            .collect(),
        queues: c
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| QueueFigures {
                id: q.id.as_str().into(),
                name: q.name.clone(),
                name_en: q.name_en.clone(),
                prefix: q.prefix.clone(),
                waiting: (i as u32 * 7) % 40,
                estimate_minutes: (i as u32 * 11) % 90 + 5,
                issued_today: None,
                longest_wait_minutes: None,
                windows: None,
            })
            .collect(),
        recent_calls: vec![
            call(99, "K118", 158, true),
            call(98, "T014", 231, false),
            call(97, "A101", 95, false),
            call(96, "K118", 158, false),
            call(95, "C066", 120, false),
            call(94, "B012", 88, false),
        ],
    }
}

#[test]
fn the_hall_display_pages_a_231_window_hall_by_floor() {
    let headless = hallq_ui::headless::Headless::init().unwrap();
    let window = hallq_ui::display::new_window().unwrap();
    let dir = std::env::var_os("HALLQ_SCREENSHOTS").map(std::path::PathBuf::from).unwrap_or_else(tempfile_dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s = state();
    let draw = |v: &hallq_ui::view::DisplayView, name: &str| {
        hallq_ui::display::apply(&window, v);
        let img = headless.render(1920, 1080);
        img.save(dir.join(format!("{name}.png"))).unwrap();
        img
    };

    // Floor 2: 90 windows (the demo's ten and 81-160) on three pages of 30, then its queues.
    let floor2 = view_for(&s, Mode::Hall, &Scope { floor: Some(2), zone: None }, false);
    let expect: Vec<u32> = s.windows.iter().filter(|w| w.floor == Some(2)).map(|w| w.number.get()).collect();
    assert_eq!(floor2.windows.len(), 90);
    let n = page_count(&floor2);
    let mut seen = Vec::new();
    for i in 0..n {
        let p = page(&floor2, i);
        seen.extend(p.windows.iter().map(|w| w.number));
        assert_eq!(p.calls[0].line, "请 K118 号到 2 楼 158 号窗口");
        assert!(p.calls[0].recall, "the recall is marked, not a second line");
        assert_eq!(p.calls.iter().filter(|c| c.number == "K118").count(), 1);
        let img = draw(&p, &format!("hall-floor2-page{}", i + 1));
        // The newest call's band holds yellow text: something is drawn right of centre,
        // so the line was laid out whole rather than cut at the left.
        let yellow = |x: u32, y: u32| {
            let p = img.get_pixel(x, y).0;
            p[0] > 200 && p[1] > 180 && p[2] < 140
        };
        let xs: Vec<u32> = (0..1920).filter(|&x| (104..294).any(|y| yellow(x, y))).collect();
        assert!(xs.last().is_some_and(|&x| x > 1000), "the newest call reaches past the middle of the screen: {:?}", xs.last());
        assert!(xs.last().is_some_and(|&x| x < 1900), "and does not run off its right edge: {:?}", xs.last());
    }
    assert_eq!(seen, expect, "every window of floor 2 on some page, once");

    // English, floor 1 (every queue is served there): the queue pages with long names.
    let floor1 = view_for(&s, Mode::Hall, &Scope { floor: Some(1), zone: None }, true);
    let n = page_count(&floor1);
    let first_queues = (0..n).find(|&i| page(&floor1, i).page_kind == "queues").unwrap();
    draw(&page(&floor1, first_queues), "hall-floor1-queues-en");
    draw(&page(&floor1, 0), "hall-floor1-en");
    // The zone's display and the whole hall.
    draw(&page(&view_for(&s, Mode::Hall, &Scope { floor: None, zone: Some("报建区".into()) }, false), 0), "hall-zone-baojian");
    let mut whole = view_for(&s, Mode::Hall, &Scope::default(), false);
    draw(&page(&whole, 3), "hall-whole-page4");
    whole.flash = true;
    draw(&page(&whole, 0), "hall-whole-flash");
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hallq-hall-scale-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
