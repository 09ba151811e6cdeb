//! The queue ticket: what it says ([`TicketModel`]) and how it is laid out
//! ([`Template`], which hall managers can change: header, footer, logo, fields, QR link).

use serde::{Deserialize, Serialize};

use super::encode::{Align, Block, Document, Ecc, Style};

/// What a queue ticket says. Personal data arrives already masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketModel {
    /// The hall's name, for the `{hall}` of the template's header.
    pub hall_name: String,
    /// Such as "A001".
    pub number: String,
    /// Unique ticket id, such as "20261127-A001".
    pub id: String,
    /// The item's name, printed large under the number.
    pub service: String,
    /// The queue's name (empty: not printed).
    pub queue: String,
    /// People ahead when the ticket was issued (not printed on an offline ticket).
    pub people_ahead: u32,
    /// The estimated wait in minutes when the ticket was issued.
    pub estimate_minutes: u32,
    /// Windows that serve the ticket, with their floors.
    pub windows: Vec<(u32, i32)>,
    /// Hall-local issue time, "2026-11-27 09:31".
    pub issued_at: String,
    /// "张*（1101**********002X）" or empty.
    pub holder: String,
    /// Token for the visitor's status page.
    pub token: String,
    /// "绿色通道" or "预约" where it applies.
    pub priority_label: String,
    /// Issued by the kiosk from its number lease while the hall service was unreachable:
    /// printed 离线取号, and the people ahead are not known.
    #[serde(default)]
    pub offline: bool,
    /// Where to wait, such as "2楼B区等候区"; empty: the waiting area of the floor most of
    /// its windows are on.
    #[serde(default)]
    pub waiting_area: String,
    /// The hall's 过号 rule, printed under the QR code.
    #[serde(default)]
    pub no_show_rule: String,
}

/// Fields a template can show, in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The number, large, with the priority and offline marks.
    Number,
    /// The item's name.
    Service,
    /// The queue's name.
    Queue,
    /// People ahead and the estimated wait (an offline ticket says it is valid instead).
    Ahead,
    /// The windows that serve the ticket, with their floors.
    Windows,
    /// When the ticket was issued.
    IssuedAt,
    /// The masked holder, when there is one.
    Holder,
    /// The QR code of the visitor's status page (`status_url`).
    Qr,
    /// The ticket's id as a CODE128 barcode.
    Barcode,
}

/// How a ticket is laid out: the manager-editable part (header, footer, logo, which fields
/// in which order, the QR link). `Template::default()` is the hall's standard ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Template {
    /// Lines above the number; `{hall}` is the hall's name.
    pub header: Vec<String>,
    /// Lines at the bottom.
    pub footer: Vec<String>,
    /// A PNG printed at the top (black and white, at most 576 dots wide).
    pub logo: Option<std::path::PathBuf>,
    /// The fields printed between header and footer, in this order.
    pub fields: Vec<Field>,
    /// Link in the QR code; `{id}` and `{token}` are filled in.
    pub status_url: String,
    /// Size multiplier of the number (1-8).
    pub number_size: u8,
}

impl Default for Template {
    fn default() -> Template {
        Template {
            header: vec!["{hall}".into()],
            footer: vec!["最多跑一次 · 感谢您的耐心等候".into()],
            logo: None,
            fields: vec![
                Field::Number,
                Field::Service,
                Field::Queue,
                Field::Ahead,
                Field::Windows,
                Field::IssuedAt,
                Field::Holder,
                Field::Qr,
            ],
            status_url: "http://127.0.0.1:8080/t/{id}?token={token}".into(),
            number_size: 4,
        }
    }
}

/// "1楼 4、5、6号窗口；2楼 26号窗口".
pub fn windows_text(windows: &[(u32, i32)]) -> String {
    windows_by_floor(windows)
        .iter()
        .map(|(floor, nums)| format!("{floor}楼 {}号窗口", nums.iter().map(u32::to_string).collect::<Vec<_>>().join("、")))
        .collect::<Vec<_>>()
        .join("；")
}

