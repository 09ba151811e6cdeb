//! The kiosk's texts made in Rust, translated the way Slint's `@tr` translates the
//! screens: Chinese is the source language and the English comes from the same catalogue,
//! `ui/translations/en/LC_MESSAGES/hallq-ui.po`. A text missing there shows in Chinese.
//!
//! `tr!(english, "前面还有 {} 人", n)`: `{}` takes the arguments in turn, `{0}`, `{1}`… by
//! position, as in Slint.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

/// The English catalogue, shared with the Slint screens.
const PO: &str = include_str!("../../ui/translations/en/LC_MESSAGES/hallq-ui.po");

static ENGLISH: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse_po(PO));

/// A text in the visitor's language, with its arguments put in.
macro_rules! tr {
    ($english:expr, $zh:literal $(, $arg:expr)* $(,)?) => {
        $crate::kiosk::text::translate($english, $zh, &[$(&$arg as &dyn ::std::fmt::Display),*])
    };
}
pub(crate) use tr;

/// `said!("正在取得第 {}/{} 份", i, n)`: a [`Said`] whose language is chosen when shown.
macro_rules! said {
    ($zh:literal $(, $arg:expr)* $(,)?) => {
        $crate::kiosk::text::Said::Kiosk { zh: $zh, args: vec![$($arg.to_string()),*] }
    };
}
pub(crate) use said;

/// A line for the visitor, put in the language they chose when it is shown (they may switch
/// while it is on screen): a kiosk text from the catalogue with its arguments (`said!`, and the
/// devices' visitor messages, which are in the catalogue too), or the hall service's own words
/// in Chinese and, when it sent them, English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A kiosk text from the catalogue, with its arguments put in when shown.
    Kiosk { zh: &'static str, args: Vec<String> },
    /// A text made elsewhere (a device's message): the catalogue's English when it has this
    /// very text, else as it is.
    Text(String),
    /// The hall service's words.
    Hall { zh: String, en: Option<String> },
    /// Texts shown one after another.
    Join(Vec<Said>),
}

impl Said {
    /// The hall's refusal, or what the kiosk says when the hall did not answer.
    pub fn hall(e: &hallq_proto::ClientError) -> Said {
        match e {
            hallq_proto::ClientError::Refused { message, message_en, .. } => Said::Hall { zh: message.clone(), en: message_en.clone() },
            _ => said!("无法连接叫号系统，请到服务台咨询。"),
        }
    }

    /// The text in Chinese or English.
    pub fn text(&self, english: bool) -> String {
        match self {
            Said::Kiosk { zh, args } => {
                let args: Vec<&dyn Display> = args.iter().map(|a| a as &dyn Display).collect();
                translate(english, zh, &args)
            }
            Said::Text(zh) => english.then(|| ENGLISH.get(zh)).flatten().unwrap_or(zh).clone(),
            Said::Hall { zh, en } => match (english, en) {
                (true, Some(en)) => en.clone(),
                _ => zh.clone(),
            },
            Said::Join(parts) => parts.iter().map(|p| p.text(english)).collect(),
        }
    }
}

/// A kiosk text the catalogue translates (the devices' visitor messages, tests).
impl From<&'static str> for Said {
    fn from(zh: &'static str) -> Said {
        Said::Kiosk { zh, args: Vec::new() }
    }
}

/// See [`tr!`].
pub fn translate(english: bool, zh: &str, args: &[&dyn Display]) -> String {
    let pattern = if english { ENGLISH.get(zh).map(String::as_str).unwrap_or(zh) } else { zh };
    format_args_like_slint(pattern, args)
}

/// Whether the catalogue has an English text for `zh` (for the test that every Rust text
/// is translated).
pub fn has_english(zh: &str) -> bool {
    ENGLISH.contains_key(zh)
}

