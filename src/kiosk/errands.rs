//! The kiosk's optional devices and voice: the A4 printer for results (IPP/CUPS, or a
//! simulated one that files the PDFs), the document scanner (SANE), and spoken prompts in
//! elderly mode (espeak-ng played with aplay). Each has a deadline (see the constants): a
//! stuck device or program is stopped and reported, and tried again next time.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use hallq_drivers::a4::{A4Printer, JobProgress, PrinterCondition};
use hallq_drivers::a4_sim::SimA4;
use hallq_drivers::device::KioskDevice;
use hallq_drivers::process::{self, RunError};
use hallq_drivers::scanner::{self, ScanError, ScanOptions, Source};
use hallq_ui::view::Thumb;

use super::text::{said, Said};

/// Most time one result document may take on the A4 printer, from sending it to the
/// printer saying it is done (a 10-page result on an office laser: well under a minute).
/// Past it the job is cancelled and the result kept for the visitor.
pub const A4_JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Most time for one scanned page at the kiosk's 150 dpi grey (a few seconds on a feeder,
/// with the lamp warming up for the first).
pub const SCAN_PAGE_TIMEOUT: Duration = Duration::from_secs(45);

/// The A4 printer: `ipp://host:631/printers/NAME`, or `sim://a4` (PDFs written to a folder).
/// A handle: clones reach the same printer.
#[derive(Clone)]
pub enum A4 {
    Ipp(std::sync::Arc<A4Printer>),
    Sim(SimA4),
}

impl A4 {
    pub fn open(uri: &str, sim_dir: PathBuf) -> Result<A4, String> {
        if uri == "sim://a4" {
            return SimA4::open(&sim_dir).map(A4::Sim);
        }
        A4Printer::new(uri).map(|p| A4::Ipp(std::sync::Arc::new(p))).map_err(|e| e.to_string())
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
            A4::Sim(sim) => sim.print(&pdf, title, progress),
            A4::Ipp(p) => {
                // print_pdf asks the printer's condition first and refuses in its words.
                let job = p.print_pdf(pdf, title).map_err(|e| e.to_string())?;
                p.wait(job, A4_JOB_TIMEOUT, |s| match s {
                    JobProgress::Pending => progress("排队等待打印", 20),
                    JobProgress::Processing => progress("正在打印", 60),
                    JobProgress::Completed => progress("已打印", 100),
                })
                .map_err(|e| e.to_string())
            }
        }
    }
}

/// What the visitor is told of a failed scan, in the language shown.
pub fn scan_said(e: &ScanError) -> Said {
    match e {
        // The visitor's to put right, in the scanner's own words (the catalogue has them).
        ScanError::Jammed | ScanError::CoverOpen | ScanError::NoPaper | ScanError::Busy => Said::Text(e.to_string()),
        ScanError::Timeout(s) => said!("扫描仪无响应（{} 秒内未完成），已停止扫描，请联系工作人员", s),
        // The rest is the scanner's own trouble (gone, not allowed, broken): staff's to fix.
        _ => said!("扫描仪暂时无法使用，请联系工作人员"),
    }
}

/// The document scanner (a SANE device such as `test:0`).
#[derive(Debug, Clone)]
pub struct Scanner {
    pub device: String,
    pub sane_config_dir: Option<PathBuf>,
    pub work_dir: PathBuf,
}

impl Scanner {
    /// Scans one flatbed page or every page in the feeder (150 dpi grey: enough to read,
    /// small enough to send). A scanner that stops answering is stopped within
    /// [`SCAN_PAGE_TIMEOUT`] of its last page ([`ScanError::Timeout`]).
    pub fn scan(&self, feeder: bool, mut progress: impl FnMut(Said)) -> Result<Vec<image::DynamicImage>, ScanError> {
        let opts = ScanOptions {
            source: if feeder { Source::Feeder } else { Source::Flatbed },
            resolution: 150,
            max_pages: 30,
            sane_config_dir: self.sane_config_dir.clone(),
            page_timeout: SCAN_PAGE_TIMEOUT,
            ..ScanOptions::default()
        };
        let dir = self.work_dir.join(format!("scan-{}", chrono::Local::now().format("%H%M%S%6f")));
        let result = scanner::scan(&self.device, &opts, &dir, |p| match p {
            scanner::Progress::PageStarted(n) => progress(said!("正在扫描第 {} 页，请勿移动材料…", n)),
            scanner::Progress::PageDone(n) => progress(said!("第 {} 页已扫描", n)),
        })
        .map(|pages| pages.into_iter().map(|p| p.image).collect());
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    /// Whether SANE lists the device (within [`scanner::LIST_TIMEOUT`]).
    pub fn check(&self) -> Result<String, String> {
        let mut cmd = Command::new("scanimage");
        cmd.arg("-L");
        if let Some(d) = &self.sane_config_dir {
            cmd.env("SANE_CONFIG_DIR", d);
        }
        let listed = scanner::list_with(&mut cmd, scanner::LIST_TIMEOUT).map_err(|e| format!("扫描仪不可用：{e}"))?;
        if listed.iter().any(|(name, _)| *name == self.device) {
            Ok(format!("{} 可用", self.device))
        } else {
            Err(format!("找不到扫描仪 {}", self.device))
        }
    }
}

impl KioskDevice for A4 {
    fn describe(&self) -> String {
        match self {
            A4::Ipp(_) => "A4 (IPP)".into(),
            A4::Sim(s) => s.describe(),
        }
    }

