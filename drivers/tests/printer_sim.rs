//! End to end: a ticket laid out by the template, encoded to ESC/POS, sent through the
//! printer driver to the simulated printer (in process and over TCP 9100), drawn to PNG.
//! The checks look at the pixels: the number and the item name are drawn with the CJK
//! font where the printer put them, and the QR code on the paper decodes to the link.

use std::time::Duration;

use hallq_drivers::printer::encode::{text_image, Style};
use hallq_drivers::printer::sim::{Paper, Printed, SimPrinter};
use hallq_drivers::printer::status::PrinterFault;
use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::{PrintError, TicketPrinter};
use hallq_drivers::transport::TcpTransport;

fn model() -> TicketModel {
    TicketModel {
        hall_name: "示例县市民之家".into(),
        number: "A001".into(),
        id: "20261127-A001".into(),
        service: "临时居民身份证办理".into(),
        queue: "即办业务".into(),
        people_ahead: 3,
        estimate_minutes: 12,
        windows: vec![(4, 1), (5, 1), (26, 2)],
        issued_at: "2026-11-27 09:31".into(),
        holder: "张*（1101**********002X）".into(),
        token: "0123456789abcdef".into(),
        priority_label: String::new(),
        offline: false,
        ..Default::default()
    }
}

/// Whether `text` at `style` is drawn in the ticket image at the place the printer
/// reported, pixel for pixel with a fresh rendering.
fn drawn(p: &Printed, text: &str, style: Style) -> bool {
    let Some(t) = p.texts.iter().find(|t| t.text == text) else { return false };
    let want = text_image(text, style).unwrap();
    let mut ink = 0;
    let mut mismatched = 0;
    for y in 0..want.height() - 6 {
        for x in 0..want.width() {
            let expected = want.get_pixel(x, y + 3).0[0] < 128;
            let got = p.image.get_pixel(t.x + x, t.y + y).0[0] < 128;
            ink += expected as u32;
            mismatched += (expected != got) as u32;
        }
    }
    ink > 50 && mismatched == 0
}

fn qr_in(p: &Printed) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare(p.image.clone());
    img.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, s)| s)).collect()
}

#[test]
fn a_ticket_goes_from_model_to_png() {
    let sim = SimPrinter::new();
    let dir = tempfile::tempdir().unwrap();
    sim.save_to(dir.path());
    let mut printer = TicketPrinter::new(Box::new(sim.transport()));
    let report = printer.print_ticket(&Template::default(), &model()).unwrap();
    assert!(report.status_known && report.status.ready());
    let printed = sim.printed();
    assert_eq!(printed.len(), 1);
    let p = &printed[0];
    assert!(p.complete);
    assert_eq!(p.image.width(), 576);
    assert!(drawn(p, "A001", Style::center().size(4, 4).bold()), "number not drawn:\n{}", p.text());
    assert!(drawn(p, "临时居民身份证办理", Style::center().size(2, 2).bold()), "item not drawn:\n{}", p.text());
    assert!(drawn(p, "前面还有 3 人", Style::center().size(2, 2).bold()), "people ahead not drawn:\n{}", p.text());
    assert!(drawn(p, "预计等候约 12 分钟", Style::center().size(2, 2)), "estimate not drawn:\n{}", p.text());
    // Most of its windows are on floor 1.
    assert!(p.text().contains("请在1楼等候区等候"), "{}", p.text());
    assert!(p.text().contains("1楼 4、5号窗口\n2楼 26号窗口"), "{}", p.text());
    assert_eq!(qr_in(p), vec!["http://127.0.0.1:8080/t/20261127-A001?token=0123456789abcdef".to_string()]);
    assert_eq!(sim.saved(), vec![dir.path().join("ticket-0001.png")]);
    let reread = image::open(dir.path().join("ticket-0001.png")).unwrap().to_luma8();
    assert_eq!(reread.dimensions(), p.image.dimensions());
}

