//! Voice calling: "请A001号到5号窗口办理" joined from clips. Recorded clips are used where
//! the hall has them (`voice.clips_dir`); any clip missing is generated once with espeak-ng
//! (voice `cmn-latn-pinyin`, which reads tones right) and kept in the data directory.
//! espeak-ng runs with a deadline: a stuck one is killed and the announcement refused with
//! [`VoiceError::EspeakTimeout`]; the next one tries again.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use hallq_drivers::process::{self, RunError};

use crate::config::Voice as VoiceConfig;

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("espeak-ng is not installed: install the Debian package espeak-ng, or record clips into voice.clips_dir")]
    NoEspeak,
    #[error("espeak-ng failed for {0:?}: {1}")]
    Espeak(String, String),
    #[error("espeak-ng did not finish {0:?} within {1} s and was stopped: check the machine's load, or record clips into voice.clips_dir")]
    EspeakTimeout(String, u64),
    #[error("voice clip {path}: {reason}")]
    Clip { path: String, reason: String },
}

/// One clip: mono 16-bit samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    pub rate: u32,
    pub samples: Vec<i16>,
}

/// The words of a ticket number, read character by character: A001 → A 零 零 一.
pub fn number_words(number: &str) -> Vec<String> {
    number
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => DIGITS[d as usize].to_string(),
            None => c.to_ascii_uppercase().to_string(),
        })
        .collect()
}

/// A window number read as a Chinese number: 5 → 五, 12 → 十二, 26 → 二十六, 105 → 一百零五.
pub fn count_words(n: u32) -> Vec<String> {
    let d = |x: u32| DIGITS[x as usize].to_string();
    match n {
        0..=9 => vec![d(n)],
        10..=19 => {
            let mut v = vec!["十".to_string()];
            if !n.is_multiple_of(10) {
                v.push(d(n % 10));
            }
            v
        }
        20..=99 => {
            let mut v = vec![d(n / 10), "十".to_string()];
            if !n.is_multiple_of(10) {
                v.push(d(n % 10));
            }
            v
        }
        _ => {
            let mut v = vec![d(n / 100 % 10), "百".to_string()];
            let rest = n % 100;
            if rest == 0 {
            } else if rest < 10 {
                v.push("零".into());
                v.push(d(rest));
            } else {
                v.push(d(rest / 10));
                v.push("十".into());
                if !rest.is_multiple_of(10) {
                    v.push(d(rest % 10));
                }
            }
            v
        }
    }
}

/// The clips of one Chinese announcement, in order: "请A001号到5号窗口办理", with the
/// floor ("请A001号到二楼二十五号窗口办理") when the hall has more than one (`floor`).
pub fn announcement_words(number: &str, window: u32, floor: Option<i32>) -> Vec<String> {
    let mut w = vec!["请".to_string()];
    w.extend(number_words(number));
    w.push("号".into());
    w.push("到".into());
    if let Some(f) = floor {
        if f < 0 {
            w.push("负".into());
        }
        w.extend(count_words(f.unsigned_abs()));
        w.push("楼".into());
    }
    w.extend(count_words(window));
    w.push("号".into());
    w.push("窗口办理".into());
    w
}

/// The floor said in a call to `window`: its floor when the hall's windows are on more
/// than one, else none ("请A001号到5号窗口办理" in a hall of one floor).
pub fn floor_to_say(config: &crate::config::Config, window: u32) -> Option<i32> {
    let floors: std::collections::BTreeSet<i32> = config.windows.iter().map(|w| w.floor).collect();
    config.windows.iter().find(|w| w.number == window).map(|w| w.floor).filter(|_| floors.len() > 1)
}

/// Most time espeak-ng may take for one clip: it needs some 50 ms for a word, a second on
/// a busy machine; past this it is stuck.
pub const ESPEAK_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Voice {
    config: VoiceConfig,
    cache_dir: PathBuf,
    clips: Mutex<HashMap<String, Clip>>,
    espeak: PathBuf,
    espeak_timeout: Duration,
}

