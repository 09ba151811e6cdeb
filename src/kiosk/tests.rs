//! The kiosk controller without UI: every flow as a sequence of inputs, checking the
//! screens and the effects a visitor and the hall would notice.

use hallq_ui::view::{DeviceKind, RowState, Screen, TileId, UiAction};

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
    for a in [UiAction::Tile(TileId::Hot), UiAction::Item("sfz-buling".into()), UiAction::TakeNumber, UiAction::SkipIdentity] {
        tap(c, a);
    }
}

fn card(expired: &str) -> Card {
    Card {
        id_number: "11010519491231002X".into(),
        name: "张三".into(),
        masked: "张*（1101**********002X）".into(),
        expired_on: expired.into(),
    }
}

fn issued() -> Issued {
    Issued {
        id: "20261127-C001".into(),
        number: "C001".into(),
        service: "户口迁入登记".into(),
        holder: "张*".into(),
        windows: vec![(7, 1), (8, 1)],
        waiting_area: "1楼等候区".into(),
        waiting_area_en: "the waiting area on floor 1".into(),
        ahead: 2,
        estimate_minutes: 4,
        token: "t".into(),
        status_url: "http://h/t/x".into(),
        printable: Default::default(),
        offline: false,
    }
}

#[test]
fn take_a_number_with_the_id_card() {
    let mut c = kiosk();
    assert_eq!(c.view().screen, Screen::Home);
    assert!(c.view().tiles.iter().any(|t| t.label == "个人事项"));
    tap(&mut c, UiAction::Tile(TileId::Personal));
    assert_eq!(c.view().screen, Screen::Items);
    assert!(c.view().items.iter().any(|i| i.name == "户口迁入登记"));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    assert_eq!(c.view().screen, Screen::Item);
    assert_eq!(c.view().detail.mode, "网上预审、窗口核准取件");
    assert!(c.view().detail.materials.contains(&"居民户口簿".to_string()));
    assert_eq!(c.view().detail.windows, "1楼 1、2、7、8、9号窗口");
    tap(&mut c, UiAction::TakeNumber);
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
        vec![Effect::Issue {
            request_id: "k1-7-1".into(),
            service: "hukou-qianru".into(),
            identity: Some(("11010519491231002X".into(), "张三".into()))
        }]
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
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::TakeNumber);
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
    assert_eq!(c.view().elsewhere, "请到服务台（1楼导引台）取号或办理，也可使用其他自助机");
    // Taps do nothing until the paper is back.
    tap(&mut c, UiAction::Tile(TileId::Personal));
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
    tap(&mut c, UiAction::Tile(TileId::Search));
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
    tap(&mut c, UiAction::Tile(TileId::Departments));
    assert!(c.view().items.iter().any(|i| i.name == "公安局"));
    tap(&mut c, UiAction::Department("公安局".into()));
    assert!(c.view().items.iter().all(|i| i.department == "公安局"));
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().title, "按部门");
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Floor(2)));
    assert!(c.view().items.iter().any(|i| i.name == "建筑工程施工许可证核发"));
    assert!(!c.view().items.iter().any(|i| i.name == "婚姻登记"));
}

#[test]
fn idle_returns_home_and_forgets_the_visitor() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::TakeNumber);
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
    tap(&mut c, UiAction::Tile(TileId::Hot));
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
    tap(&mut c, UiAction::Tile(TileId::Personal));
    assert!(c.view().items.iter().any(|i| i.name == "Passport issuance" || i.name == "Ordinary passport issuance"));
}

fn appt(code: &str, checked_in: bool) -> AppointmentRow {
    AppointmentRow { code: code.into(), service: "户口迁入登记".into(), slot: "2026-11-27 10:00".into(), checked_in }
}

#[test]
fn appointment_check_in_by_card() {
    let mut c = kiosk();
    assert!(c.view().tiles.iter().any(|t| t.id == TileId::Appointment));
    tap(&mut c, UiAction::Tile(TileId::Appointment));
    assert_eq!(c.view().screen, Screen::Appointment);
    let effects = c.handle(Input::Card(card("")));
    assert_eq!(effects, vec![Effect::FindAppointments { identity: ("11010519491231002X".into(), "张三".into()) }]);
    c.handle(Input::Appointments(Ok(vec![appt("YY1001", false), appt("YY1002", false)])));
    assert_eq!(c.view().screen, Screen::Choices);
    assert_eq!(c.view().choices.len(), 2);
    let effects = tap(&mut c, UiAction::Choose("YY1002".into()));
    assert_eq!(
        effects,
        vec![Effect::CheckIn {
            request_id: "k1-7-1".into(),
            code: "YY1002".into(),
            identity: Some(("11010519491231002X".into(), "张三".into()))
        }]
    );
    assert_eq!(c.view().screen, Screen::Printing);
    // The hall going away is retried with the same request, as a check-in.
    let again = c.handle(Input::Issued(Err(IssueFailure::Unreachable("timeout".into()))));
    assert!(matches!(&again[..], [Effect::CheckIn { request_id, code, .. }] if request_id == "k1-7-1" && code == "YY1002"));
    assert_eq!(c.handle(Input::Issued(Ok(issued()))), vec![Effect::Print(issued())]);
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().ticket.number, "C001");
}

