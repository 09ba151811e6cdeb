//! The byte stream every device protocol runs over: USB bulk endpoints, a serial port, a
//! TCP socket or a device file. Every operation has a deadline, so an unplugged device is
//! reported within about a second instead of hanging the kiosk.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::uri::DeviceUri;

/// How long a write may take before the device is reported as not answering.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to wait for a status answer.
pub const READ_TIMEOUT: Duration = Duration::from_millis(800);

/// Why a device could not be opened, written or read. The messages are for the installer or
/// staff (Chinese, saying what to check); device modules map them to their own faults.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The device file exists but this user may not open it: the udev rules or the group
    /// membership are missing.
    #[error("没有权限打开 {path}：请安装 deploy/udev/99-hallq.rules 并把服务用户加入 {group} 组 ({source})")]
    PermissionDenied {
        /// The device file.
        path: String,
        /// The group that gives access (`lp` for printers, `dialout` for serial ports).
        group: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// No such device (file, USB id or host): unplugged, switched off or misaddressed.
    #[error("找不到设备 {0}：请检查连线和电源")]
    NotFound(String),
    /// The device did not take or give bytes within the deadline.
    #[error("设备 {0} 无响应（超时）")]
    Timeout(String),
    /// The device went away while in use (unplugged, connection closed).
    #[error("设备 {device} 已断开 ({source})")]
    Disconnected {
        /// The device's address.
        device: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// Any other input/output error.
    #[error("设备 {device} 读写出错：{source}")]
    Io {
        /// The device's address.
        device: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// A libusb error (claiming the interface, finding the bulk endpoints, a transfer).
    #[error("USB error on {device}: {source}")]
    Usb {
        /// The device's address (`usb://VID:PID`).
        device: String,
        /// libusb's error.
        source: rusb::Error,
    },
    /// An address that is not a byte stream (such as `sane:` or `ipp://`).
    #[error("{0}")]
    Unsupported(String),
}

impl TransportError {
    fn from_io(device: &str, e: io::Error) -> TransportError {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::Timeout(device.into()),
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof => TransportError::Disconnected { device: device.into(), source: e },
            // EIO is what a pseudo-terminal or a USB serial adapter gives once unplugged.
            _ if e.raw_os_error() == Some(5) => TransportError::Disconnected { device: device.into(), source: e },
            _ => TransportError::Io { device: device.into(), source: e },
        }
    }
}

/// A byte stream to one device.
pub trait Transport: Send {
    /// Writes some of `data`, returning how much was taken; waits at most `timeout`.
    fn write(&mut self, data: &[u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Reads what is available within `timeout`; 0 means nothing came.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// A name for messages, such as the URI.
    fn describe(&self) -> String;

    /// Whether the device can answer status queries on this transport.
    fn can_read(&self) -> bool {
        true
    }

    /// Writes all of `data`, across partial writes, within [`WRITE_TIMEOUT`] overall.
    fn write_all(&mut self, mut data: &[u8]) -> Result<(), TransportError> {
        let deadline = Instant::now() + WRITE_TIMEOUT;
        while !data.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TransportError::Timeout(self.describe()));
            }
            let n = self.write(data, left)?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes or fails when `timeout` passes.
    fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        let deadline = Instant::now() + timeout;
        let mut got = 0;
        while got < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TransportError::Timeout(self.describe()));
            }
            got += self.read(&mut buf[got..], left)?;
        }
        Ok(())
    }

    /// Throws away whatever the device sent that nobody asked for.
    fn drain(&mut self) -> Result<(), TransportError> {
        let mut buf = [0u8; 256];
        while self.can_read() && self.read(&mut buf, Duration::from_millis(5))? > 0 {}
        Ok(())
    }
}

fn open_error(path: &Path, e: io::Error, group: &'static str) -> TransportError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => TransportError::PermissionDenied { path: path.display().to_string(), group, source: e },
        io::ErrorKind::NotFound => TransportError::NotFound(path.display().to_string()),
        _ => TransportError::Io { device: path.display().to_string(), source: e },
    }
}

/// TCP, such as a network printer's raw port 9100.
pub struct TcpTransport {
    stream: TcpStream,
    name: String,
}