/// `(window, floor)` pairs grouped by floor, floors from the lowest, windows in the order given.
pub fn windows_by_floor(windows: &[(u32, i32)]) -> Vec<(i32, Vec<u32>)> {
    let mut floors: Vec<i32> = windows.iter().map(|(_, f)| *f).collect();
    floors.sort();
    floors.dedup();
    floors.into_iter().map(|floor| (floor, windows.iter().filter(|(_, f)| *f == floor).map(|(n, _)| *n).collect())).collect()
}

/// The floor most of `windows` are on (the lower one on a tie): where their visitors wait
/// when the hall names no waiting area.
pub fn main_floor(windows: &[(u32, i32)]) -> Option<i32> {
    let mut floors: Vec<i32> = windows.iter().map(|(_, f)| *f).collect();
    floors.sort();
    let mut best: Option<(i32, usize)> = None;
    for chunk in floors.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, n)| chunk.len() > n) {
            best = Some((chunk[0], chunk.len()));
        }
    }
    best.map(|(f, _)| f)
}

/// "请在1楼等候区等候，留意叫号": where the ticket's visitor waits.
pub fn wait_here(t: &TicketModel) -> String {
    let area = if t.waiting_area.is_empty() {
        main_floor(&t.windows).map(|f| format!("{f}楼等候区")).unwrap_or_default()
    } else {
        t.waiting_area.clone()
    };
    if area.is_empty() {
        "请留意叫号".into()
    } else {
        format!("请在{area}等候，留意叫号")
    }
}

/// "2026-11-27 09:31" → "11月27日 09:31" (other text as it is).
fn month_day_time(issued_at: &str) -> String {
    let parts = (issued_at.get(5..7), issued_at.get(8..10), issued_at.get(11..16));
    match parts {
        (Some(m), Some(d), Some(hm)) if m.parse::<u32>().is_ok() && d.parse::<u32>().is_ok() => {
            format!("{}月{}日 {hm}", m.trim_start_matches('0'), d.trim_start_matches('0'))
        }
        _ => issued_at.to_string(),
    }
}

/// The size of every line but the number and the rules: double width and height, 48 dots
/// (6 mm, 17 pt) high at 203 dpi, centred; 12 Chinese characters a line.
fn body() -> Style {
    Style::center().size(2, 2)
}

