//! The scanner driver against SANE's real `test` backend (Debian sane-utils and
//! libsane1): a 3-page feeder batch into one PDF with progress per page, a flatbed page,
//! and a jam. The test backend is enabled through a SANE_CONFIG_DIR of the test's own.
//! A fake `scanimage` that hangs shows that a stuck scanner is stopped within its page
//! deadline and that the scanner works again afterwards.
//!
//! No test here can hang: every scan runs with a page deadline (`opts()`), and scanimage
//! is killed, with what it forked, when it passes.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use hallq_drivers::scanner::{self, ColorMode, Progress, ScanError, ScanOptions, Source};

/// The test backend answers in milliseconds; a hang fails the test after this.
const PAGE: Duration = Duration::from_secs(20);

fn opts() -> ScanOptions {
    ScanOptions { page_timeout: PAGE, ..ScanOptions::default() }
}

fn sane_test_backend() {
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        let dir = std::env::temp_dir().join(format!("hallq-sane-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("dll.conf"), "test\n").unwrap();
        // A4 geometry, test options on (for the simulated jam), a pattern worth looking at.
        std::fs::write(
            dir.join("test.conf"),
            "number_of_devices 2\nmode Gray\ndepth 8\nresolution 75\ntest-picture \"Color pattern\"\nenable-test-options true\n\
             geometry_min 0.0\ngeometry_max 300.0\ngeometry_quant 1.0\ntl_x 0.0\ntl_y 0.0\nbr_x 210.0\nbr_y 297.0\n",
        )
        .unwrap();
        // SAFETY: set once, before any scan spawns a process reading it.
        std::env::set_var("SANE_CONFIG_DIR", &dir);
        assert!(
            hallq_drivers::process::run(std::process::Command::new("scanimage").arg("--version"), None, Duration::from_secs(10)).is_ok(),
            "scanimage not found: install sane-utils (./dev test does)"
        );
    });
}

#[test]
fn the_test_backend_is_listed() {
    sane_test_backend();
    let devices = scanner::list().unwrap();
    assert!(devices.iter().any(|(name, _)| name == "test:0"), "{devices:?}");
}

#[test]
fn a_three_page_feeder_batch_becomes_one_pdf() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("materials.pdf");
    let opts = ScanOptions { source: Source::Feeder, mode: ColorMode::Gray, resolution: 75, max_pages: 3, ..opts() };
    let mut progress = Vec::new();
    let n = scanner::scan_to_pdf("test:0", &opts, &out, |p| progress.push(p)).unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        progress,
        vec![
            Progress::PageStarted(1),
            Progress::PageDone(1),
            Progress::PageStarted(2),
            Progress::PageDone(2),
            Progress::PageStarted(3),
            Progress::PageDone(3)
        ]
    );
    let pdf = std::fs::read(&out).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-") && text.contains("/Count 3"));
    // A4 at 75 dpi: 210 mm x 297 mm is about 595 x 842 points.
    assert!(text.contains("/MediaBox [0 0 595"), "page is not A4-sized");
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "page files were left behind");
}

#[test]
fn a_colour_flatbed_page() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let opts = ScanOptions { source: Source::Flatbed, mode: ColorMode::Color, resolution: 50, ..opts() };
    let pages = scanner::scan("test:0", &opts, dir.path(), |_| {}).unwrap();
    assert_eq!(pages.len(), 1);
    assert!(matches!(pages[0].image, image::DynamicImage::ImageRgb8(_)), "colour scan");
}

#[test]
fn a_jam_and_an_open_cover_are_typed_errors() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let jam = ScanOptions { extra: vec!["--read-return-value".into(), "SANE_STATUS_JAMMED".into()], resolution: 50, ..opts() };
    let e = scanner::scan("test:0", &jam, dir.path(), |_| {}).err().unwrap();
    assert!(matches!(e, ScanError::Jammed), "{e:?}");
    assert_eq!(e.to_string(), "扫描仪卡纸，请打开扫描仪取出纸张后重试");
    let cover = ScanOptions { extra: vec!["--read-return-value".into(), "SANE_STATUS_COVER_OPEN".into()], resolution: 50, ..opts() };
    assert!(matches!(scanner::scan("test:0", &cover, dir.path(), |_| {}), Err(ScanError::CoverOpen)));
}

