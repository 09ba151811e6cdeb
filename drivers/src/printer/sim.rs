//! The simulated ticket printer (`sim://printer`, and on TCP 9100 when asked). It decodes
//! the ESC/POS it receives and draws each ticket, cut to cut, as a 576-dot-wide image with
//! the CJK font and a real QR code; it answers status queries from a state that tests and
//! the demo can set: paper out, near end, cover open, offline, or paper running out after
//! a number of lines.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::{GrayImage, Luma};

use super::decode::{decode_partial, Op};
use super::encode::{columns, Align, WIDTH_DOTS};
use crate::font;
use crate::transport::{Transport, TransportError};

/// Dots fed by one empty line (ESC 2 default spacing at 203 dpi).
const LINE_DOTS: u32 = 30;

/// A line of text as drawn, for checks.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnText {
    /// The text of one run (a line may hold several runs of different sizes).
    pub text: String,
    /// Left edge in dots from the paper's left.
    pub x: u32,
    /// Top edge in dots from the ticket's top.
    pub y: u32,
    /// Width multiple it was printed at.
    pub width: u8,
    /// Height multiple it was printed at.
    pub height: u8,
    /// Printed bold.
    pub bold: bool,
}

/// One ticket, from the start of the stream or the last cut to the next cut.
#[derive(Debug, Clone)]
pub struct Printed {
    /// The ticket as paper: 576 dots wide, black on white.
    pub image: GrayImage,
    /// Every run of text drawn, top to bottom.
    pub texts: Vec<DrawnText>,
    /// The data of every QR code drawn (the status-page links).
    pub qr: Vec<String>,
    /// The human-readable data of every barcode drawn.
    pub barcodes: Vec<String>,
    /// The ESC/POS bytes of this ticket.
    pub bytes: Vec<u8>,
    /// False when the paper ran out (or the cover opened) before the cut.
    pub complete: bool,
}

impl Printed {
    /// The text on the paper, a line per printed line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut last_y = None;
        for t in &self.texts {
            if last_y.is_some_and(|y| y != t.y) {
                out.push('\n');
            }
            out.push_str(&t.text);
            last_y = Some(t.y);
        }
        out
    }

    /// Writes the ticket's image as a PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), image::ImageError> {
        self.image.save(path)
    }
}

/// Draws decoded operations onto paper. Used by the simulator and by `hallq escpos render`.
pub struct Renderer {
    rows: Vec<GrayImage>,
    line: Vec<(String, u8, u8, bool)>,
    align: Align,
    bold: bool,
    size: (u8, u8),
    qr_module: u8,
    qr_ecc: u8,
    qr_data: Vec<u8>,
    barcode_height: u8,
    barcode_width: u8,
    y: u32,
    /// Text runs drawn since the last page was taken.
    pub texts: Vec<DrawnText>,
    /// QR data drawn since the last page was taken.
    pub qr: Vec<String>,
    /// Barcode data drawn since the last page was taken.
    pub barcodes: Vec<String>,
    errors: Vec<String>,
}

impl Default for Renderer {
    fn default() -> Renderer {
        Renderer {
            rows: Vec::new(),
            line: Vec::new(),
            align: Align::Left,
            bold: false,
            size: (1, 1),
            qr_module: 3,
            qr_ecc: 49,
            qr_data: Vec::new(),
            barcode_height: 162,
            barcode_width: 3,
            y: 0,
            texts: Vec::new(),
            qr: Vec::new(),
            barcodes: Vec::new(),
            errors: Vec::new(),
        }
    }
}

fn offset(align: Align, width: u32) -> u32 {
    let width = width.min(WIDTH_DOTS);
    match align {
        Align::Left => 0,
        Align::Center => (WIDTH_DOTS - width) / 2,
        Align::Right => WIDTH_DOTS - width,
    }
}

impl Renderer {
    fn push_block(&mut self, img: GrayImage) {
        self.y += img.height();
        self.rows.push(img);
    }

