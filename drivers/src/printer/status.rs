//! Printer status: DLE EOT n (real-time status, n = 1..4) and GS a (automatic status back),
//! decoded into one [`PrinterStatus`] with a message for the visitor and for staff.

/// DLE EOT n: `10 04 n`.
pub fn dle_eot(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// GS a n: enable automatic status back for drawer, online, error and paper sensors.
pub const GS_A_ENABLE: [u8; 3] = [0x1D, 0x61, 0x0F];

/// What the printer reported. `None` fields were not reported by this printer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrinterStatus {
    /// The printer is offline (cover open, paper out, an error, or the feed button held).
    pub offline: bool,
    /// The cover is open.
    pub cover_open: bool,
    /// No paper: nothing prints.
    pub paper_end: bool,
    /// The roll is nearly used up: still prints, staff should load a new one soon.
    pub paper_near_end: bool,
    /// The auto-cutter is jammed.
    pub cutter_error: bool,
    /// An error that needs a power cycle.
    pub unrecoverable: bool,
    /// An error that clears by itself (such as the print head too hot).
    pub auto_recoverable: bool,
    /// Paper is being fed by the feed button.
    pub feeding: bool,
}

/// The status byte is malformed: bits 1 and 4 are always set and bits 0 and 7 clear in
/// a DLE EOT reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("printer status byte {0:#04x} is not a DLE EOT reply")]
pub struct BadStatusByte(pub u8);

fn check(b: u8) -> Result<u8, BadStatusByte> {
    if b & 0b1001_0011 == 0b0001_0010 {
        Ok(b)
    } else {
        Err(BadStatusByte(b))
    }
}

impl PrinterStatus {
    /// Folds the reply to DLE EOT `n` into the status.
    pub fn apply(&mut self, n: u8, byte: u8) -> Result<(), BadStatusByte> {
        let b = check(byte)?;
        match n {
            1 => self.offline = b & 0x08 != 0,
            2 => {
                self.cover_open = b & 0x04 != 0;
                self.feeding = b & 0x08 != 0;
                self.paper_end = self.paper_end || b & 0x20 != 0;
                // bit 6: an error occurred (detailed by n = 3)
                if b & 0x40 != 0 && !self.cutter_error && !self.unrecoverable {
                    self.auto_recoverable = true;
                }
            }
            3 => {
                self.cutter_error = b & 0x08 != 0;
                self.unrecoverable = b & 0x20 != 0;
                self.auto_recoverable = b & 0x40 != 0;
            }
            4 => {
                self.paper_near_end = b & 0x0C != 0;
                self.paper_end = self.paper_end || b & 0x60 != 0;
            }
            _ => {}
        }
        Ok(())
    }

    /// Decodes a 4-byte GS a automatic status block (first byte 0xx1xx00).
    pub fn from_auto(block: [u8; 4]) -> Option<PrinterStatus> {
        if block[0] & 0b1001_0011 != 0b0001_0000 {
            return None;
        }
        Some(PrinterStatus {
            offline: block[0] & 0x08 != 0,
            cover_open: block[0] & 0x20 != 0,
            feeding: block[0] & 0x40 != 0,
            cutter_error: block[1] & 0x08 != 0,
            unrecoverable: block[1] & 0x20 != 0,
            auto_recoverable: block[1] & 0x40 != 0,
            paper_near_end: block[2] & 0x03 != 0,
            paper_end: block[2] & 0x0C != 0,
        })
    }

    /// Whether a ticket can be printed now (paper near its end still prints).
    pub fn ready(&self) -> bool {
        !(self.offline || self.cover_open || self.paper_end || self.cutter_error || self.unrecoverable)
    }

    /// The fault a visitor sees, most important first, or None when ready.
    pub fn fault(&self) -> Option<PrinterFault> {
        if self.paper_end {
            Some(PrinterFault::PaperOut)
        } else if self.cover_open {
            Some(PrinterFault::CoverOpen)
        } else if self.cutter_error {
            Some(PrinterFault::CutterError)
        } else if self.unrecoverable {
            Some(PrinterFault::Unrecoverable)
        } else if self.offline {
            Some(PrinterFault::Offline)
        } else {
            None
        }
    }
}

/// Why the ticket printer cannot print, with the words for each screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterFault {
    /// No paper.
    PaperOut,
    /// The cover is open.
    CoverOpen,
    /// The cutter is jammed.
    CutterError,
    /// An error that needs a power cycle.
    Unrecoverable,
    /// Offline for another reason (such as the feed button).
    Offline,
    /// The printer did not answer the status request in time.
    NoAnswer,
}

