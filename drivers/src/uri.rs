//! Device addresses as URIs: `usb://VID:PID`, `serial:///dev/ttyUSB0?baud=115200`,
//! `tcp://HOST:9100`, `file:///dev/usb/lp0`, `sane:DEVICE`, `ipp://HOST:631/printers/NAME`
//! and `sim://NAME` for the built-in simulators.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceUri {
    Usb { vid: u16, pid: u16 },
    Serial { path: PathBuf, baud: u32 },
    Tcp { host: String, port: u16 },
    File { path: PathBuf },
    Sane { device: String },
    Ipp { url: String },
    Sim { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad device address \"{uri}\": {reason}. Forms: usb://VID:PID, serial:///dev/ttyUSB0?baud=115200, tcp://HOST:9100, file:///dev/usb/lp0, sane:DEVICE, ipp://HOST:631/printers/NAME, sim://NAME")]
pub struct UriError {
    pub uri: String,
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
