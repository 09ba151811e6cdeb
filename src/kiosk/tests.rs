//! The kiosk controller without UI: every flow as a sequence of inputs, checking the
//! screens and the effects a visitor and the hall would notice.

use hallq_ui::view::{Screen, UiAction};

use super::controller::*;

fn catalog() -> Catalog {
    let mut c = super::catalog_from_config(&crate::config::Config::demo());
    for i in &mut c.items {
        i.waiting = 2;
        i.estimate_minutes = 5;
    }
    c
}

fn kiosk() -> Controller {
    let mut c = Controller::new(Settings { kiosk_id: "k1".into(), ..Settings::default() }, 7);
    c.handle(Input::Catalog(catalog()));
    c
}

fn tap(c: &mut Controller, a: UiAction) -> Vec<Effect> {
    c.handle(Input::Ui(a))
}

/// A popular item that needs no ID card, up to the confirm screen.
fn to_confirm_without_card(c: &mut Controller) {
    for a in [UiAction::Tile("hot".into()), UiAction::Item("sfz-buling".into()), UiAction::Tile("take-number".into()), UiAction::SkipIdentity] {
        tap(c, a);
    }
}

fn card(expired: &str) -> Card {
    Card { id_number: "11010519491231002X".into(), name: "张三".into(), masked: "张*（1101**********002X）".into(), expired_on: expired.into() }
}

fn issued() -> Issued {
    Issued { id: "20261127-C001".into(), number: "C001".into(), service: "户口迁入登记".into(), holder: "张*".into(), windows: vec![(7, 1), (8, 1)], ahead: 2, estimate_minutes: 4, token: "t".into(), status_url: "http://h/t/x".into() }
}

#[test]
fn take_a_number_with_the_id_card() {
    let mut c = kiosk();
    assert_eq!(c.view().screen, Screen::Home);
    assert!(c.view().tiles.iter().any(|t| t.label == "个人事项"));
    tap(&mut c, UiAction::Tile("personal".into()));
    assert_eq!(c.view().screen, Screen::Items);
    assert!(c.view().items.iter().any(|i| i.name == "户口迁入登记"));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    assert_eq!(c.view().screen, Screen::Item);
    assert_eq!(c.view().detail.mode, "网上预审、窗口核准取件");
    assert!(c.view().detail.materials.contains(&"居民户口簿".to_string()));
    assert_eq!(c.view().detail.windows, "1楼 1、2、7、8、9号窗口");
    tap(&mut c, UiAction::Tile("take-number".into()));
    assert_eq!(c.view().screen, Screen::Identity);
    // The item requires the card: skipping is refused.
    tap(&mut c, UiAction::SkipIdentity);
    assert_eq!(c.view().screen, Screen::Identity);
    c.handle(Input::Card(card("")));
    assert_eq!(c.view().screen, Screen::Confirm);
    assert_eq!(c.view().holder, "张*（1101**********002X）");
    let effects = tap(&mut c, UiAction::Confirm);
    assert_eq!(
        effects,
        vec![Effect::Issue { request_id: "k1-7-1".into(), service: "hukou-qianru".into(), identity: Some(("11010519491231002X".into(), "张三".into())) }]
    );
    assert_eq!(c.view().screen, Screen::Printing);
    // A second tap while printing does nothing: one tap, one ticket.
    assert!(tap(&mut c, UiAction::Confirm).is_empty());
    let effects = c.handle(Input::Issued(Ok(issued())));
    assert_eq!(effects, vec![Effect::Print(issued())]);
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().screen, Screen::Ticket);
    assert_eq!(c.view().ticket.number, "C001");
    assert_eq!(c.view().ticket.windows, "1楼 7、8号窗口");
}

#[test]
fn an_item_without_id_can_be_taken_by_skipping_the_card() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    assert_eq!(c.view().screen, Screen::Confirm);
    match tap(&mut c, UiAction::Confirm).as_slice() {
        [Effect::Issue { identity: None, .. }] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_expired_card_gets_a_clear_message_and_no_ticket() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile("personal".into()));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::Tile("take-number".into()));
    c.handle(Input::Card(card("2026-01-04")));
    assert_eq!(c.view().screen, Screen::Message);
    assert_eq!(c.view().message_title, "证件已过期");
    assert!(c.view().message_body.contains("2026-01-04"));
    // Back returns to the reader for another card.
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Identity);
}

