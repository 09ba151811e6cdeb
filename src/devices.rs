//! Device tools for installers: `hallq devices`, test prints, reading an ID card,
//! scanning, printing a document, and rendering ESC/POS files. They print to the
//! installer's terminal what works and, when something does not, what to do.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use hallq_drivers::discover::{self, Access};
use hallq_drivers::idcard::{sim::SimReader, CardKind, IdReader, Identity};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::scanner::{self, ColorMode, ScanOptions, Source};
use hallq_drivers::{transport, DeviceUri};

/// `hallq devices`: candidates and permissions.
pub fn list(cups: &str) -> anyhow::Result<bool> {
    let (found, notes) = discover::list(cups);
    let mut all_ok = true;
    println!("{:<8} {:<48} description", "kind", "address");
    for c in &found {
        println!("{:<8} {:<48} {}", c.kind, c.uri, c.description);
        if let Access::Denied(fix) = &c.access {
            all_ok = false;
            println!("         ! {fix}");
        }
    }
    if found.is_empty() {
        println!("(no candidate devices found)");
    }
    for n in notes {
        println!("note: {n}");
    }
    Ok(all_ok)
}

/// The demo hall's sample ticket (the one model every ticket is printed from), titled as a
/// test print.
fn sample_ticket() -> anyhow::Result<TicketModel> {
    let mut t = crate::tickets::sample(&crate::config::Config::demo(), chrono::Utc::now())?;
    t.hall_name = "hallq 测试打印 / test print".into();
    t.number = "T001".into();
    t.id = "test-T001".into();
    t.token = "test".into();
    Ok(t)
}

/// `hallq devices test-print URI`: a sample ticket with status checks.
pub fn test_print(uri: &str, png: Option<&Path>) -> anyhow::Result<()> {
    let uri: DeviceUri = uri.parse()?;
    let sim = matches!(uri, DeviceUri::Sim { .. }).then(SimPrinter::new);
    let mut printer = TicketPrinter::open(&uri, sim.as_ref())?;
    let report = printer.print_ticket(&Template::default(), &sample_ticket()?).map_err(|e| {
        let fault = e.fault();
        anyhow::anyhow!("{e}\n  for staff: {}", fault.staff_message())
    })?;
    if report.status_known {
        println!(
            "printed a test ticket on {}: status ok{}",
            printer.describe(),
            if report.status.paper_near_end { ", paper near its end" } else { "" }
        );
    } else {
        println!("sent a test ticket to {} (this transport cannot read printer status)", printer.describe());
    }
    if let (Some(sim), Some(png)) = (sim, png) {
        let printed = sim.printed();
        let ticket = printed.first().context("the simulator printed nothing")?;
        ticket.save_png(png).with_context(|| format!("writing {}", png.display()))?;
        println!("simulated ticket drawn to {}", png.display());
    }
    Ok(())
}

/// `hallq escpos render FILE -o PNG`: draws an ESC/POS byte file as the simulator prints it.
pub fn render(file: &Path, out: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let pages = hallq_drivers::printer::sim::render(&bytes).with_context(|| format!("{} is not whole ESC/POS", file.display()))?;
    if pages.is_empty() {
        bail!("{} prints nothing", file.display());
    }
    for (i, p) in pages.iter().enumerate() {
        let path = if pages.len() == 1 {
            out.to_path_buf()
        } else {
            let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("ticket");
            out.with_file_name(format!("{stem}-{}.png", i + 1))
        };
        p.save_png(&path).with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{}: {}x{} dots{}",
            path.display(),
            p.image.width(),
            p.image.height(),
            if p.complete { "" } else { " (no cut at the end)" }
        );
    }
    Ok(())
}

fn show_identity(id: &Identity) {
    println!("card type:   {}", id.kind.label_zh());
    println!("name:        {}", id.masked_name());
    println!("ID number:   {}", id.masked_id());
    println!("gender:      {}", id.gender.label_zh());
    if let Some(b) = id.birth {
        println!("birth:       {}", b.format("%Y-%m"));
    }
    match id.valid_until {
        Some(hallq_drivers::idcard::card::ValidUntil::LongTerm) => println!("valid until: 长期"),
        Some(hallq_drivers::idcard::card::ValidUntil::Date(d)) => {
            let expired = id.expired_on(chrono::Local::now().date_naive());
            println!("valid until: {d}{}", if expired { " (EXPIRED)" } else { "" });
        }
        None => println!("valid until: (not on the card)"),
    }
    println!("photo:       {} bytes (WLT, not decoded)", id.photo.len());
}

/// `hallq idcard read URI`: waits for a card and prints the masked identity.
pub fn idcard_read(uri: &str, wait: Duration) -> anyhow::Result<()> {
    let (uri, _sim) = if uri == "sim://idcard" {
        let sim = SimReader::start().context("starting the simulated reader")?;
        sim.place(Identity::sample(CardKind::Resident));
        (sim.uri(), Some(sim))
    } else {
        (uri.to_string(), None)
    };
    let parsed: DeviceUri = uri.parse()?;
    let mut reader = IdReader::new(transport::open(&parsed)?);
    reader.sam_status().map_err(|e| anyhow::anyhow!("{}", e.staff_message()))?;
    println!("reader {} ready (SAM {}); place a card…", reader.describe(), reader.sam_id().unwrap_or_else(|_| "?".into()));
    match reader.read_card(wait).map_err(|e| anyhow::anyhow!("{e}\n  for staff: {}", e.staff_message()))? {
        Some(id) => {
            show_identity(&id);
            Ok(())
        }
        None => bail!("no card placed within {} s", wait.as_secs()),
    }
}

/// `hallq scan URI -o out.pdf`.
pub fn scan(uri: &str, out: &Path, feeder: bool, color: bool, resolution: u32) -> anyhow::Result<()> {
    let device = match uri.parse::<DeviceUri>()? {
        DeviceUri::Sane { device } => device,
        other => bail!("{other} is not a scanner address; use sane:DEVICE (see `hallq devices`)"),
    };
    let opts = ScanOptions {
        source: if feeder { Source::Feeder } else { Source::Flatbed },
        mode: if color { ColorMode::Color } else { ColorMode::Gray },
        resolution,
        ..ScanOptions::default()
    };
    let n = scanner::scan_to_pdf(&device, &opts, out, |p| match p {
        scanner::Progress::PageStarted(n) => eprintln!("scanning page {n}…"),
        scanner::Progress::PageDone(n) => eprintln!("page {n} done"),
    })?;
    println!("{}: {n} page(s)", out.display());
    Ok(())
}

/// `hallq print-doc URI FILE`: prints a PDF on an IPP printer and follows the job.
pub fn print_doc(uri: &str, file: &Path) -> anyhow::Result<()> {
    let printer = hallq_drivers::a4::A4Printer::new(uri)?;
    let pdf = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if !pdf.starts_with(b"%PDF-") {
        bail!("{} is not a PDF", file.display());
    }
    let title = file.file_name().and_then(|n| n.to_str()).unwrap_or("document");
    let job = printer.print_pdf(pdf, title).map_err(|e| match &e {
        hallq_drivers::a4::A4Error::NotReady(c) => anyhow::anyhow!("{e}\n  for staff: {}", c.staff_message()),
        _ => e.into(),
    })?;
    println!("job {job} sent to {uri}");
    printer.wait(job, Duration::from_secs(120), |p| eprintln!("job {job}: {p:?}"))?;
    println!("job {job} completed");
    Ok(())
}