#[test]
fn appointment_check_in_by_a_typed_or_scanned_code() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Appointment));
    // A QR scanner in keyboard mode types the code and Enter.
    for ch in "yy10".chars() {
        tap(&mut c, UiAction::CodeKey(ch));
    }
    tap(&mut c, UiAction::CodeKey('x'));
    tap(&mut c, UiAction::CodeBackspace);
    tap(&mut c, UiAction::CodeKey('1'));
    assert_eq!(c.view().code, "YY101");
    let effects = tap(&mut c, UiAction::CodeEnter);
    assert!(matches!(&effects[..], [Effect::CheckIn { code, identity: None, .. }] if code == "YY101"));
    // Too early: the hall's words, and Back lets the visitor try again.
    c.handle(Input::Issued(Err(IssueFailure::Refused("签到时间未到，请于 09:00 后签到。".into()))));
    assert_eq!(c.view().screen, Screen::Message);
    assert!(c.view().message_body.contains("09:00"));
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Appointment);
    assert_eq!(c.view().code, "");
    // No appointment for this card.
    c.handle(Input::Card(card("")));
    c.handle(Input::Appointments(Ok(vec![])));
    assert_eq!(c.view().message_title, "没有找到您的预约");
}

fn result(id: &str, title: &str) -> ResultRow {
    ResultRow { id: id.into(), title: title.into(), department: "市场监管局".into(), nonce: None }
}

#[test]
fn results_print_with_progress_and_are_marked_collected() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!(c.view().screen, Screen::Identity);
    tap(&mut c, UiAction::SkipIdentity);
    assert_eq!(c.view().screen, Screen::Identity, "results need the card");
    let effects = c.handle(Input::Card(card("")));
    assert_eq!(effects, vec![Effect::FindResults { identity: ("11010519491231002X".into(), "张三".into()) }]);
    c.handle(Input::Results(Ok(vec![result("R1", "营业执照"), result("R2", "食品经营许可证")])));
    assert_eq!(c.view().choices.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["all", "R1", "R2"]);
    let effects = tap(&mut c, UiAction::Choose("all".into()));
    assert_eq!(effects, vec![Effect::PrintResults(vec![result("R1", "营业执照"), result("R2", "食品经营许可证")])]);
    assert_eq!(c.view().screen, Screen::Documents);
    c.handle(Input::DocProgress("正在打印 1/2：营业执照".into(), 25));
    assert_eq!((c.view().progress.as_str(), c.view().progress_percent), ("正在打印 1/2：营业执照", 25));
    // Nothing interrupts printing: no taps, no idle timeout.
    assert!(tap(&mut c, UiAction::Home).is_empty());
    for _ in 0..200 {
        c.handle(Input::Tick("10:00".into()));
    }
    assert_eq!(c.view().screen, Screen::Documents);
    // The ticket printer running out meanwhile does not cut the visitor's results short.
    c.handle(Input::Health(Some("打印机缺纸，请联系工作人员".into())));
    c.handle(Input::DocsPrinted(Ok(2)));
    assert!(c.view().progress.contains("已打印 2 份"), "{}", c.view().progress);
    tap(&mut c, UiAction::Home);
    assert_eq!(c.view().screen, Screen::OutOfService, "the fault shows once the visitor is done");
    c.handle(Input::Health(None));
    assert_eq!(c.view().screen, Screen::Home);
}

#[test]
fn the_a4_printer_failing_keeps_the_results_and_says_so() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Results));
    c.handle(Input::Card(card("")));
    c.handle(Input::Results(Ok(vec![result("R1", "营业执照")])));
    tap(&mut c, UiAction::Choose("R1".into()));
    c.handle(Input::DocsPrinted(Err("A4打印机缺纸，请联系工作人员".into())));
    assert!(c.view().progress.contains("仍为您保留"), "{}", c.view().progress);
    // The next visitor is told before swiping.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!((c.view().screen, c.view().message_body.as_str()), (Screen::Message, "A4打印机缺纸，请联系工作人员"));
    c.handle(Input::OptionalDevice(DeviceKind::A4Printer, None));
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!(c.view().screen, Screen::Identity);
}

fn page(shade: u8) -> hallq_ui::view::Thumb {
    hallq_ui::view::Thumb { width: 2, height: 2, rgb: vec![shade; 12] }
}

