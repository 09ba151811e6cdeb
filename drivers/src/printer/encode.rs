//! Turns a [`Document`] (lines of text, QR codes, barcodes, rules, images) into ESC/POS
//! bytes for an 80 mm printer (576 dots at 203 dpi), using the `escpos` crate for the
//! commands. Chinese text is GBK in Chinese mode (FS &); a line holding a character GBK
//! cannot encode (a rare name) is drawn as a raster image with the CJK font instead.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use image::GrayImage;

use crate::font;

/// Printable width in dots.
pub const WIDTH_DOTS: u32 = 576;
/// Half-width columns of Font A (12 × 24 dots) across the paper.
pub const COLUMNS: u32 = WIDTH_DOTS / 12;

/// FS &: Chinese character mode on.
pub const FS_CHINESE_ON: [u8; 2] = [0x1C, 0x26];

/// Where a line or image sits across the paper (ESC a); in templates as `"left"`, `"center"`,
/// `"right"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Against the left margin.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Against the right margin.
    Right,
}

/// How a line of text is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Character width multiple, 1 to 8 (GS !): 2 halves the characters a line holds.
    pub width: u8,
    /// Character height multiple, 1 to 8 (GS !).
    pub height: u8,
    /// Emphasised (ESC E).
    pub bold: bool,
    /// Alignment of the line.
    pub align: Align,
}

impl Default for Style {
    fn default() -> Style {
        Style { width: 1, height: 1, bold: false, align: Align::Left }
    }
}

impl Style {
    /// Normal size, centred.
    pub fn center() -> Style {
        Style { align: Align::Center, ..Style::default() }
    }
    /// This style at `w` × `h` times the normal size, each clamped to 1..=8.
    pub fn size(mut self, w: u8, h: u8) -> Style {
        self.width = w.clamp(1, 8);
        self.height = h.clamp(1, 8);
        self
    }
    /// This style in bold.
    pub fn bold(mut self) -> Style {
        self.bold = true;
        self
    }
}

/// A QR code's error correction level: the share of the code that may be damaged and still
/// read (L 7 %, M 15 %, Q 25 %, H 30 %); higher levels make a larger code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecc {
    /// About 7 %.
    L,
    /// About 15 %.
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

/// One element of a printed document, top to bottom.
#[derive(Debug, Clone)]
pub enum Block {
    /// One printed line (wrap long text with [`wrap`] first).
    Text {
        /// The line; characters GBK cannot hold make it print as an image.
        text: String,
        /// Size, weight and alignment.
        style: Style,
    },
    /// A QR code, Model 2; `module` is dots per module (1-16).
    Qr {
        /// What the code holds (the visitor's status-page link).
        data: String,
        /// Dots per module, 1 to 16.
        module: u8,
        /// Error correction level.
        ecc: Ecc,
        /// Where it sits across the paper.
        align: Align,
    },
    /// CODE128, code set B.
    Code128 {
        /// Printable ASCII only (`BarcodeData` otherwise).
        data: String,
        /// Bar height in dots.
        height: u8,
    },
    /// A full-width dashed rule.
    Rule,
    /// This many blank lines fed.
    Feed(u8),
    /// A black-and-white image (0 = black), at most 576 dots wide.
    Image {
        /// The image, 0 = black.
        image: GrayImage,
        /// Where it sits across the paper.
        align: Align,
    },
}

/// A ticket (or any print) as a list of blocks, encoded by [`encode`]; the cut is added there.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The blocks, top to bottom.
    pub blocks: Vec<Block>,
}

impl Document {
    /// Adds one line of `text` (not wrapped).
    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Self {
        self.blocks.push(Block::Text { text: text.into(), style });
        self
    }

    /// Adds `text` wrapped to the paper width at this size, one block per line.
    pub fn wrapped(&mut self, text: &str, style: Style) -> &mut Self {
        for line in wrap(text, COLUMNS / style.width as u32) {
            self.text(line, style);
        }
        self
    }

    /// Adds any block.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }
}

/// Why a document could not be turned into bytes (nothing was sent to the printer).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The `escpos` crate refused a command (a value out of its range).
    #[error("ESC/POS encoding failed: {0}")]
    Escpos(String),
    /// A line needs drawing as an image and no CJK font is installed.
    #[error("{0}")]
    Font(#[from] font::NoFont),
    /// CODE128 data with characters outside printable ASCII.
    #[error("barcode data must be printable ASCII: {0:?}")]
    BarcodeData(String),
}

impl From<escpos::errors::PrinterError> for EncodeError {
    fn from(e: escpos::errors::PrinterError) -> EncodeError {
        EncodeError::Escpos(e.to_string())
    }
}

/// Collects what the `escpos` printer sends instead of sending it.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// Display width in half-width columns.
pub fn columns(text: &str) -> u32 {
    text.chars().map(|c| if font::is_wide(c) { 2 } else { 1 }).sum()
}