    fn blank(&mut self, dots: u32) {
        if dots > 0 {
            self.push_block(GrayImage::from_pixel(WIDTH_DOTS, dots, Luma([255])));
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() {
            self.blank(LINE_DOTS);
            return;
        }
        let Ok(fonts) = font::fonts() else {
            self.errors.push("no CJK font: install fonts-noto-cjk".into());
            self.line.clear();
            self.blank(LINE_DOTS);
            return;
        };
        let height = self.line.iter().map(|(_, _, h, _)| 24 * *h as u32).max().unwrap_or(24);
        let width: u32 = self.line.iter().map(|(t, w, _, _)| columns(t) * 12 * *w as u32).sum();
        let mut img = GrayImage::from_pixel(WIDTH_DOTS, height + 6, Luma([255]));
        let mut x = offset(self.align, width);
        for (text, w, h, bold) in std::mem::take(&mut self.line) {
            let cell_h = 24 * h as u32;
            let top = 3 + height - cell_h;
            self.texts.push(DrawnText { text: text.clone(), x, y: self.y + top, width: w, height: h, bold });
            x = font::draw_cells(&mut img, fonts, &text, x, top, 12 * w as u32, cell_h, bold);
        }
        self.push_block(img);
    }

    fn qr(&mut self) {
        let data = String::from_utf8_lossy(&self.qr_data).into_owned();
        let ecc = match self.qr_ecc {
            48 => qrcode::EcLevel::L,
            50 => qrcode::EcLevel::Q,
            51 => qrcode::EcLevel::H,
            _ => qrcode::EcLevel::M,
        };
        match qrcode::QrCode::with_error_correction_level(&self.qr_data, ecc) {
            Ok(code) => {
                let modules = code.width() as u32;
                let m = self.qr_module.clamp(1, 16) as u32;
                // Four modules of quiet zone on each side, as the printer leaves.
                let size = (modules + 8) * m;
                let mut img = GrayImage::from_pixel(WIDTH_DOTS, size, Luma([255]));
                let x0 = offset(self.align, size) + 4 * m;
                for (i, color) in code.to_colors().iter().enumerate() {
                    if *color == qrcode::Color::Dark {
                        let (mx, my) = (i as u32 % modules, i as u32 / modules);
                        for dy in 0..m {
                            for dx in 0..m {
                                let (px, py) = (x0 + mx * m + dx, 4 * m + my * m + dy);
                                if px < WIDTH_DOTS {
                                    img.put_pixel(px, py, Luma([0]));
                                }
                            }
                        }
                    }
                }
                self.push_block(img);
                self.qr.push(data);
            }
            Err(e) => self.errors.push(format!("QR data does not fit: {e}")),
        }
    }

    fn barcode(&mut self, system: u8, data: &[u8]) {
        let text = String::from_utf8_lossy(data).into_owned();
        if system != 73 {
            self.errors.push(format!("barcode system {system} not simulated"));
            return;
        }
        // ESC/POS code set selectors {A {B {C map to barcoders' À Ɓ Ć.
        let mapped = text.replace("{A", "À").replace("{B", "Ɓ").replace("{C", "Ć");
        match barcoders::sym::code128::Code128::new(&mapped) {
            Ok(code) => {
                let bars = code.encode();
                let mw = self.barcode_width.clamp(1, 6) as u32;
                let h = self.barcode_height.max(1) as u32;
                let width = bars.len() as u32 * mw;
                let mut img = GrayImage::from_pixel(WIDTH_DOTS, h, Luma([255]));
                let x0 = offset(self.align, width);
                for (i, bar) in bars.iter().enumerate() {
                    if *bar == 1 {
                        for dx in 0..mw {
                            let x = x0 + i as u32 * mw + dx;
                            if x < WIDTH_DOTS {
                                for y in 0..h {
                                    img.put_pixel(x, y, Luma([0]));
                                }
                            }
                        }
                    }
                }
                self.push_block(img);
                let human = text.trim_start_matches("{A").trim_start_matches("{B").trim_start_matches("{C").to_string();
                self.line.push((human.clone(), 1, 1, false));
                let align = self.align;
                self.align = Align::Center;
                self.flush_line();
                self.align = align;
                self.barcodes.push(human);
            }
            Err(e) => self.errors.push(format!("CODE128 data {text:?}: {e}")),
        }
    }

    fn raster(&mut self, width_bytes: u16, height: u16, data: &[u8]) {
        let w = (width_bytes as u32 * 8).min(WIDTH_DOTS);
        let mut img = GrayImage::from_pixel(WIDTH_DOTS, height as u32, Luma([255]));
        let x0 = offset(self.align, w);
        for y in 0..height as u32 {
            for x in 0..w {
                let byte = data[(y * width_bytes as u32 + x / 8) as usize];
                if byte & (0x80 >> (x % 8)) != 0 {
                    img.put_pixel(x0 + x, y, Luma([0]));
                }
            }
        }
        self.push_block(img);
    }

    /// Applies one operation. Returns true at a cut.
    pub fn apply(&mut self, op: &Op) -> bool {
        match op {
            Op::Init => {
                let keep = (
                    std::mem::take(&mut self.rows),
                    self.y,
                    std::mem::take(&mut self.texts),
                    std::mem::take(&mut self.qr),
                    std::mem::take(&mut self.barcodes),
                );
                *self = Renderer::default();
                (self.rows, self.y, self.texts, self.qr, self.barcodes) = keep;
            }
            Op::Align(a) => self.align = *a,
            Op::Bold(b) => self.bold = *b,
            Op::Size(w, h) => self.size = (*w, *h),
            Op::Text(t) => match self.line.last_mut() {
                // ASCII and GBK runs of one style are one piece of text.
                Some((prev, w, h, b)) if (*w, *h, *b) == (self.size.0, self.size.1, self.bold) => prev.push_str(t),
                _ => self.line.push((t.clone(), self.size.0, self.size.1, self.bold)),
            },
            Op::LineFeed => self.flush_line(),
            Op::Feed(n) => {
                let had_text = !self.line.is_empty();
                if had_text {
                    self.flush_line();
                }
                self.blank(LINE_DOTS * (*n as u32).saturating_sub(had_text as u32));
            }
            Op::FeedDots(n) => self.blank(*n as u32),
            Op::QrModule(m) => self.qr_module = *m,
            Op::QrEcc(e) => self.qr_ecc = *e,
            Op::QrStore(d) => self.qr_data = d.clone(),
            Op::QrPrint => self.qr(),
            Op::BarcodeHeight(h) => self.barcode_height = *h,
            Op::BarcodeWidth(w) => self.barcode_width = *w,
            Op::Barcode { system, data } => self.barcode(*system, data),
            Op::Raster { width_bytes, height, data } => self.raster(*width_bytes, *height, data),
            Op::Cut => {
                if !self.line.is_empty() {
                    self.flush_line();
                }
                return true;
            }
            _ => {}
        }
        false
    }

    /// The paper so far as one image, and resets for the next ticket.
    pub fn take_page(&mut self) -> (GrayImage, Vec<DrawnText>, Vec<String>, Vec<String>) {
        if !self.line.is_empty() {
            self.flush_line();
        }
        let height: u32 = self.rows.iter().map(|r| r.height()).sum::<u32>().max(1) + 16;
        let mut page = GrayImage::from_pixel(WIDTH_DOTS, height, Luma([255]));
        let mut y = 8;
        for r in self.rows.drain(..) {
            image::imageops::replace(&mut page, &r, 0, y as i64);
            y += r.height();
        }
        self.y = 0;
        let texts = std::mem::take(&mut self.texts)
            .into_iter()
            .map(|mut t| {
                t.y += 8;
                t
            })
            .collect();
        (page, texts, std::mem::take(&mut self.qr), std::mem::take(&mut self.barcodes))
    }

    /// What could not be drawn (no CJK font, QR data too long, a barcode system not
    /// simulated), for `hallq escpos render` to report.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

/// Renders a whole ESC/POS byte stream, one image per cut (and the rest after the last cut).
pub fn render(bytes: &[u8]) -> Result<Vec<Printed>, super::decode::DecodeError> {
    let ops = super::decode::decode(bytes)?;
    let mut r = Renderer::default();
    let mut out = Vec::new();
    let mut pending = false;
    for op in &ops {
        pending = true;
        if r.apply(op) {
            let (image, texts, qr, barcodes) = r.take_page();
            out.push(Printed { image, texts, qr, barcodes, bytes: Vec::new(), complete: true });
            pending = false;
        }
    }
    if pending && (!r.rows.is_empty() || !r.line.is_empty()) {
        let (image, texts, qr, barcodes) = r.take_page();
        out.push(Printed { image, texts, qr, barcodes, bytes: Vec::new(), complete: false });
    }
    Ok(out)
}

/// The simulated paper roll, as the status replies report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// Plenty of paper.
    #[default]
    Ok,
    /// Near its end: prints, and reports `paper_near_end`.
    NearEnd,
    /// No paper: reports `paper_end` and prints nothing.
    Out,
}

#[derive(Default)]
struct State {
    paper: Paper,
    /// Lines of paper left before it runs out (None: plenty).
    lines_left: Option<u32>,
    cover_open: bool,
    offline: bool,
    unplugged: bool,
    chinese: bool,
    pending: Vec<u8>,
    current: Vec<u8>,
    renderer: Renderer,
    replies: VecDeque<u8>,
    printed: Vec<Printed>,
    save_dir: Option<PathBuf>,
    saved: Vec<PathBuf>,
    spoiled: bool,
}

impl State {
    fn status_byte(&self, n: u8) -> u8 {
        let out = self.paper == Paper::Out;
        match n {
            1 => 0x12 | if self.offline || self.cover_open || out { 0x08 } else { 0 } | 0x04,
            2 => 0x12 | if self.cover_open { 0x04 } else { 0 } | if out { 0x20 } else { 0 },
            3 => 0x12,
            4 => 0x12 | if self.paper != Paper::Ok { 0x0C } else { 0 } | if out { 0x60 } else { 0 },
            _ => 0x12,
        }
    }

