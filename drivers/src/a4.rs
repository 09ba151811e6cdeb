//! The kiosk's A4 printer, through IPP to CUPS: print a PDF, follow the job until it is
//! completed or aborted, and report the printer's state (no paper, jam, stopped) in words
//! for the visitor and for staff. Every request has a deadline, and so has following a
//! job: a print server that accepts and never answers is reported as [`A4Error::NoAnswer`]
//! within the request deadline, and a job that does not finish in time is cancelled and
//! reported as [`A4Error::Timeout`]. Tested against a real cupsd with a cups-pdf queue and
//! against fake servers that stall.

use std::io::Cursor;
use std::time::{Duration, Instant};

use ipp::prelude::*;

/// Why an A4 print did not happen or did not finish. `Display` is the visitor's message
/// (Chinese); the kiosk reports the fault to managers.
#[derive(Debug, thiserror::Error)]
pub enum A4Error {
    /// The configured address is not a URL.
    #[error("A4打印机地址无效：{0}")]
    BadUri(String),
    /// The print server could not be reached (CUPS not running, wrong host).
    #[error("无法连接打印服务（{uri}）：{reason}，请联系工作人员")]
    Unreachable {
        /// The printer's address.
        uri: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// The print server answered with an IPP error status (or without a job id).
    #[error("打印服务拒绝了请求：{0}")]
    Refused(String),
    /// The printer is not ready (checked before sending): nothing was printed.
    #[error("{}", .0.visitor_message())]
    NotReady(PrinterCondition),
    /// The job was aborted or cancelled by the printer: the reason it gave.
    #[error("打印未完成（{0}），请联系工作人员")]
    JobFailed(String),
    /// The job did not complete within its deadline and was cancelled.
    #[error("打印超时，请联系工作人员")]
    Timeout,
    /// The print server accepted the connection but did not answer in time.
    #[error("打印服务（{uri}）{secs} 秒无响应，请联系工作人员")]
    NoAnswer {
        /// The printer's address.
        uri: String,
        /// The deadline that passed, in seconds.
        secs: u64,
    },
}

/// Deadline of one IPP request (a printer's state, a job's state, a cancel): CUPS on the
/// kiosk answers in milliseconds, a network printer in well under a second.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Deadline of sending a document (Print-Job carries the whole PDF: a few MB of scanned
/// result over a slow link).
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The A4 printer's state, from IPP printer attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterCondition {
    /// Idle or printing, accepting jobs.
    Ready,
    /// Out of paper (`media-empty`).
    NoPaper,
    /// Paper jam (`media-jam`).
    Jam,
    /// A door or cover open.
    DoorOpen,
    /// Out of toner or ink.
    NoToner,
    /// The queue is stopped, with the printer-state-reasons given (`cupsenable` fixes it).
    Stopped(Vec<String>),
    /// The queue rejects jobs (`cupsaccept` fixes it).
    NotAccepting,
}

impl PrinterCondition {
    /// For the visitor at the kiosk (Chinese).
    pub fn visitor_message(&self) -> &'static str {
        match self {
            PrinterCondition::Ready => "打印机就绪",
            PrinterCondition::NoPaper => "A4打印机缺纸，请联系工作人员",
            PrinterCondition::Jam => "A4打印机卡纸，请联系工作人员",
            PrinterCondition::DoorOpen => "A4打印机盖板打开，请联系工作人员",
            PrinterCondition::NoToner => "A4打印机墨粉不足，请联系工作人员",
            PrinterCondition::Stopped(_) | PrinterCondition::NotAccepting => "A4打印机暂停服务，请联系工作人员",
        }
    }

    /// For staff and the managers' device list: what to do (English).
    pub fn staff_message(&self) -> String {
        match self {
            PrinterCondition::Ready => "ready".into(),
            PrinterCondition::NoPaper => "A4 printer out of paper: load A4 paper".into(),
            PrinterCondition::Jam => "A4 printer paper jam: clear it".into(),
            PrinterCondition::DoorOpen => "A4 printer door open: close it".into(),
            PrinterCondition::NoToner => "A4 printer out of toner: replace the cartridge".into(),
            PrinterCondition::Stopped(r) => format!("A4 print queue stopped ({}): run cupsenable on the kiosk", r.join(", ")),
            PrinterCondition::NotAccepting => "A4 print queue rejects jobs: run cupsaccept on the kiosk".into(),
        }
    }
}

/// Where a print job is, as IPP job-state says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobProgress {
    /// Queued (pending or held).
    Pending,
    /// Printing.
    Processing,
    /// Printed.
    Completed,
}

/// An IPP printer (a CUPS queue such as ipp://localhost:631/printers/PDF).
pub struct A4Printer {
    uri: Uri,
    text: String,
    request_timeout: Duration,
    submit_timeout: Duration,
}