fn format_args_like_slint(pattern: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut next = 0;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].is_empty() || after[..close].bytes().all(|b| b.is_ascii_digit()) => {
                let index = if close == 0 {
                    next += 1;
                    next - 1
                } else {
                    after[..close].parse().unwrap_or(usize::MAX)
                };
                if let Some(a) = args.get(index) {
                    out.push_str(&a.to_string());
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// msgid → msgstr of a .po file (one context, no plurals: what Slint's bundler reads).
fn parse_po(po: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let (mut id, mut text, mut in_str) = (String::new(), String::new(), false);
    let mut flush = |id: &mut String, text: &mut String| {
        if !id.is_empty() && !text.is_empty() {
            map.insert(std::mem::take(id), std::mem::take(text));
        }
        id.clear();
        text.clear();
    };
    for line in po.lines().map(str::trim) {
        if let Some(q) = line.strip_prefix("msgid ") {
            flush(&mut id, &mut text);
            id = unquote(q);
            in_str = false;
        } else if let Some(q) = line.strip_prefix("msgstr ") {
            text = unquote(q);
            in_str = true;
        } else if line.starts_with('"') {
            if in_str {
                text.push_str(&unquote(line));
            } else {
                id.push_str(&unquote(line));
            }
        }
    }
    flush(&mut id, &mut text);
    map
}

fn unquote(q: &str) -> String {
    let inner = q.trim().trim_start_matches('"').trim_end_matches('"');
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_in_turn_and_by_position() {
        assert_eq!(translate(false, "前面还有 {} 人，预计等候约 {} 分钟", &[&3, &10]), "前面还有 3 人，预计等候约 10 分钟");
        assert_eq!(translate(true, "前面还有 {} 人，预计等候约 {} 分钟", &[&3, &10]), "3 people ahead, about 10 minutes");
        assert_eq!(format_args_like_slint("{1} and {0}", &[&"a", &"b"]), "b and a");
        assert_eq!(format_args_like_slint("a {x} b", &[]), "a {x} b");
    }

    /// A visitor reading English sees the devices' messages in English too: every message
    /// the ticket printer and the A4 printer give visitors is in the catalogue, and what the
    /// A4 printer says while printing.
    #[test]
    fn the_devices_speak_english() {
        use hallq_drivers::a4::PrinterCondition;
        use hallq_drivers::printer::status::PrinterFault;
        let faults = [
            PrinterFault::PaperOut,
            PrinterFault::CoverOpen,
            PrinterFault::CutterError,
            PrinterFault::Unrecoverable,
            PrinterFault::Offline,
            PrinterFault::NoAnswer,
        ];
        let conditions = [
            PrinterCondition::NoPaper,
            PrinterCondition::Jam,
            PrinterCondition::DoorOpen,
            PrinterCondition::NoToner,
            PrinterCondition::Stopped(vec![]),
            PrinterCondition::NotAccepting,
        ];
        let texts = faults.iter().map(|f| f.visitor_message()).chain(conditions.iter().map(|c| c.visitor_message()));
        use hallq_drivers::scanner::ScanError;
        let scans: Vec<String> =
            [ScanError::Jammed, ScanError::CoverOpen, ScanError::NoPaper, ScanError::Busy].iter().map(|e| e.to_string()).collect();
        let texts = texts.chain(scans.iter().map(String::as_str));
        let missing: Vec<&str> = texts.chain(["排队等待打印", "正在打印", "已打印"]).filter(|t| !has_english(t)).collect();
        assert!(missing.is_empty(), "no English in hallq-ui.po for {missing:?}");
        let jam = Said::from(PrinterFault::PaperOut.visitor_message());
        assert_eq!(jam.text(true), "The printer is out of paper. Please ask a member of staff");
        assert_eq!(jam.text(false), "打印机缺纸，请联系工作人员");
        let progress = Said::Join(vec![Said::Text("正在打印".into()), said!(" 第 {}/{} 份：{}", 1, 2, "营业执照")]);
        assert_eq!(progress.text(true), "Printing 1/2: 营业执照");
        assert_eq!(progress.text(false), "正在打印 第 1/2 份：营业执照");
        // The hall's refusal: its English when it sent one, else its Chinese.
        let hall = Said::Hall { zh: "午休".into(), en: None };
        assert_eq!(hall.text(true), "午休");
    }

    /// Every `tr!` text of the kiosk's Rust code has its English in the catalogue.
    #[test]
    fn every_rust_text_is_in_the_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kiosk");
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("text.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let calls = source.match_indices("tr!(").chain(source.match_indices("said!("));
            for (at, _) in calls {
                let call = &source[at..];
                let Some(open) = call.find('"') else { continue };
                let Some(len) = call[open + 1..].find('"') else { continue };
                let zh = &call[open + 1..open + 1 + len];
                seen += 1;
                if !has_english(zh) {
                    missing.push(format!("{}: {zh}", path.file_name().unwrap().to_string_lossy()));
                }
            }
        }
        assert!(seen > 50, "only {seen} texts found");
        assert!(missing.is_empty(), "no English in hallq-ui.po for:\n{}", missing.join("\n"));
    }
}
