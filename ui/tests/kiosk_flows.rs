//! The kiosk's real screens driven headless through Slint's testing backend: each step
//! finds a button by its accessible label and presses it, as a visitor would; the kiosk
//! controller decides what comes next, and the checks look at what is on screen.

use std::cell::RefCell;
use std::rc::Rc;

use hallq::kiosk::controller::{Card, Controller, Effect, Input, IssueFailure, Issued, Settings};
use hallq::kiosk::text::Said;
use hallq_ui::kiosk;
use hallq_ui::view::{DeviceKind, Screen};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;

struct Kiosk {
    window: kiosk::Window,
    controller: Rc<RefCell<Controller>>,
    effects: Rc<RefCell<Vec<Effect>>>,
}

impl Kiosk {
    fn new() -> Kiosk {
        Kiosk::with(Settings::default())
    }

    fn with(settings: Settings) -> Kiosk {
        i_slint_backend_testing::init_no_event_loop();
        let window = kiosk::new_window().unwrap();
        let controller = Rc::new(RefCell::new(Controller::new(settings, 1)));
        let effects: Rc<RefCell<Vec<Effect>>> = Rc::default();
        controller.borrow_mut().handle(Input::Catalog(hallq::kiosk::catalog_from_config(&hallq::config::Config::demo())));
        kiosk::apply(&window, controller.borrow().view());
        let (c, e, w) = (controller.clone(), effects.clone(), window.clone_strong());
        kiosk::on_action(&window, move |a| {
            let out = c.borrow_mut().handle(Input::Ui(a));
            e.borrow_mut().extend(out);
            kiosk::apply(&w, c.borrow().view());
        });
        Kiosk { window, controller, effects }
    }

    /// Presses the button labelled `label`; panics if it is not on screen.
    fn press(&self, label: &str) {
        let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&self.window, label).collect();
        assert!(!found.is_empty(), "no \"{label}\" on the {} screen", self.screen().name());
        found[0].invoke_accessible_default_action();
    }

    fn shows(&self, label: &str) -> bool {
        // Lay the window out so repeaters whose models changed are brought up to date.
        let _ = self.window.window().size();
        self.window.show().unwrap();
        slint::platform::update_timers_and_animations();
        ElementHandle::find_by_accessible_label(&self.window, label).next().is_some()
    }

    fn feed(&self, input: Input) {
        let out = self.controller.borrow_mut().handle(input);
        self.effects.borrow_mut().extend(out);
        kiosk::apply(&self.window, self.controller.borrow().view());
    }

    fn screen(&self) -> Screen {
        self.controller.borrow().view().screen
    }

    fn take_effects(&self) -> Vec<Effect> {
        std::mem::take(&mut self.effects.borrow_mut())
    }
}

fn issued(number: &str) -> Issued {
    Issued {
        id: format!("20261127-{number}"),
        number: number.into(),
        service: "户口迁入登记".into(),
        holder: "张*".into(),
        windows: vec![(7, 1)],
        waiting_area: "1楼等候区".into(),
        waiting_area_en: "the waiting area on floor 1".into(),
        ahead: 1,
        estimate_minutes: 2,
        token: "t".into(),
        status_url: String::new(),
        printable: Default::default(),
        offline: false,
    }
}

fn card(expired_on: &str) -> Card {
    Card {
        id_number: "43010219900307123X".into(),
        name: "张三".into(),
        masked: "张*（4301**********123X）".into(),
        expired_on: expired_on.into(),
    }
}

fn to_identity(k: &Kiosk) {
    k.press("个人事项");
    assert_eq!(k.screen(), Screen::Items);
    k.press("户口迁入登记");
    assert_eq!(k.screen(), Screen::Item);
    k.press("取号");
    assert_eq!(k.screen(), Screen::Identity);
    assert!(!k.shows("不刷卡，直接取号"), "this item needs the ID card");
}

#[test]
fn take_a_number_by_touch() {
    let k = Kiosk::new();
    to_identity(&k);
    k.feed(Input::Card(card("")));
    assert!(k.shows("确认取号"));
    k.press("确认取号");
    assert_eq!(k.screen(), Screen::Printing);
    match k.take_effects().as_slice() {
        [Effect::Issue { service, identity: Some(_), .. }] => assert_eq!(service, "hukou-qianru"),
        other => panic!("{other:?}"),
    }
    k.feed(Input::Issued(Ok(issued("C001"))));
    k.feed(Input::Printed(Ok(())));
    assert_eq!(k.screen(), Screen::Ticket);
    assert!(k.shows("C001"), "the number is on screen");
    assert!(k.shows("请在1楼等候区等候，留意叫号"), "where to wait, not a list of windows");
    k.press("回到首页");
    assert_eq!(k.screen(), Screen::Home);
}

