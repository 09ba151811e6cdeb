//! The scanner driver against SANE's real `test` backend (Debian sane-utils and
//! libsane1): a 3-page feeder batch into one PDF with progress per page, a flatbed page,
//! and a jam. The test backend is enabled through a SANE_CONFIG_DIR of the test's own.

use std::sync::Once;

use hallq_drivers::scanner::{self, ColorMode, Progress, ScanError, ScanOptions, Source};

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
            std::process::Command::new("scanimage").arg("--version").output().is_ok(),
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
    let opts = ScanOptions { source: Source::Feeder, mode: ColorMode::Gray, resolution: 75, max_pages: 3, ..ScanOptions::default() };
    let mut progress = Vec::new();
    let n = scanner::scan_to_pdf("test:0", &opts, &out, |p| progress.push(p)).unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        progress,
        vec![Progress::PageStarted(1), Progress::PageDone(1), Progress::PageStarted(2), Progress::PageDone(2), Progress::PageStarted(3), Progress::PageDone(3)]
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
    let opts = ScanOptions { source: Source::Flatbed, mode: ColorMode::Color, resolution: 50, ..ScanOptions::default() };
    let pages = scanner::scan("test:0", &opts, dir.path(), |_| {}).unwrap();
    assert_eq!(pages.len(), 1);
    assert!(matches!(pages[0].image, image::DynamicImage::ImageRgb8(_)), "colour scan");
}

#[test]
fn a_jam_and_an_open_cover_are_typed_errors() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let jam = ScanOptions { extra: vec!["--read-return-value".into(), "SANE_STATUS_JAMMED".into()], resolution: 50, ..ScanOptions::default() };
    let e = scanner::scan("test:0", &jam, dir.path(), |_| {}).err().unwrap();
    assert!(matches!(e, ScanError::Jammed), "{e:?}");
    assert_eq!(e.to_string(), "扫描仪卡纸，请打开扫描仪取出纸张后重试");
    let cover = ScanOptions { extra: vec!["--read-return-value".into(), "SANE_STATUS_COVER_OPEN".into()], resolution: 50, ..ScanOptions::default() };
    assert!(matches!(scanner::scan("test:0", &cover, dir.path(), |_| {}), Err(ScanError::CoverOpen)));
}

#[test]
fn a_missing_scanner_is_named() {
    sane_test_backend();
    let dir = tempfile::tempdir().unwrap();
    let e = scanner::scan("test:9", &ScanOptions::default(), dir.path(), |_| {}).err().unwrap();
    assert!(matches!(e, ScanError::DeviceGone(ref d) if d == "test:9"), "{e:?}");
}