/// Splits text into lines of at most `cols` half-width columns, breaking at spaces where
/// it can and anywhere between wide characters.
pub fn wrap(text: &str, cols: u32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut width = 0;
        for word in split_keep(para) {
            let w = columns(&word);
            if width + w > cols && !line.is_empty() {
                // Chinese line breaking (禁则): no line starts with a closing mark such as
                // "、" or "，", and none ends with an opening one such as "（": the character
                // before goes down with it.
                let mut carried = String::new();
                let opening = line.chars().last().is_some_and(|c| NO_END.contains(c));
                let closing = word.chars().next().is_some_and(|c| NO_START.contains(c));
                if (opening || closing) && line.chars().count() > 1 {
                    carried = line.pop().map(String::from).unwrap_or_default();
                }
                lines.push(line.trim_end().to_string());
                width = columns(&carried);
                line = carried;
                if word == " " {
                    continue;
                }
            }
            if w > cols {
                for c in word.chars() {
                    let cw = columns(&c.to_string());
                    if width + cw > cols {
                        lines.push(std::mem::take(&mut line));
                        width = 0;
                    }
                    line.push(c);
                    width += cw;
                }
            } else {
                line.push_str(&word);
                width += w;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Marks that never begin a line.
const NO_START: &str = "、，。；：？！）」』》〉】”’,.;:?!)";
/// Marks that never end a line.
const NO_END: &str = "（「『《〈【“‘(";

/// Words for wrapping: runs of ASCII non-space, single spaces, single wide characters.
fn split_keep(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if c == ' ' || font::is_wide(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether a GBK printer's font has every character of `text`. FS & mode prints two-byte
/// GBK only: GB18030's four-byte sequences print as garbage, and the user-defined areas
/// (where GB18030-2005 put some Extension A characters, such as 䶮 at FE9F) are blank in
/// printer fonts.
pub fn gbk_encodable(text: &str) -> bool {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    if unmappable {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        if lead < 0x80 {
            i += 1;
            continue;
        }
        let Some(&trail) = bytes.get(i + 1) else { return false };
        let user_defined =
            matches!(lead, 0xAA..=0xAF | 0xF8..=0xFE) && trail >= 0xA1 || matches!(lead, 0xA1..=0xA7) && trail < 0xA1 || lead == 0xFE;
        if user_defined {
            return false;
        }
        i += 2;
    }
    true
}

/// GS v 0: a raster bit image, 1 = black, rows padded to whole bytes.
pub fn raster(image: &GrayImage) -> Vec<u8> {
    let (w, h) = image.dimensions();
    let wb = w.div_ceil(8);
    let mut out = vec![0x1D, 0x76, 0x30, 0x00, (wb & 0xFF) as u8, (wb >> 8) as u8, (h & 0xFF) as u8, (h >> 8) as u8];
    for y in 0..h {
        for bx in 0..wb {
            let mut byte = 0u8;
            for bit in 0..8 {
                let x = bx * 8 + bit;
                if x < w && image.get_pixel(x, y).0[0] < 128 {
                    byte |= 0x80 >> bit;
                }
            }
            out.push(byte);
        }
    }
    out
}

/// Draws a text line into an image as the printer would (for characters it cannot print).
pub fn text_image(text: &str, style: Style) -> Result<GrayImage, EncodeError> {
    let fonts = font::fonts()?;
    let cell_w = 12 * style.width as u32;
    let cell_h = 24 * style.height as u32;
    let width = (columns(text) * cell_w).clamp(8, WIDTH_DOTS);
    let mut img = GrayImage::from_pixel(width, cell_h + 6, image::Luma([255]));
    font::draw_cells(&mut img, fonts, text, 0, 3, cell_w, cell_h, style.bold);
    Ok(img)
}

fn justify(a: Align) -> JustifyMode {
    match a {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}

/// The ESC/POS bytes for a document, ending with a feed and a full cut.
pub fn encode(doc: &Document) -> Result<Vec<u8>, EncodeError> {
    let capture = Capture::default();
    let mut p = Printer::new(capture.clone(), Protocol::new(Encoder::new(encoding_rs::GBK)), None);
    p.init()?.custom(&FS_CHINESE_ON)?;
    for block in &doc.blocks {
        match block {
            Block::Text { text, style } => {
                p.justify(justify(style.align))?;
                if gbk_encodable(text) {
                    p.bold(style.bold)?.size(style.width, style.height)?.write(text)?.custom(b"\n")?;
                } else {
                    p.custom(&raster(&text_image(text, *style)?))?;
                }
            }
            Block::Qr { data, module, ecc, align } => {
                let level = match ecc {
                    Ecc::L => QRCodeCorrectionLevel::L,
                    Ecc::M => QRCodeCorrectionLevel::M,
                    Ecc::Q => QRCodeCorrectionLevel::Q,
                    Ecc::H => QRCodeCorrectionLevel::H,
                };
                p.justify(justify(*align))?.qrcode_option(data, QRCodeOption::new(QRCodeModel::Model2, (*module).clamp(1, 16), level))?;
            }
            Block::Code128 { data, height } => {
                if data.is_empty() || data.len() > 250 || !data.bytes().all(|b| (0x20..0x7F).contains(&b)) {
                    return Err(EncodeError::BarcodeData(data.clone()));
                }
                // GS h height, GS w module width 2, GS H HRI below, GS k 73 n {B data.
                let mut cmd =
                    vec![0x1D, 0x68, *height, 0x1D, 0x77, 0x02, 0x1D, 0x48, 0x02, 0x1D, 0x6B, 73, (data.len() + 2) as u8, b'{', b'B'];
                cmd.extend_from_slice(data.as_bytes());
                p.justify(JustifyMode::CENTER)?.custom(&cmd)?;
            }
            Block::Rule => {
                p.justify(JustifyMode::LEFT)?.bold(false)?.size(1, 1)?.write(&"-".repeat(COLUMNS as usize))?.custom(b"\n")?;
            }
            Block::Feed(n) => {
                p.feeds(*n)?;
            }
            Block::Image { image, align } => {
                p.justify(justify(*align))?.custom(&raster(image))?;
            }
        }
    }
    p.size(1, 1)?.bold(false)?.justify(JustifyMode::LEFT)?.feeds(4)?.print_cut()?;
    let bytes = capture.0.borrow().clone();
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_qr_barcode_and_cut_byte_for_byte() {
        let mut doc = Document::default();
        doc.text("A001", Style::center().size(2, 2).bold());
        doc.text("号", Style::default());
        doc.push(Block::Qr { data: "hi".into(), module: 6, ecc: Ecc::M, align: Align::Center });
        doc.push(Block::Code128 { data: "A001".into(), height: 60 });
        let bytes = encode(&doc).unwrap();
        let expected: Vec<u8> = [
            &[0x1B, 0x40][..],   // ESC @
            &[0x1C, 0x26],       // FS & Chinese mode
            &[0x1B, 0x61, 0x01], // centre
            &[0x1B, 0x45, 0x01], // bold
            &[0x1D, 0x21, 0x11], // GS ! 2x2
            b"A001\n",
            &[0x1B, 0x61, 0x00],
            &[0x1B, 0x45, 0x00],
            &[0x1D, 0x21, 0x00],
            &[0xBA, 0xC5, 0x0A], // 号 in GBK
            &[0x1B, 0x61, 0x01],
            &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00], // Model 2
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06],       // module 6
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31],       // ECC M
            &[0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, b'h', b'i'],
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30], // print
            &[0x1B, 0x61, 0x01],
            &[0x1D, 0x68, 60, 0x1D, 0x77, 2, 0x1D, 0x48, 2, 0x1D, 0x6B, 73, 6, b'{', b'B', b'A', b'0', b'0', b'1'],
            &[0x1D, 0x21, 0x00, 0x1B, 0x45, 0x00, 0x1B, 0x61, 0x00],
            &[0x1B, 0x64, 0x04],       // feed 4
            &[0x1D, 0x56, 0x41, 0x00], // full cut
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn gbk_covers_common_names_but_not_rare_ones() {
        assert!(gbk_encodable("张三 A001 临时居民身份证"));
        assert!(gbk_encodable("王喆"));
        // 𠮷 (U+20BB7) and 㐀 (U+3400) need GB18030's four bytes; 䶮 (U+4DAE, in a famous
        // name) sits in the user-defined area FE9F that printer fonts leave blank.
        assert!(!gbk_encodable("𠮷野"));
        assert!(!gbk_encodable("㐀"));
        assert!(!gbk_encodable("刘䶮"));
    }

    #[test]
    fn raster_packs_rows_msb_first() {
        let mut img = GrayImage::from_pixel(10, 2, image::Luma([255]));
        img.put_pixel(0, 0, image::Luma([0]));
        img.put_pixel(9, 1, image::Luma([0]));
        assert_eq!(raster(&img), vec![0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0x80, 0x00, 0x00, 0x40]);
    }

    #[test]
    fn wrapping_counts_wide_characters_twice() {
        // No line starts with "、" (the 5 goes down with it).
        assert_eq!(wrap("请到1楼4、5、6号窗口办理", 12), vec!["请到1楼4、", "5、6号窗口办", "理"]);
        // None ends with "（".
        assert_eq!(wrap("持证人：张*（1101**********002X）", 24), vec!["持证人：张*", "（1101**********002X）"]);
        assert_eq!(wrap("hello world again", 11), vec!["hello world", "again"]);
        assert!(wrap(&"很".repeat(30), 48).iter().all(|l| columns(l) <= 48));
    }
}