#[test]
fn offline_the_home_screen_says_so_and_the_ticket_too() {
    let k = Kiosk::new();
    k.feed(Input::Offline(true));
    assert!(k.shows("网络中断：本机离线取号，号票照常有效"), "the home screen's line");
    to_identity(&k);
    k.feed(Input::Card(card("")));
    k.press("确认取号");
    k.feed(Input::Issued(Ok(Issued { offline: true, ..issued("C991") })));
    k.feed(Input::Printed(Ok(())));
    assert_eq!(k.screen(), Screen::Ticket);
    assert!(k.shows("C991"));
    assert!(k.shows("离线取号：网络中断，本号已保存在本机，恢复后自动登记，叫号时照常有效"));
    // People ahead are not known offline: not shown as "nobody ahead".
    assert!(!k.shows("前面没有人等候，请留意叫号"));
    k.feed(Input::Offline(false));
    k.press("回到首页");
    assert!(!k.shows("网络中断：本机离线取号，号票照常有效"));
}

#[test]
fn paper_running_out_during_the_ticket() {
    let k = Kiosk::new();
    to_identity(&k);
    k.feed(Input::Card(card("")));
    k.press("确认取号");
    k.feed(Input::Issued(Ok(Issued { status_url: "http://hall/t/20261127-C002?token=t".into(), ..issued("C002") })));
    k.feed(Input::Printed(Err(("打印机缺纸，请联系工作人员".into(), true))));
    assert_eq!(k.screen(), Screen::Ticket);
    assert!(k.shows("C002"));
    let problem = k.controller.borrow().view().ticket.print_problem.clone();
    assert!(k.shows(&problem), "the print problem is on screen");
    assert!(k.shows("号票二维码"), "the status page's QR, to keep on a phone");
    k.press("回到首页");
    assert_eq!(k.screen(), Screen::OutOfService);
    assert!(k.shows("本机暂停服务") && k.shows("打印机缺纸，请联系工作人员"));
}

#[test]
fn the_hall_service_going_away() {
    let k = Kiosk::new();
    k.press("热门事项");
    k.press("居民身份证补领、换领");
    k.press("取号");
    k.press("不刷卡，直接取号");
    k.press("确认取号");
    for _ in 0..3 {
        k.feed(Input::Issued(Err(IssueFailure::Unreachable("connection refused".into()))));
    }
    assert_eq!(k.screen(), Screen::OutOfService);
    assert!(k.shows("无法连接叫号系统，请到服务台取号。"));
    let issues = k.take_effects().iter().filter(|e| matches!(e, Effect::Issue { .. })).count();
    assert_eq!(issues, 3, "the same request was tried three times");
}

