//! `hallq kiosk --screenshots DIR`: every kiosk screen rendered headless to PNG, portrait
//! (1080×1920) and landscape (1920×1080), in Chinese and English. The screens come from the
//! real controller walking through the flows on the demo hall's catalogue.

use std::path::Path;

use anyhow::Context;
use hallq_ui::view::{DeviceKind, KioskView, TileId, UiAction};

use super::controller::{AppointmentRow, Card, Controller, Input, IssueFailure, Issued, ResultRow, Settings};
use super::text::Said;

/// A made-up scanned page: a form with a title bar and lines of text.
fn sample_page(seed: u8) -> hallq_ui::view::Thumb {
    let (w, h) = (200u32, 283u32);
    let mut rgb = vec![250u8; (w * h * 3) as usize];
    let mut dark = |x0: u32, y0: u32, x1: u32, y1: u32, v: u8| {
        for y in y0..y1.min(h) {
            for x in x0..x1.min(w) {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[v, v, v]);
            }
        }
    };
    dark(20, 18, 180, 34, 60);
    for line in 0..14u32 {
        let len = 60 + ((line * 37 + seed as u32 * 11) % 100);
        dark(20, 50 + line * 15, 20 + len, 56 + line * 15, 140);
    }
    dark(120, 250, 180, 262, 90);
    hallq_ui::view::Thumb { width: w, height: h, rgb }
}

/// The taps that take a number for a popular item without an ID card.
fn quick_ticket() -> [UiAction; 5] {
    [UiAction::Tile(TileId::Hot), UiAction::Item("sfz-buling".into()), UiAction::TakeNumber, UiAction::SkipIdentity, UiAction::Confirm]
}

