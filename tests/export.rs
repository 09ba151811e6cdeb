//! Issue 11: report export (CSV and XLSX), chart data and supervision for managers, over a
//! generated day whose answers are known.
//!
//! The day (Friday 2026-11-27, the hall's clock held still between steps) has 24 tickets:
//! staff 1001 serves queue B at window 4 (4 minutes a ticket), staff 1002 queue C at window 7
//! (10 minutes). At window 4, B003 is a no-show and is later requeued, B007 is called out of
//! order past three earlier tickets (with the reason), B004 is transferred to 普通护照签发
//! (queue C, served at window 7), and the window pauses for 15 minutes; at window 7, C001 is
//! called by choice while first in line (not out of order) and the window pauses for 10
//! minutes. Nine tickets are rated, three of them 不满意 or 非常不满意. Every figure below
//! was worked out by hand from this timeline (the waits are listed in the comments).

mod common;

use std::collections::HashMap;

use chrono::NaiveDate;
use common::*;
use hallq::config::Config;
use hallq_proto::{
    Actor, ErrorCode, Evaluate, HallClient, Rating, ReportBy, SupervisedKind, TicketView, WindowAction, WindowCommand, WindowNo,
};

const DAY: &str = "2026-11-27";
/// 09:00 in the hall, the clock running 10,000 times slower than real time, so that each
/// step happens at the whole minute the test moves it to.
const OPENING: &str = "2026-11-27T09:00:00+08:00@0.0001";