#[test]
fn an_expired_card() {
    let k = Kiosk::new();
    to_identity(&k);
    k.feed(Input::Card(card("2026-01-04")));
    assert_eq!(k.screen(), Screen::Message);
    assert!(k.shows("证件已过期"));
    assert!(k.take_effects().is_empty(), "no ticket for an expired card");
    assert!(k.controller.borrow().view().message_body.contains("服务台（1楼导引台）"), "where the desk is");
    // The next step: a number for 换领, with the card just read.
    k.press("取号办理：居民身份证补领、换领");
    assert_eq!(k.screen(), Screen::Confirm);
    k.press("确认取号");
    match k.take_effects().as_slice() {
        [Effect::Issue { service, identity: Some(_), .. }] => assert_eq!(service, "sfz-buling"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn out_of_service_says_where_the_desk_is() {
    let k = Kiosk::new();
    k.feed(Input::Health(Some("打印机缺纸，请联系工作人员".into())));
    assert_eq!(k.screen(), Screen::OutOfService);
    assert!(k.shows("请到服务台（1楼导引台）取号或办理，也可使用其他自助机"));
    assert!(k.shows("帮办"));
}

#[test]
fn the_lunch_break_offers_the_materials() {
    let k = Kiosk::new();
    to_identity(&k);
    k.feed(Input::Card(card("")));
    k.press("确认取号");
    k.feed(Input::Issued(Err(IssueFailure::LunchBreak {
        said: Said::Hall { zh: "午休时间暂停取号，13:30 恢复取号。".into(), en: None },
        until: Some("13:30".into()),
    })));
    assert_eq!(k.screen(), Screen::Message);
    assert!(k.controller.borrow().view().message_body.contains("可先查看所需材料，13:30 后再来取号"));
    k.press("查看所需材料");
    assert_eq!(k.screen(), Screen::Item);
    assert!(k.shows("取号"), "the item, to take a number after the break");
}

#[test]
fn no_appointment_found_offers_a_normal_number() {
    let k = Kiosk::new();
    k.press("预约签到");
    k.feed(Input::Card(card("")));
    k.feed(Input::Appointments(Ok(vec![])));
    assert_eq!(k.screen(), Screen::Message);
    k.press("直接取号");
    assert_eq!(k.screen(), Screen::Home);
    k.press("个人事项");
    assert_eq!(k.screen(), Screen::Items);
}

#[test]
fn english_and_large_text() {
    let k = Kiosk::new();
    k.press("English");
    assert!(k.shows("Personal"));
    k.press("Large text");
    assert!(k.controller.borrow().view().elderly);
    k.press("中文");
    assert!(k.shows("刷身份证取号"), "长者模式: a few large choices");
}

#[test]
fn elderly_mode_has_large_choices_and_finds_someone_to_help() {
    let k = Kiosk::new();
    k.press("长者模式");
    for choice in ["刷身份证取号", "预约签到", "打印结果", "找人帮忙"] {
        assert!(k.shows(choice), "{choice}");
    }
    assert!(!k.shows("企业事项"), "not the hall's ten tiles");
    k.press("找人帮忙");
    assert!(k.take_effects().iter().any(|e| matches!(e, Effect::CallForHelp)));
    k.feed(Input::HelpCalled(true));
    assert!(k.shows("已通知工作人员，请在此稍候"));
    k.press("刷身份证取号");
    assert_eq!(k.screen(), Screen::Items);
}

#[test]
fn pinyin_search_on_the_screen_keyboard() {
    let k = Kiosk::new();
    k.press("拼音搜索");
    for key in ["G", "J", "J", "T"] {
        k.press(key);
    }
    let view = k.controller.borrow().view().clone();
    assert_eq!(view.search, "GJJT");
    assert!(k.shows("住房公积金提取"), "results: {:?}", view.items.iter().map(|i| &i.name).collect::<Vec<_>>());
    k.press("住房公积金提取");
    assert_eq!(k.screen(), Screen::Item);
}

#[test]
fn search_by_an_english_word_on_the_screen_keyboard() {
    let k = Kiosk::new();
    k.press("拼音搜索");
    for key in ["M", "O", "V", "I", "N", "G"] {
        k.press(key);
    }
    assert!(k.shows("户口迁入登记"), "an English word finds the item");
    k.press("户口迁入登记");
    assert_eq!(k.screen(), Screen::Item);
}

#[test]
fn appointment_check_in_by_typed_code() {
    let k = Kiosk::new();
    k.press("预约签到");
    assert_eq!(k.screen(), Screen::Appointment);
    for key in ["Y", "Y", "1", "0", "0", "1"] {
        k.press(key);
    }
    assert!(k.shows("code:YY1001"), "the code is on screen");
    k.press("签到");
    assert_eq!(k.screen(), Screen::Printing);
    match k.take_effects().as_slice() {
        [Effect::CheckIn { code, identity: None, .. }] => assert_eq!(code, "YY1001"),
        other => panic!("{other:?}"),
    }
    k.feed(Input::Issued(Ok(issued("C003"))));
    k.feed(Input::Printed(Ok(())));
    assert!(k.shows("C003"));
}

#[test]
fn results_printed_by_card() {
    use hallq::kiosk::controller::ResultRow;
    let k = Kiosk::new();
    k.press("自助打印");
    assert_eq!(k.screen(), Screen::Identity);
    assert!(!k.shows("不刷卡，直接取号"), "results need the card");
    k.feed(Input::Card(card("")));
    k.feed(Input::Results(Ok(vec![ResultRow {
        id: "R1".into(), title: "营业执照".into(), department: "市场监管局".into(), nonce: None
    }])));
    assert!(k.shows("营业执照"));
    k.press("全部打印（1 份）");
    assert_eq!(k.screen(), Screen::Documents);
    assert!(matches!(k.take_effects().as_slice(), [Effect::FindResults { .. }, Effect::PrintResults(list)] if list.len() == 1));
    k.feed(Input::DocProgress("正在打印 第 1/1 份：营业执照".into(), 60));
    assert!(k.shows("正在打印 第 1/1 份：营业执照"));
    assert!(!k.shows("回到首页"), "no way out mid-print");
    k.feed(Input::DocsPrinted(Ok(1)));
    assert!(k.shows("已打印 1 份，已为您登记领取。请从下方出纸口取走文件。"));
    k.press("回到首页");
    assert_eq!(k.screen(), Screen::Home);
}

#[test]
fn scanning_materials_with_a_retake() {
    let k = Kiosk::new();
    k.press("材料预审");
    k.press("户口迁入登记");
    k.press("扫描材料");
    k.feed(Input::Card(card("")));
    assert_eq!(k.screen(), Screen::Scan);
    k.press("进纸器扫描");
    let thumb = |v: u8| hallq_ui::view::Thumb { width: 4, height: 6, rgb: vec![v; 72] };
    k.feed(Input::Scanned(Ok(vec![thumb(10), thumb(200)])));
    assert!(k.shows("page 2"));
    k.press("page 2");
    assert!(k.shows("重扫第 2 页"));
    k.press("重扫第 2 页");
    k.feed(Input::Scanned(Ok(vec![thumb(90)])));
    k.press("提交材料并取号（2 页）");
    assert_eq!(k.screen(), Screen::Printing);
    let effects = k.take_effects();
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Scan { feeder: true, replace: None }, Effect::Scan { feeder: false, replace: Some(1) }, Effect::Issue { .. }]
        ),
        "{effects:?}"
    );
    k.feed(Input::Issued(Ok(issued("C004"))));
    assert!(matches!(k.take_effects().as_slice(), [Effect::Attach { .. }, Effect::Print(_)]));
}

