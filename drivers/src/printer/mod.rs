//! The 80 mm ESC/POS ticket printer: encoding ([`encode`]), status ([`status`]), ticket
//! layout ([`ticket`]), decoding and the simulator ([`decode`], [`sim`]), and
//! [`TicketPrinter`], which checks status before and after each ticket.

pub mod decode;
pub mod encode;
pub mod sim;
pub mod status;
pub mod ticket;

use std::time::Duration;

use status::{PrinterFault, PrinterStatus};

use crate::transport::{self, Transport, TransportError};
use crate::uri::DeviceUri;

/// Why a ticket did not (fully) print. `Display` is the visitor's message for printer faults.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The printer reported a fault before the ticket: nothing was printed.
    #[error("{}", .0.visitor_message())]
    NotReady(PrinterFault),
    /// The fault appeared while the ticket printed: it may be incomplete.
    #[error("{}（号票可能未完整打印）", .0.visitor_message())]
    FailedDuring(PrinterFault),
    /// The printer could not be reached or stopped answering.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The ticket could not be turned into ESC/POS (nothing was sent).
    #[error(transparent)]
    Encode(#[from] encode::EncodeError),
    /// The ticket template could not lay the ticket out (nothing was sent).
    #[error(transparent)]
    Template(#[from] ticket::TemplateError),
}

impl PrintError {
    /// The fault behind the error, for the device-status report.
    pub fn fault(&self) -> PrinterFault {
        match self {
            PrintError::NotReady(f) | PrintError::FailedDuring(f) => *f,
            _ => PrinterFault::NoAnswer,
        }
    }
}

/// What printing a ticket found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintReport {
    /// Status after the ticket; `paper_near_end` is worth a warning to staff.
    pub status: PrinterStatus,
    /// False on transports that cannot read status (device files): printed blind.
    pub status_known: bool,
}

/// A ticket printer on some transport.
pub struct TicketPrinter {
    transport: Box<dyn Transport>,
}

impl TicketPrinter {
    /// A printer on an open transport.
    pub fn new(transport: Box<dyn Transport>) -> TicketPrinter {
        TicketPrinter { transport }
    }

    /// Opens a printer by address; `sim://printer` needs the simulator handle.
    pub fn open(uri: &DeviceUri, sim: Option<&sim::SimPrinter>) -> Result<TicketPrinter, PrintError> {
        match (uri, sim) {
            (DeviceUri::Sim { .. }, Some(s)) => Ok(TicketPrinter::new(Box::new(s.transport()))),
            (DeviceUri::Sim { name }, None) => {
                Err(PrintError::Transport(TransportError::Unsupported(format!("sim://{name} exists only inside hallq demo and tests"))))
            }
            _ => Ok(TicketPrinter::new(transport::open(uri)?)),
        }
    }

    /// The printer's address, for messages and the managers' device list.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// Asks DLE EOT 1, 2, 4 and 3. Err(NoAnswer) if the printer stays silent.
    pub fn status(&mut self) -> Result<Option<PrinterStatus>, PrintError> {
        if !self.transport.can_read() {
            return Ok(None);
        }
        self.transport.drain()?;
        let mut s = PrinterStatus::default();
        for n in [1u8, 2, 4, 3] {
            self.transport.write_all(&status::dle_eot(n))?;
            let mut b = [0u8; 1];
            match self.transport.read_exact(&mut b, transport::READ_TIMEOUT) {
                Ok(()) => {}
                Err(TransportError::Timeout(_)) => return Err(PrintError::NotReady(PrinterFault::NoAnswer)),
                Err(e) => return Err(e.into()),
            }
            if s.apply(n, b[0]).is_err() {
                // Some printers answer with a stale automatic-status byte first; ask once more.
                self.transport.write_all(&status::dle_eot(n))?;
                self.transport.read_exact(&mut b, transport::READ_TIMEOUT).map_err(|_| PrintError::NotReady(PrinterFault::NoAnswer))?;
                s.apply(n, b[0]).map_err(|_| PrintError::NotReady(PrinterFault::NoAnswer))?;
            }
        }
        Ok(Some(s))
    }