#[test]
fn scanned_pages_can_be_retaken_and_reach_the_ticket() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Scan));
    assert_eq!(c.view().screen, Screen::Items);
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Identity);
    c.handle(Input::Card(card("")));
    assert_eq!(c.view().screen, Screen::Scan);
    assert!(tap(&mut c, UiAction::Submit).is_empty(), "nothing to submit yet");
    assert_eq!(tap(&mut c, UiAction::ScanFeeder), vec![Effect::Scan { feeder: true, replace: None }]);
    c.handle(Input::Scanned(Ok(vec![page(1), page(2), page(3)])));
    assert_eq!(c.view().pages.len(), 3);
    // Retake page 2 on the glass.
    tap(&mut c, UiAction::SelectPage(1));
    assert_eq!(tap(&mut c, UiAction::ScanFlatbed), vec![Effect::Scan { feeder: false, replace: Some(1) }]);
    c.handle(Input::Scanned(Ok(vec![page(9)])));
    assert_eq!(c.view().pages.iter().map(|p| p.rgb[0]).collect::<Vec<_>>(), [1, 9, 3]);
    tap(&mut c, UiAction::SelectPage(2));
    assert_eq!(tap(&mut c, UiAction::DeletePage), vec![Effect::DeletePage(2)]);
    assert_eq!(c.view().pages.len(), 2);
    // A jam is shown and the pages so far are kept.
    c.handle(Input::Scanned(Err("扫描仪卡纸，请打开盖板取出材料".into())));
    assert_eq!((c.view().pages.len(), c.view().progress.as_str()), (2, "扫描仪卡纸，请打开盖板取出材料"));
    let effects = tap(&mut c, UiAction::Submit);
    assert!(matches!(&effects[..], [Effect::Issue { service, .. }] if service == "hukou-qianru"));
    let effects = c.handle(Input::Issued(Ok(issued())));
    assert_eq!(
        effects,
        vec![Effect::Attach { ticket: "20261127-C001".into(), title: "户口迁入登记 预审材料".into() }, Effect::Print(issued())]
    );
    c.handle(Input::Printed(Ok(())));
    assert_eq!(tap(&mut c, UiAction::Home), vec![Effect::ForgetScans], "the visitor's pages are forgotten");
}

#[test]
fn the_manager_menu_needs_five_corner_taps_and_the_pin() {
    let mut c = Controller::new(Settings { kiosk_id: "k1".into(), ..Settings::default() }, 7);
    let mut cat = catalog();
    cat.kiosk.manager_pin = crate::config::DEMO_PIN_PHC.into();
    c.handle(Input::Catalog(cat));
    // Out of service: the manager can still get in.
    c.handle(Input::Health(Some("打印机缺纸，请联系工作人员".into())));
    for _ in 0..4 {
        tap(&mut c, UiAction::Corner);
    }
    tap(&mut c, UiAction::Tile(TileId::Hot));
    tap(&mut c, UiAction::Corner);
    assert_eq!(c.view().screen, Screen::OutOfService, "the taps must be in a row");
    for _ in 0..5 {
        tap(&mut c, UiAction::Corner);
    }
    assert_eq!(c.view().screen, Screen::ManagerPin);
    for d in "1234".chars() {
        tap(&mut c, UiAction::PinKey(d));
    }
    tap(&mut c, UiAction::PinEnter);
    assert_eq!((c.view().screen, c.view().progress.as_str()), (Screen::ManagerPin, "PIN 不正确"));
    for d in "2468".chars() {
        tap(&mut c, UiAction::PinKey(d));
    }
    assert_eq!(c.view().pin_len, 4);
    tap(&mut c, UiAction::PinEnter);
    assert_eq!(c.view().screen, Screen::Manager);
    assert_eq!(c.view().tests.len(), 5);
    assert_eq!(tap(&mut c, UiAction::SelfTest(DeviceKind::TicketPrinter)), vec![Effect::SelfTest(DeviceKind::TicketPrinter)]);
    assert_eq!(c.view().tests[0].state, RowState::Busy);
    c.handle(Input::SelfTested(DeviceKind::TicketPrinter, false, "缺纸".into()));
    assert_eq!((c.view().tests[0].state, c.view().tests[0].sub.as_str()), (RowState::Fault, "缺纸"));
    assert_eq!(tap(&mut c, UiAction::Exit), vec![Effect::Exit]);
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::OutOfService);
}

fn enter_pin(c: &mut Controller, pin: &str) {
    for d in pin.chars() {
        tap(c, UiAction::PinKey(d));
    }
    tap(c, UiAction::PinEnter);
}

fn corner_five(c: &mut Controller) {
    for _ in 0..5 {
        tap(c, UiAction::Corner);
    }
}

