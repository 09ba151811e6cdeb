//! `hallq devices`: what could be a kiosk device on this machine (USB devices, serial
//! ports, usblp device files, SANE scanners, CUPS queues), and whether this user may open
//! each one, naming the udev rule that fixes it when not.

use std::path::Path;

/// The udev rules shipped for kiosks.
pub const UDEV_RULES: &str = "deploy/udev/99-hallq.rules";

/// Whether this user may use a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Readable and writable by this user.
    Ok,
    /// Not readable and writable by this user: what to do about it.
    Denied(String),
    /// Could not be checked (no device file, or a network service).
    Unchecked,
}

/// A device that could be a kiosk's, as `hallq devices` lists it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// "usb", "serial", "lp", "scanner", "a4".
    pub kind: &'static str,
    /// Its address in the form the configuration takes (`usb://0519:2013`, `sane:…`).
    pub uri: String,
    /// What it is, for the installer (the USB product, the SANE model, the CUPS queue).
    pub description: String,
    /// Whether this user may open it, and if not what to do.
    pub access: Access,
}

/// Whether this process may read and write `path`.
pub fn check_access(path: &Path, group: &str) -> Access {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else { return Access::Unchecked };
    // SAFETY: `c` is a valid NUL-terminated path; access(2) only reads it.
    let r = unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) };
    if r == 0 {
        Access::Ok
    } else if std::io::Error::last_os_error().kind() == std::io::ErrorKind::NotFound {
        Access::Unchecked
    } else {
        Access::Denied(format!(
            "no read/write permission on {}: install {UDEV_RULES} and add the service user to group {group}",
            path.display()
        ))
    }
}

fn usb_devices() -> Vec<Candidate> {
    use rusb::UsbContext;
    // Where libusb cannot start (no /dev/bus/usb, as in a container) there are no USB
    // devices to list; rusb's global context would panic instead.
    let Ok(context) = rusb::Context::new() else { return Vec::new() };
    let Ok(list) = context.devices() else { return Vec::new() };
    list.iter()
        .filter_map(|d| {
            let dd = d.device_descriptor().ok()?;
            // Skip hubs (class 9).
            if dd.class_code() == 9 {
                return None;
            }
            let printer =
                d.active_config_descriptor().map(|c| c.interfaces().any(|i| i.descriptors().any(|a| a.class_code() == 7))).unwrap_or(false);
            let node = format!("/dev/bus/usb/{:03}/{:03}", d.bus_number(), d.address());
            let product = d.open().ok().and_then(|h| h.read_product_string_ascii(&dd).ok()).unwrap_or_default();
            Some(Candidate {
                kind: "usb",
                uri: format!("usb://{:04x}:{:04x}", dd.vendor_id(), dd.product_id()),
                description: format!("{}{}", if printer { "USB printer " } else { "USB device " }, product).trim().to_string(),
                access: check_access(Path::new(&node), "lp"),
            })
        })
        .collect()
}

fn serial_ports() -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Ok(ports) = serialport::available_ports() {
        for p in ports {
            out.push(Candidate {
                kind: "serial",
                uri: format!("serial://{}?baud=115200", p.port_name),
                description: format!("serial port ({:?})", p.port_type).replace("UsbPort(", "USB (").to_string(),
                access: check_access(Path::new(&p.port_name), "dialout"),
            });
        }
    }
    out
}

fn lp_files() -> Vec<Candidate> {
    let Ok(dir) = std::fs::read_dir("/dev/usb") else { return Vec::new() };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("lp"))
        .map(|e| Candidate {
            kind: "lp",
            uri: format!("file://{}", e.path().display()),
            description: "usblp printer device file".into(),
            access: check_access(&e.path(), "lp"),
        })
        .collect()
}

/// Everything found. Problems finding one kind are reported as a note, not a failure.
pub fn list(cups_server: &str) -> (Vec<Candidate>, Vec<String>) {
    let mut out = usb_devices();
    out.extend(serial_ports());
    out.extend(lp_files());
    let mut notes = Vec::new();
    match crate::scanner::list() {
        Ok(list) => out.extend(list.into_iter().map(|(name, desc)| Candidate {
            kind: "scanner",
            uri: format!("sane:{name}"),
            description: desc,
            access: Access::Unchecked,
        })),
        Err(e) => notes.push(format!("scanners: {e}")),
    }
    match crate::a4::cups_queues(cups_server) {
        Ok(list) => out.extend(list.into_iter().map(|(name, uri)| Candidate {
            kind: "a4",
            uri: format!("{}/printers/{name}", cups_server.trim_end_matches('/')),
            description: format!("CUPS queue {name} ({uri})"),
            access: Access::Unchecked,
        })),
        Err(e) => notes.push(format!("CUPS queues: {e} (is cupsd running?)")),
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_is_checked_and_the_fix_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dev");
        std::fs::write(&f, b"").unwrap();
        assert_eq!(check_access(&f, "lp"), Access::Ok);
        assert_eq!(check_access(&dir.path().join("none"), "lp"), Access::Unchecked);
        // Root may open anything, so only check the refusal as another user.
        if unsafe { libc::geteuid() } != 0 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o400)).unwrap();
            match check_access(&f, "dialout") {
                Access::Denied(msg) => assert!(msg.contains(UDEV_RULES) && msg.contains("dialout")),
                a => panic!("{a:?}"),
            }
        }
    }
}