#[test]
fn a_missing_scanner_is_named() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let e = scanner::scan("test:9", &opts(), dir.path(), |_| {}).err().unwrap();
    assert!(matches!(e, ScanError::DeviceGone(ref d) if d == "test:9"), "{e:?}");
}

/// A fake scanimage: a shell script that says what a real one says, then hangs the way a
/// stuck scanner does (forking a helper that keeps stderr open, as SANE backends do).
fn fake_scanimage(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("scanimage");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_scanner_that_stops_answering_is_stopped_within_its_page_deadline_and_works_again() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let stuck = fake_scanimage(dir.path(), "echo 'Scanning page 1' >&2\nsleep 1000 &\nwait");
    let stuck = ScanOptions { scanimage: stuck, page_timeout: Duration::from_secs(1), ..ScanOptions::default() };
    let started = Instant::now();
    let mut progress = Vec::new();
    let e = scanner::scan("test:0", &stuck, &dir.path().join("pages"), |p| progress.push(p)).err().unwrap();
    let took = started.elapsed();
    assert!(matches!(e, ScanError::Timeout(1)), "{e:?}");
    assert!(e.is_device_fault());
    assert_eq!(e.to_string(), "扫描仪无响应（1 秒内未完成），已停止扫描，请联系工作人员");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "reported after {took:?}");
    assert_eq!(progress, vec![Progress::PageStarted(1)]);
    // The scanner itself (the test backend) works straight after.
    let pages = scanner::scan("test:0", &ScanOptions { resolution: 50, ..opts() }, &dir.path().join("again"), |_| {}).unwrap();
    assert_eq!(pages.len(), 1);
}

#[test]
fn the_deadline_is_per_page() {
    let dir = tempfile::tempdir().unwrap();
    // Two pages of 1.2 s each, then the third never comes: 2 s per page is enough for
    // each page, not for the whole batch.
    let fake = fake_scanimage(
        dir.path(),
        "for n in 1 2; do echo \"Scanning page $n\" >&2; sleep 1.2; echo \"Scanned page $n. (scanner status = 5)\" >&2; done\n\
         echo 'Scanning page 3' >&2\nsleep 1000 &\nwait",
    );
    let opts = ScanOptions { scanimage: fake, source: Source::Feeder, page_timeout: Duration::from_secs(2), ..ScanOptions::default() };
    let started = Instant::now();
    let mut progress = Vec::new();
    let e = scanner::scan("test:0", &opts, &dir.path().join("pages"), |p| progress.push(p)).err().unwrap();
    let took = started.elapsed();
    assert!(matches!(e, ScanError::Timeout(_)), "{e:?}");
    assert!(took >= Duration::from_millis(4000) && took < Duration::from_secs(8), "reported after {took:?}");
    assert_eq!(
        progress,
        vec![Progress::PageStarted(1), Progress::PageDone(1), Progress::PageStarted(2), Progress::PageDone(2), Progress::PageStarted(3)]
    );
}

#[test]
fn a_fault_named_before_a_hang_is_the_answer() {
    // What was seen on a fresh Debian 12: scanimage said the cover was open, then sat in a
    // futex wait closing the device. The named fault comes back, a few seconds later.
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_scanimage(
        dir.path(),
        "echo 'Scanning page 1' >&2\necho 'scanimage: sane_read: Scanner cover is open' >&2\nsleep 1000 &\nwait",
    );
    let opts = ScanOptions { scanimage: fake, page_timeout: Duration::from_secs(60), ..ScanOptions::default() };
    let started = Instant::now();
    let e = scanner::scan("test:0", &opts, &dir.path().join("pages"), |_| {}).err().unwrap();
    assert!(matches!(e, ScanError::CoverOpen), "{e:?}");
    assert!(!e.is_device_fault(), "the visitor can close the cover");
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}

#[test]
fn listing_scanners_has_a_deadline_too() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_scanimage(dir.path(), "sleep 1000 &\nwait");
    let started = Instant::now();
    let e = scanner::list_with(std::process::Command::new(fake).arg("-L"), Duration::from_millis(500)).unwrap_err();
    assert!(matches!(e, ScanError::Timeout(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