impl PrinterFault {
    /// A stable code for the device-status report to the hall, such as `paper_out`.
    pub fn code(self) -> &'static str {
        match self {
            PrinterFault::PaperOut => "paper_out",
            PrinterFault::CoverOpen => "cover_open",
            PrinterFault::CutterError => "cutter_error",
            PrinterFault::Unrecoverable => "printer_error",
            PrinterFault::Offline => "printer_offline",
            PrinterFault::NoAnswer => "printer_no_answer",
        }
    }

    /// For the visitor at the kiosk.
    pub fn visitor_message(self) -> &'static str {
        match self {
            PrinterFault::PaperOut => "打印机缺纸，请联系工作人员",
            PrinterFault::CoverOpen => "打印机盖未关好，请联系工作人员",
            PrinterFault::CutterError | PrinterFault::Unrecoverable => "打印机故障，请联系工作人员",
            PrinterFault::Offline | PrinterFault::NoAnswer => "打印机暂时无法使用，请联系工作人员",
        }
    }

    /// For staff at a service desk, in Chinese: what to do.
    pub fn staff_message_zh(self) -> &'static str {
        match self {
            PrinterFault::PaperOut => "号票打印机缺纸：请换上新的 80 毫米纸卷",
            PrinterFault::CoverOpen => "号票打印机盖未关：请关好",
            PrinterFault::CutterError => "号票打印机切刀卡纸：打开机盖清除纸屑后关好",
            PrinterFault::Unrecoverable => "号票打印机故障：请断电重启",
            PrinterFault::Offline => "号票打印机离线：请检查电源和进纸键",
            PrinterFault::NoAnswer => "号票打印机无应答：请检查网线或数据线和电源",
        }
    }

    /// For staff and the manager console: what to do.
    pub fn staff_message(self) -> &'static str {
        match self {
            PrinterFault::PaperOut => "ticket printer out of paper: load a new 80 mm roll",
            PrinterFault::CoverOpen => "ticket printer cover open: close it",
            PrinterFault::CutterError => "ticket printer cutter jammed: open the cover, clear the paper, close it",
            PrinterFault::Unrecoverable => "ticket printer reports an unrecoverable error: power-cycle it",
            PrinterFault::Offline => "ticket printer offline: check its power and the feed button",
            PrinterFault::NoAnswer => "ticket printer does not answer: check the cable and its power",
        }
    }
}

impl std::fmt::Display for PrinterFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.visitor_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(replies: [u8; 4]) -> PrinterStatus {
        let mut s = PrinterStatus::default();
        for (i, b) in replies.iter().enumerate() {
            s.apply(i as u8 + 1, *b).unwrap();
        }
        s
    }

    #[test]
    fn a_healthy_printer() {
        let s = status([0x16, 0x12, 0x12, 0x12]);
        assert!(s.ready());
        assert_eq!(s.fault(), None);
    }

    #[test]
    fn every_status_bit() {
        // n=1 bit 3: offline.
        assert_eq!(status([0x1E, 0x12, 0x12, 0x12]).fault(), Some(PrinterFault::Offline));
        // n=2 bit 2: cover open.
        assert_eq!(status([0x16, 0x16, 0x12, 0x12]).fault(), Some(PrinterFault::CoverOpen));
        // n=2 bit 5: printing stopped for paper end.
        assert_eq!(status([0x16, 0x32, 0x12, 0x12]).fault(), Some(PrinterFault::PaperOut));
        // n=2 bit 3: feeding by the button, not a fault.
        assert!(status([0x16, 0x1A, 0x12, 0x12]).feeding);
        // n=3 bit 3: autocutter error; bit 5 unrecoverable; bit 6 auto-recoverable.
        assert_eq!(status([0x16, 0x12, 0x1A, 0x12]).fault(), Some(PrinterFault::CutterError));
        assert_eq!(status([0x16, 0x12, 0x32, 0x12]).fault(), Some(PrinterFault::Unrecoverable));
        let s = status([0x16, 0x12, 0x52, 0x12]);
        assert!(s.auto_recoverable && s.ready());
        // n=4 bits 2-3: near end (still prints); bits 5-6: paper end.
        let s = status([0x16, 0x12, 0x12, 0x1E]);
        assert!(s.paper_near_end && s.ready());
        assert_eq!(status([0x16, 0x12, 0x12, 0x72]).fault(), Some(PrinterFault::PaperOut));
        // The out-of-paper printer of the notes answers 1A / 32 / 7E to n = 1 / 2 / 4.
        let mut s = PrinterStatus::default();
        s.apply(1, 0x1A).unwrap();
        s.apply(2, 0x32).unwrap();
        s.apply(4, 0x7E).unwrap();
        assert_eq!(s.fault(), Some(PrinterFault::PaperOut));
        assert!(s.paper_near_end);
    }

    #[test]
    fn malformed_bytes_are_refused() {
        let mut s = PrinterStatus::default();
        assert_eq!(s.apply(1, 0x00), Err(BadStatusByte(0x00)));
        assert_eq!(s.apply(1, 0x93), Err(BadStatusByte(0x93)));
    }

    #[test]
    fn automatic_status_back() {
        assert_eq!(PrinterStatus::from_auto([0x10, 0x00, 0x00, 0x0F]).unwrap().fault(), None);
        assert_eq!(PrinterStatus::from_auto([0x30, 0x00, 0x00, 0x0F]).unwrap().fault(), Some(PrinterFault::CoverOpen));
        assert_eq!(PrinterStatus::from_auto([0x10, 0x00, 0x0C, 0x0F]).unwrap().fault(), Some(PrinterFault::PaperOut));
        assert!(PrinterStatus::from_auto([0x12, 0, 0, 0]).is_none(), "a DLE EOT byte is not an auto status block");
    }
}