    fn can_print(&self) -> bool {
        !(self.offline || self.cover_open || self.paper == Paper::Out)
    }

    fn feed(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
        let mut chinese = self.chinese;
        let (ops, used) = decode_partial(&self.pending, &mut chinese);
        self.chinese = chinese;
        let consumed: Vec<u8> = self.pending.drain(..used).collect();
        self.current.extend_from_slice(&consumed);
        for op in ops {
            match op {
                // Real-time commands are answered whatever the printer's state.
                Op::StatusRequest(n) => self.replies.push_back(self.status_byte(n)),
                op => {
                    if !self.can_print() {
                        // A printer that cannot print drops the data: this ticket is spoiled.
                        self.spoiled = true;
                        continue;
                    }
                    if matches!(op, Op::LineFeed | Op::Feed(_)) {
                        if let Some(left) = self.lines_left.as_mut() {
                            *left = left.saturating_sub(1);
                            if *left == 0 {
                                self.paper = Paper::Out;
                                self.lines_left = None;
                            }
                        }
                    }
                    if self.renderer.apply(&op) {
                        let (image, texts, qr, barcodes) = self.renderer.take_page();
                        let bytes = std::mem::take(&mut self.current);
                        let complete = !std::mem::take(&mut self.spoiled);
                        let printed = Printed { image, texts, qr, barcodes, bytes, complete };
                        if let Some(dir) = &self.save_dir {
                            let path = dir.join(format!("ticket-{:04}.png", self.printed.len() + 1));
                            match printed.save_png(&path) {
                                Ok(()) => self.saved.push(path),
                                Err(e) => tracing::warn!("simulated printer cannot save {}: {e}", path.display()),
                            }
                        }
                        self.printed.push(printed);
                    }
                }
            }
        }
    }
}

/// A simulated ticket printer. Clone it to keep a handle while a transport is in use.
#[derive(Clone, Default)]
pub struct SimPrinter {
    state: Arc<Mutex<State>>,
}

impl SimPrinter {
    /// A ready printer with paper, cover closed, online, nothing printed yet.
    pub fn new() -> SimPrinter {
        SimPrinter::default()
    }