enum Step {
    /// Issue a ticket of this item; it must get this number.
    Issue(&'static str, &'static str),
    /// Desk 0 (window 4, staff 1001) or 1 (window 7, staff 1002) acts; after a call the
    /// window's current ticket must be this number.
    Act(usize, WindowAction, WindowCommand, Option<&'static str>),
    /// The visitor of this number rates the service on their phone.
    Rate(&'static str, Rating),
}

fn none() -> WindowCommand {
    WindowCommand::default()
}

/// The day's steps, at minutes after 09:00, in the order they run.
fn timeline() -> Vec<(i64, Step)> {
    use Step::*;
    use WindowAction::*;
    let mut steps: Vec<(i64, Step)> = Vec::new();
    // B001..B012 every 2 minutes from 09:00; odd numbers 临时居民身份证办理 (公安局), even
    // ones 个人参保证明打印 (人社局).
    const B: [&str; 16] =
        ["B001", "B002", "B003", "B004", "B005", "B006", "B007", "B008", "B009", "B010", "B011", "B012", "B013", "B014", "B015", "B016"];
    let b_item = |k: usize| if k.is_multiple_of(2) { "linshi-sfz" } else { "canbao-zhengming" };
    for (k, n) in B.iter().enumerate().take(12) {
        steps.push((2 * k as i64, Issue(b_item(k), n)));
    }
    // C001..C006 (普通护照签发) every 5 minutes from 10:00.
    for (k, n) in ["C001", "C002", "C003", "C004", "C005", "C006"].into_iter().enumerate() {
        steps.push((60 + 5 * k as i64, Issue("huzhao", n)));
    }
    // B013..B016 every 5 minutes from 11:00; C007 and C008 at 13:30 and 13:40.
    for (k, n) in B.iter().enumerate().skip(12) {
        steps.push((120 + 5 * (k as i64 - 12), Issue(b_item(k), n)));
    }
    steps.push((270, Issue("huzhao", "C007")));
    steps.push((280, Issue("huzhao", "C008")));

    // Serves the ticket a call gives: start a minute later, finish `minutes` after that.
    let serve = |steps: &mut Vec<(i64, Step)>, desk: usize, at: i64, call: Step, minutes: i64, rating: Option<(&'static str, Rating)>| {
        steps.push((at, call));
        steps.push((at + 1, Act(desk, Start, none(), None)));
        steps.push((at + 1 + minutes, Act(desk, Finish, none(), None)));
        if let Some((n, r)) = rating {
            steps.push((at + 1 + minutes, Rate(n, r)));
        }
    };
    let next = |desk: usize, n: &'static str| Act(desk, CallNext, none(), Some(n));
    let chosen = |desk: usize, n: &'static str, reason: &str| {
        let cmd = WindowCommand { ticket: Some(format!("20261127-{n}").into()), reason: Some(reason.into()), ..none() };
        Act(desk, Call, cmd, Some(n))
    };
    let pause = |desk: usize, reason: &str| Act(desk, Pause, WindowCommand { reason: Some(reason.into()), ..none() }, None);

    // Window 4, staff 1001.                                               waits (minutes)
    serve(&mut steps, 0, 0, next(0, "B001"), 4, Some(("B001", Rating::VerySatisfied))); // B001 0
    serve(&mut steps, 0, 5, next(0, "B002"), 4, Some(("B002", Rating::Satisfied))); //     B002 3
    steps.push((10, next(0, "B003"))); //                                                  B003 6
    steps.push((12, Act(0, NoShow, none(), None)));
    // B004, B005 and B006 are waiting: B007 passes over all three.
    serve(&mut steps, 0, 12, chosen(0, "B007", "老人行动不便，优先办理"), 4, Some(("B007", Rating::Neutral))); // B007 0
    steps.push((17, next(0, "B004"))); //                                                  B004 11
    steps.push((18, Act(0, Start, none(), None)));
    steps.push((20, Act(0, Transfer, WindowCommand { service: Some("huzhao".into()), ..none() }, None)));
    // B005 waited 12 minutes.
    serve(&mut steps, 0, 20, next(0, "B005"), 4, Some(("B005", Rating::VerySatisfied)));
    // B003 goes back in line behind those waiting (B011, issued at 09:20, included). A
    // minute apart: the held clock gives two steps of one minute the same instant.
    steps.push((21, Act(0, Requeue, WindowCommand { ticket: Some("20261127-B003".into()), ..none() }, None)));
    serve(&mut steps, 0, 25, next(0, "B006"), 4, Some(("B006", Rating::VeryDissatisfied))); // B006 15
    steps.push((30, pause(0, "临时会议")));
    steps.push((45, Act(0, Resume, none(), None)));
    for (k, n) in ["B008", "B009", "B010", "B011"].into_iter().enumerate() {
        serve(&mut steps, 0, 45 + 5 * k as i64, next(0, n), 4, None); //                  B008 31, 34, 37, B011 40
    }
    serve(&mut steps, 0, 65, next(0, "B003"), 4, Some(("B003", Rating::Dissatisfied))); // (first called at 09:10)
    serve(&mut steps, 0, 70, next(0, "B012"), 4, None); //                                  B012 48
    for (k, n) in ["B013", "B014", "B015", "B016"].into_iter().enumerate() {
        serve(&mut steps, 0, 128 + 5 * k as i64, next(0, n), 4, None); //                 8 each
    }

    // Window 7, staff 1002: the transferred B004 first (issued 09:06, before every C).
    serve(&mut steps, 1, 60, next(1, "B004"), 10, Some(("B004", Rating::Satisfied)));
    // C001 is first in line: chosen, but not out of order.
    serve(&mut steps, 1, 71, chosen(1, "C001", "预约客户核验"), 10, Some(("C001", Rating::Dissatisfied))); // C001 11
    serve(&mut steps, 1, 82, next(1, "C002"), 10, Some(("C002", Rating::VerySatisfied))); // C002 17
    for (k, n) in ["C003", "C004", "C005", "C006"].into_iter().enumerate() {
        serve(&mut steps, 1, 93 + 11 * k as i64, next(1, n), 10, None); //                 C003 23, 29, 35, 41
    }
    steps.push((140, pause(1, "系统升级")));
    steps.push((150, Act(1, Resume, none(), None)));
    serve(&mut steps, 1, 350, next(1, "C007"), 10, None); //                                C007 80
    serve(&mut steps, 1, 361, next(1, "C008"), 10, None); //                                C008 81

    // Issues first at each minute, then window 4, then window 7, each in its own order.
    steps.sort_by_key(|(m, _)| *m);
    steps
}

/// Runs the day; returns the tickets by number.
async fn run_day(h: &TestHall) -> HashMap<String, TicketView> {
    let kiosk = h.client("demo-kiosk-1");
    let anon = h.client("");
    let desks: Vec<(WindowNo, HallClient)> = vec![
        (WindowNo(4), h.client(&anon.login("1001", "demo-1001").await.unwrap().token)),
        (WindowNo(7), h.client(&anon.login("1002", "demo-1002").await.unwrap().token)),
    ];
    let start = h.hall.now();
    let mut tickets = HashMap::new();
    for (i, (minute, step)) in timeline().into_iter().enumerate() {
        h.clock.advance_to(start + chrono::Duration::minutes(minute));
        match step {
            Step::Issue(item, number) => {
                // Most items take a number only with an ID card: one visitor each.
                let visitor = identity(&id_number("19800101", i as u32), "张三");
                let t = kiosk.issue(&issue_with_card(&format!("export-{i}"), item, &visitor)).await.unwrap().ticket;
                assert_eq!(t.number.as_str(), number, "at minute {minute}");
                tickets.insert(number.to_string(), t);
            }
            Step::Act(desk, action, cmd, expect) => {
                let (window, client) = &desks[desk];
                let answer = client
                    .window_action(*window, action, &cmd)
                    .await
                    .unwrap_or_else(|e| panic!("minute {minute}: window {} {action:?}: {e}", window.0));
                if let Some(n) = expect {
                    let current = answer.window.current.as_ref().map(|c| c.number.as_str().to_string());
                    assert_eq!(current.as_deref(), Some(n), "minute {minute}: window {} called", window.0);
                }
            }
            Step::Rate(number, rating) => {
                let t = &tickets[number];
                anon.evaluate(&t.id, &Evaluate { rating, token: t.token.clone(), nonce: None }).await.unwrap();
            }
        }
    }
    assert_eq!(tickets.len(), 24);
    tickets
}

/// A ticket issued on the next day, which opens it.
async fn kiosk_next_day(h: &TestHall) {
    let visitor = identity(&id_number("19800101", 999), "李四");
    let t = h.client("demo-kiosk-1").issue(&issue_with_card("export-next-day", "linshi-sfz", &visitor)).await.unwrap().ticket;
    assert_eq!(t.date.to_string(), "2026-11-28");
}

/// The CSV's text after its byte-order mark, as lines (CRLF line ends checked).
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a UTF-8 byte-order mark first");
    assert!(text.ends_with("\r\n"), "{text:?}");
    let lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    assert_eq!(lines.last().map(String::as_str), Some(""), "CRLF after every line and nothing else");
    lines[..lines.len() - 1].to_vec()
}