/// Why a template cannot lay a ticket out.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The logo file cannot be read, is not an image, or is wider than the paper.
    #[error("ticket logo {path}: {reason}")]
    Logo {
        /// The logo's path as configured.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Template {
    /// The visitor's status-page link for this ticket (`status_url` with `{id}` and
    /// `{token}` filled in), as the QR code holds it.
    pub fn status_link(&self, t: &TicketModel) -> String {
        self.status_url.replace("{id}", &t.id).replace("{token}", &t.token)
    }

    /// Lays the ticket out.
    pub fn render(&self, t: &TicketModel) -> Result<Document, TemplateError> {
        let mut doc = Document::default();
        if let Some(path) = &self.logo {
            let err = |reason: String| TemplateError::Logo { path: path.display().to_string(), reason };
            let img = image::open(path).map_err(|e| err(e.to_string()))?.to_luma8();
            if img.width() > super::encode::WIDTH_DOTS {
                return Err(err(format!("{} dots wide; at most {}", img.width(), super::encode::WIDTH_DOTS)));
            }
            doc.push(Block::Image { image: img, align: Align::Center });
        }
        for line in &self.header {
            doc.wrapped(&line.replace("{hall}", &t.hall_name), body().bold());
        }
        doc.push(Block::Rule);
        for field in &self.fields {
            match field {
                Field::Number => {
                    doc.text("您的号码", body());
                    doc.text(&t.number, Style::center().size(self.number_size, self.number_size).bold());
                    if !t.priority_label.is_empty() {
                        doc.text(format!("【{}】", t.priority_label), body().bold());
                    }
                    if t.offline {
                        doc.text("【离线取号】", body().bold());
                    }
                }
                Field::Service => {
                    doc.wrapped(&t.service, body().bold());
                }
                Field::Queue => {
                    if !t.queue.is_empty() {
                        doc.wrapped(&format!("队列：{}", t.queue), body());
                    }
                }
                Field::Ahead => {
                    if t.offline {
                        doc.wrapped("网络中断时取号，本号照常有效", body());
                    } else if t.people_ahead == 0 {
                        doc.wrapped("前面没有人等候", body().bold());
                    } else {
                        doc.wrapped(&format!("前面还有 {} 人", t.people_ahead), body().bold());
                        doc.wrapped(&format!("预计等候约 {} 分钟", t.estimate_minutes), body());
                    }
                    // "请在1楼等候区等候，" and "留意叫号" each on a line of their own.
                    for part in wait_here(t).split_inclusive('，') {
                        doc.wrapped(part, body().bold());
                    }
                }
                Field::Windows => {
                    if !t.windows.is_empty() {
                        // One line per floor: "办理窗口：", "1楼 4、5号窗口", "2楼 26号窗口".
                        doc.text("办理窗口：", body());
                        for floor in windows_text(&t.windows).split('；') {
                            doc.wrapped(floor, body());
                        }
                    }
                }
                Field::IssuedAt => {
                    doc.wrapped(&format!("取号时间 {}", month_day_time(&t.issued_at)), body());
                }
                Field::Holder => {
                    if !t.holder.is_empty() {
                        doc.wrapped(&format!("持证人：{}", t.holder), body());
                    }
                }
                Field::Qr => {
                    doc.push(Block::Feed(1));
                    doc.push(Block::Qr { data: self.status_link(t), module: 6, ecc: Ecc::M, align: Align::Center });
                    doc.wrapped("微信扫码查看排队进度", body());
                }
                Field::Barcode => {
                    doc.push(Block::Code128 { data: t.id.clone(), height: 60 });
                }
            }
        }
        doc.push(Block::Rule);
        if !t.no_show_rule.is_empty() {
            doc.wrapped(&t.no_show_rule, body());
        }
        for line in &self.footer {
            doc.wrapped(line, body());
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_grouped_by_floor() {
        assert_eq!(windows_text(&[(4, 1), (5, 1), (26, 2)]), "1楼 4、5号窗口；2楼 26号窗口");
    }

    /// Every line but the number and the rules is at least 12 pt (double size: 48 dots, 17 pt at
    /// 203 dpi) and centred; the ticket says where to wait, when it was taken and the 过号 rule.
    #[test]
    fn the_ticket_is_large_centred_and_says_where_to_wait() {
        let t = TicketModel {
            hall_name: "市民之家".into(),
            number: "C012".into(),
            service: "普通护照签发".into(),
            queue: "户政出入境".into(),
            people_ahead: 4,
            estimate_minutes: 20,
            windows: vec![(7, 1), (8, 1), (30, 2)],
            issued_at: "2026-12-01 09:05".into(),
            holder: "张*（1101**********002X）".into(),
            no_show_rule: "过号：叫号后重呼2次或3分钟仍未到即为过号。".into(),
            ..Default::default()
        };
        let doc = Template::default().render(&t).unwrap();
        let mut texts = Vec::new();
        for b in &doc.blocks {
            if let Block::Text { text, style } = b {
                assert!(style.height >= 2 && style.width >= 2, "{text:?} is smaller than 12 pt: {style:?}");
                assert_eq!(style.align, Align::Center, "{text:?}");
                texts.push(text.clone());
            }
        }
        let all = texts.join("\n");
        for want in ["请在1楼等候区等候，", "取号时间 12月1日 09:05", "过号：叫号后重呼2次", "前面还有 4 人"] {
            assert!(all.contains(want), "{want:?} missing from\n{all}");
        }
        let named = TicketModel { waiting_area: "2楼B区等候区".into(), ..t };
        assert_eq!(wait_here(&named), "请在2楼B区等候区等候，留意叫号");
        assert_eq!(main_floor(&[(1, 3), (2, 2), (3, 2), (4, 3)]), Some(2), "a tie goes to the lower floor");
        assert_eq!(main_floor(&[]), None);
    }

    #[test]
    fn the_template_fills_the_status_link_and_skips_empty_fields() {
        let t = TicketModel { id: "20261127-A001".into(), token: "abc".into(), number: "A001".into(), ..Default::default() };
        let tpl = Template::default();
        assert_eq!(tpl.status_link(&t), "http://127.0.0.1:8080/t/20261127-A001?token=abc");
        let doc = tpl.render(&t).unwrap();
        let texts: Vec<String> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"A001".to_string()));
        assert!(!texts.iter().any(|t| t.starts_with("持证人")), "no holder line without a holder");
    }
}
