//! `hallq kiosk --screenshots DIR`: every kiosk screen rendered headless to PNG, portrait
//! (1080×1920) and landscape (1920×1080), in Chinese and English. The screens come from the
//! real controller walking through the flows on the demo hall's catalogue.

use std::path::Path;

use anyhow::Context;
use hallq_ui::view::{KioskView, UiAction};

use super::controller::{Card, Controller, Input, Issued, IssueFailure, Settings};

/// The taps that take a number for a popular item without an ID card.
fn quick_ticket() -> [UiAction; 5] {
    [UiAction::Tile("hot".into()), UiAction::Item("sfz-buling".into()), UiAction::Tile("take-number".into()), UiAction::SkipIdentity, UiAction::Confirm]
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
    ui(&mut c, UiAction::Tile("personal".into()));
    out.push(("items", c.view().clone()));
    ui(&mut c, UiAction::Item("hukou-qianru".into()));
    out.push(("item", c.view().clone()));
    ui(&mut c, UiAction::Tile("take-number".into()));
    out.push(("identity", c.view().clone()));
    c.handle(Input::Card(Card { id_number: "43010219900307123X".into(), name: "张三".into(), masked: "张*（4301**********123X）".into(), expired_on: String::new() }));
    out.push(("confirm", c.view().clone()));
    ui(&mut c, UiAction::Confirm);
    out.push(("printing", c.view().clone()));
    let ticket = Issued {
        id: "20261127-C012".into(),
        number: "C012".into(),
        service: if english { "Household registration: moving in".into() } else { "户口迁入登记".into() },
        holder: "张*".into(),
        windows: vec![(1, 1), (2, 1), (7, 1), (8, 1), (9, 1)],
        ahead: 3,
        estimate_minutes: 6,
        token: "t".into(),
        status_url: "http://127.0.0.1:8080/t/20261127-C012?token=t".into(),
    };
    c.handle(Input::Issued(Ok(ticket.clone())));
    c.handle(Input::Printed(Ok(())));
    out.push(("ticket", c.view().clone()));
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
    c.handle(Input::Health(None));
    ui(&mut c, UiAction::Tile("search".into()));
    for k in "HZ".chars() {
        ui(&mut c, UiAction::SearchKey(k));
    }
    out.push(("search", c.view().clone()));
    ui(&mut c, UiAction::Home);
    ui(&mut c, UiAction::Tile("personal".into()));
    ui(&mut c, UiAction::Item("huzhao".into()));
    ui(&mut c, UiAction::Tile("take-number".into()));
    c.handle(Input::Card(Card { id_number: "x".into(), name: "陈大文".into(), masked: "陈**".into(), expired_on: "2026-01-04".into() }));
    out.push(("card-expired", c.view().clone()));
    ui(&mut c, UiAction::Home);
    for a in quick_ticket() {
        ui(&mut c, a);
    }
    let lunch = if english { "Tickets pause for lunch and resume at 13:30." } else { "午休时间暂停取号，13:30 恢复取号。" };
    c.handle(Input::Issued(Err(IssueFailure::Refused(lunch.into()))));
    out.push(("refused", c.view().clone()));
    ui(&mut c, UiAction::Home);
    ui(&mut c, UiAction::ToggleElderly);
    out.push(("home-elderly", c.view().clone()));
    out
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
