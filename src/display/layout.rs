//! What the hall display puts on screen, decided without Slint: which windows, queues and
//! calls belong to the display's floor or zone, the call lines with the floor, a recall as
//! one line marked 重呼, and the pages that rotate when the windows or queues do not fit.
//!
//! The sizes are those of a 1920×1080 screen read from 5 m. The smallest text is
//! [`MIN_FONT_PX`] = 64 px: digits and capitals of Noto Sans CJK SC are 0.73 em tall, so the
//! smallest character on screen is 47 px high — 29.6 mm on a 55-inch panel (0.63 mm a
//! pixel), 20 minutes of arc at 5 m, the height ISO 9241-303 recommends for reading (its
//! absolute minimum, 16′, still holds on a 43-inch panel: 23 mm). Chinese characters come
//! out at about 0.9 em = 58 px (36 mm). The Slint screen (`ui/ui/display.slint`) and the
//! web page (`src/web/hall.html`) draw the same grid: [`WINDOW_COLUMNS`] × [`WINDOW_ROWS`]
//! windows a page, [`QUEUE_LINES`] lines of queues a page.

use hallq_proto::HallState;
use hallq_ui::view::{CallShown, DisplayView};

/// The smallest font size on the hall display at 1920×1080, in pixels (see the module).
pub const MIN_FONT_PX: u32 = 64;
/// Windows a page: six tiles of 320 px across, five rows of 112 px.
pub const WINDOW_COLUMNS: usize = 6;
pub const WINDOW_ROWS: usize = 5;
pub const WINDOWS_PER_PAGE: usize = WINDOW_COLUMNS * WINDOW_ROWS;
/// Lines of queue names a page (a line of 64 px Noto Sans CJK is 93 px high; the page has
/// 560 px under its header row).
pub const QUEUE_LINES: usize = 5;
/// The queue name column, in em of the smallest font: 1920 px less the waiting and
/// estimate columns (4 and 6 em) and the margins.
pub const QUEUE_NAME_EM: f32 = 18.0;
/// The strip of earlier calls under the newest one, in em of the smallest font (1920 px
/// less its label and margins).
pub const STRIP_EM: f32 = 26.0;

/// The part of the hall a display shows: a floor, a zone (`zone` of the windows in the
/// configuration), both, or (neither) the whole hall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub floor: Option<i32>,
    pub zone: Option<String>,
}

impl Scope {
    pub fn whole_hall(&self) -> bool {
        self.floor.is_none() && self.zone.is_none()
    }

    /// Whether a window on `floor` in `zone` is on this display.
    pub fn holds(&self, floor: Option<i32>, zone: Option<&str>) -> bool {
        self.floor.is_none_or(|f| floor == Some(f)) && self.zone.as_deref().is_none_or(|z| zone == Some(z))
    }

    /// "2 楼", "2 楼 报建区", "Floor 2": what the display's header says it shows.
    pub fn label(&self, english: bool) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.floor {
            parts.push(if english { format!("Floor {}", floor_en(f)) } else { floor_zh(f) });
        }
        if let Some(z) = &self.zone {
            parts.push(z.clone());
        }
        parts.join(" · ")
    }
}

/// 2 → "2 楼"; -1 → "负1楼" (a basement).
pub fn floor_zh(floor: i32) -> String {
    if floor < 0 {
        format!("负{}楼", -floor)
    } else {
        format!("{floor} 楼")
    }
}

/// 2 → "2"; -1 → "B1".
pub fn floor_en(floor: i32) -> String {
    if floor < 0 {
        format!("B{}", -floor)
    } else {
        floor.to_string()
    }
}

/// The sentence a call is shown as, with the floor when the hall has more than one.
pub fn call_line(number: &str, window: u32, floor: Option<i32>, english: bool) -> String {
    match (floor, english) {
        (Some(f), false) => format!("请 {number} 号到 {} {window} 号窗口", floor_zh(f)),
        (None, false) => format!("请 {number} 号到 {window} 号窗口"),
        (Some(f), true) => format!("Number {number}, please go to window {window}, floor {}", floor_en(f)),
        (None, true) => format!("Number {number}, please go to window {window}"),
    }
}