#[test]
fn five_wrong_pins_lock_the_manager_menu_for_five_minutes() {
    let mut c = Controller::new(Settings::default(), 7);
    let mut cat = catalog();
    cat.kiosk.manager_pin = crate::config::DEMO_PIN_PHC.into();
    c.handle(Input::Catalog(cat));
    corner_five(&mut c);
    assert_eq!(c.view().screen, Screen::ManagerPin);
    // Wrong PINs keep the PIN screen, across leaving it and coming back.
    for pin in ["0000", "1234", "2469"] {
        enter_pin(&mut c, pin);
        assert_eq!((c.view().screen, c.view().progress.as_str()), (Screen::ManagerPin, "PIN 不正确"), "{pin}");
    }
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Home);
    corner_five(&mut c);
    enter_pin(&mut c, "8642");
    assert_eq!(c.view().screen, Screen::ManagerPin);
    // The fifth wrong PIN in a row locks: back home, and the corner does nothing.
    enter_pin(&mut c, "24680");
    assert_eq!(c.view().screen, Screen::Home);
    corner_five(&mut c);
    assert_eq!(c.view().screen, Screen::Home, "locked");
    // Not even the right PIN gets in before five minutes have passed.
    for _ in 0..crate::kiosk::pin::LOCK_SECS - 1 {
        c.handle(Input::Tick("10:00".into()));
    }
    corner_five(&mut c);
    assert_eq!(c.view().screen, Screen::Home, "still locked a second before five minutes");
    c.handle(Input::Tick("10:05".into()));
    corner_five(&mut c);
    assert_eq!(c.view().screen, Screen::ManagerPin, "unlocked after five minutes");
    // The count starts again: four wrong ones do not lock, and the right PIN opens.
    for _ in 0..4 {
        enter_pin(&mut c, "1111");
    }
    assert_eq!(c.view().screen, Screen::ManagerPin);
    enter_pin(&mut c, "2468");
    assert_eq!(c.view().screen, Screen::Manager);
    // A success clears the count.
    tap(&mut c, UiAction::Back);
    corner_five(&mut c);
    for _ in 0..4 {
        enter_pin(&mut c, "1111");
    }
    assert_eq!(c.view().screen, Screen::ManagerPin, "four after a success do not lock");
    // Without a PIN configured there is no manager menu at all.
    let mut c = kiosk();
    let mut cat = catalog();
    cat.kiosk.manager_pin.clear();
    c.handle(Input::Catalog(cat));
    for _ in 0..6 {
        tap(&mut c, UiAction::Corner);
    }
    assert_eq!(c.view().screen, Screen::Home);
}

#[test]
fn the_old_sha256_pin_still_opens_and_a_malformed_hash_opens_nothing() {
    let mut c = Controller::new(Settings::default(), 7);
    let mut cat = catalog();
    cat.kiosk.manager_pin = crate::config::DEMO_PIN_SHA256.into();
    c.handle(Input::Catalog(cat.clone()));
    corner_five(&mut c);
    enter_pin(&mut c, "1357");
    assert_eq!(c.view().screen, Screen::ManagerPin);
    enter_pin(&mut c, "2468");
    assert_eq!(c.view().screen, Screen::Manager);
    let mut c = Controller::new(Settings::default(), 7);
    cat.kiosk.manager_pin = "2468".into();
    c.handle(Input::Catalog(cat));
    corner_five(&mut c);
    enter_pin(&mut c, "2468");
    assert_eq!(c.view().screen, Screen::ManagerPin, "a PIN in clear is no hash");
}

#[test]
fn the_demo_catalogue_opens_the_menu_with_2468() {
    let mut c = Controller::new(Settings::default(), 7);
    let cat = crate::kiosk::catalog_from_config(&crate::config::Config::demo());
    assert!(cat.kiosk.manager_pin.starts_with("$argon2id$"), "{}", cat.kiosk.manager_pin);
    c.handle(Input::Catalog(cat));
    corner_five(&mut c);
    enter_pin(&mut c, "1234");
    assert_eq!(c.view().screen, Screen::ManagerPin);
    enter_pin(&mut c, "2468");
    assert_eq!(c.view().screen, Screen::Manager);
}

#[test]
fn elderly_mode_speaks_each_screen_once() {
    let mut c = kiosk();
    let said = |e: &[Effect]| e.iter().filter_map(|e| if let Effect::Speak(s) = e { Some(s.clone()) } else { None }).collect::<Vec<_>>();
    assert!(said(&tap(&mut c, UiAction::Tile(TileId::Hot))).is_empty(), "silent unless elderly mode is on");
    assert_eq!(said(&tap(&mut c, UiAction::ToggleElderly)), ["请选择事项"]);
    assert!(said(&tap(&mut c, UiAction::Touch)).is_empty(), "not again for the same screen");
    assert_eq!(said(&tap(&mut c, UiAction::Item("sfz-buling".into()))), ["居民身份证补领、换领。请看所需材料，然后点击取号"]);
    tap(&mut c, UiAction::TakeNumber);
    tap(&mut c, UiAction::SkipIdentity);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(issued())));
    let effects = c.handle(Input::Printed(Ok(())));
    assert_eq!(said(&effects), ["取号成功。您的号码是 C 0 0 1 。请在1楼等候区等候，留意叫号"]);
}

#[test]
fn tiles_and_texts_follow_the_hall_configuration_live() {
    let mut c = kiosk();
    let mut cat = catalog();
    cat.kiosk.tiles = vec!["appointment".into(), "hot".into()];
    cat.kiosk.welcome = "今日社保窗口在2楼".into();
    c.handle(Input::Catalog(cat));
    assert_eq!(c.view().tiles.iter().map(|t| t.id).collect::<Vec<_>>(), [TileId::Appointment, TileId::Hot]);
    assert_eq!(c.view().welcome, "今日社保窗口在2楼");
    // Without an A4 printer or a scanner those errands are not offered.
    let mut c = Controller::new(Settings { has_a4: false, has_scanner: false, ..Settings::default() }, 1);
    c.handle(Input::Catalog(catalog()));
    assert!(!c.view().tiles.iter().any(|t| t.id == TileId::Results || t.id == TileId::Scan));
}