    /// Prints prepared ESC/POS bytes with a status check before and after.
    pub fn print_bytes(&mut self, bytes: &[u8]) -> Result<PrintReport, PrintError> {
        let before = self.status()?;
        if let Some(fault) = before.and_then(|s| s.fault()) {
            return Err(PrintError::NotReady(fault));
        }
        self.transport.write_all(bytes)?;
        // Let a slow printer take the data before asking again.
        std::thread::sleep(Duration::from_millis(if self.transport.can_read() { 20 } else { 0 }));
        let after = self.status()?;
        if let Some(fault) = after.and_then(|s| s.fault()) {
            return Err(PrintError::FailedDuring(fault));
        }
        Ok(PrintReport { status: after.unwrap_or_default(), status_known: after.is_some() })
    }

    /// Lays out, encodes and prints a ticket.
    pub fn print_ticket(&mut self, template: &ticket::Template, model: &ticket::TicketModel) -> Result<PrintReport, PrintError> {
        let bytes = encode::encode(&template.render(model)?)?;
        self.print_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::script::{Scripted, Step};

    fn healthy() -> Vec<Step> {
        vec![
            Step::Expect(vec![0x10, 0x04, 1]),
            Step::Reply(vec![0x16]),
            Step::Expect(vec![0x10, 0x04, 2]),
            Step::Reply(vec![0x12]),
            Step::Expect(vec![0x10, 0x04, 4]),
            Step::Reply(vec![0x12]),
            Step::Expect(vec![0x10, 0x04, 3]),
            Step::Reply(vec![0x12]),
        ]
    }

    #[test]
    fn status_before_and_after_each_ticket() {
        let mut steps = healthy();
        steps.push(Step::Partial(2));
        steps.push(Step::Expect(b"ticket".to_vec()));
        steps.extend(healthy());
        let mut p = TicketPrinter::new(Box::new(Scripted::new(steps)));
        let report = p.print_bytes(b"ticket").unwrap();
        assert!(report.status_known && report.status.ready());
    }

    #[test]
    fn a_silent_printer_is_reported_within_a_second() {
        let mut p = TicketPrinter::new(Box::new(Scripted::new([Step::Expect(vec![0x10, 0x04, 1]), Step::Silence])));
        let started = std::time::Instant::now();
        let e = p.print_bytes(b"x").unwrap_err();
        assert_eq!(e.fault(), PrinterFault::NoAnswer);
        assert!(started.elapsed() < Duration::from_millis(1200));
    }

    #[test]
    fn paper_out_before_means_nothing_is_sent() {
        let steps = vec![
            Step::Expect(vec![0x10, 0x04, 1]),
            Step::Reply(vec![0x1A]),
            Step::Expect(vec![0x10, 0x04, 2]),
            Step::Reply(vec![0x32]),
            Step::Expect(vec![0x10, 0x04, 4]),
            Step::Reply(vec![0x7E]),
            Step::Expect(vec![0x10, 0x04, 3]),
            Step::Reply(vec![0x12]),
        ];
        let t = Scripted::new(steps);
        let written = t.log();
        let mut p = TicketPrinter::new(Box::new(t));
        match p.print_bytes(b"ticket") {
            Err(PrintError::NotReady(PrinterFault::PaperOut)) => {}
            other => panic!("{other:?}"),
        }
        assert!(!written.lock().unwrap().windows(6).any(|w| w == b"ticket"), "ticket sent to a printer without paper");
    }

    #[test]
    fn unplugged_mid_ticket_is_a_transport_error() {
        let mut steps = healthy();
        steps.push(Step::Unplug);
        let mut p = TicketPrinter::new(Box::new(Scripted::new(steps)));
        assert!(matches!(p.print_bytes(b"ticket"), Err(PrintError::Transport(TransportError::Disconnected { .. }))));
    }
}