/// Compares a CSV cell by cell against the expected rows.
fn assert_csv(bytes: &[u8], expected: &[&str]) {
    let lines = csv_lines(bytes);
    assert_eq!(lines.len(), expected.len(), "rows: {lines:#?}");
    for (row, (got, want)) in lines.iter().zip(expected).enumerate() {
        let got: Vec<&str> = got.split(',').collect();
        let want: Vec<&str> = want.split(',').collect();
        assert_eq!(got.len(), want.len(), "row {row}: {got:?}");
        for (col, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "row {row}, column {col} ({})", expected[0].split(',').nth(col).unwrap_or("?"));
        }
    }
}

/// A cell as the XLSX holds it: text, or a number.
#[derive(Debug, Clone, PartialEq)]
enum X {
    S(&'static str),
    N(f64),
    Empty,
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<X>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX workbook");
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => X::S(Box::leak(s.clone().into_boxed_str())),
                    Data::Float(f) => X::N(*f),
                    Data::Int(i) => X::N(*i as f64),
                    Data::Empty => X::Empty,
                    other => panic!("sheet {name}: unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn xrow(text: &[&'static str], numbers: &[f64]) -> Vec<X> {
    text.iter().map(|s| X::S(s)).chain(numbers.iter().map(|n| X::N(*n))).collect()
}

#[tokio::test]
async fn export_charts_and_supervision_of_a_known_day() {
    within(240, "test", async {
        // The day below marks a no-show two minutes after its call: 过号 at once here.
        let mut config = Config::demo();
        (config.rules.no_show_after_recalls, config.rules.no_show_after_minutes) = (0, 0);
        let h = TestHall::start_with(config, OPENING).await;
        let tickets = run_day(&h).await;
        let manager = h.client("demo-manager");
        let day: NaiveDate = DAY.parse().unwrap();

        // The CSV by department, in Chinese. 公安局: 17 tickets, waits 0 0 6 8 8 11 11 12 17
        // 23 29 34 35 40 41 80 81 (mean 25.65, p90 the 16th: 80), service 4 ×8 and 10 ×9
        // (mean 7.18); 人社局: 7 tickets, waits 3 8 8 15 31 37 48 (mean 21.43), service 4.
        let csv = manager.report_export(day, day, ReportBy::Department, "csv", "zh").await.unwrap();
        assert_csv(
            &csv,
            &[
                "部门,名称,取号数,办结数,平均等候(分钟),等候P90(分钟),平均办理(分钟),办理P90(分钟),过号,转办,插队叫号,非常满意,满意,基本满意,不满意,非常不满意",
                "gaj,公安局,17,17,25.6,80.0,7.2,10.0,1,1,1,3,1,1,2,0",
                "rsj,人力资源和社会保障局,7,7,21.4,48.0,4.0,4.0,0,0,0,0,1,0,0,1",
            ],
        );
        // By staff member, in English. 1001: 15 tickets at window 4, waits summing to 258
        // minutes (p90 the 14th of 15: 40); 1002: 9 at window 7, waits summing to 328 (p90 81).
        let csv = manager.report_export(day, day, ReportBy::Staff, "csv", "en").await.unwrap();
        assert_csv(
            &csv,
            &[
                "Staff,Name,Tickets,Served,Mean wait (min),Wait p90 (min),Mean service (min),Service p90 (min),No-shows,Transfers,Out-of-order calls,Very satisfied,Satisfied,Neutral,Dissatisfied,Very dissatisfied",
                "1001,示例员工甲,15,15,17.2,40.0,4.0,4.0,1,0,1,2,1,1,1,1",
                "1002,示例员工乙,9,9,36.4,81.0,10.0,10.0,0,1,0,1,1,0,1,0",
            ],
        );
        // The JSON report agrees with the file.
        let json = manager.report(day, day, ReportBy::Staff).await.unwrap();
        assert_eq!(json.rows.iter().map(|r| (r.key.as_str(), r.tickets, r.out_of_order)).collect::<Vec<_>>(), [("1001", 15, 1), ("1002", 9, 0)]);

        // The download's name and type.
        let r = client()
            .get(h.url("/reports/export?from=2026-11-27&to=2026-11-27&by=window&format=xlsx"))
            .bearer_auth("demo-manager")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"hallq-report-2026-11-27-2026-11-27-window.xlsx\"");
        let xlsx = r.bytes().await.unwrap().to_vec();
        // The XLSX by window, row by row: numbers are numbers.
        let report = sheet(&xlsx, "报表");
        assert_eq!(
            report,
            vec![
                xrow(
                    &[
                        "窗口",
                        "名称",
                        "取号数",
                        "办结数",
                        "平均等候(分钟)",
                        "等候P90(分钟)",
                        "平均办理(分钟)",
                        "办理P90(分钟)",
                        "过号",
                        "转办",
                        "插队叫号",
                        "非常满意",
                        "满意",
                        "基本满意",
                        "不满意",
                        "非常不满意"
                    ],
                    &[]
                ),
                xrow(&["4", "即办窗口"], &[15.0, 15.0, 17.2, 40.0, 4.0, 4.0, 1.0, 0.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0]),
                xrow(&["7", "户政窗口"], &[9.0, 9.0, 36.4, 81.0, 10.0, 10.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
            ]
        );
        // Both sheets keep their header row frozen, set their column widths and draw the
        // header in its own style (bold on a shaded fill).
        let part = |name: &str| {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.clone())).expect("an XLSX is a zip");
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}")), &mut text).unwrap();
            text
        };
        for name in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
            let xml = part(name);
            assert!(xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{name}: {xml}");
            assert!(xml.contains("customWidth=\"1\""), "{name}: {xml}");
            let style_of = |cell: &str| xml.split(&format!("<c r=\"{cell}\"")).nth(1).and_then(|c| c.split('>').next()).map(str::to_string);
            let header = style_of("A1").unwrap_or_else(|| panic!("{name}: no A1"));
            assert!(header.contains(" s=\""), "{name}: A1 has no style: {header}");
            assert_ne!(Some(header), style_of("A2"), "{name}: the header has its own style");
        }
        let styles = part("xl/styles.xml");
        assert!(styles.contains("<b/>") && styles.contains("DDEBF7"), "{styles}");
        let bad = sheet(&xlsx, "不满意评价");
        let ticket_row = |date, number, item, window: f64, staff, rating, id| {
            vec![X::S(date), X::S(number), X::S(item), X::N(window), X::S(staff), X::S(rating), X::S(id)]
        };
        assert_eq!(
            bad,
            vec![
                xrow(&["日期", "票号", "事项", "窗口", "工作人员", "评价", "票据"], &[]),
                ticket_row(DAY, "B003", "临时居民身份证办理", 4.0, "1001", "不满意", "20261127-B003"),
                ticket_row(DAY, "B006", "个人参保证明打印", 4.0, "1001", "非常不满意", "20261127-B006"),
                ticket_row(DAY, "C001", "普通护照签发", 7.0, "1002", "不满意", "20261127-C001"),
            ]
        );
        let csv_r = client()
            .get(h.url("/reports/export?from=2026-11-27&by=day"))
            .bearer_auth("demo-manager")
            .send()
            .await
            .unwrap();
        assert_eq!(csv_r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(csv_r.headers()["content-disposition"], "attachment; filename=\"hallq-report-2026-11-27-2026-11-27-day.csv\"");
        let by_day = csv_lines(&csv_r.bytes().await.unwrap());
        assert_eq!(by_day[1].split(',').take(4).collect::<Vec<_>>(), ["2026-11-27", "", "24", "24"]);

        // Charts. Issued: 12 in the 9 o'clock hour, 6 at 10, 4 at 11, 2 at 13.
        let charts = manager.report_charts(day, day).await.unwrap();
        assert_eq!(charts.wait_buckets_min, [0, 5, 10, 15, 20, 30, 45, 60]);
        let mut hours = vec![0; 24];
        (hours[9], hours[10], hours[11], hours[13]) = (12, 6, 4, 2);
        assert_eq!(charts.total.issued_by_hour, hours);
        // Waits: 0 3 0 | 6 8 8 8 8 | 11 12 11 | 15 17 | 23 29 | 31 34 37 40 35 41 | 48 | 80 81.
        assert_eq!(charts.total.waits, [3, 5, 3, 2, 2, 6, 1, 2]);
        assert_eq!(charts.total.ratings, [3, 2, 1, 2, 1]);
        let group = |groups: &[hallq_proto::ChartGroup], key: &str| {
            groups.iter().find(|g| g.key == key).unwrap_or_else(|| panic!("no {key} in {groups:?}")).clone()
        };
        assert_eq!(charts.departments.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["gaj", "rsj"]);
        let rsj = group(&charts.departments, "rsj");
        assert_eq!(rsj.name, "人力资源和社会保障局");
        let mut rsj_hours = vec![0; 24];
        (rsj_hours[9], rsj_hours[11]) = (5, 2);
        assert_eq!(rsj.series.issued_by_hour, rsj_hours);
        assert_eq!(rsj.series.waits, [1, 2, 0, 1, 0, 2, 1, 0]);
        assert_eq!(rsj.series.ratings, [0, 1, 0, 0, 1]);
        let gaj = group(&charts.departments, "gaj");
        assert_eq!(gaj.series.waits, [2, 3, 3, 1, 2, 4, 0, 2]);
        assert_eq!(gaj.series.ratings, [3, 1, 1, 2, 0]);
        assert_eq!(charts.windows.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["4", "7"]);
        let w4 = group(&charts.windows, "4");
        assert_eq!((w4.series.issued_by_hour[9], w4.series.issued_by_hour[11]), (11, 4));
        assert_eq!(w4.series.waits, [3, 5, 1, 1, 0, 4, 1, 0]);
        assert_eq!(w4.series.ratings, [2, 1, 1, 1, 1]);
        let w7 = group(&charts.windows, "7");
        assert_eq!(w7.name, "户政窗口");
        assert_eq!(w7.series.waits, [0, 0, 2, 1, 2, 2, 0, 2]);
        assert_eq!(w7.series.ratings, [1, 1, 0, 1, 0]);

        // A filed digest of the day (as `hallq log digest --keep` leaves it) before supervision.
        let log = h.hall.db_path().to_path_buf();
        let conn = hallq::store::open_reader(&log).unwrap();
        let digest = hallq::digest::day_digest(&conn, day).unwrap().expect("the day is in the log");
        std::fs::write(hallq::digest::kept_in(h.dir.path()), format!("{}\n", digest.line())).unwrap();
        let (head_seq, head_hash): (u64, Vec<u8>) =
            conn.query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();

        // Supervision: every specific call, transfer, requeue and pause, with who and why.
        let sup = manager.supervision(day, day, None, None).await.unwrap();
        let rows: Vec<_> = sup
            .actions
            .iter()
            .map(|a| {
                (
                    a.at.as_str(),
                    a.kind,
                    a.window.0,
                    a.staff.as_deref().unwrap_or(""),
                    a.number.as_ref().map(|n| n.as_str()).unwrap_or(""),
                    a.reason.as_deref().unwrap_or(""),
                    a.out_of_order,
                    a.skipped,
                )
            })
            .collect();
        use SupervisedKind::*;
        assert_eq!(
            rows,
            [
                ("2026-11-27T09:12:00+08:00", Call, 4, "1001", "B007", "老人行动不便，优先办理", true, 3),
                ("2026-11-27T09:20:00+08:00", Transfer, 4, "1001", "B004", "", false, 0),
                ("2026-11-27T09:21:00+08:00", Requeue, 4, "1001", "B003", "", false, 0),
                ("2026-11-27T09:30:00+08:00", Pause, 4, "1001", "", "临时会议", false, 0),
                ("2026-11-27T10:11:00+08:00", Call, 7, "1002", "C001", "预约客户核验", false, 0),
                ("2026-11-27T11:20:00+08:00", Pause, 7, "1002", "", "系统升级", false, 0),
            ]
        );
        let a = &sup.actions;
        assert_eq!(a[0].actor, Actor::staff("1001"));
        assert_eq!(a[0].ticket.as_ref(), Some(&tickets["B007"].id));
        assert_eq!((a[1].from_service.as_ref().map(|s| s.as_str()), a[1].to_service.as_ref().map(|s| s.as_str())), (Some("canbao-zhengming"), Some("huzhao")));
        assert_eq!((a[3].resumed_at.as_deref(), a[3].paused_minutes), (Some("2026-11-27T09:45:00+08:00"), Some(15.0)));
        assert_eq!((a[5].resumed_at.as_deref(), a[5].paused_minutes), (Some("2026-11-27T11:30:00+08:00"), Some(10.0)));
        assert!(!sup.truncated);
        let counts = |c: &[hallq_proto::SupervisionCount]| {
            c.iter().map(|c| (c.key.clone(), c.calls, c.out_of_order, c.transfers, c.requeues, c.pauses, c.paused_minutes)).collect::<Vec<_>>()
        };
        assert_eq!(counts(&sup.by_window), [("4".to_string(), 1, 1, 1, 1, 1, 15.0), ("7".to_string(), 1, 0, 0, 0, 1, 10.0)]);
        assert_eq!(counts(&sup.by_staff), [("1001".to_string(), 1, 1, 1, 1, 1, 15.0), ("1002".to_string(), 1, 0, 0, 0, 1, 10.0)]);
        // The chain's head and the filed digest, which the log still matches.
        assert_eq!((sup.chain.last_seq, sup.chain.head_hash.clone()), (head_seq, hex::encode(&head_hash)));
        assert_eq!(sup.chain.last_day, None, "no day has closed yet");
        let filed = sup.chain.filed.clone().expect("the filed digest");
        assert_eq!((filed.digest.date, filed.digest.last_seq, filed.problem.as_deref()), (day, digest.last_seq, None));
        // One window, one member of staff.
        let w7_only = manager.supervision(day, day, Some(WindowNo(7)), None).await.unwrap();
        assert_eq!(w7_only.actions.iter().map(|a| a.seq).collect::<Vec<_>>(), [a[4].seq, a[5].seq]);
        let s1001 = manager.supervision(day, day, None, Some("1001")).await.unwrap();
        assert_eq!(s1001.actions.iter().map(|a| a.seq).collect::<Vec<_>>(), a[..4].iter().map(|a| a.seq).collect::<Vec<_>>());
        // Another day has none.
        let next_day = day.succ_opt().unwrap();
        assert!(manager.supervision(next_day, next_day, None, None).await.unwrap().actions.is_empty());

        // A digest filed with another hash: named.
        let mut forged = digest.clone();
        forged.last_hash = "00".repeat(32);
        std::fs::write(hallq::digest::kept_in(h.dir.path()), format!("{}\n{}\n", digest.line(), forged.line())).unwrap();
        let problem = manager.supervision(day, day, None, None).await.unwrap().chain.filed.unwrap().problem.unwrap();
        assert!(problem.contains("changed after filing"), "{problem}");

        // Each row links to the ticket's full history, with who did each step.
        let b004 = manager.ticket(&tickets["B004"].id).await.unwrap();
        let history = b004.history.expect("managers see the history");
        let by = |who: &str, window: u32| history.iter().any(|e| e.by == Some(Actor::staff(who)) && e.window == Some(WindowNo(window)));
        assert!(by("1001", 4) && by("1002", 7), "{history:#?}");
        assert!(history.iter().any(|e| e.what.contains("transfer")), "{history:#?}");

        // Managers only; bad queries are named.
        let counter = h.client("demo-counter-1-6");
        let staff = h.client(&h.client("").login("1001", "demo-1001").await.unwrap().token);
        let metrics = h.client("demo-metrics");
        for who in [&counter, &staff, &metrics] {
            assert_eq!(refusal(who.report_export(day, day, ReportBy::Item, "csv", "zh").await), (403, ErrorCode::ForbiddenRole));
            assert_eq!(refusal(who.report_charts(day, day).await), (403, ErrorCode::ForbiddenRole));
            assert_eq!(refusal(who.supervision(day, day, None, None).await), (403, ErrorCode::ForbiddenRole));
        }
        assert_eq!(refusal(manager.report_export(day, day, ReportBy::Item, "pdf", "zh").await), (400, ErrorCode::BadQuery));
        assert_eq!(refusal(manager.report_export(day, day, ReportBy::Item, "csv", "fr").await), (400, ErrorCode::BadQuery));
        assert_eq!(refusal(manager.report_charts(next_day, day).await), (400, ErrorCode::BadQuery));
        let (status, body) = get(&client(), &h.url("/supervision?window=x"), "demo-manager").await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_query")));

        // The next morning the day has closed: its digest is the chain's newest closed day.
        h.clock.advance_to(chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap().to_utc());
        kiosk_next_day(&h).await;
        let closed = hallq::digest::day_digest(&hallq::store::open_reader(&log).unwrap(), day).unwrap().unwrap();
        assert!(closed.closed);
        let chain = manager.supervision(next_day, next_day, None, None).await.unwrap().chain;
        let last_day = chain.last_day.expect("a closed day");
        assert_eq!((last_day.date, last_day.closed, last_day.last_seq, last_day.last_hash), (day, true, closed.last_seq, closed.last_hash));
        assert!(chain.last_seq > closed.last_seq);
        h.stop().await;
    })
    .await
}