const READER_FAULT: &str = "身份证读卡器故障，请联系工作人员";

fn issues(effects: &[Effect]) -> Vec<Option<(String, String)>> {
    effects.iter().filter_map(|e| if let Effect::Issue { identity, .. } = e { Some(identity.clone()) } else { None }).collect()
}

fn tile_sub(c: &Controller, id: TileId) -> String {
    c.view().tiles.iter().find(|t| t.id == id).map(|t| t.sub.clone()).unwrap_or_else(|| panic!("no {id:?} tile"))
}

#[test]
fn a_faulty_reader_turns_off_only_what_needs_a_card() {
    let mut c = kiosk();
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    assert_eq!(c.view().screen, Screen::Home, "the kiosk stays in service");
    assert_eq!(tile_sub(&c, TileId::Results), "暂停服务，请到服务台领取");
    assert_eq!(tile_sub(&c, TileId::Appointment), "输入预约码");
    // An item that requires the card: the visitor is sent to the service desk, not left
    // at the reader, and nothing is issued.
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    let effects = tap(&mut c, UiAction::TakeNumber);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(c.view().screen, Screen::Message);
    assert_eq!(c.view().message_title, "请到服务台办理");
    assert_eq!(c.view().message_body, "本机身份证读卡器暂不可用。办理「户口迁入登记」需要核验身份证，请到服务台取号。");
    // Back goes to the item, not to a reader that cannot read.
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Item);
    // An item where the card is optional skips the card step.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Hot));
    tap(&mut c, UiAction::Item("sfz-buling".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Confirm);
    assert_eq!(issues(&tap(&mut c, UiAction::Confirm)), vec![None]);
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().screen, Screen::Ticket);
    // Printing results needs the card: paused, with where to go.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!((c.view().screen, c.view().message_title.as_str()), (Screen::Message, "自助打印暂停"));
    assert!(c.view().message_body.contains("请到服务台领取"), "{}", c.view().message_body);
    // Appointments by code still work.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Appointment));
    for ch in "YY1001".chars() {
        tap(&mut c, UiAction::CodeKey(ch));
    }
    assert!(matches!(&tap(&mut c, UiAction::CodeEnter)[..], [Effect::CheckIn { identity: None, .. }]));
    // The reader answers again: the card step is back.
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    tap(&mut c, UiAction::Home);
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, None));
    assert_eq!(tile_sub(&c, TileId::Results), "刷身份证打印办理结果");
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Identity);
}

#[test]
fn a_reader_failing_while_a_visitor_waits_at_it() {
    // Required: to the desk.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Identity);
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    assert_eq!((c.view().screen, c.view().message_title.as_str()), (Screen::Message, "请到服务台办理"));
    // The same fault again (watchers repeat themselves) changes nothing.
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    assert_eq!(c.view().screen, Screen::Message);
    // Optional: on without the card.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Hot));
    tap(&mut c, UiAction::Item("sfz-buling".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Identity);
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    assert_eq!(c.view().screen, Screen::Confirm);
    // Results: paused.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!(c.view().screen, Screen::Identity);
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    assert_eq!((c.view().screen, c.view().message_title.as_str()), (Screen::Message, "自助打印暂停"));
    tap(&mut c, UiAction::Back);
    assert_eq!(c.view().screen, Screen::Home);
}

#[test]
fn a_kiosk_without_a_reader_sends_card_items_to_the_desk() {
    let mut c = Controller::new(Settings { kiosk_id: "k1".into(), has_reader: false, ..Settings::default() }, 7);
    c.handle(Input::Catalog(catalog()));
    assert_eq!(c.view().screen, Screen::Home);
    assert!(!c.view().tiles.iter().any(|t| t.id == TileId::Results), "results are found by the card");
    assert_eq!(tile_sub(&c, TileId::Appointment), "输入预约码");
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("shebao-canbao".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Message);
    assert!(c.view().message_body.starts_with("本机没有身份证读卡器。"), "{}", c.view().message_body);
    assert!(c.view().message_body.ends_with("请到服务台取号。"));
    // Scanning materials for an item where the card is optional goes straight to the scanner.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Scan));
    tap(&mut c, UiAction::Item("linshi-sfz".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().screen, Screen::Scan);
    // ... and to the desk for one that requires it.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Scan));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().message_title, "请到服务台办理");
    // In English too.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::SetEnglish(true));
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("huzhao".into()));
    tap(&mut c, UiAction::TakeNumber);
    assert_eq!(c.view().message_title, "Please go to the service desk");
    assert!(c.view().message_body.starts_with("This kiosk has no ID-card reader. "), "{}", c.view().message_body);
    assert!(c.view().message_body.ends_with("needs your ID card: please take a number at the service desk."));
}

#[test]
fn a_faulty_scanner_turns_off_only_scanning() {
    let mut c = kiosk();
    let fault = "扫描仪无响应（45 秒内未完成），已停止扫描，请联系工作人员";
    // Mid-scan: the pages so far are kept and can still go with the ticket.
    tap(&mut c, UiAction::Tile(TileId::Scan));
    tap(&mut c, UiAction::Item("linshi-sfz".into()));
    tap(&mut c, UiAction::TakeNumber);
    tap(&mut c, UiAction::SkipIdentity);
    assert_eq!(c.view().screen, Screen::Scan);
    tap(&mut c, UiAction::ScanFlatbed);
    c.handle(Input::Scanned(Ok(vec![page(1)])));
    tap(&mut c, UiAction::ScanFlatbed);
    c.handle(Input::OptionalDevice(DeviceKind::Scanner, Some(fault.into())));
    c.handle(Input::Scanned(Err(fault.into())));
    assert_eq!((c.view().screen, c.view().pages.len(), c.view().progress.as_str()), (Screen::Scan, 1, fault));
    assert!(tap(&mut c, UiAction::ScanFlatbed).is_empty(), "no scanning until the scanner answers");
    assert!(matches!(&tap(&mut c, UiAction::Submit)[..], [Effect::Issue { .. }]));
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().screen, Screen::Ticket);
    // The next visitor: the tile says so, and tapping it says what to do instead.
    tap(&mut c, UiAction::Home);
    assert_eq!(tile_sub(&c, TileId::Scan), "暂停服务，请到窗口提交纸质材料");
    tap(&mut c, UiAction::Tile(TileId::Scan));
    assert_eq!((c.view().screen, c.view().message_title.as_str()), (Screen::Message, "材料预审暂停"));
    assert!(c.view().message_body.contains("直接取号"));
    // Everything else works.
    tap(&mut c, UiAction::Home);
    to_confirm_without_card(&mut c);
    assert_eq!(issues(&tap(&mut c, UiAction::Confirm)).len(), 1);
    // The scanner is back.
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    tap(&mut c, UiAction::Home);
    c.handle(Input::OptionalDevice(DeviceKind::Scanner, None));
    tap(&mut c, UiAction::Tile(TileId::Scan));
    assert_eq!(c.view().screen, Screen::Items);
}