fn read_wav(path: &Path) -> Result<Clip, VoiceError> {
    let err = |reason: String| VoiceError::Clip { path: path.display().to_string(), reason };
    let mut r = hound::WavReader::open(path).map_err(|e| err(e.to_string()))?;
    let spec = r.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(err(format!("must be mono 16-bit PCM (is {} channel(s), {} bits)", spec.channels, spec.bits_per_sample)));
    }
    let samples = r.samples::<i16>().collect::<Result<Vec<_>, _>>().map_err(|e| err(e.to_string()))?;
    Ok(Clip { rate: spec.sample_rate, samples })
}

/// Cuts the quiet before and after the speech so clips join naturally.
fn trim(mut c: Clip) -> Clip {
    let loud = |s: &i16| s.unsigned_abs() > 400;
    let start = c.samples.iter().position(loud).unwrap_or(0);
    let end = c.samples.iter().rposition(loud).map(|e| e + 1).unwrap_or(c.samples.len());
    let pad = (c.rate / 100) as usize; // keep 10 ms either side
    let start = start.saturating_sub(pad);
    let end = (end + pad).min(c.samples.len());
    c.samples = c.samples[start..end.max(start)].to_vec();
    c
}

impl Voice {
    pub fn new(config: VoiceConfig, data_dir: &Path) -> Voice {
        Voice {
            config,
            cache_dir: data_dir.join("voice-cache"),
            clips: Mutex::new(HashMap::new()),
            espeak: PathBuf::from("espeak-ng"),
            espeak_timeout: ESPEAK_TIMEOUT,
        }
    }

    /// Another espeak-ng (a path, not the one on PATH) or deadline.
    pub fn with_espeak(mut self, program: impl Into<PathBuf>, timeout: Duration) -> Voice {
        self.espeak = program.into();
        self.espeak_timeout = timeout;
        self
    }