    fn status(&mut self) -> Result<(), String> {
        self.fault().map_or(Ok(()), Err)
    }

    fn self_test(&mut self) -> Result<String, String> {
        KioskDevice::status(self).map(|()| "A4打印机就绪".into())
    }
}

impl KioskDevice for Scanner {
    fn describe(&self) -> String {
        format!("sane:{}", self.device)
    }

    fn status(&mut self) -> Result<(), String> {
        self.check().map(|_| ())
    }

    fn self_test(&mut self) -> Result<String, String> {
        self.check()
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

/// The programs that speak prompts, and their deadlines.
#[derive(Debug, Clone)]
pub struct VoicePrograms {
    pub espeak: PathBuf,
    pub aplay: PathBuf,
    /// Most time espeak-ng may take for one prompt (it needs a fraction of a second).
    pub espeak_timeout: Duration,
    /// Time aplay gets beyond the length of what it plays (opening the sound card).
    pub play_margin: Duration,
}

impl Default for VoicePrograms {
    fn default() -> VoicePrograms {
        VoicePrograms {
            espeak: "espeak-ng".into(),
            aplay: "aplay".into(),
            espeak_timeout: Duration::from_secs(10),
            play_margin: Duration::from_secs(5),
        }
    }
}

/// How long a WAV plays, from its format and its size (espeak-ng --stdout leaves the
/// header's lengths unset).
pub(crate) fn wav_length(wav: &[u8]) -> Option<Duration> {
    let spec = hound::WavReader::new(std::io::Cursor::new(wav)).ok()?.spec();
    let bytes_per_second = spec.sample_rate as u64 * spec.channels as u64 * (spec.bits_per_sample as u64).div_ceil(8);
    (bytes_per_second > 0).then(|| Duration::from_secs_f64(wav.len().saturating_sub(44) as f64 / bytes_per_second as f64))
}

/// What went wrong with `which` ("espeak-ng" or "aplay"), for the log.
fn say_failed(which: &str, e: RunError) -> String {
    match e {
        RunError::NotFound { .. } if which == "espeak-ng" => {
            "cannot speak prompts: espeak-ng is not installed (Debian package espeak-ng)".into()
        }
        RunError::NotFound { .. } => "cannot play prompts: aplay is not installed (Debian package alsa-utils)".into(),
        e => e.to_string(),
    }
}

/// Speaks one prompt: espeak-ng, then aplay or a file, each within its deadline.
fn speak(programs: &VoicePrograms, out: &VoiceOut, text: &str, voice: &str, n: &mut u32) -> Result<(), String> {
    if matches!(out, VoiceOut::Off) {
        return Ok(());
    }
    let mut cmd = Command::new(&programs.espeak);
    cmd.args(["-v", voice, "-s", "140", "--stdout", text]);
    let said = process::run(&mut cmd, None, programs.espeak_timeout).map_err(|e| say_failed("espeak-ng", e))?;
    if !said.status.success() {
        return Err(format!("espeak-ng: {}", String::from_utf8_lossy(&said.stderr).trim()));
    }
    let wav = said.stdout;
    match out {
        VoiceOut::Off => Ok(()),
        VoiceOut::Dir(dir) => {
            *n += 1;
            std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(dir.join(format!("prompt-{n:04}.wav")), &wav))
                .map_err(|e| format!("{}: {e}", dir.display()))
        }
        VoiceOut::Speaker => {
            // aplay returns when it has played the prompt: its length, and a margin.
            let limit = wav_length(&wav).unwrap_or(Duration::from_secs(30)) + programs.play_margin;
            let mut cmd = Command::new(&programs.aplay);
            cmd.arg("-q");
            let played = process::run(&mut cmd, Some(wav), limit).map_err(|e| say_failed("aplay", e))?;
            if played.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "aplay failed ({}): {}; check the sound output (aplay -l)",
                    played.status,
                    String::from_utf8_lossy(&played.stderr).trim()
                ))
            }
        }
    }
}

/// Speaks prompts one at a time; a new prompt replaces any not yet started.
pub struct Speaker {
    tx: mpsc::Sender<String>,
}

impl Speaker {
    /// espeak-ng and aplay from PATH; a failure is logged (once until it changes).
    pub fn start(out: VoiceOut, english: impl Fn() -> bool + Send + 'static) -> Speaker {
        let mut last: Option<String> = None;
        Speaker::start_with(out, english, VoicePrograms::default(), move |r| match r {
            Ok(()) => last = None,
            Err(e) => {
                if last.as_ref() != Some(&e) {
                    tracing::warn!("spoken prompt: {e}");
                }
                last = Some(e);
            }
        })
    }

