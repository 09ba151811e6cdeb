//! The document scanner through SANE, by running Debian's `scanimage` (sane-utils): flatbed
//! or feeder, colour or grey, resolution, progress per page, several pages into one PDF.
//! Jams, an open cover, an empty feeder and a vanished device come back as typed errors.
//! Every page has a deadline: a scanner that stops answering is killed (with anything
//! `scanimage` forked) and reported as [`ScanError::Timeout`]. Tested against SANE's
//! `test` backend and a fake `scanimage` that hangs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::process::{self, RunError, Supervised};

/// Time allowed for each page (the first one includes opening the device and warming the
/// lamp): an A4 page at 300 dpi in colour takes a slow USB flatbed about 30 s.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Time allowed for `scanimage -L` (sane-airscan looks for network scanners meanwhile).
pub const LIST_TIMEOUT: Duration = Duration::from_secs(20);

/// Once scanimage has said why it stopped (a jam, an open cover), the time it gets to close
/// the device before it is killed.
const AFTER_FAULT: Duration = Duration::from_secs(3);

/// Where the scanner takes the paper from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The glass: one page per scan.
    #[default]
    Flatbed,
    /// The automatic document feeder: pages until it is empty or `max_pages`.
    Feeder,
}

/// Colour of the scanned pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// Grayscale (smaller files, enough for most materials).
    #[default]
    Gray,
    /// Full colour.
    Color,
}

/// How to scan; `Default` is one grayscale flatbed page at 150 dpi.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Flatbed or feeder.
    pub source: Source,
    /// Gray or colour.
    pub mode: ColorMode,
    /// Dots per inch.
    pub resolution: u32,
    /// Most pages to take from the feeder (flatbed: always one).
    pub max_pages: u32,
    /// Extra backend options, such as `--test-picture Color pattern` for the test backend.
    pub extra: Vec<String>,
    /// SANE_CONFIG_DIR for scanimage (the demo's own, enabling the test backend).
    pub sane_config_dir: Option<PathBuf>,
    /// Most time for one page: from the start to the first page, and from one page to the
    /// next. Past it the scan is stopped and reported as [`ScanError::Timeout`].
    pub page_timeout: Duration,
    /// The program to run (`scanimage` on PATH).
    pub scanimage: PathBuf,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            source: Source::Flatbed,
            mode: ColorMode::Gray,
            resolution: 150,
            max_pages: 50,
            extra: Vec::new(),
            sane_config_dir: None,
            page_timeout: PAGE_TIMEOUT,
            scanimage: PathBuf::from("scanimage"),
        }
    }
}

/// Why a scan failed, from scanimage's messages. `Display` is for the visitor (Chinese),
/// except `NotInstalled`, which is for the installer.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Paper jammed in the feeder: the visitor clears it and tries again.
    #[error("扫描仪卡纸，请打开扫描仪取出纸张后重试")]
    Jammed,
    /// The lid or feeder cover is open.
    #[error("扫描仪盖板未关好，请关好后重试")]
    CoverOpen,
    /// The feeder is empty.
    #[error("进纸器中没有纸，请放入材料后重试")]
    NoPaper,
    /// Another program is using the scanner.
    #[error("扫描仪正忙，请稍后重试")]
    Busy,
    /// The scanner (this SANE device name) is not there: unplugged or off.
    #[error("找不到扫描仪 {0}，请联系工作人员")]
    DeviceGone(String),
    /// This user may not open the scanner (this SANE device name).
    #[error("没有权限使用扫描仪 {0}：请把服务用户加入 scanner 组（deploy/udev/99-hallq.rules）")]
    PermissionDenied(String),
    /// Any other failure: scanimage's last message.
    #[error("扫描失败：{0}")]
    Failed(String),
    /// scanimage is missing (the Debian package sane-utils).
    #[error("scanimage is not installed: install the Debian package sane-utils")]
    NotInstalled,
    /// A page file scanimage wrote could not be read as an image.
    #[error("扫描结果无法读取：{0}")]
    Image(String),
    /// No page within the page deadline (seconds): the scan was stopped.
    #[error("扫描仪无响应（{0} 秒内未完成），已停止扫描，请联系工作人员")]
    Timeout(u64),
}

impl ScanError {
    /// Whether the scanner itself is at fault (gone, stuck, not allowed, not installed), as
    /// opposed to something the visitor can put right (a jam, the cover, the feeder).
    pub fn is_device_fault(&self) -> bool {
        !matches!(self, ScanError::Jammed | ScanError::CoverOpen | ScanError::NoPaper | ScanError::Busy | ScanError::Image(_))
    }