#[test]
fn a_rare_name_is_printed_as_raster() {
    let sim = SimPrinter::new();
    let mut printer = TicketPrinter::new(Box::new(sim.transport()));
    let mut m = model();
    m.holder = "𠮷*（1101**********002X）".into();
    printer.print_ticket(&Template::default(), &m).unwrap();
    let p = &sim.printed()[0];
    // The line is not sent as text (GBK cannot hold it) but its pixels are on the paper.
    assert!(!p.text().contains("𠮷"));
    assert!(p.bytes.windows(3).any(|w| w == [0x1D, 0x76, 0x30]), "no raster command");
    let line = text_image("持证人：𠮷*（1101**********002X）", Style::default()).unwrap();
    let ink = line.pixels().filter(|px| px.0[0] < 128).count();
    assert!(ink > 200, "the raster line has ink");
}

#[test]
fn faults_before_a_ticket_stop_it_and_say_why() {
    for (set, fault) in [
        (Box::new(|s: &SimPrinter| s.set_paper(Paper::Out)) as Box<dyn Fn(&SimPrinter)>, PrinterFault::PaperOut),
        (Box::new(|s: &SimPrinter| s.set_cover_open(true)), PrinterFault::CoverOpen),
        (Box::new(|s: &SimPrinter| s.set_offline(true)), PrinterFault::Offline),
    ] {
        let sim = SimPrinter::new();
        set(&sim);
        let mut printer = TicketPrinter::new(Box::new(sim.transport()));
        match printer.print_ticket(&Template::default(), &model()) {
            Err(PrintError::NotReady(f)) => assert_eq!(f, fault),
            other => panic!("{other:?}"),
        }
        assert!(sim.printed().is_empty(), "nothing printed while {fault:?}");
    }
    // Near end still prints, and says so.
    let sim = SimPrinter::new();
    sim.set_paper(Paper::NearEnd);
    let report = TicketPrinter::new(Box::new(sim.transport())).print_ticket(&Template::default(), &model()).unwrap();
    assert!(report.status.paper_near_end);
}

#[test]
fn paper_running_out_during_a_ticket_is_reported_after_it() {
    let sim = SimPrinter::new();
    sim.run_out_after(5);
    let mut printer = TicketPrinter::new(Box::new(sim.transport()));
    let e = printer.print_ticket(&Template::default(), &model()).unwrap_err();
    assert!(matches!(e, PrintError::FailedDuring(PrinterFault::PaperOut)), "{e:?}");
    assert_eq!(e.to_string(), "打印机缺纸，请联系工作人员（号票可能未完整打印）");
    // The next ticket is refused before anything is sent.
    assert!(matches!(printer.print_ticket(&Template::default(), &model()), Err(PrintError::NotReady(PrinterFault::PaperOut))));
}

#[test]
fn an_unplugged_printer_is_reported_within_a_second() {
    let sim = SimPrinter::new();
    sim.set_unplugged(true);
    let started = std::time::Instant::now();
    let e = TicketPrinter::new(Box::new(sim.transport())).print_ticket(&Template::default(), &model()).unwrap_err();
    assert!(matches!(e, PrintError::Transport(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn the_simulator_serves_port_9100() {
    let sim = SimPrinter::new();
    let addr = sim.serve_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
    let transport = TcpTransport::connect("127.0.0.1", addr.port()).unwrap();
    let mut printer = TicketPrinter::new(Box::new(transport));
    printer.print_ticket(&Template::default(), &model()).unwrap();
    // The bytes arrive asynchronously over TCP; wait for the cut.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while sim.printed().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let p = &sim.printed()[0];
    assert!(drawn(p, "A001", Style::center().size(4, 4).bold()));
    sim.set_cover_open(true);
    assert!(matches!(printer.print_ticket(&Template::default(), &model()), Err(PrintError::NotReady(PrinterFault::CoverOpen))));
}
