//! A simulated ID-card reader on a real pseudo-terminal: the driver opens the slave side
//! as a serial port (`serial:///dev/pts/N`) and the simulator answers GA/T 467 frames on
//! the master side. Tests place and lift cards, inject status words and checksum errors,
//! and unplug the reader.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::card::{self, Identity};
use super::frame::{self, Reply};

#[derive(Default)]
struct State {
    card: Option<Identity>,
    /// The SW3 of the next reply, overriding the normal answer.
    next_sw3: Option<u8>,
    /// The next reply's checksum is wrong.
    corrupt_next: bool,
    sam_fault: bool,
    /// Commands seen, for tests: (cmd, para).
    seen: Vec<(u8, u8)>,
}

/// A handle to a running simulated reader.
#[derive(Clone)]
pub struct SimReader {
    state: Arc<Mutex<State>>,
    path: String,
    unplug: Arc<AtomicBool>,
}

impl SimReader {
    /// Starts the simulator on a new pseudo-terminal pair.
    pub fn start() -> std::io::Result<SimReader> {
        let (mut master, slave) = serialport::TTYPort::pair().map_err(|e| std::io::Error::other(e.description))?;
        let path = slave.name().ok_or_else(|| std::io::Error::other("pseudo-terminal without a name"))?;
        // The slave stays open here until the driver opens it by name, so early writes
        // from the driver are not lost; dropping it afterwards is harmless.
        let state = Arc::new(Mutex::new(State::default()));
        let unplug = Arc::new(AtomicBool::new(false));
        let (st, un) = (state.clone(), unplug.clone());
        use serialport::SerialPort;
        master.set_timeout(Duration::from_millis(20)).ok();
        std::thread::Builder::new().name("sim-idreader".into()).spawn(move || {
            let _slave = slave;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 512];
            while !un.load(Ordering::Relaxed) {
                match master.read(&mut chunk) {
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
                loop {
                    match frame::parse(&buf) {
                        Ok(Some((payload, used))) => {
                            buf.drain(..used);
                            let reply = answer(&st, &payload);
                            let _ = master.write_all(&reply);
                            let _ = master.flush();
                        }
                        Ok(None) => break,
                        Err(_) => {
                            // A broken command frame: answer "checksum error" as readers do.
                            buf.clear();
                            let _ = master.write_all(&Reply { sw: [0, 0, 0x10], data: vec![] }.to_frame());
                            break;
                        }
                    }
                }
            }
            // Dropping the master hangs up the slave side: the driver sees EIO.
        })?;
        Ok(SimReader { state, path, unplug })
    }

    /// The serial address the driver opens.
    pub fn uri(&self) -> String {
        format!("serial://{}?baud=115200", self.path)
    }

    /// The pseudo-terminal's device file.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `card` on the reader: the next find answers "found".
    pub fn place(&self, card: Identity) {
        self.lock().card = Some(card);
    }

    /// Takes the card away.
    pub fn lift(&self) {
        self.lock().card = None;
    }

    /// Answers the next command with this SW3 status instead (such as 0x41, read failed).
    pub fn fail_next_with(&self, sw3: u8) {
        self.lock().next_sw3 = Some(sw3);
    }

    /// Breaks the checksum of the next reply.
    pub fn corrupt_next_reply(&self) {
        self.lock().corrupt_next = true;
    }

    /// Makes the security module fail (SW3 0x60 to status and reset) until cleared.
    pub fn set_sam_fault(&self, fault: bool) {
        self.lock().sam_fault = fault;
    }

    /// How many times a command was seen.
    pub fn count(&self, cmd: (u8, u8)) -> usize {
        self.lock().seen.iter().filter(|c| **c == cmd).count()
    }

    /// Pulls the reader's cable: the simulator closes its side of the terminal.
    pub fn unplug(&self) {
        self.unplug.store(true, Ordering::Relaxed);
    }
}

fn answer(state: &Mutex<State>, payload: &[u8]) -> Vec<u8> {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let cmd = (payload.first().copied().unwrap_or(0), payload.get(1).copied().unwrap_or(0));
    s.seen.push(cmd);
    let ok = |data: Vec<u8>| Reply { sw: [0, 0, 0x90], data };
    let mut reply = match cmd {
        super::RESET_SAM | super::SAM_STATUS if s.sam_fault => Reply { sw: [0, 0, 0x60], data: vec![] },
        super::RESET_SAM | super::SAM_STATUS => ok(vec![]),
        super::SAM_ID => ok(vec![0x05, 0x01, 0x20, 0x26, 0x11, 0x27, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00]),
        super::FIND => match s.card {
            Some(_) => Reply { sw: [0, 0, 0x9F], data: vec![0, 0, 0, 0] },
            None => Reply { sw: [0, 0, 0x80], data: vec![] },
        },
        super::SELECT => match s.card {
            Some(_) => ok(vec![0; 8]),
            None => Reply { sw: [0, 0, 0x81], data: vec![] },
        },
        super::READ => match &s.card {
            Some(id) => {
                let mut data = vec![0x01, 0x00, 0x04, 0x00];
                data.extend_from_slice(&card::encode(id));
                let mut photo = id.photo.clone();
                photo.resize(card::PHOTO_LEN, 0);
                data.extend_from_slice(&photo);
                ok(data)
            }
            None => Reply { sw: [0, 0, 0x41], data: vec![] },
        },
        _ => Reply { sw: [0, 0, 0x21], data: vec![] },
    };
    if let Some(sw3) = s.next_sw3.take() {
        reply = Reply { sw: [0, 0, sw3], data: vec![] };
    }
    let mut bytes = reply.to_frame();
    if std::mem::take(&mut s.corrupt_next) {
        *bytes.last_mut().expect("frames are not empty") ^= 0x5A;
    }
    bytes
}