    fn from_run(e: RunError) -> ScanError {
        match e {
            RunError::NotFound { .. } => ScanError::NotInstalled,
            RunError::Spawn { reason, .. } => ScanError::Failed(reason),
            RunError::TimedOut { after, .. } => ScanError::Timeout(after.as_secs_f64().round() as u64),
        }
    }
}

/// Progress reported while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Scanning page n (from 1).
    PageStarted(u32),
    /// Page n is scanned.
    PageDone(u32),
}

/// One scanned page.
pub struct Page {
    /// The page as scanned.
    pub image: image::DynamicImage,
    /// The file scanimage wrote it to (in the scan's work directory).
    pub path: PathBuf,
}

fn classify(stderr: &str, device: &str) -> ScanError {
    let s = stderr.to_ascii_lowercase();
    if s.contains("jammed") {
        ScanError::Jammed
    } else if s.contains("cover") {
        ScanError::CoverOpen
    } else if s.contains("out of documents") || s.contains("no more documents") || s.contains("document feeder out") {
        ScanError::NoPaper
    } else if s.contains("busy") {
        ScanError::Busy
    } else if s.contains("access to resource has been denied") || s.contains("permission") {
        ScanError::PermissionDenied(device.into())
    } else if s.contains("invalid argument") && s.contains("open of device") || s.contains("no such device") || s.contains("not found") {
        ScanError::DeviceGone(device.into())
    } else {
        ScanError::Failed(stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("unknown error").trim().to_string())
    }
}

/// Whether a line of scanimage's says why the scan stopped.
fn is_fault_line(line: &str) -> bool {
    line.contains("sane_start:") || line.contains("sane_read:") || line.contains("open of device")
}

/// Scans into `dir` as page-N.png, calling `progress` as pages start and finish. Each
/// page must come within `opts.page_timeout`.
pub fn scan(device: &str, opts: &ScanOptions, dir: &Path, mut progress: impl FnMut(Progress)) -> Result<Vec<Page>, ScanError> {
    std::fs::create_dir_all(dir).map_err(|e| ScanError::Failed(format!("{}: {e}", dir.display())))?;
    let mut cmd = Command::new(&opts.scanimage);
    cmd.arg("-d").arg(device).arg("--format=png").arg("--resolution").arg(opts.resolution.to_string());
    cmd.arg("--mode").arg(match opts.mode {
        ColorMode::Gray => "Gray",
        ColorMode::Color => "Color",
    });
    // --batch takes its file pattern only in the --batch=PATTERN form.
    let mut batch = std::ffi::OsString::from("--batch=");
    batch.push(dir.join("page-%d.png"));
    cmd.arg(batch);
    match opts.source {
        Source::Flatbed => {
            cmd.arg("--batch-count=1");
        }
        Source::Feeder => {
            cmd.arg("--source").arg("Automatic Document Feeder");
            cmd.arg(format!("--batch-count={}", opts.max_pages));
        }
    }
    cmd.args(&opts.extra);
    if let Some(dir) = &opts.sane_config_dir {
        cmd.env("SANE_CONFIG_DIR", dir);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = Supervised::spawn(&mut cmd, opts.page_timeout).map_err(ScanError::from_run)?;
    // Lines are read in a thread of their own, so a scanimage that stops talking (or a
    // helper of its that keeps the pipe open) cannot hold this loop past the deadline.
    let stderr = child.stderr.take().expect("piped");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = String::new();
    loop {
        let line = match lines.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if child.timed_out() => break,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
        };
        // scanimage --batch prints "Scanning page N" and "Scanned page N. (scanner status = 5)".
        if let Some(n) = line.strip_prefix("Scanning page ").and_then(|r| r.trim().parse().ok()) {
            child.extend(opts.page_timeout);
            progress(Progress::PageStarted(n));
        } else if let Some(rest) = line.strip_prefix("Scanned page ") {
            child.extend(opts.page_timeout);
            if let Some(n) = rest.split('.').next().and_then(|n| n.trim().parse().ok()) {
                progress(Progress::PageDone(n));
            }
        } else if is_fault_line(&line) {
            // It said why it stops; all that is left is closing the device.
            child.extend(AFTER_FAULT);
        }
        log.push_str(&line);
        log.push('\n');
    }
    let status = match child.wait(String::new) {
        Ok(status) => status,
        Err(RunError::TimedOut { after, .. }) => {
            // scanimage said what went wrong, then hung closing the device: the fault it
            // named is the answer. Otherwise the scanner stopped answering.
            return Err(match classify(&log, device) {
                ScanError::Failed(_) => ScanError::Timeout(after.as_secs_f64().round() as u64),
                named => named,
            });
        }
        Err(e) => return Err(ScanError::from_run(e)),
    };
    let mut pages = Vec::new();
    for n in 1.. {
        let path = dir.join(format!("page-{n}.png"));
        if !path.exists() {
            break;
        }
        let image = image::open(&path).map_err(|e| ScanError::Image(e.to_string()))?;
        pages.push(Page { image, path });
    }
    // In batch mode scanimage ends with "out of documents" after the last feeder page:
    // that is success when pages came out.
    let ended_normally =
        status.success() || (opts.source == Source::Feeder && !pages.is_empty() && log.to_ascii_lowercase().contains("out of documents"));
    if !ended_normally {
        // A page that was cut short by the fault is not a page.
        let err = classify(&log, device);
        return Err(err);
    }
    if pages.is_empty() {
        return Err(if opts.source == Source::Feeder { ScanError::NoPaper } else { classify(&log, device) });
    }
    Ok(pages)
}