fn http_uri(uri: &str) -> String {
    // IPP rides on HTTP: ipp:// is http:// on port 631 by default.
    if let Some(rest) = uri.strip_prefix("ipp://") {
        format!("http://{rest}")
    } else if let Some(rest) = uri.strip_prefix("ipps://") {
        format!("https://{rest}")
    } else {
        uri.to_string()
    }
}

fn keyword(v: &IppValue) -> Vec<String> {
    match v {
        IppValue::Array(items) => items.iter().flat_map(keyword).collect(),
        IppValue::Keyword(k) | IppValue::TextWithoutLanguage(k) | IppValue::NameWithoutLanguage(k) => vec![k.clone()],
        other => vec![other.to_string()],
    }
}

impl A4Printer {
    /// A printer at `uri` (`ipp://`, `ipps://`, `http://` or `https://`) with the default
    /// deadlines; nothing is contacted yet. `BadUri` when it does not parse.
    pub fn new(uri: &str) -> Result<A4Printer, A4Error> {
        let parsed: Uri = http_uri(uri).parse().map_err(|_| A4Error::BadUri(uri.to_string()))?;
        Ok(A4Printer { uri: parsed, text: uri.to_string(), request_timeout: REQUEST_TIMEOUT, submit_timeout: SUBMIT_TIMEOUT })
    }

    /// Other deadlines than [`REQUEST_TIMEOUT`] and [`SUBMIT_TIMEOUT`].
    pub fn with_timeouts(mut self, request: Duration, submit: Duration) -> A4Printer {
        self.request_timeout = request;
        self.submit_timeout = submit;
        self
    }

    fn send(&self, op: impl ipp::operation::IppOperation) -> Result<IppRequestResponse, A4Error> {
        self.send_within(op, self.request_timeout)
    }

    /// One request, answered within `limit` (connecting, sending, the whole answer) or
    /// given up as [`A4Error::NoAnswer`].
    fn send_within(&self, op: impl ipp::operation::IppOperation, limit: Duration) -> Result<IppRequestResponse, A4Error> {
        let client = ipp::client::blocking::IppClient::builder(self.uri.clone()).request_timeout(limit).build();
        let started = Instant::now();
        let resp = client.send(op).map_err(|e| {
            let reason = e.to_string();
            let lower = reason.to_ascii_lowercase();
            if lower.contains("timeout") || lower.contains("timed out") || started.elapsed() >= limit {
                A4Error::NoAnswer { uri: self.text.clone(), secs: limit.as_secs_f64().ceil() as u64 }
            } else {
                A4Error::Unreachable { uri: self.text.clone(), reason }
            }
        })?;
        let status = resp.header().status_code();
        if !status.is_success() {
            return Err(A4Error::Refused(format!("{status:?}")));
        }
        Ok(resp)
    }

    fn attr(resp: &IppRequestResponse, tag: DelimiterTag, name: &str) -> Option<IppValue> {
        resp.attributes().groups_of(tag).find_map(|g| g.attributes().get(name).map(|a| a.value().clone()))
    }

    /// The printer's condition, from printer-state, printer-state-reasons and
    /// printer-is-accepting-jobs.
    pub fn condition(&self) -> Result<PrinterCondition, A4Error> {
        let op = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes(["printer-state", "printer-state-reasons", "printer-is-accepting-jobs"])
            .build();
        let resp = self.send(op)?;
        let tag = DelimiterTag::PrinterAttributes;
        let state = Self::attr(&resp, tag, "printer-state");
        let reasons: Vec<String> = Self::attr(&resp, tag, "printer-state-reasons").map(|v| keyword(&v)).unwrap_or_default();
        let accepting = !matches!(Self::attr(&resp, tag, "printer-is-accepting-jobs"), Some(IppValue::Boolean(false)));
        let has = |k: &str| reasons.iter().any(|r| r.starts_with(k) && !r.ends_with("-report"));
        Ok(if has("media-empty") || has("media-needed") {
            PrinterCondition::NoPaper
        } else if has("media-jam") {
            PrinterCondition::Jam
        } else if has("door-open") || has("cover-open") {
            PrinterCondition::DoorOpen
        } else if has("toner-empty") || has("marker-supply-empty") {
            PrinterCondition::NoToner
        } else if matches!(state, Some(IppValue::Enum(5))) {
            PrinterCondition::Stopped(reasons)
        } else if !accepting {
            PrinterCondition::NotAccepting
        } else {
            PrinterCondition::Ready
        })
    }

