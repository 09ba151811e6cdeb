//! An ESC/POS decoder: bytes to printer operations. The simulated printer renders what it
//! decodes; tests and `hallq escpos render` use it on any byte file. It never panics on
//! bad input (a fuzz target checks that).

use super::encode::Align;

/// One printer operation, as decoded from ESC/POS bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// ESC @: reset the printer's modes.
    Init,
    /// FS & (true) or FS . (false): Chinese character mode, in which text is GBK.
    ChineseMode(bool),
    /// ESC a: alignment of the lines that follow.
    Align(Align),
    /// ESC E: bold on or off.
    Bold(bool),
    /// Width and height multipliers.
    Size(u8, u8),
    /// Printable text, decoded (GBK in Chinese mode).
    Text(String),
    /// LF: print the line and start the next.
    LineFeed,
    /// Print and feed n lines.
    Feed(u8),
    /// Feed n dots.
    FeedDots(u8),
    /// GS ( k, function 165: the QR model (50 = Model 2).
    QrModel(u8),
    /// GS ( k, function 167: dots per module.
    QrModule(u8),
    /// GS ( k, function 169: error correction (48 = L … 51 = H).
    QrEcc(u8),
    /// GS ( k, function 180: the data of the next QR code.
    QrStore(Vec<u8>),
    /// GS ( k, function 181: print the stored QR code.
    QrPrint,
    /// GS h: barcode height in dots.
    BarcodeHeight(u8),
    /// GS w: barcode module width in dots.
    BarcodeWidth(u8),
    /// GS H: where the human-readable text goes (0 none, 1 above, 2 below, 3 both).
    BarcodeHri(u8),
    /// GS k: print a barcode.
    Barcode {
        /// The symbology (73 = CODE128).
        system: u8,
        /// The bytes after the symbology (for CODE128 the code set, then the data).
        data: Vec<u8>,
    },
    /// GS v 0: a raster image.
    Raster {
        /// Bytes per row (8 dots each).
        width_bytes: u16,
        /// Rows.
        height: u16,
        /// The rows, 1 bits black.
        data: Vec<u8>,
    },
    /// GS V: cut the paper.
    Cut,
    /// DLE EOT n: the host asks for status n.
    StatusRequest(u8),
    /// GS a n: automatic status back.
    AutoStatus(u8),
    /// A command understood but without effect on the simulated paper.
    Ignored(Vec<u8>),
    /// A byte that starts no known command.
    Unknown(u8),
}

/// Bytes that do not end on a whole command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The command starting at this byte offset is missing bytes.
    #[error("command at byte {0} is cut short")]
    Truncated(usize),
}

/// Decodes as much as forms whole commands. Returns the operations and how many bytes
/// they used; the rest is an unfinished command (wait for more bytes, or report truncation).
pub fn decode_partial(bytes: &[u8], chinese: &mut bool) -> (Vec<Op>, usize) {
    let mut ops = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match step(bytes, i, chinese) {
            Some((op, used)) => {
                if let Some(op) = op {
                    ops.push(op);
                }
                i += used;
            }
            None => break,
        }
    }
    (ops, i)
}

/// Decodes a whole byte file.
pub fn decode(bytes: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let mut chinese = false;
    let (ops, used) = decode_partial(bytes, &mut chinese);
    if used < bytes.len() {
        return Err(DecodeError::Truncated(used));
    }
    Ok(ops)
}

fn get(bytes: &[u8], i: usize) -> Option<u8> {
    bytes.get(i).copied()
}

fn align(n: u8) -> Align {
    match n {
        1 | b'1' => Align::Center,
        2 | b'2' => Align::Right,
        _ => Align::Left,
    }
}