/// The views worth looking at, named.
pub fn sample_views(catalog: super::controller::Catalog, english: bool) -> Vec<(&'static str, KioskView)> {
    let mut out = Vec::new();
    let mut c = Controller::new(Settings::default(), 1);
    c.handle(Input::Catalog(catalog));
    c.handle(Input::Tick("2026-11-27 09:30".into()));
    let ui = |c: &mut Controller, a: UiAction| {
        c.handle(Input::Ui(a));
    };
    ui(&mut c, UiAction::SetEnglish(english));
    out.push(("home", c.view().clone()));
    ui(&mut c, UiAction::Tile(TileId::Personal));
    out.push(("items", c.view().clone()));
    ui(&mut c, UiAction::Item("hukou-qianru".into()));
    out.push(("item", c.view().clone()));
    ui(&mut c, UiAction::TakeNumber);
    out.push(("identity", c.view().clone()));
    c.handle(Input::Card(Card {
        id_number: "43010219900307123X".into(),
        name: "张三".into(),
        masked: "张*（4301**********123X）".into(),
        expired_on: String::new(),
    }));
    out.push(("confirm", c.view().clone()));
    ui(&mut c, UiAction::Confirm);
    out.push(("printing", c.view().clone()));
    let ticket = Issued {
        id: "20261127-C012".into(),
        number: "C012".into(),
        service: if english { "Household registration: moving in".into() } else { "户口迁入登记".into() },
        holder: "张*".into(),
        windows: vec![(1, 1), (2, 1), (7, 1), (8, 1), (9, 1)],
        waiting_area: "1楼等候区".into(),
        waiting_area_en: "the waiting area on floor 1".into(),
        ahead: 3,
        estimate_minutes: 6,
        token: "t".into(),
        status_url: "http://127.0.0.1:8080/t/20261127-C012?token=t".into(),
        printable: Default::default(),
        offline: false,
    };
    c.handle(Input::Issued(Ok(ticket.clone())));
    c.handle(Input::Printed(Ok(())));
    out.push(("ticket", c.view().clone()));
    // The hall unreachable: the home screen says so, and a ticket comes from the lease.
    c.handle(Input::Offline(true));
    ui(&mut c, UiAction::Home);
    out.push(("home-offline", c.view().clone()));
    for a in quick_ticket() {
        ui(&mut c, a);
    }
    c.handle(Input::Issued(Ok(Issued { number: "C991".into(), ahead: 0, estimate_minutes: 0, offline: true, ..ticket.clone() })));
    c.handle(Input::Printed(Ok(())));
    out.push(("ticket-offline", c.view().clone()));
    c.handle(Input::Offline(false));
    ui(&mut c, UiAction::Home);
    for a in quick_ticket() {
        ui(&mut c, a);
    }
    c.handle(Input::Issued(Ok(Issued { number: "C013".into(), ..ticket })));
    let paper = if english { "The ticket printer is out of paper" } else { "打印机缺纸，请联系工作人员" };
    c.handle(Input::Printed(Err((paper.into(), true))));
    out.push(("ticket-paper-out", c.view().clone()));
    ui(&mut c, UiAction::Home);
    out.push(("out-of-service", c.view().clone()));
    ui(&mut c, UiAction::CallStaff);
    c.handle(Input::HelpCalled(false));
    out.push(("out-of-service-help", c.view().clone()));
    ui(&mut c, UiAction::CallStaff);
    c.handle(Input::HelpCalled(true));
    out.push(("help-called", c.view().clone()));
    c.handle(Input::Health(None));
    ui(&mut c, UiAction::Tile(TileId::Search));
    for k in "HZ".chars() {
        ui(&mut c, UiAction::SearchKey(k));
    }
    out.push(("search", c.view().clone()));
    ui(&mut c, UiAction::Home);
    ui(&mut c, UiAction::Tile(TileId::Personal));
    ui(&mut c, UiAction::Item("huzhao".into()));
    ui(&mut c, UiAction::TakeNumber);
    c.handle(Input::Card(Card {
        id_number: "x".into(), name: "陈大文".into(), masked: "陈**".into(), expired_on: "2026-01-04".into()
    }));
    out.push(("card-expired", c.view().clone()));
    ui(&mut c, UiAction::Home);
    for a in quick_ticket() {
        ui(&mut c, a);
    }
    // The hall's words in both languages, as its refusal carries them.
    let said = Said::Hall {
        zh: "午休时间暂停取号，13:30 恢复取号。".into(),
        en: Some("Tickets pause for lunch and resume at 13:30.".into()),
    };
    c.handle(Input::Issued(Err(IssueFailure::LunchBreak { said, until: Some("13:30".into()) })));
    out.push(("refused", c.view().clone()));
    ui(&mut c, UiAction::Home);
    let card = Card {
        id_number: "43010219900307123X".into(),
        name: "张三".into(),
        masked: "张*（4301**********123X）".into(),
        expired_on: String::new(),
    };
    // Appointment check-in: the code pad, then the visitor's appointments.
    ui(&mut c, UiAction::Tile(TileId::Appointment));
    for k in "YY10".chars() {
        ui(&mut c, UiAction::CodeKey(k));
    }
    out.push(("appointment", c.view().clone()));
    ui(&mut c, UiAction::Back);
    ui(&mut c, UiAction::Tile(TileId::Appointment));
    c.handle(Input::Card(card.clone()));
    let service = if english { "Household registration: moving in" } else { "户口迁入登记" };
    c.handle(Input::Appointments(Ok(vec![
        AppointmentRow { code: "YY1001".into(), service: service.into(), slot: "2026-11-27 10:00".into(), checked_in: false },
        AppointmentRow {
            code: "YY2002".into(),
            service: if english { "Social security card" } else { "社会保障卡申领" }.into(),
            slot: "2026-12-02 14:30".into(),
            checked_in: false,
        },
    ])));
    out.push(("appointments", c.view().clone()));
    ui(&mut c, UiAction::Choose("YY1001".into()));
    let other_day = if english { "This appointment is for another day." } else { "该预约不是今天的，请按预约日期前来。" };
    c.handle(Input::Issued(Err(IssueFailure::Refused(other_day.into()))));
    out.push(("appointment-refused", c.view().clone()));
    ui(&mut c, UiAction::Home);
    // Self-printing results.
    ui(&mut c, UiAction::Tile(TileId::Results));
    c.handle(Input::Card(card.clone()));
    let dept = if english { "Market regulation" } else { "市场监管局" };
    c.handle(Input::Results(Ok(vec![
        ResultRow {
            id: "R1".into(),
            title: if english { "Business licence" } else { "营业执照（副本）" }.into(),
            department: dept.into(),
            nonce: None,
        },
        ResultRow {
            id: "R2".into(),
            title: if english { "Food business permit" } else { "食品经营许可证" }.into(),
            department: dept.into(),
            nonce: None,
        },
    ])));
    out.push(("results", c.view().clone()));
    ui(&mut c, UiAction::Choose("all".into()));
    c.handle(Input::DocProgress(
        if english { "Printing 1/2: Business licence".into() } else { "正在打印 第 1/2 份：营业执照（副本）".into() },
        30,
    ));
    out.push(("results-printing", c.view().clone()));
    c.handle(Input::DocsPrinted(Ok(2)));
    out.push(("results-done", c.view().clone()));
    ui(&mut c, UiAction::Home);
    // Scanning materials.
    ui(&mut c, UiAction::Tile(TileId::Scan));
    ui(&mut c, UiAction::Item("hukou-qianru".into()));
    ui(&mut c, UiAction::TakeNumber);
    c.handle(Input::Card(card));
    ui(&mut c, UiAction::ScanFeeder);
    c.handle(Input::Scanned(Ok((0..5).map(sample_page).collect())));
    ui(&mut c, UiAction::SelectPage(2));
    out.push(("scan", c.view().clone()));
    ui(&mut c, UiAction::Home);
    // The manager menu.
    for _ in 0..5 {
        ui(&mut c, UiAction::Corner);
    }
    for d in "24".chars() {
        ui(&mut c, UiAction::PinKey(d));
    }
    out.push(("manager-pin", c.view().clone()));
    for d in "68".chars() {
        ui(&mut c, UiAction::PinKey(d));
    }
    ui(&mut c, UiAction::PinEnter);
    c.handle(Input::SelfTested(
        DeviceKind::TicketPrinter,
        true,
        if english { "Test ticket printed".into() } else { "已打印测试票".into() },
    ));
    c.handle(Input::SelfTested(
        DeviceKind::A4Printer,
        false,
        if english { "A4 printer out of paper".into() } else { "A4打印机缺纸，请联系工作人员".into() },
    ));
    ui(&mut c, UiAction::SelfTest(DeviceKind::Scanner));
    out.push(("manager", c.view().clone()));
    ui(&mut c, UiAction::Home);
    ui(&mut c, UiAction::ToggleElderly);
    out.push(("home-elderly", c.view().clone()));
    ui(&mut c, UiAction::Tile(TileId::Hot));
    ui(&mut c, UiAction::Item("sfz-buling".into()));
    out.push(("item-elderly", c.view().clone()));
    // An item with more materials than fit: they scroll in their card, 取号 stays below.
    let mut long = c.view().clone();
    long.detail.materials = (1..=14)
        .map(|n| {
            if english {
                format!("Certificate {n} (original and a signed copy)")
            } else {
                format!("第 {n} 项证明材料（原件及本人签字的复印件）")
            }
        })
        .collect();
    out.push(("item-elderly-long", long));
    ui(&mut c, UiAction::TakeNumber);
    ui(&mut c, UiAction::SkipIdentity);
    ui(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(Issued {
        number: "A021".into(),
        service: if english { "ID card: lost or renewed".into() } else { "居民身份证补领、换领".into() },
        ..ticket_for_elderly()
    })));
    c.handle(Input::Printed(Ok(())));
    out.push(("ticket-elderly", c.view().clone()));
    out
}

