//! The resident ID-card reader: GA/T 467 SAM protocol over serial (115200 8N1).
//! [`frame`] is the byte-level codec, [`card`] decodes what a card holds, [`IdReader`]
//! speaks the commands and [`Poller`] turns them into "card placed" and "card removed"
//! events, never reading the same card twice without it being lifted. [`sim`] serves
//! synthetic cards over a pseudo-terminal.

pub mod card;
pub mod frame;
pub mod sim;

use std::time::{Duration, Instant};

pub use card::{CardKind, Identity};

use crate::transport::{Transport, TransportError};

/// Command codes (CMD, PARA).
pub const RESET_SAM: (u8, u8) = (0x10, 0xFF);
/// Ask whether the security module (SAM) works.
pub const SAM_STATUS: (u8, u8) = (0x11, 0xFF);
/// Read the SAM's identifier.
pub const SAM_ID: (u8, u8) = (0x12, 0xFF);
/// Look for a card in the field.
pub const FIND: (u8, u8) = (0x20, 0x01);
/// Select the card found.
pub const SELECT: (u8, u8) = (0x20, 0x02);
/// Read the selected card's text and photo.
pub const READ: (u8, u8) = (0x30, 0x01);

/// What a reader's SW3 status word means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sw3 {
    /// 0x90: done.
    Ok,
    /// 0x9F: a card was found.
    Found,
    /// 0x10: the reader received a frame with a wrong checksum.
    ChecksumError,
    /// 0x11: the reader received a frame with a wrong length.
    LengthError,
    /// 0x21: the reader does not know the command.
    CommandError,
    /// 0x23: the command is not allowed now.
    Unauthorised,
    /// 0x24: an unspecified error.
    Unknown,
    /// 0x31, 0x32: the card and the SAM did not authenticate each other.
    AuthFailed,
    /// 0x33: the card's information failed its check.
    InfoCheckFailed,
    /// 0x40: not a card the reader can read.
    UnknownCard,
    /// 0x41: reading the card failed (moved, badly placed).
    ReadFailed,
    /// 0x47: taking a random number from the card failed.
    RandomFailed,
    /// 0x60: the SAM failed its self-test.
    SamSelfTestFailed,
    /// 0x66: the SAM is not authorised.
    SamUnauthorised,
    /// 0x80: no card found.
    FindFailed,
    /// 0x81: selecting the card failed.
    SelectFailed,
    /// 0x91: the card holds no such content.
    NoContent,
    /// Any other byte.
    Other(u8),
}

impl Sw3 {
    /// The meaning of a reply's SW3 byte.
    pub fn from_byte(b: u8) -> Sw3 {
        match b {
            0x90 => Sw3::Ok,
            0x9F => Sw3::Found,
            0x10 => Sw3::ChecksumError,
            0x11 => Sw3::LengthError,
            0x21 => Sw3::CommandError,
            0x23 => Sw3::Unauthorised,
            0x24 => Sw3::Unknown,
            0x31 | 0x32 => Sw3::AuthFailed,
            0x33 => Sw3::InfoCheckFailed,
            0x40 => Sw3::UnknownCard,
            0x41 => Sw3::ReadFailed,
            0x47 => Sw3::RandomFailed,
            0x60 => Sw3::SamSelfTestFailed,
            0x66 => Sw3::SamUnauthorised,
            0x80 => Sw3::FindFailed,
            0x81 => Sw3::SelectFailed,
            0x91 => Sw3::NoContent,
            b => Sw3::Other(b),
        }
    }
}