/// The short form in the strip of earlier calls.
pub fn call_short(number: &str, window: u32, floor: Option<i32>, english: bool) -> String {
    match (floor, english) {
        (Some(f), false) => format!("{number} → {}{window}号", floor_zh(f).replace(' ', "")),
        (None, false) => format!("{number} → {window}号窗口"),
        (Some(f), true) => format!("{number} → {}F W{window}", floor_en(f)),
        (None, true) => format!("{number} → Window {window}"),
    }
}

/// A generous width of `text` in em of Noto Sans CJK SC, so that what this says fits
/// does fit: Chinese characters and full-width signs 1 em, capitals 0.68, digits 0.58,
/// small letters 0.56, a space 0.25.
pub fn text_em(text: &str) -> f32 {
    text.chars()
        .map(|c| match c {
            ' ' => 0.25,
            '0'..='9' => 0.58,
            'A'..='Z' => 0.68,
            'a'..='z' => 0.56,
            c if c.is_ascii() => 0.4,
            _ => 1.0,
        })
        .sum()
}

/// Lines a queue name takes in the name column (word wrap loses up to a word a line:
/// counted as 15 % of the column).
pub fn queue_lines(name: &str) -> usize {
    ((text_em(name) / (QUEUE_NAME_EM * 0.85)).ceil() as usize).max(1)
}

/// How many of the earlier calls (all but the newest) fit the strip on one line each:
/// a call's short form, its 重呼 tag (2 em and padding) and a 1 em gap.
pub fn earlier_that_fit(calls: &[CallShown], english: bool) -> usize {
    let tag = if english { text_em("Recall") } else { 2.0 } + 0.6;
    let mut used = 0.0;
    let mut n = 0;
    for c in calls.iter().skip(1) {
        let w = text_em(&c.short) + if c.recall { tag } else { 0.0 } + 1.0;
        if used + w > STRIP_EM {
            break;
        }
        used += w;
        n += 1;
    }
    n
}

/// Fills the hall display's lists from the hall's state for `scope`: the windows open in
/// it, the queues its windows serve, and the calls to its windows (a ticket once, newest
/// first, marked as a recall when its newest call was one).
pub fn fill_hall(view: &mut DisplayView, state: &HallState, scope: &Scope, english: bool) {
    let name = |zh: &str, en: &str| if english && !en.is_empty() { en.to_string() } else { zh.to_string() };
    let floors: std::collections::BTreeSet<i32> = state.windows.iter().filter_map(|w| w.floor).collect();
    let many_floors = floors.len() > 1;
    let in_scope: Vec<&hallq_proto::WindowView> = state.windows.iter().filter(|w| scope.holds(w.floor, w.zone.as_deref())).collect();
    let floor_of = |n: u32| state.windows.iter().find(|w| w.number.get() == n).and_then(|w| w.floor);
    view.place = scope.label(english);
    let keep = state.display.recent_calls as usize;
    let mut seen = std::collections::HashSet::new();
    view.calls = state
        .recent_calls
        .iter()
        .filter(|c| scope.whole_hall() || in_scope.iter().any(|w| w.number == c.window))
        .filter(|c| seen.insert(c.ticket.clone()))
        .take(keep.max(1))
        .map(|c| {
            let (number, window) = (c.number.to_string(), c.window.get());
            let floor = floor_of(window).filter(|_| many_floors);
            hallq_ui::view::CallShown {
                line: call_line(&number, window, floor, english),
                short: call_short(&number, window, floor, english),
                number,
                window,
                recall: c.recall,
            }
        })
        .collect();
    view.windows = in_scope
        .iter()
        .filter(|w| w.open)
        .map(|w| hallq_ui::view::WindowTile {
            number: w.number.get(),
            name: w.name.clone().unwrap_or_default(),
            current: match &w.current {
                Some(c) if matches!(c.status, hallq_proto::Status::Called | hallq_proto::Status::Serving) => c.number.to_string(),
                _ => String::new(),
            },
            paused: w.paused,
        })
        .collect();
    // A window with no queue list, or an empty one (a comprehensive window), serves every queue.
    let serves_all = in_scope.iter().any(|w| w.queues.as_ref().is_none_or(|q| q.is_empty()));
    view.queues = state
        .queues
        .iter()
        .filter(|q| serves_all || in_scope.iter().any(|w| w.queues.as_ref().is_some_and(|qs| qs.contains(&q.id))))
        .map(|q| hallq_ui::view::QueueShown {
            name: format!("{} {}", q.prefix, name(&q.name, &q.name_en)),
            waiting: q.waiting,
            estimate_minutes: q.estimate_minutes,
        })
        .collect();
    view.page_seconds = state.display.page_seconds;
}

