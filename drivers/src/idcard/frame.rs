//! GA/T 467 frames: `AA AA AA 96 69 | length (2 bytes, big-endian, counting what follows) |
//! payload | XOR checksum of the length and payload`. Commands carry CMD PARA [data];
//! replies carry SW1 SW2 SW3 [data].

/// The five bytes every frame starts with.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// Largest length a reader sends (text + photo + fingerprints is about 2.3 KB).
pub const MAX_LEN: usize = 4096;

/// A frame that cannot be taken: the reader (or the line) garbled it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The XOR checksum does not match (noise on the line, a lost byte).
    #[error("frame checksum mismatch: got {got:#04x}, computed {computed:#04x}")]
    Checksum {
        /// The checksum byte received.
        got: u8,
        /// The checksum of the bytes received.
        computed: u8,
    },
    /// The length field is below the least payload or above [`MAX_LEN`].
    #[error("frame length {0} out of range")]
    Length(usize),
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// A frame around `payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 1) as u16;
    let mut out = PREAMBLE.to_vec();
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.push(xor(&out[5..]));
    out
}

/// A command frame: CMD PARA and data.
pub fn command(cmd: u8, para: u8, data: &[u8]) -> Vec<u8> {
    let mut payload = vec![cmd, para];
    payload.extend_from_slice(data);
    frame(&payload)
}

/// Looks for one whole frame in `buf`. Ok(None): not yet complete. On success returns the
/// payload and how many bytes of `buf` it used (noise before the preamble included).
pub fn parse(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, FrameError> {
    let Some(start) = buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE) else {
        return Ok(None);
    };
    let b = &buf[start..];
    if b.len() < 7 {
        return Ok(None);
    }
    let len = u16::from_be_bytes([b[5], b[6]]) as usize;
    if !(2..=MAX_LEN).contains(&len) {
        return Err(FrameError::Length(len));
    }
    if b.len() < 7 + len {
        return Ok(None);
    }
    let payload = &b[7..6 + len];
    let got = b[6 + len];
    let computed = xor(&b[5..6 + len]);
    if got != computed {
        return Err(FrameError::Checksum { got, computed });
    }
    Ok(Some((payload.to_vec(), start + 7 + len)))
}

/// A reply: the three status words and the data after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// SW1, SW2 (0x00 0x00) and SW3, the status ([`super::Sw3`]).
    pub sw: [u8; 3],
    /// What follows the status (the card's text and photo for a read).
    pub data: Vec<u8>,
}

impl Reply {
    /// The reply in a frame's payload; `Length` when it is shorter than the three status bytes.
    pub fn from_payload(p: &[u8]) -> Result<Reply, FrameError> {
        if p.len() < 3 {
            return Err(FrameError::Length(p.len() + 1));
        }
        Ok(Reply { sw: [p[0], p[1], p[2]], data: p[3..].to_vec() })
    }

    /// The reply as a whole frame, preamble and checksum included (the simulator sends it).
    pub fn to_frame(&self) -> Vec<u8> {
        let mut p = self.sw.to_vec();
        p.extend_from_slice(&self.data);
        frame(&p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_match_the_standard_byte_for_byte() {
        assert_eq!(command(0x10, 0xFF, &[]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC]);
        assert_eq!(command(0x11, 0xFF, &[]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED]);
        assert_eq!(command(0x20, 0x01, &[]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]);
        assert_eq!(command(0x20, 0x02, &[]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21]);
        assert_eq!(command(0x30, 0x01, &[]), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32]);
    }

    #[test]
    fn replies_from_the_standard_parse() {
        // SAM status OK and "card found", as a reader sends them.
        let ok = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94];
        let (p, used) = parse(&ok).unwrap().unwrap();
        assert_eq!((Reply::from_payload(&p).unwrap().sw, used), ([0, 0, 0x90], 11));
        let found = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97];
        assert_eq!(Reply::from_payload(&parse(&found).unwrap().unwrap().0).unwrap().sw[2], 0x9F);
    }

    #[test]
    fn partial_noisy_and_broken_frames() {
        let f = Reply { sw: [0, 0, 0x90], data: vec![1, 2, 3] }.to_frame();
        assert_eq!(parse(&f[..f.len() - 1]).unwrap(), None);
        let mut noisy = vec![0x00, 0x13];
        noisy.extend_from_slice(&f);
        assert_eq!(parse(&noisy).unwrap().unwrap().1, noisy.len());
        let mut bad = f.clone();
        *bad.last_mut().unwrap() ^= 0xFF;
        assert!(matches!(parse(&bad), Err(FrameError::Checksum { .. })));
        assert_eq!(parse(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF]), Err(FrameError::Length(0xFFFF)));
        assert_eq!(parse(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x01, 0x01]), Err(FrameError::Length(1)));
    }
}
