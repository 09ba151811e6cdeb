//! The CJK font for raster output (rare characters on tickets, the simulated printer):
//! Noto Sans CJK SC from Debian's fonts-noto-cjk.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::GrayImage;

/// Where Debian puts Noto Sans CJK (the .ttc holds JP, KR, SC, TC, HK; SC is index 2).
const CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
];
const BOLD: &[(&str, u32)] = &[("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)];

/// No CJK font is installed: raster output (rare characters, the simulator) cannot be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no CJK font found (looked for {looked}): install the Debian package fonts-noto-cjk")]
pub struct NoFont {
    looked: String,
}

/// The CJK fonts found on this machine, loaded once by [`fonts`].
pub struct Fonts {
    /// Noto Sans CJK SC Regular (or the first candidate found).
    pub regular: FontVec,
    /// The bold face, when installed; bold text falls back to `regular`.
    pub bold: Option<FontVec>,
    /// The file `regular` was loaded from (reported by `hallq doctor`).
    pub path: PathBuf,
}

fn load(candidates: &[(&str, u32)]) -> Option<(FontVec, PathBuf)> {
    candidates.iter().find_map(|(path, index)| {
        let data = std::fs::read(path).ok()?;
        FontVec::try_from_vec_and_index(data, *index).ok().map(|f| (f, Path::new(path).to_path_buf()))
    })
}

/// The fonts, loaded once per process.
pub fn fonts() -> Result<&'static Fonts, NoFont> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let (regular, path) = load(CANDIDATES)?;
            Some(Fonts { regular, bold: load(BOLD).map(|(f, _)| f), path })
        })
        .as_ref()
        .ok_or_else(|| NoFont { looked: CANDIDATES.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ") })
}

/// Whether a character is drawn full-width (two half-width cells) on an ESC/POS printer.
pub fn is_wide(c: char) -> bool {
    !c.is_ascii() && !matches!(c, '\u{00A0}'..='\u{02FF}')
}

/// Draws `text` into `img` (black on white, 0 = black) with each character centred in a
/// cell of `cell_w` (half-width) or `2 * cell_w` (wide) by `cell_h` dots, from `(x, y)`.
/// Returns the x after the last character.
#[allow(clippy::too_many_arguments)] // the printer's cell geometry, one call site per renderer
pub fn draw_cells(img: &mut GrayImage, fonts: &Fonts, text: &str, x: u32, y: u32, cell_w: u32, cell_h: u32, bold: bool) -> u32 {
    let font = if bold { fonts.bold.as_ref().unwrap_or(&fonts.regular) } else { &fonts.regular };
    // A CJK glyph's em square fills about 95% of its cell, as printer fonts do. PxScale
    // measures ascent-to-descent, which for Noto Sans CJK is 1.448 em.
    let per_em = font.height_unscaled() / font.units_per_em().unwrap_or(1000.0);
    let em_y = cell_h as f32 * 0.95;
    let em_x = (cell_w * 2) as f32 * 0.95;
    let scale = PxScale { x: em_x * per_em, y: em_y * per_em };
    let scaled = font.as_scaled(scale);
    // Ideographs sit from 0.12 em below the baseline to 0.88 em above it.
    let baseline = y as f32 + (cell_h as f32 - em_y) / 2.0 + em_y * 0.88;
    let mut cx = x;
    for c in text.chars() {
        let w = if is_wide(c) { cell_w * 2 } else { cell_w };
        let glyph_id = font.glyph_id(c);
        // Proportional Latin glyphs wider than their half-width cell are narrowed to fit,
        // as a printer's fixed-pitch font would draw them.
        let mut glyph_scale = scale;
        let mut advance = scaled.h_advance(glyph_id);
        let room = w as f32 * 0.92;
        if advance > room {
            glyph_scale.x *= room / advance;
            advance = room;
        }
        let gx = cx as f32 + ((w as f32 - advance) / 2.0).max(0.0);
        let glyph = glyph_id.with_scale_and_position(glyph_scale, ab_glyph::point(gx, baseline));
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|px, py, coverage| {
                let ix = bounds.min.x as i32 + px as i32;
                let iy = bounds.min.y as i32 + py as i32;
                if ix >= 0 && iy >= 0 && (ix as u32) < img.width() && (iy as u32) < img.height() && coverage > 0.35 {
                    img.put_pixel(ix as u32, iy as u32, image::Luma([0]));
                    if bold && fonts.bold.is_none() && (ix as u32 + 1) < img.width() {
                        img.put_pixel(ix as u32 + 1, iy as u32, image::Luma([0]));
                    }
                }
            });
        }
        cx += w;
    }
    cx
}