    /// With these programs, telling `report` how each prompt went.
    pub fn start_with(
        out: VoiceOut,
        english: impl Fn() -> bool + Send + 'static,
        programs: VoicePrograms,
        mut report: impl FnMut(Result<(), String>) + Send + 'static,
    ) -> Speaker {
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut n = 0u32;
            while let Ok(mut text) = rx.recv() {
                // Only the newest prompt matters.
                while let Ok(newer) = rx.try_recv() {
                    text = newer;
                }
                let voice = if english() { "en" } else { "cmn" };
                report(speak(&programs, &out, &text, voice, &mut n));
            }
        });
        Speaker { tx }
    }

    pub fn say(&self, text: String) {
        let _ = self.tx.send(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::Instant;

    /// A fake program: `body`, run by sh, from a file in `dir`.
    fn fake(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A tenth of a second of sound, as espeak-ng --stdout gives it.
    fn clip(dir: &Path) -> PathBuf {
        let path = dir.join("clip.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 22_050, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..2205 {
            w.write_sample(((i % 50) * 400) as i16).unwrap();
        }
        w.finalize().unwrap();
        path
    }

    /// Programs that hang (forking, as wrapper scripts do) while a file `stuck-NAME` exists.
    fn programs(dir: &Path) -> VoicePrograms {
        let d = dir.display();
        let wav = clip(dir);
        VoicePrograms {
            espeak: fake(dir, "espeak-ng", &format!("[ -e '{d}/stuck-espeak' ] && {{ sleep 1000 & wait; }}\ncat '{}'", wav.display())),
            aplay: fake(dir, "aplay", &format!("cat > /dev/null\n[ -e '{d}/stuck-aplay' ] && {{ sleep 1000 & wait; }}\nexit 0")),
            espeak_timeout: Duration::from_millis(500),
            play_margin: Duration::from_millis(500),
        }
    }

    fn speaker(out: VoiceOut, programs: VoicePrograms) -> (Speaker, mpsc::Receiver<Result<(), String>>) {
        let (tx, rx) = mpsc::channel();
        let s = Speaker::start_with(
            out,
            || false,
            programs,
            move |r| {
                let _ = tx.send(r);
            },
        );
        (s, rx)
    }

    #[test]
    fn a_stuck_espeak_ng_is_stopped_and_the_next_prompt_is_spoken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stuck-espeak"), "").unwrap();
        let out = dir.path().join("said");
        let (s, said) = speaker(VoiceOut::Dir(out.clone()), programs(dir.path()));
        let started = Instant::now();
        s.say("请将身份证放在下方读卡区".into());
        let r = said.recv_timeout(Duration::from_secs(10)).expect("the speaker reports");
        let e = r.unwrap_err();
        assert!(e.contains("espeak-ng did not finish within 0.5 s and was stopped"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3), "reported after {:?}", started.elapsed());
        // Unstuck: the next prompt is spoken.
        std::fs::remove_file(dir.path().join("stuck-espeak")).unwrap();
        s.say("请核对后点击确认取号".into());
        assert_eq!(said.recv_timeout(Duration::from_secs(10)).unwrap(), Ok(()));
        assert!(out.join("prompt-0001.wav").exists());
    }

    #[test]
    fn a_stuck_aplay_is_stopped_after_the_prompt_s_length_and_a_margin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stuck-aplay"), "").unwrap();
        let (s, said) = speaker(VoiceOut::Speaker, programs(dir.path()));
        let started = Instant::now();
        s.say("正在打印号票，请稍候".into());
        let e = said.recv_timeout(Duration::from_secs(10)).expect("the speaker reports").unwrap_err();
        let took = started.elapsed();
        assert!(e.contains("aplay did not finish within 0.6 s"), "{e}");
        assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(3), "reported after {took:?}");
        std::fs::remove_file(dir.path().join("stuck-aplay")).unwrap();
        s.say("取号成功".into());
        assert_eq!(said.recv_timeout(Duration::from_secs(10)).unwrap(), Ok(()));
    }

    #[test]
    fn a_missing_program_is_named_with_its_package() {
        let dir = tempfile::tempdir().unwrap();
        let p = VoicePrograms { espeak: dir.path().join("no-espeak-ng"), ..programs(dir.path()) };
        let (s, said) = speaker(VoiceOut::Speaker, p);
        s.say("您好".into());
        let e = said.recv_timeout(Duration::from_secs(10)).unwrap().unwrap_err();
        assert!(e.contains("espeak-ng is not installed"), "{e}");
    }

    #[test]
    fn the_length_of_a_streamed_wav() {
        let dir = tempfile::tempdir().unwrap();
        let wav = std::fs::read(clip(dir.path())).unwrap();
        let d = wav_length(&wav).unwrap();
        assert!((d.as_secs_f64() - 0.1).abs() < 0.001, "{d:?}");
        assert_eq!(wav_length(b"not a wav"), None);
    }
}