#[test]
fn only_a_ticket_printer_that_cannot_print_stops_issuing() {
    let mut c = kiosk();
    c.handle(Input::OptionalDevice(DeviceKind::IdcardReader, Some(READER_FAULT.into())));
    c.handle(Input::OptionalDevice(DeviceKind::Scanner, Some("找不到扫描仪 test:0，请联系工作人员".into())));
    c.handle(Input::OptionalDevice(
        DeviceKind::A4Printer,
        Some("打印服务（ipp://localhost:631/printers/A4）10 秒无响应，请联系工作人员".into()),
    ));
    assert_eq!(c.view().screen, Screen::Home);
    assert_eq!(tile_sub(&c, TileId::Results), "暂停服务，请到服务台领取");
    tap(&mut c, UiAction::Tile(TileId::Results));
    assert_eq!(c.view().message_title, "自助打印暂停");
    tap(&mut c, UiAction::Home);
    to_confirm_without_card(&mut c);
    assert_eq!(issues(&tap(&mut c, UiAction::Confirm)), vec![None], "tickets are still issued");
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    tap(&mut c, UiAction::Home);
    // The ticket printer is what stops the kiosk.
    c.handle(Input::Health(Some("打印机缺纸，请联系工作人员".into())));
    assert_eq!(c.view().screen, Screen::OutOfService);
    c.handle(Input::Health(None));
    assert_eq!(c.view().screen, Screen::Home);
}

#[test]
fn offline_only_taking_a_number_is_offered_and_the_home_screen_says_why() {
    let mut c =
        Controller::new(Settings { kiosk_id: "k1".into(), has_a4: true, has_reader: true, has_scanner: true, ..Settings::default() }, 7);
    c.handle(Input::Catalog(catalog()));
    let ids = |c: &Controller| c.view().tiles.iter().map(|t| t.id).collect::<Vec<_>>();
    let needing_the_hall = [TileId::Appointment, TileId::Results, TileId::Scan];
    assert!(needing_the_hall.iter().all(|t| ids(&c).contains(t)));
    c.handle(Input::Offline(true));
    assert_eq!(c.view().welcome, "网络中断：本机离线取号，号票照常有效");
    let offline = ids(&c);
    assert!(!needing_the_hall.iter().any(|t| offline.contains(t)), "{offline:?}");
    assert!(offline.contains(&TileId::Hot));
    // A number is still taken (the runtime issues it from the lease).
    to_confirm_without_card(&mut c);
    assert!(matches!(tap(&mut c, UiAction::Confirm).as_slice(), [Effect::Issue { .. }]));
    c.handle(Input::Issued(Ok(Issued { offline: true, ..issued() })));
    assert!(c.view().ticket.offline);
    c.handle(Input::Printed(Ok(())));
    tap(&mut c, UiAction::Home);
    c.handle(Input::Offline(false));
    assert!(ids(&c).contains(&TileId::Appointment));
    assert_ne!(c.view().welcome, "网络中断：本机离线取号，号票照常有效");
}

