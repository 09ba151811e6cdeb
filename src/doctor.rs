//! `hallq doctor`: what an installer checks on a hall server, a kiosk or a display box,
//! one line per check (OK, WARN or FAIL) with what to do about it. Every outside program
//! and the call to the hall run under a deadline, so the doctor itself never hangs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hallq_drivers::discover::{self, Access};
use hallq_drivers::process;

/// What the machine is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Server,
    Kiosk,
    Display,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }
}

/// One check's finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    pub check: &'static str,
    /// What was found, and (unless OK) what to do.
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One line per check, whatever the message holds.
        let detail: Vec<&str> = self.detail.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        write!(f, "{:<4} {:<12} {}", self.level.as_str(), self.check, detail.join(" / "))
    }
}

fn ok(check: &'static str, detail: impl Into<String>) -> Finding {
    Finding { level: Level::Ok, check, detail: detail.into() }
}
fn warn(check: &'static str, detail: impl Into<String>) -> Finding {
    Finding { level: Level::Warn, check, detail: detail.into() }
}
fn fail(check: &'static str, detail: impl Into<String>) -> Finding {
    Finding { level: Level::Fail, check, detail: detail.into() }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub role: Role,
    /// The hall service (`https://HOST:8080`), to check it is reachable and trusted.
    pub hall: Option<String>,
    /// The hall CA (`ca.pem` from `hallq tls init`).
    pub ca: Option<PathBuf>,
    /// The service's data directory (server).
    pub data: PathBuf,
    /// The hall configuration (server).
    pub config: PathBuf,
    /// The CUPS server to ask for A4 queues (kiosk).
    pub cups: String,
}

/// Seconds any one outside program may take.
const PROGRAM_DEADLINE: Duration = Duration::from_secs(10);
/// SANE probes every backend; USB scanners take a while to answer.
const SANE_DEADLINE: Duration = Duration::from_secs(30);
const HALL_DEADLINE: Duration = Duration::from_secs(5);

/// Runs every check that fits the role.
pub async fn run(opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let blocking = opts.clone();
    let local =
        tokio::task::spawn_blocking(move || local_checks(&blocking)).await.unwrap_or_else(|_| vec![fail("doctor", "a check crashed")]);
    out.extend(local);
    out.extend(hall_checks(opts).await);
    out
}

fn local_checks(opts: &Options) -> Vec<Finding> {
    let mut out = vec![time_sync()];
    match opts.role {
        Role::Server => {
            out.push(config(&opts.config));
            out.extend(data_dir(&opts.data));
        }
        Role::Kiosk => {
            out.push(fonts());
            out.extend(devices(&opts.cups));
            out.push(cups());
            out.push(sane());
            out.extend(screen());
        }
        Role::Display => {
            out.push(fonts());
            out.extend(screen());
        }
    }
    out
}