impl TcpTransport {
    /// Connects to `host:port` within a second (refused or silent: `NotFound`); each write
    /// and read then has its own deadline.
    pub fn connect(host: &str, port: u16) -> Result<TcpTransport, TransportError> {
        let name = format!("tcp://{host}:{port}");
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| TransportError::Io { device: name.clone(), source: e })?
            .next()
            .ok_or_else(|| TransportError::NotFound(name.clone()))?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::TimedOut => TransportError::NotFound(name.clone()),
            _ => TransportError::from_io(&name, e),
        })?;
        stream.set_nodelay(true).ok();
        Ok(TcpTransport { stream, name })
    }
}

impl Transport for TcpTransport {
    fn write(&mut self, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.stream.set_write_timeout(Some(timeout.max(Duration::from_millis(1)))).ok();
        self.stream.write(data).map_err(|e| TransportError::from_io(&self.name, e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))).ok();
        match self.stream.read(buf) {
            Ok(0) => Err(TransportError::Disconnected { device: self.name.clone(), source: io::ErrorKind::UnexpectedEof.into() }),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(TransportError::from_io(&self.name, e)),
        }
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A serial port (RS-232, USB serial adapter, or a pseudo-terminal in tests).
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    name: String,
}

impl SerialTransport {
    /// Opens the serial port at `baud`, 8N1, without flow control.
    pub fn open(path: &Path, baud: u32) -> Result<SerialTransport, TransportError> {
        let name = format!("serial://{}", path.display());
        let port = serialport::new(path.to_string_lossy(), baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(READ_TIMEOUT)
            .open()
            .map_err(|e| match e.kind() {
                serialport::ErrorKind::NoDevice => TransportError::NotFound(path.display().to_string()),
                serialport::ErrorKind::Io(kind) => open_error(path, io::Error::new(kind, e.description.clone()), "dialout"),
                _ => TransportError::Io { device: name.clone(), source: io::Error::other(e.description.clone()) },
            })?;
        Ok(SerialTransport { port, name })
    }
}

impl Transport for SerialTransport {
    fn write(&mut self, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).ok();
        let n = self.port.write(data).map_err(|e| TransportError::from_io(&self.name, e))?;
        self.port.flush().map_err(|e| TransportError::from_io(&self.name, e))?;
        Ok(n)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).ok();
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(TransportError::from_io(&self.name, e)),
        }
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A device file such as /dev/usb/lp0. The usblp driver rarely passes status replies
/// back, so status is not read on this transport.
pub struct FileTransport {
    file: std::fs::File,
    name: String,
}

impl FileTransport {
    /// Opens a device file for appending (write only: status cannot be read back). A path
    /// outside `/dev` is created if missing, for capturing the bytes.
    pub fn open(path: &Path) -> Result<FileTransport, TransportError> {
        // A device file must exist; an ordinary file (for capturing bytes) is created.
        let create = !path.starts_with("/dev");
        let file = OpenOptions::new().append(true).create(create).open(path).map_err(|e| open_error(path, e, "lp"))?;
        Ok(FileTransport { file, name: format!("file://{}", path.display()) })
    }
}

impl Transport for FileTransport {
    fn write(&mut self, data: &[u8], _timeout: Duration) -> Result<usize, TransportError> {
        self.file.write(data).map_err(|e| TransportError::from_io(&self.name, e))
    }

    fn read(&mut self, _buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        Ok(0)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }

    fn can_read(&self) -> bool {
        false
    }
}

/// A USB printer found by VID:PID: bulk OUT for data, bulk IN for status.
pub struct UsbTransport {
    handle: rusb::DeviceHandle<rusb::GlobalContext>,
    out_ep: u8,
    in_ep: Option<u8>,
    name: String,
}