/// A page's part of a list: start and end.
type Slice = (usize, usize);

/// The hall display's pages: first the windows, [`WINDOWS_PER_PAGE`] a page, then the
/// queues, [`QUEUE_LINES`] lines a page. Returns (start, end) of each page's slice.
fn pages(view: &DisplayView) -> (Vec<Slice>, Vec<Slice>) {
    let mut windows = Vec::new();
    let mut i = 0;
    while i < view.windows.len() {
        let end = (i + WINDOWS_PER_PAGE).min(view.windows.len());
        windows.push((i, end));
        i = end;
    }
    if windows.is_empty() {
        // "No window open yet" is a page too.
        windows.push((0, 0));
    }
    let mut queues = Vec::new();
    let (mut start, mut lines) = (0, 0);
    for (k, q) in view.queues.iter().enumerate() {
        let l = queue_lines(&q.name);
        if lines > 0 && lines + l > QUEUE_LINES {
            queues.push((start, k));
            (start, lines) = (k, 0);
        }
        lines += l;
    }
    if start < view.queues.len() {
        queues.push((start, view.queues.len()));
    }
    (windows, queues)
}

/// How many pages the full view takes.
pub fn page_count(view: &DisplayView) -> usize {
    let (w, q) = pages(view);
    w.len() + q.len()
}

