//! The kiosk's optional devices and voice: the A4 printer for results (IPP/CUPS, or a
//! simulated one that files the PDFs), the document scanner (SANE), and spoken prompts in
//! elderly mode (espeak-ng played with aplay).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use hallq_drivers::a4::{A4Printer, JobProgress, PrinterCondition};
use hallq_drivers::scanner::{self, ScanOptions, Source};
use hallq_ui::view::Thumb;

/// The A4 printer: `ipp://host:631/printers/NAME`, or `sim://a4` (PDFs written to a folder).
pub enum A4 {
    Ipp(A4Printer),
    Sim(PathBuf),
}

impl A4 {
    pub fn open(uri: &str, sim_dir: PathBuf) -> Result<A4, String> {
        if uri == "sim://a4" {
            std::fs::create_dir_all(&sim_dir).map_err(|e| format!("{}: {e}", sim_dir.display()))?;
            return Ok(A4::Sim(sim_dir));
        }
        A4Printer::new(uri).map(A4::Ipp).map_err(|e| e.to_string())
    }

    /// The fault a visitor would hit now, if any.
    pub fn fault(&self) -> Option<String> {
        match self {
            A4::Sim(_) => None,
            A4::Ipp(p) => match p.condition() {
                Ok(PrinterCondition::Ready) => None,
                Ok(c) => Some(c.visitor_message().to_string()),
                Err(e) => Some(e.to_string()),
            },
        }
    }

    /// Prints one PDF and follows it to the end, reporting (what, percent of this job).
    pub fn print(&self, pdf: Vec<u8>, title: &str, mut progress: impl FnMut(&str, u32)) -> Result<(), String> {
        match self {
            A4::Sim(dir) => {
                progress("正在打印", 50);
                std::thread::sleep(Duration::from_millis(600));
                let name = format!("{}-{}.pdf", chrono::Local::now().format("%H%M%S%3f"), title.replace(['/', '\\'], "_"));
                std::fs::write(dir.join(name), pdf).map_err(|e| format!("A4 打印失败：{e}"))?;
                progress("已打印", 100);
                Ok(())
            }
            A4::Ipp(p) => {
                if let Some(f) = self.fault() {
                    return Err(f);
                }
                let job = p.print_pdf(pdf, title).map_err(|e| e.to_string())?;
                p.wait(job, Duration::from_secs(300), |s| match s {
                    JobProgress::Pending => progress("排队等待打印", 20),
                    JobProgress::Processing => progress("正在打印", 60),
                    JobProgress::Completed => progress("已打印", 100),
                })
                .map_err(|e| e.to_string())
            }
        }
    }
}

/// The document scanner (a SANE device such as `test:0`).
pub struct Scanner {
    pub device: String,
    pub sane_config_dir: Option<PathBuf>,
    pub work_dir: PathBuf,
}

impl Scanner {
    /// Scans one flatbed page or every page in the feeder (150 dpi grey: enough to read,
    /// small enough to send).
    pub fn scan(&self, feeder: bool, mut progress: impl FnMut(String)) -> Result<Vec<image::DynamicImage>, String> {
        let opts = ScanOptions {
            source: if feeder { Source::Feeder } else { Source::Flatbed },
            resolution: 150,
            max_pages: 30,
            sane_config_dir: self.sane_config_dir.clone(),
            ..ScanOptions::default()
        };
        let dir = self.work_dir.join(format!("scan-{}", chrono::Local::now().format("%H%M%S%6f")));
        let result = scanner::scan(&self.device, &opts, &dir, |p| match p {
            scanner::Progress::PageStarted(n) => progress(format!("正在扫描第 {n} 页，请勿移动材料…")),
            scanner::Progress::PageDone(n) => progress(format!("第 {n} 页已扫描")),
        })
        .map(|pages| pages.into_iter().map(|p| p.image).collect())
        .map_err(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    /// Whether SANE lists the device.
    pub fn check(&self) -> Result<String, String> {
        let mut cmd = std::process::Command::new("scanimage");
        cmd.arg("-L");
        if let Some(d) = &self.sane_config_dir {
            cmd.env("SANE_CONFIG_DIR", d);
        }
        let out = cmd.output().map_err(|e| format!("scanimage: {e} (install sane-utils)"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains(&format!("`{}'", self.device)) {
            Ok(format!("{} 可用", self.device))
        } else {
            Err(format!("找不到扫描仪 {}", self.device))
        }
    }
}

/// A page as a small picture for the screen.
pub fn thumb(img: &image::DynamicImage) -> Thumb {
    let t = img.thumbnail(200, 283).to_rgb8();
    Thumb { width: t.width(), height: t.height(), rgb: t.into_raw() }
}

/// Where spoken prompts go.
#[derive(Debug, Clone)]
pub enum VoiceOut {
    Off,
    /// espeak-ng (Mandarin) played with aplay.
    Speaker,
    /// WAV files in this folder (a kiosk without sound, the headless demo).
    Dir(PathBuf),
}

/// Speaks prompts one at a time; a new prompt replaces any not yet started.
pub struct Speaker {
    tx: mpsc::Sender<String>,
}

impl Speaker {
    pub fn start(out: VoiceOut, english: impl Fn() -> bool + Send + 'static) -> Speaker {
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut n = 0u32;
            let mut warned = false;
            while let Ok(mut text) = rx.recv() {
                // Only the newest prompt matters.
                while let Ok(newer) = rx.try_recv() {
                    text = newer;
                }
                let voice = if english() { "en" } else { "cmn" };
                let wav = match std::process::Command::new("espeak-ng").args(["-v", voice, "-s", "140", "--stdout", &text]).output() {
                    Ok(o) if o.status.success() => o.stdout,
                    Ok(o) => {
                        tracing::warn!("espeak-ng: {}", String::from_utf8_lossy(&o.stderr));
                        continue;
                    }
                    Err(e) => {
                        if !warned {
                            tracing::warn!("cannot speak prompts: {e}; install espeak-ng");
                            warned = true;
                        }
                        continue;
                    }
                };
                match &out {
                    VoiceOut::Off => {}
                    VoiceOut::Dir(dir) => {
                        n += 1;
                        let _ = std::fs::create_dir_all(dir);
                        let _ = std::fs::write(dir.join(format!("prompt-{n:04}.wav")), &wav);
                    }
                    VoiceOut::Speaker => {
                        use std::io::Write;
                        let played = std::process::Command::new("aplay").arg("-q").stdin(std::process::Stdio::piped()).spawn().and_then(|mut c| {
                            c.stdin.take().expect("piped stdin").write_all(&wav)?;
                            c.wait()
                        });
                        if let Err(e) = played {
                            if !warned {
                                tracing::warn!("cannot play prompts: {e}; install alsa-utils (aplay)");
                                warned = true;
                            }
                        }
                    }
                }
            }
        });
        Speaker { tx }
    }

    pub fn say(&self, text: String) {
        let _ = self.tx.send(text);
    }
}