    /// Also writes each ticket to `DIR/ticket-NNNN.png`.
    pub fn save_to(&self, dir: &Path) -> &Self {
        self.lock().save_dir = Some(dir.to_path_buf());
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the roll's state (paper out, near its end, or loaded again).
    pub fn set_paper(&self, paper: Paper) {
        self.lock().paper = paper;
    }

    /// The paper runs out after this many more lines.
    pub fn run_out_after(&self, lines: u32) {
        self.lock().lines_left = Some(lines);
    }

    /// Opens or closes the cover: while open, status says so and nothing prints.
    pub fn set_cover_open(&self, open: bool) {
        self.lock().cover_open = open;
    }

    /// Makes the printer report itself offline (or online again).
    pub fn set_offline(&self, offline: bool) {
        self.lock().offline = offline;
    }

    /// The printer's cable is pulled: every transport operation fails.
    pub fn set_unplugged(&self, unplugged: bool) {
        self.lock().unplugged = unplugged;
    }

    /// Every ticket printed so far (and not taken), oldest first.
    pub fn printed(&self) -> Vec<Printed> {
        self.lock().printed.clone()
    }

    /// Takes the tickets printed so far, so a long-running simulator does not keep them all.
    pub fn take_printed(&self) -> Vec<Printed> {
        std::mem::take(&mut self.lock().printed)
    }

    /// The PNG files written so far (with a save directory set).
    pub fn saved(&self) -> Vec<PathBuf> {
        self.lock().saved.clone()
    }

    /// A transport to this printer, for [`super::TicketPrinter::new`]; clones share the printer.
    pub fn transport(&self) -> SimTransport {
        SimTransport { printer: self.clone() }
    }

    /// Serves the simulator on TCP (as a network printer's port 9100) until the process ends.
    /// While unplugged, each connection is dropped at once.
    pub fn serve_tcp(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let printer = self.clone();
        std::thread::Builder::new().name("sim-printer-tcp".into()).spawn(move || {
            for conn in listener.incoming().flatten() {
                let printer = printer.clone();
                std::thread::spawn(move || {
                    let mut conn = conn;
                    conn.set_read_timeout(Some(Duration::from_millis(20))).ok();
                    let mut buf = [0u8; 4096];
                    loop {
                        // A pulled cable: the connection drops and nothing more is printed.
                        if printer.lock().unplugged {
                            return;
                        }
                        match conn.read(&mut buf) {
                            Ok(0) => return,
                            Ok(n) => printer.lock().feed(&buf[..n]),
                            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                            Err(_) => return,
                        }
                        let replies: Vec<u8> = printer.lock().replies.drain(..).collect();
                        if !replies.is_empty() && conn.write_all(&replies).is_err() {
                            return;
                        }
                    }
                });
            }
        })?;
        Ok(local)
    }
}

/// The simulator as a [`Transport`].
pub struct SimTransport {
    printer: SimPrinter,
}

impl Transport for SimTransport {
    fn write(&mut self, data: &[u8], _timeout: Duration) -> Result<usize, TransportError> {
        let mut s = self.printer.lock();
        if s.unplugged {
            return Err(TransportError::Disconnected { device: "sim://printer".into(), source: std::io::ErrorKind::NotConnected.into() });
        }
        s.feed(data);
        Ok(data.len())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let mut s = self.printer.lock();
        if s.unplugged {
            drop(s);
            std::thread::sleep(timeout.min(Duration::from_millis(50)));
            return Err(TransportError::Disconnected { device: "sim://printer".into(), source: std::io::ErrorKind::NotConnected.into() });
        }
        let n = buf.len().min(s.replies.len());
        for (i, b) in s.replies.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }

    fn describe(&self) -> String {
        "sim://printer".into()
    }
}