#[test]
fn the_printer_running_out_of_paper_mid_ticket_still_shows_the_number() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Health(Some("打印机缺纸，请联系工作人员".into())));
    assert_eq!(c.view().screen, Screen::Printing, "the visitor's ticket comes first");
    c.handle(Input::Printed(Err(("打印机缺纸，请联系工作人员".into(), true))));
    assert_eq!(c.view().screen, Screen::Ticket);
    assert_eq!(c.view().ticket.number, "C001");
    assert!(c.view().ticket.print_problem.contains("C001"));
    // When the visitor leaves, the kiosk is out of service.
    tap(&mut c, UiAction::Home);
    assert_eq!(c.view().screen, Screen::OutOfService);
    assert_eq!(c.view().out_of_service, "打印机缺纸，请联系工作人员");
    // Taps do nothing until the paper is back.
    tap(&mut c, UiAction::Tile("personal".into()));
    assert_eq!(c.view().screen, Screen::OutOfService);
    c.handle(Input::Health(None));
    assert_eq!(c.view().screen, Screen::Home);
}

#[test]
fn a_fault_before_the_tap_means_no_ticket_is_issued() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    c.handle(Input::Health(Some("打印机盖未关好，请联系工作人员".into())));
    assert_eq!(c.view().screen, Screen::OutOfService);
    assert!(tap(&mut c, UiAction::Confirm).is_empty(), "no ticket without a printer");
}

#[test]
fn the_hall_service_going_away_is_retried_then_reported() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    let first = tap(&mut c, UiAction::Confirm);
    // Retries carry the same request_id, so the service never issues twice.
    for _ in 0..2 {
        let again = c.handle(Input::Issued(Err(IssueFailure::Unreachable("timeout".into()))));
        assert_eq!(again, first);
    }
    assert!(c.handle(Input::Issued(Err(IssueFailure::Unreachable("timeout".into())))).is_empty());
    assert_eq!(c.view().screen, Screen::OutOfService);
    assert!(c.view().out_of_service.contains("服务台"));
}

#[test]
fn a_refusal_from_the_hall_is_shown_in_its_words() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Err(IssueFailure::Refused("午休时间暂停取号，13:30 恢复取号。".into()))));
    assert_eq!(c.view().screen, Screen::Message);
    assert_eq!(c.view().message_body, "午休时间暂停取号，13:30 恢复取号。");
}

#[test]
fn pinyin_search_finds_items_by_initials() {
    assert_eq!(initials("户口迁入登记"), "HKQRDJ");
    assert_eq!(initials("住房公积金提取"), "ZFGJJTQ");
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile("search".into()));
    for k in "HKQR".chars() {
        tap(&mut c, UiAction::SearchKey(k));
    }
    assert_eq!(c.view().items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["户口迁入登记"]);
    tap(&mut c, UiAction::SearchBackspace);
    assert_eq!(c.view().search, "HKQ");
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    assert_eq!(c.view().screen, Screen::Item);
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Search);
}

#[test]
fn departments_and_floors_list_their_items() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile("departments".into()));
    assert!(c.view().items.iter().any(|i| i.name == "公安局"));
    tap(&mut c, UiAction::Item("dept:公安局".into()));
    assert!(c.view().items.iter().all(|i| i.department == "公安局"));
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().title, "按部门");
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile("floor:2".into()));
    assert!(c.view().items.iter().any(|i| i.name == "建筑工程施工许可证核发"));
    assert!(!c.view().items.iter().any(|i| i.name == "婚姻登记"));
}

#[test]
fn idle_returns_home_and_forgets_the_visitor() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile("personal".into()));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::Tile("take-number".into()));
    c.handle(Input::Card(card("")));
    assert_eq!(c.view().screen, Screen::Confirm);
    for _ in 0..59 {
        c.handle(Input::Tick("09:00".into()));
    }
    assert_eq!(c.view().idle_left, 1);
    c.handle(Input::Tick("09:01".into()));
    assert_eq!(c.view().screen, Screen::Home);
    assert_eq!(c.view().holder, "", "the visitor's name is forgotten");
    // Elderly mode waits longer.
    tap(&mut c, UiAction::ToggleElderly);
    tap(&mut c, UiAction::Tile("hot".into()));
    for _ in 0..100 {
        c.handle(Input::Tick("09:02".into()));
    }
    assert_eq!(c.view().screen, Screen::Items);
}

#[test]
fn english_is_available() {
    let mut c = kiosk();
    tap(&mut c, UiAction::SetEnglish(true));
    assert!(c.view().tiles.iter().any(|t| t.label == "Personal"));
    assert_eq!(c.view().hall_name, "Demo County Citizen Service Centre");
    tap(&mut c, UiAction::Tile("personal".into()));
    assert!(c.view().items.iter().any(|i| i.name == "Passport issuance" || i.name == "Ordinary passport issuance"));
}
