//! The queue ticket: what it says ([`TicketModel`]) and how it is laid out
//! ([`Template`], which hall managers can change: header, footer, logo, fields, QR link).

use serde::{Deserialize, Serialize};

use super::encode::{Align, Block, Document, Ecc, Style};

/// What a queue ticket says. Personal data arrives already masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketModel {
    pub hall_name: String,
    /// Such as "A001".
    pub number: String,
    /// Unique ticket id, such as "20261127-A001".
    pub id: String,
    pub service: String,
    pub queue: String,
    pub people_ahead: u32,
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
}

/// Fields a template can show, in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Number,
    Service,
    Queue,
    Ahead,
    Windows,
    IssuedAt,
    Holder,
    Qr,
    Barcode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Template {
    /// Lines above the number; `{hall}` is the hall's name.
    pub header: Vec<String>,
    /// Lines at the bottom.
    pub footer: Vec<String>,
    /// A PNG printed at the top (black and white, at most 576 dots wide).
    pub logo: Option<std::path::PathBuf>,
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
            footer: vec!["请留意叫号和屏幕显示，过号请到服务台咨询".into(), "最多跑一次 · 感谢您的耐心等候".into()],
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
    let mut floors: Vec<i32> = windows.iter().map(|(_, f)| *f).collect();
    floors.sort();
    floors.dedup();
    floors
        .iter()
        .map(|floor| {
            let nums: Vec<String> = windows.iter().filter(|(_, f)| f == floor).map(|(n, _)| n.to_string()).collect();
            format!("{floor}楼 {}号窗口", nums.join("、"))
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("ticket logo {path}: {reason}")]
    Logo { path: String, reason: String },
}

impl Template {
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
            doc.wrapped(&line.replace("{hall}", &t.hall_name), Style::center().size(1, 2).bold());
        }
        doc.push(Block::Rule);
        for field in &self.fields {
            match field {
                Field::Number => {
                    doc.text("您的号码", Style::center());
                    doc.text(&t.number, Style::center().size(self.number_size, self.number_size).bold());
                    if !t.priority_label.is_empty() {
                        doc.text(format!("【{}】", t.priority_label), Style::center().bold());
                    }
                    if t.offline {
                        doc.text("【离线取号】", Style::center().bold());
                    }
                }
                Field::Service => {
                    doc.wrapped(&t.service, Style::center().size(1, 2).bold());
                }
                Field::Queue => {
                    doc.wrapped(&format!("队列：{}", t.queue), Style::default());
                }
                Field::Ahead => {
                    let text = if t.offline {
                        "网络中断时取号，本号照常有效，请留意叫号".to_string()
                    } else if t.people_ahead == 0 {
                        "前面没有人等候，请留意叫号".to_string()
                    } else {
                        format!("前面还有 {} 人，预计等候约 {} 分钟", t.people_ahead, t.estimate_minutes)
                    };
                    doc.wrapped(&text, Style::default().bold());
                }
                Field::Windows => {
                    if !t.windows.is_empty() {
                        doc.wrapped(&format!("办理窗口：{}", windows_text(&t.windows)), Style::default());
                    }
                }
                Field::IssuedAt => {
                    doc.text(format!("取号时间：{}", t.issued_at), Style::default());
                }
                Field::Holder => {
                    if !t.holder.is_empty() {
                        doc.wrapped(&format!("持证人：{}", t.holder), Style::default());
                    }
                }
                Field::Qr => {
                    doc.push(Block::Feed(1));
                    doc.push(Block::Qr { data: self.status_link(t), module: 6, ecc: Ecc::M, align: Align::Center });
                    doc.text("微信扫码查看排队进度", Style::center());
                }
                Field::Barcode => {
                    doc.push(Block::Code128 { data: t.id.clone(), height: 60 });
                }
            }
        }
        doc.push(Block::Rule);
        for line in &self.footer {
            doc.wrapped(line, Style::center());
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