#[test]
fn the_manager_menu_behind_the_corner_and_pin() {
    let k = Kiosk::new();
    for _ in 0..5 {
        k.press("manager-corner");
    }
    assert_eq!(k.screen(), Screen::ManagerPin);
    // The demo configuration's PIN is an Argon2 hash of 2468: a wrong PIN stays out.
    for d in ["1", "3", "5", "7"] {
        k.press(d);
    }
    k.press("确定");
    assert_eq!(k.screen(), Screen::ManagerPin);
    assert_eq!(k.controller.borrow().view().progress, "PIN 不正确");
    for d in ["2", "4", "6", "8"] {
        k.press(d);
    }
    k.press("确定");
    assert_eq!(k.screen(), Screen::Manager);
    k.press("测试 号票打印机");
    assert!(matches!(k.take_effects().as_slice(), [Effect::SelfTest(d)] if *d == DeviceKind::TicketPrinter));
    k.feed(Input::SelfTested(DeviceKind::TicketPrinter, true, "已打印测试票".into()));
    assert!(k.shows("ticket-printer:ok"));
    k.press("退出程序");
    assert!(matches!(k.take_effects().as_slice(), [Effect::Exit]));
    k.press("返回服务");
    assert_eq!(k.screen(), Screen::Home);
}

#[test]
fn a_qr_scanner_in_keyboard_mode_checks_in() {
    use slint::platform::WindowEvent;
    let k = Kiosk::new();
    k.press("预约签到");
    assert_eq!(k.screen(), Screen::Appointment);
    // The scanner types the code and Enter, as a keyboard would.
    for ch in "yy2002\n".chars() {
        let text: slint::SharedString = ch.to_string().into();
        k.window.window().dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        k.window.window().dispatch_event(WindowEvent::KeyReleased { text });
    }
    match k.take_effects().as_slice() {
        [Effect::CheckIn { code, .. }] => assert_eq!(code, "YY2002"),
        other => panic!("{other:?}"),
    }
    assert_eq!(k.screen(), Screen::Printing);
}