/// Scans and writes all pages into one PDF at `out`.
pub fn scan_to_pdf(device: &str, opts: &ScanOptions, out: &Path, progress: impl FnMut(Progress)) -> Result<usize, ScanError> {
    let dir = tempdir_near(out)?;
    let result = scan(device, opts, &dir, progress).and_then(|pages| {
        let images: Vec<_> = pages.into_iter().map(|p| p.image).collect();
        let pdf = crate::pdf::images_to_pdf(&images, opts.resolution).map_err(|e| ScanError::Image(e.to_string()))?;
        std::fs::write(out, pdf).map_err(|e| ScanError::Failed(format!("{}: {e}", out.display())))?;
        Ok(images.len())
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tempdir_near(out: &Path) -> Result<PathBuf, ScanError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = parent.join(format!(
        ".hallq-scan-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| ScanError::Failed(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// Writes a SANE configuration directory that enables only the `test` backend, with A4
/// pages and a picture worth looking at: for demos without a scanner. Returns `dir`.
pub fn test_backend_config(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("dll.conf"), "test\n")?;
    std::fs::write(
        dir.join("test.conf"),
        "number_of_devices 1\nmode Gray\ndepth 8\nresolution 75\ntest-picture \"Color pattern\"\nenable-test-options true\n\
         geometry_min 0.0\ngeometry_max 300.0\ngeometry_quant 1.0\ntl_x 0.0\ntl_y 0.0\nbr_x 210.0\nbr_y 297.0\n",
    )?;
    Ok(dir.to_path_buf())
}

/// SANE devices as `scanimage -L` lists them: (device name, description).
pub fn list() -> Result<Vec<(String, String)>, ScanError> {
    list_with(Command::new("scanimage").arg("-L"), LIST_TIMEOUT)
}

/// SANE devices as `cmd` (a `scanimage -L`, with its environment) lists them, within `limit`.
pub fn list_with(cmd: &mut Command, limit: Duration) -> Result<Vec<(String, String)>, ScanError> {
    let out = process::run(cmd, None, limit).map_err(ScanError::from_run)?;
    let text = String::from_utf8_lossy(&out.stdout);
    // device `test:0' is a Noname frontend-tester virtual device
    Ok(text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("device `")?;
            let (name, desc) = rest.split_once('\'')?;
            Some((name.to_string(), desc.trim_start_matches(" is ").trim().to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_messages_become_typed_errors() {
        assert!(matches!(classify("scanimage: sane_read: Document feeder jammed", "test"), ScanError::Jammed));
        assert!(matches!(classify("scanimage: sane_start: Scanner cover is open", "test"), ScanError::CoverOpen));
        assert!(matches!(classify("scanimage: sane_start: Document feeder out of documents", "test"), ScanError::NoPaper));
        assert!(matches!(classify("scanimage: open of device x failed: Invalid argument", "x"), ScanError::DeviceGone(_)));
        assert!(matches!(
            classify("scanimage: open of device x failed: Access to resource has been denied", "x"),
            ScanError::PermissionDenied(_)
        ));
    }
}