/// Why a card was not read. `Display` is the message for the visitor (Chinese);
/// [`ReaderError::staff_message`] is the one for staff.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// This attempt failed (the card moved or lies badly): place it again. The SW3 byte.
    #[error("读卡失败，请将身份证平放在读卡区不要移动 (SW3 {0:#04x})")]
    ReadFailed(u8),
    /// Not a card the reader can read (only resident, residence-permit and permanent-residence cards).
    #[error("无法识别此卡，请放置第二代居民身份证、港澳台居民居住证或外国人永久居留身份证")]
    UnknownCard,
    /// The card failed authentication or its information check: the visitor goes to the desk.
    #[error("证件校验未通过，请到服务台办理")]
    CardRejected(u8),
    /// The reader's security module is out of order (a device fault). The SW3 byte.
    #[error("读卡器安全模块故障，请联系工作人员 (SW3 {0:#04x})")]
    Sam(u8),
    /// The reader answered something that is not the protocol (a device fault).
    #[error("读卡器通信出错，请联系工作人员 ({0})")]
    Protocol(String),
    /// The reader did not answer within its deadline (a device fault).
    #[error("读卡器无响应，请联系工作人员")]
    NoAnswer,
    /// The serial or USB link failed (a device fault).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card was read but its text could not be decoded.
    #[error(transparent)]
    Card(#[from] card::CardError),
}

impl ReaderError {
    /// Whether the reader itself is out of order (as opposed to this card or this attempt).
    pub fn is_device_fault(&self) -> bool {
        matches!(self, ReaderError::Sam(_) | ReaderError::Protocol(_) | ReaderError::NoAnswer | ReaderError::Transport(_))
    }

    /// The message for staff and the managers' device list: what is wrong and what to do
    /// (power-cycle, check the cable), in English.
    pub fn staff_message(&self) -> String {
        match self {
            ReaderError::Sam(b) => {
                format!("ID-card reader SAM fault (SW3 {b:#04x}): power-cycle the reader; if it persists the SAM module needs service")
            }
            ReaderError::NoAnswer => "ID-card reader does not answer: check its serial cable and power".into(),
            ReaderError::Transport(e) => format!("ID-card reader connection: {e}"),
            ReaderError::Protocol(p) => format!("ID-card reader protocol error: {p}"),
            other => other.to_string(),
        }
    }
}

fn sw_error(sw3: u8) -> ReaderError {
    match Sw3::from_byte(sw3) {
        Sw3::ReadFailed | Sw3::RandomFailed | Sw3::NoContent | Sw3::FindFailed | Sw3::SelectFailed => ReaderError::ReadFailed(sw3),
        Sw3::UnknownCard => ReaderError::UnknownCard,
        Sw3::AuthFailed | Sw3::InfoCheckFailed => ReaderError::CardRejected(sw3),
        Sw3::SamSelfTestFailed | Sw3::SamUnauthorised | Sw3::Unauthorised => ReaderError::Sam(sw3),
        Sw3::ChecksumError | Sw3::LengthError | Sw3::CommandError | Sw3::Unknown | Sw3::Other(_) => {
            ReaderError::Protocol(format!("reader answered SW3 {sw3:#04x}"))
        }
        Sw3::Ok | Sw3::Found => unreachable!("not an error"),
    }
}

/// A GA/T 467 reader on a transport.
pub struct IdReader {
    transport: Box<dyn Transport>,
    buf: Vec<u8>,
}

impl IdReader {
    /// A reader speaking GA/T 467 over `transport` (usually a serial port at 115200).
    pub fn new(transport: Box<dyn Transport>) -> IdReader {
        IdReader { transport, buf: Vec::new() }
    }

    /// The reader's address, for messages.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// Sends a command and waits for its reply frame.
    pub fn command(&mut self, (cmd, para): (u8, u8), timeout: Duration) -> Result<frame::Reply, ReaderError> {
        self.buf.clear();
        self.transport.drain()?;
        self.transport.write_all(&frame::command(cmd, para, &[]))?;
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 2048];
        loop {
            match frame::parse(&self.buf) {
                Ok(Some((payload, _))) => {
                    return frame::Reply::from_payload(&payload).map_err(|e| ReaderError::Protocol(e.to_string()));
                }
                Ok(None) => {}
                Err(e) => return Err(ReaderError::Protocol(e.to_string())),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReaderError::NoAnswer);
            }
            let n = self.transport.read(&mut chunk, left.min(Duration::from_millis(100)))?;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn expect_ok(&mut self, cmd: (u8, u8), timeout: Duration) -> Result<frame::Reply, ReaderError> {
        let r = self.command(cmd, timeout)?;
        match r.sw[2] {
            0x90 => Ok(r),
            b => Err(sw_error(b)),
        }
    }

