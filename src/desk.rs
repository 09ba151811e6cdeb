//! The service desks' ticket printers (导引台, `[[desks]]`): the hall service prints a ticket
//! the desk issued or reprinted on the desk's own printer, one print at a time per desk,
//! with the printer's status checked before and after as the kiosk does. `sim://NAME` is the
//! built-in simulator: each ticket is drawn to `DATA/sim/NAME/ticket-NNNN.png`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::DeviceUri;

use crate::config::Desk;

/// What printing at a desk came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The printer, as its transport describes it.
    pub printer: String,
    /// Paper is near its end: worth telling the desk.
    pub paper_near_end: bool,
}

/// The desks' printers, opened for each ticket (a network printer that was switched off
/// and on again just works), one ticket at a time per desk.
pub struct DeskPrinters {
    sim_dir: PathBuf,
    sims: Mutex<HashMap<String, SimPrinter>>,
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl DeskPrinters {
    pub fn new(data_dir: &Path) -> DeskPrinters {
        DeskPrinters { sim_dir: data_dir.join("sim"), sims: Mutex::default(), turns: Mutex::default() }
    }

    /// The simulator behind `sim://NAME`, drawing to `DATA/sim/NAME/`.
    fn sim(&self, name: &str) -> std::io::Result<SimPrinter> {
        let mut sims = lock(&self.sims);
        if let Some(s) = sims.get(name) {
            return Ok(s.clone());
        }
        let dir = self.sim_dir.join(name);
        std::fs::create_dir_all(&dir)?;
        let s = SimPrinter::new();
        s.save_to(&dir);
        sims.insert(name.to_string(), s.clone());
        Ok(s)
    }

    /// The desk's turn: hold it (owned) for the whole print, so a print that outlives the
    /// caller's deadline still keeps the next one waiting, and a busy desk is told so at
    /// once instead of parking a thread.
    pub fn turn(&self, desk: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns).entry(desk.to_string()).or_default().clone()
    }

    /// Prints `ticket` on `desk`'s printer (blocking: call it off the async threads, holding
    /// the desk's [`turn`](Self::turn)). The error is a message for the desk's staff.
    pub fn print(&self, desk: &Desk, template: &Template, ticket: &TicketModel) -> Result<Printed, String> {
        let uri: DeviceUri = desk.printer.parse().map_err(|e| format!("导引台打印机地址有误：{e}"))?;
        let sim = match &uri {
            DeviceUri::Sim { name } => Some(self.sim(name).map_err(|e| format!("模拟打印机无法保存号票：{e}"))?),
            _ => None,
        };
        let mut printer = TicketPrinter::open(&uri, sim.as_ref()).map_err(|e| format!("导引台打印机无法连接（{}）：{e}", desk.printer))?;
        let report = printer.print_ticket(template, ticket).map_err(|e| format!("{}（{e}）", e.fault().staff_message_zh()));
        // The simulator's drawings are on disk; keep none in memory.
        if let Some(s) = &sim {
            s.take_printed();
        }
        let report = report?;
        Ok(Printed { printer: printer.describe(), paper_near_end: report.status.paper_near_end })
    }
}