impl UsbTransport {
    /// Opens the first USB device with these ids and claims its first interface with a bulk
    /// OUT endpoint (bulk IN for status when it has one), detaching a kernel driver such as
    /// usblp. `Unsupported` when it has none: not a printer.
    pub fn open(vid: u16, pid: u16) -> Result<UsbTransport, TransportError> {
        let name = format!("usb://{vid:04x}:{pid:04x}");
        let usb = |source| TransportError::Usb { device: name.clone(), source };
        let device = rusb::devices()
            .map_err(usb)?
            .iter()
            .find(|d| d.device_descriptor().map(|dd| dd.vendor_id() == vid && dd.product_id() == pid).unwrap_or(false))
            .ok_or_else(|| TransportError::NotFound(name.clone()))?;
        let config = device.active_config_descriptor().map_err(usb)?;
        let mut found = None;
        for interface in config.interfaces() {
            for alt in interface.descriptors() {
                let mut out_ep = None;
                let mut in_ep = None;
                for ep in alt.endpoint_descriptors() {
                    if ep.transfer_type() == rusb::TransferType::Bulk {
                        match ep.direction() {
                            rusb::Direction::Out => out_ep = out_ep.or(Some(ep.address())),
                            rusb::Direction::In => in_ep = in_ep.or(Some(ep.address())),
                        }
                    }
                }
                if let Some(o) = out_ep {
                    found = Some((alt.interface_number(), o, in_ep));
                    break;
                }
            }
            if found.is_some() {
                break;
            }
        }
        let (iface, out_ep, in_ep) =
            found.ok_or_else(|| TransportError::Unsupported(format!("{name} has no bulk OUT endpoint: is it a printer?")))?;
        let handle = device.open().map_err(|e| match e {
            rusb::Error::Access => TransportError::PermissionDenied {
                path: format!("USB device {vid:04x}:{pid:04x} (bus {} address {})", device.bus_number(), device.address()),
                group: "lp",
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            },
            e => usb(e),
        })?;
        handle.set_auto_detach_kernel_driver(true).ok();
        handle.claim_interface(iface).map_err(usb)?;
        Ok(UsbTransport { handle, out_ep, in_ep, name })
    }
}

impl Transport for UsbTransport {
    fn write(&mut self, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        match self.handle.write_bulk(self.out_ep, data, timeout) {
            Ok(n) => Ok(n),
            Err(rusb::Error::Timeout) => Err(TransportError::Timeout(self.name.clone())),
            Err(rusb::Error::NoDevice) => {
                Err(TransportError::Disconnected { device: self.name.clone(), source: io::ErrorKind::NotConnected.into() })
            }
            Err(e) => Err(TransportError::Usb { device: self.name.clone(), source: e }),
        }
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let Some(ep) = self.in_ep else { return Ok(0) };
        match self.handle.read_bulk(ep, buf, timeout) {
            Ok(n) => Ok(n),
            Err(rusb::Error::Timeout) => Ok(0),
            Err(rusb::Error::NoDevice) => {
                Err(TransportError::Disconnected { device: self.name.clone(), source: io::ErrorKind::NotConnected.into() })
            }
            Err(e) => Err(TransportError::Usb { device: self.name.clone(), source: e }),
        }
    }

    fn describe(&self) -> String {
        self.name.clone()
    }

    fn can_read(&self) -> bool {
        self.in_ep.is_some()
    }
}

/// Opens the transport for a byte-stream device address (not sane:, ipp: or sim:).
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Transport>, TransportError> {
    Ok(match uri {
        DeviceUri::Usb { vid, pid } => Box::new(UsbTransport::open(*vid, *pid)?),
        DeviceUri::Serial { path, baud } => Box::new(SerialTransport::open(path, *baud)?),
        DeviceUri::Tcp { host, port } => Box::new(TcpTransport::connect(host, *port)?),
        DeviceUri::File { path } => Box::new(FileTransport::open(path)?),
        other => return Err(TransportError::Unsupported(format!("{other} is not a byte-stream device"))),
    })
}

/// A scripted transport for tests: each step is what the device does next.
pub mod script {
    use super::*;
    use std::collections::VecDeque;

    /// One thing the scripted device does next.
    #[derive(Debug, Clone)]
    pub enum Step {
        /// Expect exactly these bytes to be written (possibly over several writes).
        Expect(Vec<u8>),
        /// Accept at most this many bytes on the next write.
        Partial(usize),
        /// The device sends these bytes.
        Reply(Vec<u8>),
        /// The next read gets nothing within its timeout.
        Silence,
        /// The next write blocks until its timeout.
        Stall,
        /// The device goes away.
        Unplug,
    }

    /// A [`Transport`] that plays a script of [`Step`]s and records what was written.
    pub struct Scripted {
        steps: VecDeque<Step>,
        /// Every byte written so far, in order.
        pub written: Vec<u8>,
        expected: Vec<u8>,
        log: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    }