/// Runs `program args` with a deadline: its stdout, or why not.
fn program(program: &str, args: &[&str], deadline: Duration) -> Result<(bool, String), String> {
    match process::run(Command::new(program).args(args), None, deadline) {
        Ok(o) => Ok((
            o.status.success(),
            format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)).trim().to_string(),
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn time_sync() -> Finding {
    const C: &str = "time";
    match program("timedatectl", &["show", "-p", "NTPSynchronized", "--value"], PROGRAM_DEADLINE) {
        Ok((true, v)) if v == "yes" => ok(C, "the clock is synchronised (NTP)"),
        Ok((true, v)) if v == "no" => warn(
            C,
            "the clock is not synchronised: tickets, business hours and TLS need the right time. \
             Run `timedatectl set-ntp true` (systemd-timesyncd) or point chrony at the hall's time server",
        ),
        Ok((_, v)) => warn(C, format!("cannot tell whether the clock is synchronised ({}); check `timedatectl`", first_line(&v))),
        Err(e) => warn(C, format!("cannot tell whether the clock is synchronised: {e}")),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

fn config(path: &Path) -> Finding {
    const C: &str = "config";
    if !path.exists() {
        return fail(C, format!("{} does not exist: start from `hallq config default > {}`", path.display(), path.display()));
    }
    match crate::config::Config::load(path) {
        Ok(c) => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let demo = c.demo_secret_errors(&text, &path.display().to_string());
            if demo.is_empty() {
                ok(C, format!("{}: {} queues, {} windows, {} tokens", path.display(), c.queues.len(), c.windows.len(), c.tokens.len()))
            } else {
                fail(
                    C,
                    format!(
                        "{} holds {} published demo tokens or staff accounts: replace them (`hallq config check {}` lists them)",
                        path.display(),
                        demo.len(),
                        path.display()
                    ),
                )
            }
        }
        Err(e) => fail(C, format!("{e}")),
    }
}

fn data_dir(dir: &Path) -> Vec<Finding> {
    const C: &str = "data";
    let mut out = Vec::new();
    match std::fs::metadata(dir) {
        Err(_) => {
            out.push(fail(C, format!("{} does not exist: create it 0700 for the service user (the package does)", dir.display())));
            return out;
        }
        Ok(m) => {
            use std::os::unix::fs::PermissionsExt;
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                out.push(warn(
                    C,
                    format!("{} is mode {mode:03o}: other users may read the hall's data; `chmod 700 {}`", dir.display(), dir.display()),
                ));
            } else {
                let log = dir.join("hallq.db");
                let events = match crate::store::open_reader(&log)
                    .and_then(|c| Ok(c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get::<_, u64>(0))?))
                {
                    Ok(n) => format!("{n} events in the log"),
                    Err(_) if !log.exists() => "no event log yet".to_string(),
                    Err(e) => {
                        out.push(fail(C, format!("{}: {e}", log.display())));
                        return out;
                    }
                };
                out.push(ok(C, format!("{} ({mode:03o}), {events}", dir.display())));
            }
        }
    }
    out.push(free_disk(dir));
    out
}

/// Free space where the data directory is: FAIL under 200 MB, WARN under 2 GB.
fn free_disk(dir: &Path) -> Finding {
    const C: &str = "disk";
    let d = dir.display().to_string();
    match program("df", &["-Pk", &d], PROGRAM_DEADLINE) {
        Ok((true, out)) => {
            let avail_kb = out.lines().nth(1).and_then(|l| l.split_whitespace().nth(3)).and_then(|v| v.parse::<u64>().ok());
            match avail_kb {
                Some(kb) => {
                    let mb = kb / 1024;
                    if mb < 200 {
                        fail(C, format!("{mb} MB free for {d}: the event log and backups need room; free space or grow the disk"))
                    } else if mb < 2048 {
                        warn(C, format!("{mb} MB free for {d}: a day of a large hall logs tens of MB; plan more room"))
                    } else {
                        ok(C, format!("{:.1} GB free for {d}", mb as f64 / 1024.0))
                    }
                }
                None => warn(C, format!("cannot read `df -Pk {d}`")),
            }
        }
        Ok((false, out)) => warn(C, format!("df: {}", first_line(&out))),
        Err(e) => warn(C, format!("cannot measure free space: {e}")),
    }
}

fn fonts() -> Finding {
    match hallq_drivers::font::fonts() {
        Ok(_) => ok("fonts", "Noto Sans CJK found (tickets and screens)"),
        Err(e) => fail("fonts", format!("{e}: `apt install fonts-noto-cjk`")),
    }
}

fn devices(cups: &str) -> Vec<Finding> {
    const C: &str = "devices";
    let (found, _notes) = discover::list(cups);
    let mut out = Vec::new();
    let local: Vec<_> = found.iter().filter(|c| matches!(c.kind, "usb" | "serial" | "lp")).collect();
    for c in &local {
        if let Access::Denied(fix) = &c.access {
            out.push(fail(C, format!("{} ({}): {fix}", c.uri, c.description)));
        }
    }
    let printers = local.iter().filter(|c| c.kind == "lp" || c.description.starts_with("USB printer")).count();
    let serial = local.iter().filter(|c| c.kind == "serial").count();
    if out.is_empty() {
        if printers == 0 {
            out.push(warn(
                C,
                "no ticket printer found (USB printer class or /dev/usb/lp*): plug it in, or give a tcp:// address; `hallq devices` lists candidates",
            ));
        } else {
            out.push(ok(C, format!("{printers} printer(s), {serial} serial port(s) for an ID-card reader, all usable")));
        }
    }
    out
}

fn cups() -> Finding {
    const C: &str = "cups";
    match program("lpstat", &["-r"], PROGRAM_DEADLINE) {
        Ok((_, out)) if out.contains("is running") && !out.contains("not running") => ok(C, "the CUPS scheduler is running (A4 printing)"),
        Ok((_, out)) => warn(C, format!("{}: `systemctl enable --now cups` for A4 self-printing", first_line(&out))),
        Err(e) => warn(C, format!("{e}: `apt install cups` for A4 self-printing (optional)")),
    }
}

fn sane() -> Finding {
    const C: &str = "sane";
    match program("scanimage", &["-L"], SANE_DEADLINE) {
        Ok((true, out)) if out.lines().any(|l| l.starts_with("device `")) => {
            ok(C, format!("{} scanner(s): {}", out.lines().filter(|l| l.starts_with("device `")).count(), first_line(&out)))
        }
        Ok((_, out)) => {
            warn(C, format!("no scanner found ({}): plug it in; the service user needs group scanner (optional device)", first_line(&out)))
        }
        Err(e) => warn(C, format!("{e}: `apt install sane-utils` for pre-review scanning (optional)")),
    }
}

/// The kiosk and display boxes draw with Slint on linuxkms: DRM and input devices.
fn screen() -> Vec<Finding> {
    let mut out = Vec::new();
    let cards: Vec<PathBuf> = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("card"))).collect())
        .unwrap_or_default();
    match cards.first() {
        None => out.push(fail("screen", "no /dev/dri/card*: no display controller (KMS) for the screen; check the graphics driver")),
        Some(card) => out.push(match discover::check_access(card, "video") {
            Access::Denied(fix) => fail("screen", fix),
            _ => ok("screen", format!("{} usable (Slint on linuxkms)", card.display())),
        }),
    }
    let inputs: Vec<PathBuf> = std::fs::read_dir("/dev/input")
        .map(|d| {
            d.flatten().map(|e| e.path()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("event"))).collect()
        })
        .unwrap_or_default();
    match inputs.first() {
        None => out.push(warn("touch", "no /dev/input/event*: no touchscreen or keyboard found")),
        Some(dev) => out.push(match discover::check_access(dev, "input") {
            Access::Denied(fix) => fail("touch", fix),
            _ => ok("touch", format!("{} input device(s) usable", inputs.len())),
        }),
    }
    out
}