/// A ticket for the 长者模式 screenshots.
fn ticket_for_elderly() -> Issued {
    Issued {
        id: "20261127-A021".into(),
        number: "A021".into(),
        windows: vec![(1, 1), (2, 1)],
        waiting_area: "1楼等候区".into(),
        waiting_area_en: "the waiting area on floor 1".into(),
        ahead: 2,
        estimate_minutes: 5,
        token: "t".into(),
        status_url: "http://127.0.0.1:8080/t/20261127-A021?token=t".into(),
        ..Issued::default()
    }
}

/// Writes DIR/{portrait,landscape}-{zh,en}-SCREEN.png.
pub fn write_all(dir: &Path, catalog: super::controller::Catalog) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let headless = hallq_ui::headless::Headless::init().map_err(|e| anyhow::anyhow!("headless renderer: {e}"))?;
    let window = hallq_ui::kiosk::new_window().map_err(|e| anyhow::anyhow!("kiosk window: {e}"))?;
    let mut n = 0;
    for english in [false, true] {
        for (name, view) in sample_views(catalog.clone(), english) {
            hallq_ui::kiosk::apply(&window, &view);
            for (orientation, w, h) in [("portrait", 1080, 1920), ("landscape", 1920, 1080)] {
                let img = headless.render(w, h);
                let path = dir.join(format!("{orientation}-{}-{name}.png", if english { "en" } else { "zh" }));
                img.save(&path).with_context(|| format!("writing {}", path.display()))?;
                n += 1;
            }
        }
    }
    Ok(n)
}