    /// SAM status: Ok when the security module works.
    pub fn sam_status(&mut self) -> Result<(), ReaderError> {
        self.expect_ok(SAM_STATUS, Duration::from_millis(800)).map(|_| ())
    }

    /// Resets the security module (after a SAM fault).
    pub fn reset_sam(&mut self) -> Result<(), ReaderError> {
        self.expect_ok(RESET_SAM, Duration::from_millis(1500)).map(|_| ())
    }

    /// The SAM's identifier, as hex.
    pub fn sam_id(&mut self) -> Result<String, ReaderError> {
        let r = self.expect_ok(SAM_ID, Duration::from_millis(800))?;
        Ok(r.data.iter().map(|b| format!("{b:02X}")).collect())
    }

    /// Whether a card is in the field.
    pub fn find(&mut self) -> Result<bool, ReaderError> {
        let r = self.command(FIND, Duration::from_millis(800))?;
        match r.sw[2] {
            0x9F => Ok(true),
            0x80 => Ok(false),
            b => Err(sw_error(b)),
        }
    }

    /// Selects the card [`IdReader::find`] found, before [`IdReader::read`].
    pub fn select(&mut self) -> Result<(), ReaderError> {
        self.expect_ok(SELECT, Duration::from_millis(800)).map(|_| ())
    }

    /// Reads text and photo of the selected card.
    pub fn read(&mut self) -> Result<Identity, ReaderError> {
        let r = self.expect_ok(READ, Duration::from_millis(2500))?;
        let d = &r.data;
        if d.len() < 4 {
            return Err(ReaderError::Protocol(format!("read reply of {} bytes", d.len())));
        }
        let text_len = u16::from_be_bytes([d[0], d[1]]) as usize;
        let photo_len = u16::from_be_bytes([d[2], d[3]]) as usize;
        if d.len() < 4 + text_len + photo_len {
            return Err(ReaderError::Protocol(format!("read reply says {text_len}+{photo_len} bytes but has {}", d.len() - 4)));
        }
        let text = &d[4..4 + text_len];
        let photo = &d[4 + text_len..4 + text_len + photo_len];
        Ok(card::decode(text, photo)?)
    }

    /// Find, select and read, for a one-off `hallq idcard read`.
    pub fn read_card(&mut self, wait: Duration) -> Result<Option<Identity>, ReaderError> {
        let deadline = Instant::now() + wait;
        loop {
            if self.find()? {
                self.select()?;
                return self.read().map(Some);
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// What [`Poller::poll`] saw change.
#[derive(Debug)]
pub enum CardEvent {
    /// A card was placed and read.
    Placed(Box<Identity>),
    /// The card was taken away.
    Removed,
    /// A card is there but could not be read; the visitor should place it again.
    Unreadable(ReaderError),
}

/// Reports cards placed and removed; reads each placement once.
pub struct Poller {
    reader: IdReader,
    present: bool,
}

impl Poller {
    /// Polls `reader`, starting with no card present.
    pub fn new(reader: IdReader) -> Poller {
        Poller { reader, present: false }
    }

    /// One round: call every 200-300 ms. Device faults come back as Err.
    pub fn poll(&mut self) -> Result<Option<CardEvent>, ReaderError> {
        let found = self.reader.find()?;
        match (found, self.present) {
            (true, true) | (false, false) => Ok(None),
            (false, true) => {
                self.present = false;
                Ok(Some(CardEvent::Removed))
            }
            (true, false) => {
                let read = self.reader.select().and_then(|_| self.reader.read());
                match read {
                    Ok(id) => {
                        self.present = true;
                        Ok(Some(CardEvent::Placed(Box::new(id))))
                    }
                    Err(e) if e.is_device_fault() => Err(e),
                    Err(e) => Ok(Some(CardEvent::Unreadable(e))),
                }
            }
        }
    }
}