#[test]
fn the_ticket_says_where_to_wait_and_english_shows_modes_and_materials_in_english() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().ticket.wait, "请在1楼等候区等候，留意叫号");
    let none = Issued { waiting_area: String::new(), waiting_area_en: String::new(), ..issued() };
    assert_eq!(super::browse::wait_here(&none, false), "请留意叫号");
    assert_eq!(super::browse::wait_here(&issued(), true), "Please wait in the waiting area on floor 1 and listen for your number");

    let mut c = kiosk();
    tap(&mut c, UiAction::SetEnglish(true));
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    let item = catalog().items.into_iter().find(|i| i.id == "hukou-qianru").unwrap();
    assert!(!item.mode_en.is_empty());
    assert_eq!(c.view().detail.mode, item.mode_en);
    assert_eq!(c.view().detail.materials, item.materials_en);
    assert!(c.view().items.iter().all(|r| r.mode.is_ascii()), "{:?}", c.view().items);
}

#[test]
fn the_catalogue_carries_waiting_areas_desks_and_the_no_show_rule() {
    let c = catalog();
    let hukou = c.items.iter().find(|i| i.id == "hukou-qianru").unwrap();
    assert!(hukou.waiting_area.contains("等候区"), "{}", hukou.waiting_area);
    assert!(!hukou.queue.is_empty());
    assert!(!c.desks.is_empty());
    assert!(c.no_show.0.contains("过号"));
}

#[test]
fn call_staff_from_any_visitor_screen_once_and_where_to_go_when_the_hall_is_unreachable() {
    let mut c = kiosk();
    assert_eq!(tap(&mut c, UiAction::CallStaff), [Effect::CallForHelp]);
    assert_eq!(c.view().help, "正在通知工作人员…");
    assert!(tap(&mut c, UiAction::CallStaff).is_empty(), "pressing again adds nothing");
    c.handle(Input::HelpCalled(true));
    assert_eq!(c.view().help, "已通知工作人员，请在此稍候");

    // Out of service, and the hall unreachable.
    let mut c = kiosk();
    c.handle(Input::Health(Some("打印机缺纸".into())));
    assert_eq!(c.view().screen, Screen::OutOfService);
    assert_eq!(tap(&mut c, UiAction::CallStaff), [Effect::CallForHelp]);
    c.handle(Input::HelpCalled(false));
    assert_eq!(c.view().help, "请到服务台（1楼导引台）寻求帮助");
    tap(&mut c, UiAction::SetEnglish(true));
    assert_eq!(c.view().help, "Please go to the Ground-floor service desk for help");
    assert_eq!(tap(&mut c, UiAction::CallStaff), [Effect::CallForHelp], "may try again after a failure");
}

#[test]
fn the_halls_figures_update_the_waits_of_items_by_queue() {
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    let queue = catalog().items.into_iter().find(|i| i.id == "hukou-qianru").unwrap().queue;
    c.handle(Input::Figures(vec![(queue.clone(), 9, 27), ("nope".into(), 1, 1)]));
    assert_eq!((c.view().detail.waiting, c.view().detail.estimate_minutes), (9, 27), "the item on screen");
    tap(&mut c, UiAction::Back);
    let row = c.view().items.iter().find(|r| r.name == "户口迁入登记").unwrap().clone();
    assert_eq!((row.waiting, row.estimate_minutes), (9, 27));
    assert!(c.view().items.iter().any(|r| r.waiting == 2), "other queues keep theirs");
}