/// Page `index` (counted from 0, taken modulo the page count) of the full view: its
/// windows or its queues, the page number, and as many earlier calls as fit the strip.
pub fn page(full: &DisplayView, index: usize) -> DisplayView {
    let (w, q) = pages(full);
    let count = w.len() + q.len();
    let index = index % count;
    let mut v = full.clone();
    v.page = index as u32 + 1;
    v.pages = count as u32;
    if index < w.len() {
        let (a, b) = w[index];
        v.page_kind = "windows".into();
        v.windows = full.windows[a..b].to_vec();
        v.queues = Vec::new();
    } else {
        let (a, b) = q[index - w.len()];
        v.page_kind = "queues".into();
        v.queues = full.queues[a..b].to_vec();
        v.windows = Vec::new();
    }
    v.calls.truncate(1 + earlier_that_fit(&full.calls, full.english));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallq_proto::{CallView, DisplaySettings, HallName, QueueFigures, TicketNumber, VoiceSettings, WindowNo, WindowView};

    /// 231 windows on three floors (1: 1-80, 2: 81-160 with zone 报建区 from 121, 3: the
    /// rest), 24 queues, window 25 of floor 1 serving queue A only.
    fn big() -> HallState {
        let windows = (1..=231u32)
            .map(|n| WindowView {
                number: WindowNo(n),
                name: Some("综合窗口".into()),
                floor: Some(if n <= 80 {
                    1
                } else if n <= 160 {
                    2
                } else {
                    3
                }),
                zone: (121..=160).contains(&n).then(|| "报建区".to_string()),
                kind: None,
                queues: Some(if n == 25 || n > 80 { vec!["A".into()] } else { vec![] }),
                open: true,
                paused: false,
                pause_reason: None,
                current: None,
                served_today: 0,
                paused_since: None,
                staff: None,
            })
            .collect();
        let queues = (0..24u8)
            .map(|i| {
                let p = ((b'A' + i) as char).to_string();
                QueueFigures {
                    id: p.as_str().into(),
                    name: format!("业务{p}"),
                    name_en: if i == 3 { "Household Registration and Exit-Entry".into() } else { format!("Service {p}") },
                    prefix: p,
                    waiting: 3,
                    estimate_minutes: 12,
                    issued_today: None,
                    longest_wait_minutes: None,
                    windows: None,
                }
            })
            .collect();
        let call = |seq: u64, number: &str, window: u32, recall: bool| CallView {
            seq,
            at: String::new(),
            ticket: format!("20261127-{number}").into(),
            number: TicketNumber::new(number),
            window: WindowNo(window),
            recall,
        };
        HallState {
            seq: 10,
            date: None,
            now: "2026-11-27T09:31:05+08:00".into(),
            hall: HallName { name: "示范市民之家".into(), name_en: "Demo Hall".into(), utc_offset: None },
            devices: None,
            kiosks: None,
            displays: None,
            display: DisplaySettings { notice: String::new(), recent_calls: 8, page_seconds: 8 },
            voice: VoiceSettings { enabled: true, volume: 1.0 },
            windows,
            queues,
            recent_calls: vec![
                call(9, "A001", 90, true),
                call(8, "B002", 25, false),
                call(7, "C003", 200, false),
                call(6, "A001", 90, false),
                call(5, "D004", 130, false),
            ],
        }
    }

    fn full(scope: Scope, english: bool) -> DisplayView {
        let mut v = DisplayView { english, ..DisplayView::default() };
        fill_hall(&mut v, &big(), &scope, english);
        v
    }

    #[test]
    fn a_floor_shows_its_windows_its_queues_and_its_calls_with_the_floor() {
        let v = full(Scope { floor: Some(2), zone: None }, false);
        assert_eq!(v.place, "2 楼");
        assert_eq!(v.windows.len(), 80);
        assert!(v.windows.iter().all(|w| (81..=160).contains(&w.number)));
        // Floor 2's windows serve queue A only.
        assert_eq!(v.queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(), ["A 业务A"]);
        // The recall of A001 is one line, marked; calls to other floors are not here.
        let lines: Vec<(&str, bool)> = v.calls.iter().map(|c| (c.line.as_str(), c.recall)).collect();
        assert_eq!(lines, [("请 A001 号到 2 楼 90 号窗口", true), ("请 D004 号到 2 楼 130 号窗口", false)]);
        assert_eq!(v.calls[1].short, "D004 → 2楼130号");
        // Floor 1 has comprehensive windows: every queue.
        let v = full(Scope { floor: Some(1), zone: None }, true);
        assert_eq!((v.place.as_str(), v.windows.len(), v.queues.len()), ("Floor 1", 80, 24));
        assert_eq!(v.calls[0].line, "Number B002, please go to window 25, floor 1");
    }

    #[test]
    fn a_zone_shows_only_its_windows() {
        let v = full(Scope { floor: None, zone: Some("报建区".into()) }, false);
        assert_eq!((v.place.as_str(), v.windows.len()), ("报建区", 40));
        assert_eq!(v.calls.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(), ["D004"]);
        let v = full(Scope { floor: Some(1), zone: Some("报建区".into()) }, false);
        assert!(v.windows.is_empty() && v.calls.is_empty(), "no window of 报建区 is on floor 1");
    }

    #[test]
    fn the_whole_hall_says_the_floor_only_when_it_has_more_than_one() {
        let v = full(Scope::default(), false);
        assert_eq!((v.place.as_str(), v.windows.len(), v.queues.len()), ("", 231, 24));
        assert_eq!(v.calls.len(), 4, "A001 once");
        assert_eq!(v.calls[2].line, "请 C003 号到 3 楼 200 号窗口");
        let mut one_floor = big();
        one_floor.windows.iter_mut().for_each(|w| w.floor = Some(1));
        let mut v = DisplayView::default();
        fill_hall(&mut v, &one_floor, &Scope::default(), false);
        assert_eq!(v.calls[0].line, "请 A001 号到 90 号窗口");
        assert_eq!(call_line("A001", 3, Some(-1), false), "请 A001 号到 负1楼 3 号窗口");
        assert_eq!(call_short("A001", 3, Some(-1), true), "A001 → B1F W3");
    }

    #[test]
    fn pages_rotate_through_the_windows_then_the_queues() {
        let v = full(Scope::default(), false);
        // 231 windows: 8 pages of 30 (the last 21); 24 one-line queues: 5 pages of 5.
        assert_eq!(page_count(&v), 8 + 5);
        let p = page(&v, 1);
        assert_eq!((p.page, p.pages, p.page_kind.as_str()), (2, 13, "windows"));
        assert_eq!(p.windows.first().map(|w| w.number), Some(31));
        assert_eq!(p.windows.len(), 30);
        assert_eq!(page(&v, 7).windows.len(), 21);
        let q = page(&v, 8);
        assert_eq!((q.page, q.page_kind.as_str(), q.queues.len(), q.windows.len()), (9, "queues", 5, 0));
        // Round and round.
        assert_eq!(page(&v, 13).page, 1);
        // Every window and queue is on exactly one page.
        let (mut ws, mut qs) = (Vec::new(), Vec::new());
        for i in 0..page_count(&v) {
            let p = page(&v, i);
            ws.extend(p.windows.iter().map(|w| w.number));
            qs.extend(p.queues.iter().map(|q| q.name.clone()));
        }
        assert_eq!(ws, (1..=231).collect::<Vec<_>>());
        assert_eq!(qs.len(), 24);
        // A floor of 80: 3 pages of windows; one queue: one page.
        let v = full(Scope { floor: Some(2), zone: None }, false);
        assert_eq!(page_count(&v), 4);
        // A small hall is one page of windows and one of queues.
        let mut small = full(Scope { floor: Some(2), zone: None }, false);
        small.windows.truncate(6);
        assert_eq!((page_count(&small), page(&small, 0).windows.len()), (2, 6));
    }

    #[test]
    fn long_english_queue_names_take_two_lines_and_are_never_cut() {
        let v = full(Scope::default(), true);
        let d = v.queues.iter().find(|q| q.name.starts_with("D ")).unwrap();
        assert_eq!(queue_lines(&d.name), 2, "{}", d.name);
        // The queue pages hold at most QUEUE_LINES lines, the long name included whole.
        let mut lines_seen = 0;
        for i in 0..page_count(&v) {
            let p = page(&v, i);
            let lines: usize = p.queues.iter().map(|q| queue_lines(&q.name)).sum();
            assert!(lines <= QUEUE_LINES, "page {} has {lines} lines", p.page);
            lines_seen += lines;
        }
        assert_eq!(lines_seen, 25);
    }

    #[test]
    fn the_strip_takes_only_the_earlier_calls_that_fit() {
        let v = full(Scope::default(), false);
        let p = page(&v, 0);
        // Newest first; each earlier one whole on the strip.
        assert_eq!(p.calls[0].number, "A001");
        let used: f32 = p.calls.iter().skip(1).map(|c| text_em(&c.short) + 1.0).sum();
        assert!(used <= STRIP_EM, "{used} em");
        assert!(p.calls.len() >= 3, "at least two earlier calls fit: {:?}", p.calls);
        let many = DisplayView {
            calls: (0..10)
                .map(|i| CallShown {
                    short: call_short(&format!("A{i:03}"), 200 + i, Some(2), true),
                    recall: i % 2 == 0,
                    ..CallShown::default()
                })
                .collect(),
            english: true,
            ..v
        };
        let fit = earlier_that_fit(&many.calls, true);
        assert!((1..9).contains(&fit), "{fit}");
        assert_eq!(page(&many, 0).calls.len(), 1 + fit);
    }
}