    /// Sends a PDF; returns the job id. Refuses when the printer is not ready.
    pub fn print_pdf(&self, pdf: Vec<u8>, title: &str) -> Result<i32, A4Error> {
        match self.condition()? {
            PrinterCondition::Ready => {}
            c => return Err(A4Error::NotReady(c)),
        }
        let op = IppOperationBuilder::print_job(self.uri.clone(), IppPayload::new(Cursor::new(pdf)))
            .document_format("application/pdf")
            .job_title(title)
            .user_name("hallq")
            .build();
        let resp = self.send_within(op, self.submit_timeout)?;
        match Self::attr(&resp, DelimiterTag::JobAttributes, "job-id") {
            Some(IppValue::Integer(id)) => Ok(id),
            other => Err(A4Error::Refused(format!("no job-id in the answer ({other:?})"))),
        }
    }

    /// The job's state now.
    pub fn job(&self, job_id: i32) -> Result<Result<JobProgress, String>, A4Error> {
        self.job_within(job_id, self.request_timeout)
    }

    fn job_within(&self, job_id: i32, limit: Duration) -> Result<Result<JobProgress, String>, A4Error> {
        let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job_id).build();
        let resp = self.send_within(op, limit)?;
        let state = Self::attr(&resp, DelimiterTag::JobAttributes, "job-state");
        let reasons =
            Self::attr(&resp, DelimiterTag::JobAttributes, "job-state-reasons").map(|v| keyword(&v).join(", ")).unwrap_or_default();
        Ok(match state {
            Some(IppValue::Enum(3)) | Some(IppValue::Enum(4)) => Ok(JobProgress::Pending),
            Some(IppValue::Enum(5)) => Ok(JobProgress::Processing),
            Some(IppValue::Enum(9)) => Ok(JobProgress::Completed),
            Some(IppValue::Enum(6)) => Err(format!("stopped: {reasons}")),
            Some(IppValue::Enum(7)) => Err(format!("canceled: {reasons}")),
            Some(IppValue::Enum(8)) => Err(format!("aborted: {reasons}")),
            other => Err(format!("unknown job state {other:?}")),
        })
    }

    /// Cancels a job (best effort, within the request deadline).
    pub fn cancel(&self, job_id: i32) -> Result<(), A4Error> {
        let op = IppOperationBuilder::cancel_job(self.uri.clone(), job_id).user_name("hallq").build();
        self.send(op).map(|_| ())
    }

    /// Follows a job to its end, reporting progress; fails on abort, cancel or timeout.
    /// Returns by `timeout` (each request is cut to the time left): a job not done by then
    /// is cancelled (one more request, with its own deadline), so it does not come out
    /// later when nobody waits for it.
    pub fn wait(&self, job_id: i32, timeout: Duration, mut progress: impl FnMut(JobProgress)) -> Result<(), A4Error> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.give_up(job_id, true));
            }
            let state = match self.job_within(job_id, left.min(self.request_timeout)) {
                // Cut short by the job's deadline: a server that did not answer in time is
                // not asked to cancel either.
                Err(A4Error::NoAnswer { .. }) if Instant::now() >= deadline => return Err(self.give_up(job_id, false)),
                other => other?,
            };
            match state {
                Ok(JobProgress::Completed) => {
                    progress(JobProgress::Completed);
                    return Ok(());
                }
                Ok(p) => {
                    if last != Some(p) {
                        progress(p);
                        last = Some(p);
                    }
                }
                Err(reason) => {
                    // Say why in the printer's words when it is a paper or door problem.
                    if let Ok(c) = self.condition() {
                        if c != PrinterCondition::Ready {
                            return Err(A4Error::NotReady(c));
                        }
                    }
                    return Err(A4Error::JobFailed(reason));
                }
            }
            std::thread::sleep(Duration::from_millis(200).min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    fn give_up(&self, job_id: i32, cancel: bool) -> A4Error {
        if cancel {
            if let Err(e) = self.cancel(job_id) {
                tracing::warn!("A4 job {job_id} on {} timed out and could not be cancelled: {e}", self.text);
            }
        }
        A4Error::Timeout
    }
}

/// CUPS queues on a server: (name, printer-uri-supported).
pub fn cups_queues(server: &str) -> Result<Vec<(String, String)>, A4Error> {
    let uri: Uri = http_uri(server).parse().map_err(|_| A4Error::BadUri(server.into()))?;
    let client = ipp::client::blocking::IppClient::builder(uri).request_timeout(Duration::from_secs(3)).build();
    let resp = client
        .send(IppOperationBuilder::cups().get_printers())
        .map_err(|e| A4Error::Unreachable { uri: server.into(), reason: e.to_string() })?;
    Ok(resp
        .attributes()
        .groups_of(DelimiterTag::PrinterAttributes)
        .filter_map(|g| {
            let name = g.attributes().get("printer-name")?.value().to_string();
            let uri = g.attributes().get("printer-uri-supported").map(|a| keyword(a.value()).join(" ")).unwrap_or_default();
            Some((name, uri))
        })
        .collect())
}