/// One command at `i`: Some((op, length)) or None when the bytes end mid-command.
fn step(b: &[u8], i: usize, chinese: &mut bool) -> Option<(Option<Op>, usize)> {
    let c = b[i];
    let arg = |k: usize| get(b, i + k);
    let ignored = |len: usize| -> Option<(Option<Op>, usize)> {
        if i + len <= b.len() {
            Some((Some(Op::Ignored(b[i..i + len].to_vec())), len))
        } else {
            None
        }
    };
    match c {
        0x0A => Some((Some(Op::LineFeed), 1)),
        0x0D => Some((None, 1)),
        0x10 => match arg(1)? {
            0x04 => Some((Some(Op::StatusRequest(arg(2)?)), 3)),
            0x05 => ignored(3),
            0x14 => ignored(5),
            _ => Some((Some(Op::Unknown(c)), 1)),
        },
        0x1B => match arg(1)? {
            b'@' => {
                *chinese = false;
                Some((Some(Op::Init), 2))
            }
            b'a' => Some((Some(Op::Align(align(arg(2)?))), 3)),
            b'E' => Some((Some(Op::Bold(arg(2)? & 1 == 1)), 3)),
            b'd' => Some((Some(Op::Feed(arg(2)?)), 3)),
            b'J' => Some((Some(Op::FeedDots(arg(2)?)), 3)),
            b'!' => {
                let n = arg(2)?;
                Some((Some(Op::Size(if n & 0x20 != 0 { 2 } else { 1 }, if n & 0x10 != 0 { 2 } else { 1 })), 3))
            }
            b'M' | b't' | b'-' | b'G' | b'3' | b'R' | b'V' | b'{' | b' ' | b'c' | b'p' => {
                if b[i + 1] == b'p' {
                    ignored(5)
                } else if b[i + 1] == b'c' {
                    ignored(4)
                } else {
                    ignored(3)
                }
            }
            b'2' | b'?' => ignored(2),
            _ => Some((Some(Op::Unknown(c)), 1)),
        },
        0x1C => match arg(1)? {
            b'&' => {
                *chinese = true;
                Some((Some(Op::ChineseMode(true)), 2))
            }
            b'.' => {
                *chinese = false;
                Some((Some(Op::ChineseMode(false)), 2))
            }
            b'!' | b'-' | b'W' => ignored(3),
            b'p' => ignored(4),
            _ => Some((Some(Op::Unknown(c)), 1)),
        },
        0x1D => match arg(1)? {
            b'!' => {
                let n = arg(2)?;
                Some((Some(Op::Size(((n >> 4) & 0x07) + 1, (n & 0x07) + 1)), 3))
            }
            b'V' => {
                let m = arg(2)?;
                if m >= 65 {
                    arg(3)?;
                    Some((Some(Op::Cut), 4))
                } else {
                    Some((Some(Op::Cut), 3))
                }
            }
            b'h' => Some((Some(Op::BarcodeHeight(arg(2)?)), 3)),
            b'w' => Some((Some(Op::BarcodeWidth(arg(2)?)), 3)),
            b'H' => Some((Some(Op::BarcodeHri(arg(2)?)), 3)),
            b'a' => Some((Some(Op::AutoStatus(arg(2)?)), 3)),
            b'f' | b'b' | b'B' | b'r' | b'I' => ignored(3),
            b'L' | b'W' => ignored(4),
            b'k' => {
                let m = arg(2)?;
                if m <= 6 {
                    // NUL-terminated data.
                    let start = i + 3;
                    let end = b[start..].iter().position(|&x| x == 0)? + start;
                    Some((Some(Op::Barcode { system: m, data: b[start..end].to_vec() }), end + 1 - i))
                } else {
                    let n = arg(3)? as usize;
                    let start = i + 4;
                    if start + n > b.len() {
                        return None;
                    }
                    Some((Some(Op::Barcode { system: m, data: b[start..start + n].to_vec() }), 4 + n))
                }
            }
            b'v' => {
                if arg(2)? != b'0' {
                    return Some((Some(Op::Unknown(c)), 1));
                }
                let (xl, xh, yl, yh) = (arg(4)?, arg(5)?, arg(6)?, arg(7)?);
                let wb = u16::from_le_bytes([xl, xh]);
                let h = u16::from_le_bytes([yl, yh]);
                let len = wb as usize * h as usize;
                let start = i + 8;
                if start + len > b.len() {
                    return None;
                }
                Some((Some(Op::Raster { width_bytes: wb, height: h, data: b[start..start + len].to_vec() }), 8 + len))
            }
            b'(' => {
                let fn_class = arg(2)?;
                let len = u16::from_le_bytes([arg(3)?, arg(4)?]) as usize;
                let start = i + 5;
                if start + len > b.len() {
                    return None;
                }
                let body = &b[start..start + len];
                let op = if fn_class == b'k' && body.len() >= 2 && body[0] == 49 {
                    match (body[1], body.get(2).copied()) {
                        (65, Some(model)) => Op::QrModel(model),
                        (67, Some(size)) => Op::QrModule(size),
                        (69, Some(ecc)) => Op::QrEcc(ecc),
                        (80, Some(48)) => Op::QrStore(body[3..].to_vec()),
                        (81, Some(48)) => Op::QrPrint,
                        _ => Op::Ignored(b[i..start + len].to_vec()),
                    }
                } else {
                    Op::Ignored(b[i..start + len].to_vec())
                };
                Some((Some(op), 5 + len))
            }
            _ => Some((Some(Op::Unknown(c)), 1)),
        },
        0x20..=0x7E => {
            let end = b[i..].iter().position(|&x| !(0x20..=0x7E).contains(&x)).map(|p| i + p).unwrap_or(b.len());
            Some((Some(Op::Text(String::from_utf8_lossy(&b[i..end]).into_owned())), end - i))
        }
        0x81..=0xFE if *chinese => {
            // GBK: two bytes per character; decode the whole run.
            let mut end = i;
            while end < b.len() && (0x81..=0xFE).contains(&b[end]) {
                if end + 1 >= b.len() {
                    if end == i {
                        return None;
                    }
                    break;
                }
                end += 2;
            }
            let (text, _, _) = encoding_rs::GBK.decode(&b[i..end]);
            Some((Some(Op::Text(text.into_owned())), end - i))
        }
        _ => Some((Some(Op::Unknown(c)), 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::encode::{encode, Block, Document, Ecc, Style};

    #[test]
    fn decodes_what_the_encoder_writes() {
        let mut doc = Document::default();
        doc.text("A001", Style::center().size(4, 4).bold());
        doc.text("临时居民身份证办理", Style::default());
        doc.push(Block::Qr { data: "http://x/t/1".into(), module: 6, ecc: Ecc::M, align: Align::Center });
        let ops = decode(&encode(&doc).unwrap()).unwrap();
        assert!(ops.contains(&Op::Size(4, 4)));
        assert!(ops.contains(&Op::Text("A001".into())));
        assert!(ops.contains(&Op::Text("临时居民身份证办理".into())));
        assert!(ops.contains(&Op::QrModel(50)));
        assert!(ops.contains(&Op::QrStore(b"http://x/t/1".to_vec())));
        assert_eq!(ops.last(), Some(&Op::Cut));
    }

    #[test]
    fn truncated_commands_are_reported_not_panicked() {
        for bytes in [&[0x1D, 0x28, 0x6B, 0x10, 0x00, 0x31][..], &[0x1D, 0x76, 0x30, 0, 10, 0, 10], &[0x1B], &[0x1D, 0x6B, 2, b'1']] {
            assert!(matches!(decode(bytes), Err(DecodeError::Truncated(0))), "{bytes:?}");
        }
    }

    #[test]
    fn status_requests_are_seen() {
        assert_eq!(decode(&[0x10, 0x04, 0x02, b'x']).unwrap(), vec![Op::StatusRequest(2), Op::Text("x".into())]);
    }
}