#[test]
fn error_screens_offer_a_next_step() {
    // An expired card: a number for 换领 with that card, and where the desk is.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Personal));
    tap(&mut c, UiAction::Item("hukou-qianru".into()));
    tap(&mut c, UiAction::TakeNumber);
    c.handle(Input::Card(card("2026-01-04")));
    assert_eq!(c.view().screen, Screen::Message);
    assert!(c.view().message_body.contains("服务台（1楼导引台）"), "{}", c.view().message_body);
    assert_eq!(c.view().next, "取号办理：居民身份证补领、换领");
    tap(&mut c, UiAction::Next);
    assert_eq!(c.view().screen, Screen::Confirm);
    assert_eq!(c.view().detail.name, "居民身份证补领、换领");
    match tap(&mut c, UiAction::Confirm).as_slice() {
        [Effect::Issue { service, identity: Some(_), .. }] => assert_eq!(service, "sfz-buling"),
        other => panic!("{other:?}"),
    }

    // The lunch break: the item's materials, and when to come back.
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Err(IssueFailure::LunchBreak {
        said: Said::Hall { zh: "午休时间暂停取号，13:30 恢复取号。".into(), en: None },
        until: Some("13:30".into()),
    })));
    assert!(c.view().message_body.ends_with("可先查看所需材料，13:30 后再来取号"), "{}", c.view().message_body);
    assert_eq!(c.view().next, "查看所需材料");
    tap(&mut c, UiAction::Next);
    assert_eq!(c.view().screen, Screen::Item);
    assert!(!c.view().detail.materials.is_empty());

    // No appointment found by the card: a normal number.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Appointment));
    let fx = c.handle(Input::Card(card("")));
    assert!(matches!(fx.as_slice(), [Effect::FindAppointments { .. }]));
    c.handle(Input::Appointments(Ok(vec![])));
    assert_eq!(c.view().next, "直接取号");
    tap(&mut c, UiAction::Next);
    assert_eq!(c.view().screen, Screen::Home);

    // An appointment found but refused at check-in: a normal number for its item.
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Appointment));
    c.handle(Input::Card(card("")));
    let row =
        AppointmentRow { code: "YY1".into(), service: "户口迁入登记".into(), slot: "2026-11-26 10:00".into(), checked_in: false };
    c.handle(Input::Appointments(Ok(vec![row])));
    tap(&mut c, UiAction::Choose("YY1".into()));
    c.handle(Input::Issued(Err(IssueFailure::Refused("预约不是今天".into()))));
    assert_eq!(c.view().next, "取号办理：户口迁入登记");
    tap(&mut c, UiAction::Next);
    assert_eq!(c.view().screen, Screen::Confirm, "the card read already");
    match tap(&mut c, UiAction::Confirm).as_slice() {
        [Effect::Issue { service, .. }] => assert_eq!(service, "hukou-qianru"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ticket_that_did_not_print_shows_its_qr_on_screen() {
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Ok(())));
    assert_eq!(c.view().ticket.qr.width, 0, "printed: the QR is on paper");
    let mut c = kiosk();
    to_confirm_without_card(&mut c);
    tap(&mut c, UiAction::Confirm);
    c.handle(Input::Issued(Ok(issued())));
    c.handle(Input::Printed(Err(("打印机缺纸".into(), true))));
    let qr = &c.view().ticket.qr;
    assert!(qr.width > 100 && qr.width == qr.height && qr.rgb.len() == (qr.width * qr.height * 3) as usize);
    assert!(qr.rgb.contains(&0) && qr.rgb.contains(&255));
}

#[test]
fn search_by_chinese_characters_and_english_words_too() {
    let names = |c: &Controller| c.view().items.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    let mut c = kiosk();
    tap(&mut c, UiAction::Tile(TileId::Search));
    for k in "迁入".chars() {
        tap(&mut c, UiAction::SearchKey(k));
    }
    assert_eq!(names(&c), ["户口迁入登记"]);
    // A department's name finds its items.
    let dept = catalog().items.iter().find(|i| i.id == "hukou-qianru").unwrap().department.clone();
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Search));
    for k in dept.chars() {
        tap(&mut c, UiAction::SearchKey(k));
    }
    assert!(names(&c).contains(&"户口迁入登记".to_string()), "{dept}: {:?}", names(&c));
    // English words, in any case.
    tap(&mut c, UiAction::Home);
    tap(&mut c, UiAction::Tile(TileId::Search));
    for k in "moving In".chars() {
        tap(&mut c, UiAction::SearchKey(k));
    }
    assert_eq!(names(&c), ["户口迁入登记"]);
    tap(&mut c, UiAction::SetEnglish(true));
    assert_eq!(names(&c), ["Household registration: moving in"]);
    tap(&mut c, UiAction::SetEnglish(false));
    // Pinyin spelled out, from any syllable of the name, as far as typed.
    for typed in ["hukouqianru", "QIANRU", "hukouq"] {
        tap(&mut c, UiAction::Home);
        tap(&mut c, UiAction::Tile(TileId::Search));
        for k in typed.chars() {
            tap(&mut c, UiAction::SearchKey(k));
        }
        assert_eq!(names(&c).first().map(String::as_str), Some("户口迁入登记"), "{typed}: {:?}", names(&c));
    }
    assert!(super::browse::syllables("户口迁入登记") == ["hu", "kou", "qian", "ru", "deng", "ji"]);
    let item = catalog().items.into_iter().find(|i| i.id == "hukou-qianru").unwrap();
    assert_eq!(super::browse::search_rank(&item, "ukou"), None, "not from a syllable's start");
    assert_eq!(super::browse::search_rank(&item, "dengjix"), None, "past the end of the name");
}

#[test]
fn elderly_mode_offers_a_few_large_choices() {
    let mut c = kiosk();
    tap(&mut c, UiAction::ToggleElderly);
    let labels: Vec<String> = c.view().tiles.iter().map(|t| t.label.clone()).collect();
    assert_eq!(labels, ["刷身份证取号", "预约签到", "打印结果", "更多事项", "找人帮忙"]);
    assert_eq!(tap(&mut c, UiAction::Tile(TileId::Help)), [Effect::CallForHelp]);
    tap(&mut c, UiAction::Tile(TileId::Hot));
    assert_eq!(c.view().screen, Screen::Items);
    tap(&mut c, UiAction::ToggleElderly);
    tap(&mut c, UiAction::Home);
    assert!(c.view().tiles.len() > 5, "the hall's tiles again");
}
