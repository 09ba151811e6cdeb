//! Hardware-in-the-loop tests, kept apart from CI: they run only when HALLQ_HIL names a
//! directory of device descriptions (see drivers/hil/README.md), one TOML file a device.

use std::time::Duration;

use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::TicketPrinter;
use hallq_drivers::{a4, idcard, scanner, transport, DeviceUri};

#[derive(serde::Deserialize)]
struct Device {
    kind: String,
    uri: String,
    #[serde(default)]
    print: bool,
    #[serde(default)]
    wait_for_card_secs: u64,
    #[serde(default)]
    feeder: bool,
}

fn check(name: &str, d: &Device) -> Result<(), String> {
    match d.kind.as_str() {
        "ticket-printer" => {
            let uri: DeviceUri = d.uri.parse().map_err(|e| format!("{e}"))?;
            let mut p = TicketPrinter::open(&uri, None).map_err(|e| e.to_string())?;
            let status = p.status().map_err(|e| e.to_string())?.ok_or("this transport cannot read status")?;
            if let Some(f) = status.fault() {
                return Err(f.staff_message().into());
            }
            if d.print {
                let model = TicketModel {
                    hall_name: "HIL".into(),
                    number: "H001".into(),
                    id: "hil".into(),
                    service: "硬件测试".into(),
                    ..Default::default()
                };
                p.print_ticket(&Template::default(), &model).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        "idcard-reader" => {
            let uri: DeviceUri = d.uri.parse().map_err(|e| format!("{e}"))?;
            let mut r = idcard::IdReader::new(transport::open(&uri).map_err(|e| e.to_string())?);
            r.sam_status().map_err(|e| e.staff_message())?;
            if d.wait_for_card_secs > 0 {
                eprintln!("{name}: place a card on the reader…");
                let id = r.read_card(Duration::from_secs(d.wait_for_card_secs)).map_err(|e| e.staff_message())?.ok_or("no card placed")?;
                eprintln!("{name}: read {} {}", id.kind.label_zh(), id.masked_id());
            }
            Ok(())
        }
        "scanner" => {
            let device = d.uri.strip_prefix("sane:").ok_or("scanner uri must be sane:DEVICE")?;
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let opts = scanner::ScanOptions {
                source: if d.feeder { scanner::Source::Feeder } else { scanner::Source::Flatbed },
                max_pages: 1,
                ..Default::default()
            };
            scanner::scan(device, &opts, dir.path(), |_| {}).map_err(|e| e.to_string())?;
            Ok(())
        }
        "a4-printer" => {
            let p = a4::A4Printer::new(&d.uri).map_err(|e| e.to_string())?;
            match p.condition().map_err(|e| e.to_string())? {
                a4::PrinterCondition::Ready => {}
                c => return Err(c.staff_message()),
            }
            if d.print {
                let pdf = hallq_drivers::pdf::images_to_pdf(&[image::DynamicImage::new_luma8(200, 283)], 24).map_err(|e| e.to_string())?;
                let job = p.print_pdf(pdf, "hallq HIL").map_err(|e| e.to_string())?;
                p.wait(job, Duration::from_secs(120), |_| {}).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        other => Err(format!("unknown kind {other:?} (ticket-printer, idcard-reader, scanner, a4-printer)")),
    }
}

#[test]
fn hardware_in_the_loop() {
    let Some(dir) = std::env::var_os("HALLQ_HIL") else {
        eprintln!("HALLQ_HIL is not set: no hardware on this machine, nothing to test");
        return;
    };
    let mut failures = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("HALLQ_HIL directory") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        n += 1;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let device: Device = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        match check(&name, &device) {
            Ok(()) => eprintln!("{name}: ok"),
            Err(e) => failures.push(format!("{name} ({}): {e}", device.uri)),
        }
    }
    assert!(n > 0, "HALLQ_HIL has no *.toml device descriptions");
    assert!(failures.is_empty(), "hardware failures:\n{}", failures.join("\n"));
}