async fn hall_checks(opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(ca) = &opts.ca {
        match hallq_proto::HallClient::builder(opts.hall.as_deref().unwrap_or("https://localhost"), "").ca_file(ca).build() {
            Ok(_) => out.push(ok("tls", format!("{} is a usable CA certificate", ca.display()))),
            Err(e) => {
                out.push(fail("tls", format!("{}: {e}", ca.display())));
                return out;
            }
        }
    }
    let Some(url) = &opts.hall else {
        if opts.role != Role::Server {
            out.push(warn("hall", "no --hall URL given: the hall service was not checked"));
        }
        return out;
    };
    let mut builder = hallq_proto::HallClient::builder(url, "").timeout(HALL_DEADLINE);
    if let Some(ca) = &opts.ca {
        builder = builder.ca_file(ca);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            out.push(fail("hall", format!("{url}: {e}")));
            return out;
        }
    };
    match tokio::time::timeout(HALL_DEADLINE * 2, client.health()).await {
        Ok(Ok(h)) => {
            if url.starts_with("https://") {
                out.push(ok("tls", format!("{url} presents a certificate this machine trusts")));
            }
            out.push(ok(
                "hall",
                format!("{url} answers: event {}, business day {}", h.seq, h.date.map_or("not opened".into(), |d| d.to_string())),
            ));
            match tokio::time::timeout(HALL_DEADLINE * 2, client.ready()).await {
                Ok(Ok(_)) => out.push(ok("ready", "the hall service takes commands (event log open, writer running)")),
                Ok(Err(e)) => out.push(fail("ready", format!("{url} is not ready: {e}; see `journalctl -u hallq-serve` on the server"))),
                Err(_) => out.push(fail("ready", format!("{url}/api/v1/ready did not answer in time"))),
            }
        }
        Ok(Err(hallq_proto::ClientError::Tls(msg))) => out.push(fail("tls", msg)),
        Ok(Err(e)) => out.push(fail(
            "hall",
            format!("{url} does not answer: {e}; check the address, the network and `systemctl status hallq-serve` on the server"),
        )),
        Err(_) => out.push(fail("hall", format!("{url} did not answer within {} s", (HALL_DEADLINE * 2).as_secs()))),
    }
    out
}