    impl Scripted {
        /// A device that will do `steps`, in order.
        pub fn new(steps: impl IntoIterator<Item = Step>) -> Scripted {
            Scripted { steps: steps.into_iter().collect(), written: Vec::new(), expected: Vec::new(), log: Default::default() }
        }

        /// Everything written, readable after the transport has been handed over.
        pub fn log(&self) -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
            self.log.clone()
        }

        /// Panics unless every step was used.
        pub fn finish(&self) {
            assert!(self.steps.is_empty(), "script not finished: {:?}", self.steps);
            assert_eq!(self.written, self.expected, "written bytes differ from the script");
        }
    }

    impl Transport for Scripted {
        fn write(&mut self, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
            match self.steps.front().cloned() {
                Some(Step::Partial(n)) => {
                    self.steps.pop_front();
                    let n = n.min(data.len());
                    self.written.extend_from_slice(&data[..n]);
                    self.log.lock().unwrap().extend_from_slice(&data[..n]);
                    self.consume_expect();
                    Ok(n)
                }
                Some(Step::Stall) => {
                    self.steps.pop_front();
                    std::thread::sleep(timeout.min(Duration::from_millis(50)));
                    Err(TransportError::Timeout("script".into()))
                }
                Some(Step::Unplug) => {
                    Err(TransportError::Disconnected { device: "script".into(), source: io::ErrorKind::BrokenPipe.into() })
                }
                _ => {
                    self.written.extend_from_slice(data);
                    self.log.lock().unwrap().extend_from_slice(data);
                    self.consume_expect();
                    Ok(data.len())
                }
            }
        }

        fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
            self.consume_expect();
            match self.steps.front().cloned() {
                Some(Step::Reply(bytes)) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    if n == bytes.len() {
                        self.steps.pop_front();
                    } else if let Some(Step::Reply(rest)) = self.steps.front_mut() {
                        rest.drain(..n);
                    }
                    Ok(n)
                }
                Some(Step::Silence) => {
                    self.steps.pop_front();
                    Ok(0)
                }
                Some(Step::Unplug) => {
                    Err(TransportError::Disconnected { device: "script".into(), source: io::ErrorKind::BrokenPipe.into() })
                }
                _ => Ok(0),
            }
        }

        fn describe(&self) -> String {
            "script".into()
        }
    }

    impl Scripted {
        /// Moves past Expect steps that the bytes written so far satisfy.
        fn consume_expect(&mut self) {
            while let Some(Step::Expect(bytes)) = self.steps.front() {
                let want = self.expected.len() + bytes.len();
                if self.written.len() >= want {
                    let bytes = bytes.clone();
                    self.expected.extend_from_slice(&bytes);
                    self.steps.pop_front();
                } else {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::script::{Scripted, Step};
    use super::*;

    #[test]
    fn write_all_carries_on_after_partial_writes() {
        let mut t = Scripted::new([Step::Partial(3), Step::Partial(1), Step::Expect(b"hello world".to_vec())]);
        t.write_all(b"hello world").unwrap();
        t.finish();
    }

    #[test]
    fn a_stalled_device_is_a_timeout_not_a_hang() {
        let mut t = Scripted::new([Step::Stall]);
        let started = Instant::now();
        assert!(matches!(t.write_all(b"x"), Err(TransportError::Timeout(_))));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn read_exact_times_out_on_silence() {
        let mut t = Scripted::new([Step::Reply(vec![1]), Step::Silence]);
        let mut buf = [0u8; 2];
        assert!(matches!(t.read_exact(&mut buf, Duration::from_millis(30)), Err(TransportError::Timeout(_))));
    }

    #[test]
    fn a_refused_tcp_printer_is_not_found_quickly() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        assert!(matches!(TcpTransport::connect("127.0.0.1", port), Err(TransportError::NotFound(_))));
        assert!(started.elapsed() < Duration::from_millis(1500));
    }

    #[test]
    fn a_missing_device_file_is_named() {
        let e = FileTransport::open(Path::new("/dev/usb/no-such-lp9")).err().unwrap();
        assert!(e.to_string().contains("/dev/usb/no-such-lp9"), "{e}");
    }
}