#[test]
fn without_a_card_reader_card_items_point_to_the_service_desk() {
    let k = Kiosk::with(Settings { has_reader: false, ..Settings::default() });
    assert!(!k.shows("自助打印"), "results are found by the card");
    k.press("个人事项");
    k.press("户口迁入登记");
    k.press("取号");
    assert_eq!(k.screen(), Screen::Message);
    assert!(k.shows("请到服务台办理"));
    assert!(k.shows("本机没有身份证读卡器。办理「户口迁入登记」需要核验身份证，请到服务台取号。"));
    assert!(!k.shows("请将身份证放在读卡区"));
    k.press("返回");
    assert_eq!(k.screen(), Screen::Item);
    // An item where the card is optional: straight to confirming.
    k.press("回到首页");
    k.press("热门事项");
    k.press("居民身份证补领、换领");
    k.press("取号");
    assert_eq!(k.screen(), Screen::Confirm);
    k.press("确认取号");
    assert!(matches!(k.take_effects().as_slice(), [Effect::Issue { identity: None, .. }]));
}

#[test]
fn a_reader_failing_keeps_the_kiosk_in_service() {
    let k = Kiosk::new();
    to_identity(&k);
    k.feed(Input::OptionalDevice(DeviceKind::IdcardReader, Some("身份证读卡器故障，请联系工作人员".into())));
    assert_eq!(k.screen(), Screen::Message);
    assert!(k.shows("请到服务台办理"));
    assert!(!k.shows("本机暂停服务"));
    k.press("回到首页");
    assert_eq!(k.screen(), Screen::Home);
    assert!(k.shows("暂停服务，请到服务台领取"), "the results tile says it is paused");
    k.press("自助打印");
    assert!(k.shows("自助打印暂停"));
}

#[test]
fn call_staff_from_the_home_screen_out_of_service_and_mid_errand() {
    let k = Kiosk::new();
    assert!(k.shows("帮办"), "on the home screen");
    k.press("帮办");
    assert!(matches!(k.take_effects().as_slice(), [Effect::CallForHelp]));
    k.feed(Input::HelpCalled(false));
    assert!(k.shows("请到服务台（1楼导引台）寻求帮助"), "the hall did not answer: the desk");
    to_identity(&k);
    k.press("帮办");
    assert!(matches!(k.take_effects().as_slice(), [Effect::CallForHelp]), "again after a failure");
    k.feed(Input::HelpCalled(true));
    assert!(k.shows("已通知工作人员，请在此稍候"));
    k.feed(Input::Health(Some("打印机缺纸".into())));
    assert_eq!(k.screen(), Screen::OutOfService);
    assert!(k.shows("帮办"), "out of service too");
    k.press("English");
    assert!(k.shows("Call staff"), "in English");
}

/// 长者模式 with an item whose materials do not fit: they scroll in their card, a line
/// says so, and 取号 stays on screen to be pressed.
#[test]
fn long_materials_scroll_and_take_a_number_stays_on_screen() {
    let k = Kiosk::new();
    let mut config = hallq::config::Config::demo();
    let item = config.services.iter_mut().find(|s| s.id == "hukou-qianru").unwrap();
    item.hot = true;
    item.materials = (1..=18).map(|n| format!("第 {n} 项证明材料（原件及复印件各一份，复印件需本人签字确认）")).collect();
    item.materials_en = (1..=18).map(|n| format!("Certificate {n}")).collect();
    k.feed(Input::Catalog(hallq::kiosk::catalog_from_config(&config)));
    k.press("长者模式");
    k.press("刷身份证取号");
    k.press("户口迁入登记");
    assert_eq!(k.screen(), Screen::Item);
    assert!(k.shows("上下滑动查看全部材料"), "no word that the list goes on");
    let height = k.window.window().size().height as f32 / k.window.window().scale_factor();
    // The item screen's own 取号 (the large button; other screens' are not laid out).
    let take: Vec<_> = ElementHandle::find_by_accessible_label(&k.window, "取号")
        .map(|e| (e.absolute_position(), e.size()))
        .filter(|(_, size)| size.height >= 100.0)
        .collect();
    assert_eq!(take.len(), 1, "{take:?}");
    let (top, size) = take[0];
    assert!(height > 1000.0 && top.y >= 0.0 && top.y + size.height <= height, "取号 at {top:?} {size:?}, window {height} high");
    k.press("取号");
    assert_eq!(k.screen(), Screen::Identity);
}
