//! The A4 printer's deadlines against fake IPP servers on loopback: one that accepts and
//! never answers, one that sends the HTTP head and then nothing, and a printer whose job
//! never finishes. Each is reported within its deadline, the stuck job is cancelled, and
//! the same printer works once the server answers again. No cupsd needed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallq_drivers::a4::{A4Error, A4Printer, JobProgress, PrinterCondition};
use ipp::prelude::*;

/// How the fake server behaves now.
const SILENT: u8 = 0;
const HEAD_ONLY: u8 = 1;
const ANSWERS: u8 = 2;

struct FakeIpp {
    uri: String,
    mode: Arc<AtomicU8>,
    /// The IPP operations it answered, in order.
    ops: Arc<Mutex<Vec<u16>>>,
}

impl FakeIpp {
    fn start(mode: u8) -> FakeIpp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("ipp://{}/printers/FAKE", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(mode));
        let ops: Arc<Mutex<Vec<u16>>> = Arc::default();
        let (m, o) = (mode.clone(), ops.clone());
        std::thread::spawn(move || {
            // Connections it never answers are kept open, as a hung server keeps them.
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                match m.load(Ordering::SeqCst) {
                    SILENT => held.push(stream),
                    HEAD_ONLY => {
                        let mut s = stream;
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: 500\r\n\r\n");
                        held.push(s);
                    }
                    _ => {
                        let o = o.clone();
                        std::thread::spawn(move || answer(stream, &o));
                    }
                }
            }
        });
        FakeIpp { uri, mode, ops }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn ops(&self) -> Vec<u16> {
        self.ops.lock().unwrap().clone()
    }
}

const PRINT_JOB: u16 = 0x0002;
const CANCEL_JOB: u16 = 0x0008;
const GET_JOB_ATTRIBUTES: u16 = 0x0009;
const GET_PRINTER_ATTRIBUTES: u16 = 0x000B;

/// Reads one HTTP request (Content-Length or chunked) and returns its body.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
        if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body).ok()?;
    }
    Some(body)
}

/// A printer that is ready and takes jobs, whose jobs stay "processing" for ever.
fn answer(stream: TcpStream, ops: &Mutex<Vec<u16>>) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    while let Some(body) = read_request(&mut r) {
        if body.len() < 8 {
            return;
        }
        let op = u16::from_be_bytes([body[2], body[3]]);
        let id = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
        ops.lock().unwrap().push(op);
        let mut resp = IppRequestResponse::new_response(IppVersion::v1_1(), StatusCode::SuccessfulOk, id);
        let attrs = resp.attributes_mut();
        match op {
            GET_PRINTER_ATTRIBUTES => {
                attrs.add(DelimiterTag::PrinterAttributes, IppAttribute::new("printer-state", IppValue::Enum(3)));
                attrs.add(DelimiterTag::PrinterAttributes, IppAttribute::new("printer-state-reasons", IppValue::Keyword("none".into())));
                attrs.add(DelimiterTag::PrinterAttributes, IppAttribute::new("printer-is-accepting-jobs", IppValue::Boolean(true)));
            }
            PRINT_JOB => attrs.add(DelimiterTag::JobAttributes, IppAttribute::new("job-id", IppValue::Integer(7))),
            GET_JOB_ATTRIBUTES => attrs.add(DelimiterTag::JobAttributes, IppAttribute::new("job-state", IppValue::Enum(5))),
            _ => {}
        }
        let bytes = resp.to_bytes();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n", bytes.len());
        if w.write_all(head.as_bytes()).and_then(|_| w.write_all(&bytes)).is_err() {
            return;
        }
    }
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n% a result\n".to_vec()
}

fn quick(uri: &str) -> A4Printer {
    A4Printer::new(uri).unwrap().with_timeouts(Duration::from_millis(800), Duration::from_secs(2))
}

#[test]
fn a_print_server_that_never_answers_is_reported_within_the_request_deadline_and_works_again() {
    let fake = FakeIpp::start(SILENT);
    let printer = quick(&fake.uri);
    let started = Instant::now();
    let e = printer.condition().unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, A4Error::NoAnswer { secs: 1, .. }), "{e:?}");
    assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(3), "reported after {took:?}");
    assert!(e.to_string().starts_with("打印服务（ipp://127.0.0.1:"), "{e}");
    assert!(e.to_string().ends_with("1 秒无响应，请联系工作人员"), "{e}");
    // Sending a document: the same.
    let started = Instant::now();
    assert!(matches!(printer.print_pdf(pdf(), "营业执照"), Err(A4Error::NoAnswer { .. })));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // The server answers again: so does the printer, without being opened again.
    fake.set(ANSWERS);
    assert_eq!(printer.condition().unwrap(), PrinterCondition::Ready);
}

#[test]
fn a_server_that_sends_the_head_and_then_nothing_is_reported_too() {
    let fake = FakeIpp::start(HEAD_ONLY);
    let printer = quick(&fake.uri);
    let started = Instant::now();
    let e = printer.condition().unwrap_err();
    assert!(matches!(e, A4Error::NoAnswer { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[test]
fn a_job_that_never_finishes_is_cancelled_at_its_deadline() {
    let fake = FakeIpp::start(ANSWERS);
    let printer = quick(&fake.uri);
    let job = printer.print_pdf(pdf(), "营业执照").unwrap();
    assert_eq!(job, 7);
    let started = Instant::now();
    let mut seen = Vec::new();
    let e = printer.wait(job, Duration::from_millis(1500), |p| seen.push(p)).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, A4Error::Timeout), "{e:?}");
    assert_eq!(e.to_string(), "打印超时，请联系工作人员");
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_secs(3), "reported after {took:?}");
    assert_eq!(seen, vec![JobProgress::Processing]);
    let ops = fake.ops();
    assert_eq!(ops.last(), Some(&CANCEL_JOB), "the stuck job is cancelled: {ops:x?}");
    assert!(ops.iter().filter(|o| **o == GET_JOB_ATTRIBUTES).count() >= 3, "followed: {ops:x?}");
}

#[test]
fn a_server_that_stops_answering_while_a_job_is_followed_ends_by_the_job_deadline() {
    let fake = FakeIpp::start(ANSWERS);
    // A long request deadline: the job's own deadline must cut the last request short.
    let printer = A4Printer::new(&fake.uri).unwrap().with_timeouts(Duration::from_secs(30), Duration::from_secs(30));
    let job = printer.print_pdf(pdf(), "x").unwrap();
    fake.set(SILENT);
    let started = Instant::now();
    // The connection the client keeps alive may still answer one request; new ones hang.
    let e = printer.wait(job, Duration::from_millis(1200), |_| {}).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, A4Error::Timeout | A4Error::NoAnswer { .. }), "{e:?}");
    assert!(took < Duration::from_secs(3), "reported after {took:?}");
}
