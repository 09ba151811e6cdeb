//! Device addresses as URIs: `usb://VID:PID`, `serial:///dev/ttyUSB0?baud=115200`,
//! `tcp://HOST:9100`, `file:///dev/usb/lp0`, `sane:DEVICE`, `ipp://HOST:631/printers/NAME`
//! and `sim://NAME` for the built-in simulators.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a device is, parsed from the address in the configuration or on the command line
/// (`"usb://0519:2013".parse()`); `Display` writes it back in the same form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceUri {
    /// `usb://VID:PID`: a USB device by its vendor and product ids (hex), opened through
    /// libusb (bulk endpoints).
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
    },
    /// `serial:///dev/ttyUSB0?baud=115200`: a serial port (8N1).
    Serial {
        /// The port's device file.
        path: PathBuf,
        /// Bits per second (115200 when not given).
        baud: u32,
    },
    /// `tcp://HOST:PORT`: a network device, such as a printer's raw port 9100.
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port (9100 when not given).
        port: u16,
    },
    /// `file:///dev/usb/lp0`: a device file (the kernel's usblp), or an ordinary file to
    /// capture the bytes.
    File {
        /// The file's path.
        path: PathBuf,
    },
    /// `sane:DEVICE`: a scanner as SANE names it (`scanimage -L`).
    Sane {
        /// The SANE device name, such as `fujitsu:fi-7160:123`.
        device: String,
    },
    /// `ipp://HOST:631/printers/NAME` (or `ipps://`, `http://`, `https://`): an A4 printer
    /// through CUPS (IPP).
    Ipp {
        /// The printer's URL as given.
        url: String,
    },
    /// `sim://NAME`: one of the built-in simulators instead of hardware.
    Sim {
        /// The simulator's name (for the printer, where it draws its tickets).
        name: String,
    },
}

/// An address that is not one of the forms above; the message lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad device address \"{uri}\": {reason}. Forms: usb://VID:PID, serial:///dev/ttyUSB0?baud=115200, tcp://HOST:9100, file:///dev/usb/lp0, sane:DEVICE, ipp://HOST:631/printers/NAME, sim://NAME")]
pub struct UriError {
    /// The address as given.
    pub uri: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for DeviceUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<DeviceUri, UriError> {
        let err = |reason: &str| UriError { uri: s.to_string(), reason: reason.to_string() };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        match scheme {
            "usb" => {
                let ids = rest.strip_prefix("//").ok_or_else(|| err("expected usb://VID:PID"))?;
                let (v, p) = ids.split_once(':').ok_or_else(|| err("expected usb://VID:PID"))?;
                let hex = |x: &str| u16::from_str_radix(x.trim_start_matches("0x"), 16).map_err(|_| err("VID and PID are 4 hex digits"));
                Ok(DeviceUri::Usb { vid: hex(v)?, pid: hex(p)? })
            }
            "serial" => {
                let path = rest.strip_prefix("//").ok_or_else(|| err("expected serial:///dev/ttyX"))?;
                let (path, query) = path.split_once('?').unwrap_or((path, ""));
                if !path.starts_with('/') {
                    return Err(err("the serial port path must be absolute"));
                }
                let mut baud = 115_200;
                for kv in query.split('&').filter(|kv| !kv.is_empty()) {
                    match kv.split_once('=') {
                        Some(("baud", b)) => baud = b.parse().map_err(|_| err("baud must be a number"))?,
                        _ => return Err(err("the only option is baud=N")),
                    }
                }
                Ok(DeviceUri::Serial { path: path.into(), baud })
            }
            "tcp" => {
                let hp = rest.strip_prefix("//").ok_or_else(|| err("expected tcp://HOST:PORT"))?.trim_end_matches('/');
                let (host, port) = match hp.rsplit_once(':') {
                    Some((h, p)) => (h, p.parse().map_err(|_| err("port must be a number"))?),
                    None => (hp, 9100),
                };
                if host.is_empty() {
                    return Err(err("no host"));
                }
                Ok(DeviceUri::Tcp { host: host.to_string(), port })
            }
            "file" => {
                let path = rest.strip_prefix("//").ok_or_else(|| err("expected file:///path"))?;
                if !path.starts_with('/') {
                    return Err(err("the file path must be absolute"));
                }
                Ok(DeviceUri::File { path: path.into() })
            }
            "sane" => {
                if rest.is_empty() {
                    return Err(err("no SANE device name (see `scanimage -L`)"));
                }
                Ok(DeviceUri::Sane { device: rest.to_string() })
            }
            "ipp" | "ipps" | "http" | "https" => Ok(DeviceUri::Ipp { url: s.to_string() }),
            "sim" => {
                let name = rest.trim_start_matches("//");
                if name.is_empty() {
                    return Err(err("no simulator name"));
                }
                Ok(DeviceUri::Sim { name: name.to_string() })
            }
            _ => Err(err("unknown scheme")),
        }
    }
}

impl fmt::Display for DeviceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceUri::Usb { vid, pid } => write!(f, "usb://{vid:04x}:{pid:04x}"),
            DeviceUri::Serial { path, baud } => write!(f, "serial://{}?baud={baud}", path.display()),
            DeviceUri::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            DeviceUri::File { path } => write!(f, "file://{}", path.display()),
            DeviceUri::Sane { device } => write!(f, "sane:{device}"),
            DeviceUri::Ipp { url } => write!(f, "{url}"),
            DeviceUri::Sim { name } => write!(f, "sim://{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_brief_parses_and_prints_back() {
        for s in [
            "usb://0483:5743",
            "serial:///dev/ttyUSB0?baud=115200",
            "tcp://192.168.1.50:9100",
            "file:///dev/usb/lp0",
            "sane:test:0",
            "ipp://localhost:631/printers/PDF",
            "sim://printer",
        ] {
            let u: DeviceUri = s.parse().unwrap();
            assert_eq!(u.to_string(), s);
        }
        assert_eq!("serial:///dev/ttyS1".parse::<DeviceUri>().unwrap(), DeviceUri::Serial { path: "/dev/ttyS1".into(), baud: 115_200 });
        assert_eq!("tcp://printer".parse::<DeviceUri>().unwrap(), DeviceUri::Tcp { host: "printer".into(), port: 9100 });
    }

    #[test]
    fn bad_addresses_say_what_forms_exist() {
        for s in ["printer", "usb://zz:1", "serial://dev/tty", "tcp://:9100", "ftp://x", "sane:"] {
            let e = s.parse::<DeviceUri>().unwrap_err();
            assert!(e.to_string().contains("usb://VID:PID"), "{e}");
        }
    }
}
