//! The A4 printer driver against a real cupsd with a cups-pdf queue (Debian cups and
//! printer-driver-cups-pdf). The test starts cupsd when it is not running and makes its
//! own queues; it prints a PDF and follows the job, and sees a stopped or rejecting queue.
//! Every CUPS tool runs with a deadline, and so does every IPP request and job.

use std::process::Command;
use std::time::Duration;

use hallq_drivers::a4::{self, A4Error, A4Printer, JobProgress, PrinterCondition};
use hallq_drivers::process;

const PPD: &str = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd";

/// CUPS tools answer in well under a second; a stuck scheduler fails the test after this.
const TOOL: Duration = Duration::from_secs(30);

fn run(cmd: &str, args: &[&str]) -> bool {
    process::run(Command::new(cmd).args(args), None, TOOL).map(|o| o.status.success()).unwrap_or(false)
}

fn scheduler_running() -> bool {
    process::run(Command::new("lpstat").arg("-r"), None, TOOL)
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("is running"))
        .unwrap_or(false)
}

/// Starts cupsd if needed and creates (or resets) a cups-pdf queue named `name`.
fn queue(name: &str) -> String {
    assert!(std::path::Path::new(PPD).exists(), "cups-pdf is not installed: install cups and printer-driver-cups-pdf (./dev test does)");
    // One test starts the scheduler: two started at once both run, one with the queues and
    // the other answering IPP (client-error-not-found).
    static START: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = START.lock().unwrap_or_else(|p| p.into_inner());
    if !scheduler_running() {
        // cupsd daemonizes: the command returns once the scheduler is up.
        let _ = process::run(&mut Command::new("cupsd"), None, TOOL);
        for _ in 0..50 {
            if scheduler_running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(scheduler_running(), "cupsd did not start");
    assert!(run("lpadmin", &["-p", name, "-v", "cups-pdf:/", "-P", PPD, "-o", "PageSize=a4"]), "lpadmin failed");
    assert!(run("cupsenable", &[name]) && run("cupsaccept", &[name]));
    format!("ipp://localhost:631/printers/{name}")
}

fn sample_pdf() -> Vec<u8> {
    let page = image::DynamicImage::new_luma8(200, 283);
    hallq_drivers::pdf::images_to_pdf(&[page], 24).unwrap()
}

#[test]
fn prints_a_pdf_and_follows_the_job_to_completed() {
    let uri = queue("HALLQ_TEST_PRINT");
    let printer = A4Printer::new(&uri).unwrap();
    assert_eq!(printer.condition().unwrap(), PrinterCondition::Ready);
    let job = printer.print_pdf(sample_pdf(), "办件结果").unwrap();
    let mut seen = Vec::new();
    printer.wait(job, Duration::from_secs(60), |p| seen.push(p)).unwrap();
    assert_eq!(seen.last(), Some(&JobProgress::Completed));
    assert!(a4::cups_queues("ipp://localhost:631").unwrap().iter().any(|(n, _)| n == "HALLQ_TEST_PRINT"));
}

#[test]
fn a_stopped_or_rejecting_queue_is_refused_with_a_reason() {
    let uri = queue("HALLQ_TEST_STOPPED");
    let printer = A4Printer::new(&uri).unwrap();
    assert!(run("cupsdisable", &["-r", "paper out", "HALLQ_TEST_STOPPED"]));
    match printer.print_pdf(sample_pdf(), "x") {
        Err(A4Error::NotReady(PrinterCondition::Stopped(_))) => {}
        other => panic!("{other:?}"),
    }
    assert!(run("cupsenable", &["HALLQ_TEST_STOPPED"]) && run("cupsreject", &["HALLQ_TEST_STOPPED"]));
    let e = printer.print_pdf(sample_pdf(), "x").unwrap_err();
    assert!(matches!(e, A4Error::NotReady(PrinterCondition::NotAccepting)), "{e:?}");
    assert_eq!(e.to_string(), "A4打印机暂停服务，请联系工作人员");
    assert!(run("cupsaccept", &["HALLQ_TEST_STOPPED"]));
}

#[test]
fn an_unknown_queue_or_server_is_a_clear_error() {
    queue("HALLQ_TEST_EXISTS");
    let e = A4Printer::new("ipp://localhost:631/printers/NO_SUCH_QUEUE").unwrap().condition().unwrap_err();
    assert!(matches!(e, A4Error::Refused(_)), "{e:?}");
    let e = A4Printer::new("ipp://127.0.0.1:9/printers/X").unwrap().condition().unwrap_err();
    assert!(matches!(e, A4Error::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("无法连接打印服务"));
}