    fn generate(&self, word: &str, voice: &str) -> Result<Clip, VoiceError> {
        let name: String = format!("{voice}-{}", word.bytes().map(|b| format!("{b:02x}")).collect::<String>());
        let path = self.cache_dir.join(format!("{name}.wav"));
        if !path.exists() {
            std::fs::create_dir_all(&self.cache_dir)
                .map_err(|e| VoiceError::Clip { path: self.cache_dir.display().to_string(), reason: e.to_string() })?;
            let tmp = self.cache_dir.join(format!("{name}.tmp.wav"));
            let mut cmd = Command::new(&self.espeak);
            cmd.args(["-v", voice, "-s", "150", "-w"]).arg(&tmp).arg(word);
            let out = process::run(&mut cmd, None, self.espeak_timeout).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                match e {
                    RunError::NotFound { .. } => VoiceError::NoEspeak,
                    RunError::TimedOut { after, .. } => VoiceError::EspeakTimeout(word.into(), after.as_secs_f64().ceil() as u64),
                    e => VoiceError::Espeak(word.into(), e.to_string()),
                }
            })?;
            if !out.status.success() {
                return Err(VoiceError::Espeak(word.into(), String::from_utf8_lossy(&out.stderr).into()));
            }
            std::fs::rename(&tmp, &path).map_err(|e| VoiceError::Clip { path: path.display().to_string(), reason: e.to_string() })?;
        }
        read_wav(&path)
    }

    /// The clip for a word: recorded if the hall has it, generated otherwise.
    pub fn clip(&self, word: &str) -> Result<Clip, VoiceError> {
        if let Some(c) = self.clips.lock().unwrap_or_else(|p| p.into_inner()).get(word) {
            return Ok(c.clone());
        }
        let recorded = self.config.clips_dir.as_ref().map(|d| d.join(format!("{word}.wav"))).filter(|p| p.exists());
        let clip = match recorded {
            Some(path) => read_wav(&path)?,
            None => trim(self.generate(word, "cmn-latn-pinyin")?),
        };
        self.clips.lock().unwrap_or_else(|p| p.into_inner()).insert(word.to_string(), clip.clone());
        Ok(clip)
    }

    /// The whole announcement as a WAV file: the clips joined with short gaps, repeated
    /// `voice.repeat` times, at `voice.volume`, followed by English when configured.
    /// `floor`: the window's floor, when the hall has more than one.
    pub fn announcement(&self, number: &str, window: u32, floor: Option<i32>) -> Result<Vec<u8>, VoiceError> {
        let words = announcement_words(number, window, floor);
        let clips: Vec<Clip> = words.iter().map(|w| self.clip(w)).collect::<Result<_, _>>()?;
        let rate = clips.first().map(|c| c.rate).unwrap_or(22_050);
        if let Some(c) = clips.iter().find(|c| c.rate != rate) {
            return Err(VoiceError::Clip {
                path: "clips".into(),
                reason: format!("clips differ in sample rate ({} and {rate} Hz); record all at one rate", c.rate),
            });
        }
        let gap = vec![0i16; rate as usize * 40 / 1000];
        let pause = vec![0i16; rate as usize * 700 / 1000];
        let mut once: Vec<i16> = Vec::new();
        for (i, c) in clips.iter().enumerate() {
            if i > 0 {
                once.extend_from_slice(&gap);
            }
            once.extend_from_slice(&c.samples);
        }
        if self.config.english {
            let spelled = number.chars().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
            let text = match floor {
                Some(f) if f < 0 => format!("Number {spelled}, please go to window {window}, basement {}", -f),
                Some(f) => format!("Number {spelled}, please go to window {window}, floor {f}"),
                None => format!("Number {spelled}, please go to window {window}"),
            };
            let en = trim(self.generate(&text, "en")?);
            if en.rate == rate {
                once.extend_from_slice(&pause);
                once.extend_from_slice(&en.samples);
            }
        }
        let mut all = Vec::new();
        for i in 0..self.config.repeat.max(1) {
            if i > 0 {
                all.extend_from_slice(&pause);
            }
            all.extend_from_slice(&once);
        }
        let volume = self.config.volume.clamp(0.0, 1.0);
        let spec = hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w =
                hound::WavWriter::new(&mut buf, spec).map_err(|e| VoiceError::Clip { path: "output".into(), reason: e.to_string() })?;
            for s in all {
                w.write_sample((s as f32 * volume) as i16)
                    .map_err(|e| VoiceError::Clip { path: "output".into(), reason: e.to_string() })?;
            }
            w.finalize().map_err(|e| VoiceError::Clip { path: "output".into(), reason: e.to_string() })?;
        }
        Ok(buf.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_a_caller_reads_them() {
        assert_eq!(number_words("A001"), ["A", "零", "零", "一"]);
        assert_eq!(count_words(5), ["五"]);
        assert_eq!(count_words(10), ["十"]);
        assert_eq!(count_words(12), ["十", "二"]);
        assert_eq!(count_words(26), ["二", "十", "六"]);
        assert_eq!(count_words(105), ["一", "百", "零", "五"]);
        assert_eq!(count_words(231), ["二", "百", "三", "十", "一"]);
        assert_eq!(count_words(200), ["二", "百"]);
        assert_eq!(announcement_words("A001", 5, None).concat(), "请A零零一号到五号窗口办理");
        // A hall of several floors says the floor.
        assert_eq!(announcement_words("A001", 25, Some(2)).concat(), "请A零零一号到二楼二十五号窗口办理");
        assert_eq!(announcement_words("B012", 3, Some(-1)).concat(), "请B零一二号到负一楼三号窗口办理");
    }

    #[test]
    fn the_floor_is_said_only_in_a_hall_of_several_floors() {
        let big = crate::config::scale::hall_231();
        assert_eq!(floor_to_say(&big, 90), Some(2));
        assert_eq!(announcement_words("A001", 90, floor_to_say(&big, 90)).concat(), "请A零零一号到二楼九十号窗口办理");
        assert_eq!(floor_to_say(&big, 999), None, "no such window");
        let mut one = big.clone();
        one.windows.iter_mut().for_each(|w| w.floor = 1);
        assert_eq!(announcement_words("A001", 90, floor_to_say(&one, 90)).concat(), "请A零零一号到九十号窗口办理");
    }

    /// Recorded clips with recognisable contents: each clip is a constant value.
    fn recorded(dir: &Path, words: &[&str]) -> HashMap<String, i16> {
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut values = HashMap::new();
        for (i, w) in words.iter().enumerate() {
            let value = 1000 + i as i16 * 100;
            let mut wr = hound::WavWriter::create(dir.join(format!("{w}.wav")), spec).unwrap();
            for _ in 0..(80 + i * 8) {
                wr.write_sample(value).unwrap();
            }
            wr.finalize().unwrap();
            values.insert(w.to_string(), value);
        }
        values
    }

    #[test]
    fn an_announcement_joins_recorded_clips_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let words = ["请", "A", "零", "一", "号", "到", "五", "窗口办理"];
        let values = recorded(dir.path(), &words);
        let v = Voice::new(
            VoiceConfig { clips_dir: Some(dir.path().into()), repeat: 2, volume: 1.0, english: false, enabled: true },
            dir.path(),
        );
        let wav = v.announcement("A001", 5, None).unwrap();
        let r = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!(r.spec().sample_rate, 8000);
        let samples: Vec<i16> = r.into_samples::<i16>().map(Result::unwrap).collect();
        // Each clip is one run of its value between silences.
        let mut order = Vec::new();
        let mut prev = 0i16;
        for s in &samples {
            if *s != 0 && prev == 0 {
                order.push(*s);
            }
            prev = *s;
        }
        let expect: Vec<i16> = announcement_words("A001", 5, None).iter().map(|w| values[w.as_str()]).collect();
        assert_eq!(order, [expect.clone(), expect].concat(), "clips out of order or missing");
        // Length: each clip, a 40 ms gap between clips, 700 ms between the two readings.
        let words = announcement_words("A001", 5, None);
        let speech: usize =
            words.iter().map(|w| 80 + 8 * ["请", "A", "零", "一", "号", "到", "五", "窗口办理"].iter().position(|x| x == w).unwrap()).sum();
        let once = speech + (words.len() - 1) * 320;
        assert_eq!(samples.len(), 2 * once + 5600);
    }

    /// A fake espeak-ng that writes `clip.wav` where `-w` says, or hangs (forking, as a
    /// wrapper script would) while `stuck` exists.
    fn fake_espeak(dir: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(dir.join("clip.wav"), spec).unwrap();
        for _ in 0..800 {
            w.write_sample(3000i16).unwrap();
        }
        w.finalize().unwrap();
        let d = dir.display();
        let script = format!(
            "#!/bin/sh\nout=''\nwhile [ $# -gt 0 ]; do if [ \"$1\" = -w ]; then out=\"$2\"; shift; fi; shift; done\n\
             if [ -e '{d}/stuck' ]; then sleep 1000 & wait; fi\ncp '{d}/clip.wav' \"$out\"\n"
        );
        let path = dir.join("espeak-ng");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_stuck_espeak_ng_is_stopped_at_its_deadline_and_the_next_announcement_works() {
        let dir = tempfile::tempdir().unwrap();
        let fake = fake_espeak(dir.path());
        std::fs::write(dir.path().join("stuck"), "").unwrap();
        let v =
            Voice::new(VoiceConfig { clips_dir: None, repeat: 1, volume: 1.0, english: false, enabled: true }, &dir.path().join("data"))
                .with_espeak(&fake, Duration::from_millis(500));
        let started = std::time::Instant::now();
        let e = v.announcement("A001", 5, None).unwrap_err();
        assert!(matches!(&e, VoiceError::EspeakTimeout(w, 1) if w == "请"), "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "reported after {:?}", started.elapsed());
        let cache = dir.path().join("data/voice-cache");
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0, "no half-written clip is kept");
        // espeak-ng answers again: so does the voice.
        std::fs::remove_file(dir.path().join("stuck")).unwrap();
        let wav = v.announcement("A001", 5, None).unwrap();
        let r = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!(r.spec().sample_rate, 8000);
        assert!(r.duration() > 800 * 8, "the clips are joined");
    }

    #[test]
    fn missing_clips_are_generated_with_espeak_ng() {
        let dir = tempfile::tempdir().unwrap();
        let v = Voice::new(VoiceConfig { clips_dir: None, repeat: 1, volume: 0.5, english: false, enabled: true }, dir.path());
        let wav = v.announcement("B012", 26, Some(2)).unwrap();
        let r = hound::WavReader::new(Cursor::new(wav)).unwrap();
        let secs = r.duration() as f32 / r.spec().sample_rate as f32;
        // 14 words of about a third of a second each.
        assert!((2.0..8.0).contains(&secs), "{secs} s");
        // Clips are cached: the second announcement reads them from disk.
        assert!(std::fs::read_dir(dir.path().join("voice-cache")).unwrap().count() >= 10);
    }
}
