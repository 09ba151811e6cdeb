//! The `hallq` command line: parses arguments and calls into the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, DEFAULT_TOML};
use crate::service::{Clock, SimClock, SystemClock};

#[derive(Parser)]
#[command(name = "hallq", version, about = "Queue tickets, kiosks and counters for a citizen service hall (市民之家)")]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the hall queue service (API, event stream, pages) on the LAN.
    Serve {
        /// Hall configuration (TOML). `hallq config default` prints a documented one.
        #[arg(long)]
        config: PathBuf,
        /// Directory for the event log (hallq.db) and the identity key.
        #[arg(long)]
        data: PathBuf,
        /// Where to listen. Plain HTTP is refused on any address but loopback (127.0.0.1,
        /// ::1) unless --tls-cert/--tls-key or --insecure-http is given.
        #[arg(long, default_value = "0.0.0.0:8080")]
        listen: SocketAddr,
        /// Run on a simulated clock, `RFC3339[@SPEED]` (for tests and demos), such as
        /// 2026-11-27T09:00:00+08:00@60.
        #[arg(long)]
        clock: Option<String>,
        /// The server certificate (PEM, such as server.pem from `hallq tls init`): serve
        /// HTTPS and WSS.
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The server certificate's private key (PEM, such as server.key).
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on a LAN address anyway (tokens, passwords and ID numbers cross
        /// the LAN in clear); a warning is logged at start.
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// A second listener that serves only the visitor's ticket page (/t/{id}) and its
        /// endpoints, with the ticket's own token: for the ticket QR on visitors' phones.
        #[arg(long, value_name = "ADDR")]
        public_listen: Option<SocketAddr>,
        /// Accept the published demo tokens and staff accounts of `hallq config default`
        /// (for demos and tests only; `hallq demo` runs this way). Without it, a
        /// configuration holding them is refused.
        #[arg(long)]
        demo: bool,
        /// Connections served at once (on each listener); further clients wait until one
        /// closes.
        #[arg(long, value_name = "N", default_value_t = crate::conn::MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..1_000_000))]
        max_connections: u64,
        /// Close a connection that sends nothing for this many seconds (for tests; the
        /// default suits the event stream's pings).
        #[arg(long, hide = true, value_name = "SECS", default_value_t = crate::conn::IDLE_DEADLINE.as_secs())]
        idle_timeout_secs: u64,
    },
    /// TLS for the hall LAN: a hall CA and the server's certificate.
    Tls {
        #[command(subcommand)]
        command: TlsCmd,
    },
    /// Run the demo hall: service, scripted visitors and counters, on a simulated day.
    Demo {
        #[arg(long, default_value = "hallq-demo-data")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// How many times faster than real time the demo day runs.
        #[arg(long, default_value_t = 30.0)]
        speed: f64,
        /// Stop after this many real seconds (default: run until Ctrl-C).
        #[arg(long)]
        run_for: Option<u64>,
        /// Start from an empty event log.
        #[arg(long)]
        fresh: bool,
    },
    /// The self-service kiosk (Slint): on kiosk hardware, or --screenshots to render every
    /// screen to PNG without a display.
    #[command(args_conflicts_with_subcommands = true)]
    Kiosk {
        #[command(subcommand)]
        command: Option<KioskCmd>,
        /// Render every screen (portrait and landscape, Chinese and English) into DIR and exit.
        #[arg(long)]
        screenshots: Option<PathBuf>,
        /// The hall service.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// This kiosk's token (role kiosk) from the hall configuration.
        #[arg(long, default_value = "demo-kiosk-1")]
        token: String,
        /// The hall CA to trust for an https:// --server (ca.pem from `hallq tls init`);
        /// without it, the system's trust store.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// Ticket printer address (sim://printer for the simulator).
        #[arg(long, default_value = "sim://printer")]
        printer: String,
        /// ID-card reader address, such as serial:///dev/ttyUSB0?baud=115200.
        #[arg(long)]
        idcard: Option<String>,
        #[arg(long, default_value = "kiosk-1")]
        id: String,
        /// A4 printer for self-printing results: ipp://HOST:631/printers/NAME (sim://a4
        /// files the PDFs under --work-dir).
        #[arg(long)]
        a4: Option<String>,
        /// Document scanner for pre-review: sane:DEVICE (see `hallq devices`).
        #[arg(long)]
        scanner: Option<String>,
        /// Scratch space for scans (and sim://a4's PDFs).
        #[arg(long, default_value = "/var/tmp/hallq-kiosk")]
        work_dir: PathBuf,
        /// Spoken prompts in elderly mode: speaker (espeak-ng + aplay), off, or a directory
        /// for WAV files.
        #[arg(long, default_value = "speaker")]
        voice: String,
        /// The village point: run the hall service in this process too (one machine; the
        /// counter on a tablet reaches it at --listen). Needs --config and --data.
        #[arg(long, requires_all = ["config", "data"])]
        embedded_service: bool,
        /// With --embedded-service: the hall configuration (as `hallq serve --config`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// With --embedded-service: the hall's data directory (as `hallq serve --data`).
        #[arg(long)]
        data: Option<PathBuf>,
        /// With --embedded-service: where the counter tablet and displays reach the service.
        #[arg(long, default_value = "0.0.0.0:8443")]
        listen: SocketAddr,
        /// With --embedded-service: the server certificate and key (`hallq tls init`).
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// With --embedded-service: plain HTTP on --listen, on purpose.
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// With --embedded-service: allow the demo configuration's published tokens.
        #[arg(long)]
        demo: bool,
    },
    /// A window display or the hall display (Slint) for a Linux display box.
    Display {
        /// The screen over this window.
        #[arg(long, conflicts_with = "hall", required_unless_present = "hall")]
        window: Option<u32>,
        /// The hall display (综合屏): latest calls, every open window, waiting per queue.
        #[arg(long)]
        hall: bool,
        /// With --hall: only this floor's windows, queues and calls (pages rotate when they
        /// do not fit one screen).
        #[arg(long, requires = "hall", allow_hyphen_values = true)]
        floor: Option<i32>,
        /// With --hall: only the windows of this zone (`zone` of the windows in the
        /// configuration), their queues and calls.
        #[arg(long, requires = "hall")]
        zone: Option<String>,
        /// The hall service.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// A display token from the hall configuration.
        #[arg(long, default_value = "demo-display")]
        token: String,
        /// The hall CA to trust for an https:// --server (ca.pem from `hallq tls init`);
        /// without it, the system's trust store.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        #[arg(long)]
        english: bool,
        /// Announcements on the hall display: speaker (aplay), off, or a directory to write
        /// them to as WAV files.
        #[arg(long, default_value = "speaker")]
        voice: String,
        /// No screen: write what the display shows to this PNG whenever it changes.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Size of the --png picture, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080")]
        size: String,
    },
    /// Staff accounts for the counter terminal.
    Staff {
        #[command(subcommand)]
        command: StaffCmd,
    },
    /// Print or check a hall configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCmd,
    },
    /// Work with the event log.
    Log {
        #[command(subcommand)]
        command: LogCmd,
    },
    /// Copy the service's data (event log, documents, keys, configuration versions) into one
    /// file while it runs; the copy's hash chain is verified.
    Backup {
        /// The service's data directory.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The backup file to write (tar, 0600: it holds the identity key and personal data).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Put a backup in place as the service's data directory (stop `hallq serve` first). The
    /// event log's chain is verified before anything is replaced.
    Restore {
        /// A file from `hallq backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Replace a data directory that is not empty (it is kept beside as DIR.replaced-TIME).
        #[arg(long)]
        force: bool,
    },
    /// Check this machine for its role: devices and permissions, fonts, CUPS, SANE, the
    /// clock, the hall service and its certificate, free disk. Exits non-zero on a FAIL.
    Doctor {
        #[arg(long, value_enum, default_value = "server")]
        role: crate::doctor::Role,
        /// The hall service to check, such as https://hall-server:8080.
        #[arg(long, value_name = "URL")]
        hall: Option<String>,
        /// The hall CA (ca.pem from `hallq tls init`); without it, the system's trust store.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// The service's data directory (role server).
        #[arg(long, value_name = "DIR", default_value = "/var/lib/hallq")]
        data: PathBuf,
        /// The hall configuration (role server).
        #[arg(long, value_name = "FILE", default_value = "/etc/hallq/hall.toml")]
        config: PathBuf,
        /// CUPS server to ask for A4 queues (role kiosk).
        #[arg(long, default_value = "ipp://localhost:631")]
        cups: String,
    },
    /// List candidate devices and check permissions; test-print a ticket.
    Devices {
        #[command(subcommand)]
        command: Option<DevicesCmd>,
        /// CUPS server to ask for A4 queues.
        #[arg(long, default_value = "ipp://localhost:631")]
        cups: String,
    },
    /// Read an ID card and print the masked identity and card type.
    Idcard {
        #[command(subcommand)]
        command: IdcardCmd,
    },
    /// Scan pages into one PDF.
    Scan {
        /// Scanner address, such as sane:test:0 (see `hallq devices`).
        uri: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Take pages from the automatic document feeder.
        #[arg(long)]
        feeder: bool,
        #[arg(long)]
        color: bool,
        #[arg(long, default_value_t = 150)]
        resolution: u32,
    },
    /// Print a PDF on an A4 printer (IPP/CUPS) and follow the job.
    PrintDoc {
        /// Printer address, such as ipp://localhost:631/printers/PDF.
        uri: String,
        file: PathBuf,
    },
    /// ESC/POS tools.
    Escpos {
        #[command(subcommand)]
        command: EscposCmd,
    },
}

#[derive(Subcommand)]
enum TlsCmd {
    /// Make a hall CA and a server certificate signed by it (for localhost, 127.0.0.1 and
    /// every --host), and print how to trust the CA on kiosks, display boxes and browsers.
    /// An existing DIR/ca.key is kept: run again to add hosts or renew the certificate.
    Init {
        /// The hall's name, in the CA's name.
        #[arg(long)]
        hall: String,
        /// Where to write ca.pem, ca.key, server.pem and server.key (keys 0600).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A host name or IP address the hall server is reached at (repeat, or separate
        /// with commas).
        #[arg(long = "host", value_name = "NAME_OR_IP")]
        hosts: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DevicesCmd {
    /// Print a sample ticket with status checks (sim://printer draws it; see --png).
    TestPrint {
        uri: String,
        /// With sim://printer: where to write the drawn ticket.
        #[arg(long)]
        png: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum IdcardCmd {
    /// Wait for a card and read it (sim://idcard reads a sample card).
    Read {
        uri: String,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
}

#[derive(Subcommand)]
enum EscposCmd {
    /// Draw an ESC/POS byte file as the simulated printer prints it.
    Render {
        file: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Read a password from standard input and print its Argon2 hash for the `password`
    /// field of a [[staff]] entry.
    HashPassword,
}

#[derive(Subcommand)]
enum KioskCmd {
    /// Read a manager PIN from standard input and print its Argon2id hash for
    /// `[kiosk] manager_pin` (salted, ~50-100 ms per check on a kiosk).
    HashPin,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the documented default configuration (the demo hall).
    Default,
    /// Check a configuration file; errors name the file, line and field.
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum LogCmd {
    /// Check the hash chain of the event log and name the first broken link; with
    /// --digest, also check the log against digests filed earlier.
    Verify {
        /// The service's data directory (uses DIR/hallq.db).
        #[arg(long, conflicts_with = "db")]
        data: Option<PathBuf>,
        /// The database file itself.
        #[arg(long)]
        db: Option<PathBuf>,
        /// A file of filed digest lines (from `hallq log digest`): each day must still
        /// match its digest.
        #[arg(long)]
        digest: Option<PathBuf>,
    },
    /// Print a day's digest for filing outside the hall: one JSON line with the hash before
    /// the day, the hash of its last event and its counts (events, tickets issued, calls…).
    Digest {
        /// The business day (YYYY-MM-DD); every day of the log when left out.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// The service's data directory (uses DIR/hallq.db).
        #[arg(long, conflicts_with = "db")]
        data: Option<PathBuf>,
        /// The database file itself.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Also append the lines to DATA/digests.jsonl (with --data), where the manager
        /// console shows the newest filed digest and whether the log still matches it.
        #[arg(long)]
        keep: bool,
    },
}

/// The event log named by `--data DIR` or `--db FILE`.
fn log_path(data: Option<PathBuf>, db: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = match (data, db) {
        (_, Some(db)) => db,
        (Some(dir), None) => dir.join("hallq.db"),
        (None, None) => anyhow::bail!("give --data DIR or --db FILE"),
    };
    if !path.exists() {
        anyhow::bail!("{} does not exist", path.display());
    }
    Ok(path)
}

pub fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr);
    // Under systemd, stderr goes to the journal (JOURNAL_STREAM is set), which keeps its own
    // time stamps and shows no colours.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        logs.with_ansi(false).without_time().init();
    } else {
        logs.init();
    }
    match cli.command {
        Cmd::Serve {
            config,
            data,
            listen,
            clock,
            tls_cert,
            tls_key,
            insecure_http,
            public_listen,
            demo,
            max_connections,
            idle_timeout_secs,
        } => {
            let clock: Arc<dyn Clock> = match clock {
                Some(spec) => Arc::new(SimClock::parse(&spec).map_err(|e| anyhow::anyhow!("--clock: {e}"))?),
                None => Arc::new(SystemClock),
            };
            let limits = crate::conn::ConnLimits {
                max_connections: max_connections as usize,
                idle: std::time::Duration::from_secs(idle_timeout_secs.max(1)),
            };
            let opts = crate::server::ServeOptions {
                listen,
                tls: tls_cert.zip(tls_key),
                insecure_http,
                public_listen,
                limits,
                local_listen: None,
            };
            // Refused before anything is opened.
            opts.check()?;
            if !refuse_demo_secrets(&config, &data, demo) {
                return Ok(std::process::ExitCode::FAILURE);
            }
            runtime()?.block_on(crate::server::serve(&config, &data, opts, clock))?;
        }
        Cmd::Tls { command: TlsCmd::Init { hall, out, hosts } } => {
            let written = crate::tls::init(&crate::tls::InitOptions { hall, out, hosts })?;
            print!("{}", crate::tls::instructions(&written));
        }
        Cmd::Demo { data, listen, speed, run_for, fresh } => {
            if fresh && data.join("hallq.db").exists() {
                for f in ["hallq.db", "hallq.db-wal", "hallq.db-shm"] {
                    let _ = std::fs::remove_file(data.join(f));
                }
            }
            let opts =
                crate::demo::DemoOptions { data, listen, speed, run_for: run_for.map(std::time::Duration::from_secs), kiosk_window: false };
            // With a display, the kiosk opens in a window for a person to tap; where no window
            // can be opened, the demo runs it headless and says so.
            #[cfg(feature = "ui")]
            if crate::demo::has_display() && run_for.is_none() {
                let fallback = opts.clone();
                match crate::demo::run_with_window(opts) {
                    Ok(()) => return Ok(std::process::ExitCode::SUCCESS),
                    Err(e) => {
                        eprintln!("a display is attached but the kiosk window cannot open ({e}); running the kiosk headless");
                        runtime()?.block_on(crate::demo::run(fallback))?;
                        return Ok(std::process::ExitCode::SUCCESS);
                    }
                }
            }
            runtime()?.block_on(crate::demo::run(opts))?;
        }
        Cmd::Kiosk { command: Some(KioskCmd::HashPin), .. } => {
            use std::io::{BufRead, IsTerminal};
            if std::io::stdin().is_terminal() {
                eprint!("manager PIN, digits (shown as typed; or pipe it in): ");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let pin = line.trim_end_matches(['\r', '\n']);
            if pin.len() < 4 || pin.len() > 12 || !pin.chars().all(|c| c.is_ascii_digit()) {
                anyhow::bail!("a manager PIN is 4 to 12 digits (the kiosk's keypad); 6 or more is better");
            }
            if pin.len() < 6 {
                eprintln!("note: a {}-digit PIN is guessed in minutes by anyone holding the hash; 6 digits or more is better", pin.len());
            }
            println!("{}", crate::kiosk::pin::hash_pin(pin));
        }
        Cmd::Kiosk { screenshots: Some(dir), .. } => {
            #[cfg(feature = "ui")]
            {
                let n = crate::kiosk::screenshots::write_all(&dir, crate::kiosk::catalog_from_config(&Config::demo()))?;
                println!("{n} kiosk screens written to {}", dir.display());
            }
            #[cfg(not(feature = "ui"))]
            anyhow::bail!("this hallq was built without the kiosk UI (feature ui); cannot render {}", dir.display());
        }
        Cmd::Kiosk {
            command: None,
            screenshots: None,
            server,
            token,
            ca,
            printer,
            idcard,
            id,
            a4,
            scanner,
            work_dir,
            voice,
            embedded_service,
            config,
            data,
            listen,
            tls_cert,
            tls_key,
            insecure_http,
            demo,
        } => {
            // The village point: the hall service in this process, the kiosk on its loopback port.
            let embedded = match (embedded_service, config, data) {
                (true, Some(config), Some(data)) => {
                    let opts = crate::server::ServeOptions {
                        listen,
                        tls: tls_cert.zip(tls_key),
                        insecure_http,
                        public_listen: None,
                        limits: Default::default(),
                        local_listen: None,
                    };
                    opts.check()?;
                    if !refuse_demo_secrets(&config, &data, demo) {
                        return Ok(std::process::ExitCode::FAILURE);
                    }
                    Some(crate::kiosk::village::start(&config, &data, opts, Arc::new(SystemClock))?)
                }
                _ => None,
            };
            let server = embedded.as_ref().map(|e| e.url.clone()).unwrap_or(server);
            #[cfg(feature = "ui")]
            crate::kiosk::runtime::run_window(crate::kiosk::runtime::KioskOptions {
                journal: None,
                clock: None,
                sim_printer: (printer == "sim://printer").then(hallq_drivers::printer::sim::SimPrinter::new),
                server,
                token,
                ca,
                printer,
                idcard,
                kiosk_id: id,
                a4,
                scanner,
                sane_config_dir: None,
                work_dir,
                voice: match voice.as_str() {
                    "speaker" => crate::kiosk::errands::VoiceOut::Speaker,
                    "off" => crate::kiosk::errands::VoiceOut::Off,
                    dir => crate::kiosk::errands::VoiceOut::Dir(dir.into()),
                },
            })?;
            #[cfg(not(feature = "ui"))]
            {
                let _ = (server, token, ca, printer, idcard, id, a4, scanner, work_dir, voice);
                anyhow::bail!("this hallq was built without the kiosk UI (feature ui)");
            }
        }
        Cmd::Display { window, hall: _, floor, zone, server, token, ca, english, voice, png, size } => {
            if let Some(ca) = &ca {
                // A CA that cannot be used is said now, not as a display that never connects.
                hallq_proto::HallClient::builder(&server, "").ca_file(ca).build().map_err(|e| anyhow::anyhow!("--ca: {e}"))?;
            }
            let opts = crate::display::DisplayOptions {
                server,
                token,
                ca,
                mode: window.map(crate::display::Mode::Window).unwrap_or(crate::display::Mode::Hall),
                scope: crate::display::Scope { floor, zone },
                english,
            };
            let size = size
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
                .filter(|(w, h)| (64..=8192).contains(w) && (64..=8192).contains(h))
                .ok_or_else(|| anyhow::anyhow!("--size {size}: expected WIDTHxHEIGHT, such as 1920x1080"))?;
            #[cfg(feature = "ui")]
            {
                use crate::display::runtime::{run_png, run_window, VoiceOut};
                let voice = match voice.as_str() {
                    "speaker" => VoiceOut::Speaker,
                    "off" => VoiceOut::Off,
                    dir => VoiceOut::Dir(PathBuf::from(dir)),
                };
                match png {
                    Some(png) => run_png(opts, voice, png, size)?,
                    None => run_window(opts, voice)?,
                }
            }
            #[cfg(not(feature = "ui"))]
            {
                let _ = (opts, voice, png, size);
                anyhow::bail!("this hallq was built without the Slint screens (feature ui)");
            }
        }
        Cmd::Staff { command: StaffCmd::HashPassword } => {
            use std::io::{BufRead, IsTerminal};
            if std::io::stdin().is_terminal() {
                eprint!("password (shown as typed; or pipe it in): ");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                anyhow::bail!("use a password of at least 8 characters");
            }
            println!("{}", crate::staff::hash_password(password));
        }
        Cmd::Config { command: ConfigCmd::Default } => print!("{DEFAULT_TOML}"),
        Cmd::Config { command: ConfigCmd::Check { file } } => {
            match Config::load(&file) {
                Ok(c) => {
                    // Valid, but with the published demo secrets it must not run a hall.
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    let demo = c.demo_secret_errors(&text, &file.display().to_string());
                    if !demo.is_empty() {
                        for e in &demo {
                            eprintln!("error: {e}");
                        }
                        eprintln!("error: {} published demo tokens or staff accounts: this file is for `hallq demo` and `hallq serve --demo` only", demo.len());
                        for w in c.warnings() {
                            eprintln!("warning: {}", w.0);
                        }
                        return Ok(std::process::ExitCode::FAILURE);
                    }
                    println!(
                        "{}: OK — {} departments, {} queues, {} service items, {} windows, {} tokens",
                        file.display(),
                        c.departments.len(),
                        c.queues.len(),
                        c.services.len(),
                        c.windows.len(),
                        c.tokens.len()
                    );
                    for w in c.warnings() {
                        println!("warning: {}", w.0);
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        Cmd::Log { command: LogCmd::Digest { date, data, db, keep } } => {
            if keep && data.is_none() {
                anyhow::bail!("--keep appends to DATA/digests.jsonl: give the data directory with --data DIR");
            }
            let kept = keep.then(|| data.as_deref().map(crate::digest::kept_in)).flatten();
            let path = log_path(data, db)?;
            let conn = crate::store::open_reader(&path).with_context(|| format!("reading {}", path.display()))?;
            let digests = match date {
                Some(date) => match crate::digest::day_digest(&conn, date).with_context(|| format!("reading {}", path.display()))? {
                    Some(d) => vec![d],
                    None => {
                        eprintln!("error: the log {} has no day {date}", path.display());
                        return Ok(std::process::ExitCode::FAILURE);
                    }
                },
                None => crate::digest::all_digests(&conn).with_context(|| format!("reading {}", path.display()))?,
            };
            let lines: String = digests.iter().map(|d| format!("{}\n", d.line())).collect();
            print!("{lines}");
            if let Some(file) = kept {
                use std::io::Write as _;
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&file)
                    .and_then(|mut f| f.write_all(lines.as_bytes()))
                    .with_context(|| format!("appending to {}", file.display()))?;
            }
        }
        Cmd::Log { command: LogCmd::Verify { data, db, digest: Some(file) } } => {
            let path = log_path(data, db)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let filed = crate::digest::read_filed(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let (verdict, days) = crate::digest::check(&path, &filed).with_context(|| format!("reading {}", path.display()))?;
            let mut ok = true;
            match verdict {
                crate::store::Verdict::Intact { events, .. } => println!("{}: chain intact, {events} events", path.display()),
                crate::store::Verdict::Broken { seq, reason } => {
                    println!("{}: chain BROKEN at event {seq}: {reason}", path.display());
                    ok = false;
                }
            }
            for d in &days {
                match &d.problem {
                    None => println!("{}: matches the filed digest", d.date),
                    Some(p) => {
                        println!("{}: DOES NOT MATCH the filed digest: {p}", d.date);
                        ok = false;
                    }
                }
            }
            if !ok {
                return Ok(std::process::ExitCode::FAILURE);
            }
            println!("{} filed day(s) checked, all match", days.len());
        }
        Cmd::Log { command: LogCmd::Verify { data, db, digest: None } } => {
            let path = log_path(data, db)?;
            match crate::store::verify(&path).with_context(|| format!("reading {}", path.display()))? {
                crate::store::Verdict::Intact { events, purged_personal } => {
                    println!("{}: chain intact, {events} events ({purged_personal} with personal data purged)", path.display());
                }
                crate::store::Verdict::Broken { seq, reason } => {
                    println!("{}: chain BROKEN at event {seq}: {reason}", path.display());
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        Cmd::Backup { data, to } => {
            let r = crate::backup::backup(&data, &to)?;
            println!(
                "{}: {} events (chain verified), {} files, {:.1} MB, in {:.2} s",
                to.display(),
                r.manifest.events,
                r.manifest.files.len(),
                r.bytes as f64 / 1e6,
                r.elapsed.as_secs_f64()
            );
        }
        Cmd::Restore { from, data, force } => {
            let r = crate::backup::restore(&from, &data, force)?;
            println!(
                "{} restored from {} ({} events, chain verified, taken {} by hallq {})",
                data.display(),
                from.display(),
                r.manifest.events,
                r.manifest.created_at,
                r.manifest.hallq
            );
            if let Some(kept) = r.kept {
                println!("the data directory it replaced is kept in {}", kept.display());
            }
        }
        Cmd::Doctor { role, hall, ca, data, config, cups } => {
            let findings = runtime()?.block_on(crate::doctor::run(&crate::doctor::Options { role, hall, ca, data, config, cups }));
            for f in &findings {
                println!("{f}");
            }
            let failed = findings.iter().filter(|f| f.level == crate::doctor::Level::Fail).count();
            let warned = findings.iter().filter(|f| f.level == crate::doctor::Level::Warn).count();
            println!("{} checks: {failed} failed, {warned} warnings", findings.len());
            if failed > 0 {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Cmd::Devices { command: None, cups } => {
            if !crate::devices::list(&cups)? {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Cmd::Devices { command: Some(DevicesCmd::TestPrint { uri, png }), .. } => crate::devices::test_print(&uri, png.as_deref())?,
        Cmd::Idcard { command: IdcardCmd::Read { uri, wait } } => crate::devices::idcard_read(&uri, std::time::Duration::from_secs(wait))?,
        Cmd::Scan { uri, output, feeder, color, resolution } => crate::devices::scan(&uri, &output, feeder, color, resolution)?,
        Cmd::PrintDoc { uri, file } => crate::devices::print_doc(&uri, &file)?,
        Cmd::Escpos { command: EscposCmd::Render { file, output } } => crate::devices::render(&file, &output)?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `hallq serve` without `--demo`: refuses (says why on stderr and returns false) when
/// the configuration that would be in force holds the published demo tokens or staff.
/// Checked before anything is opened or written; a configuration that does not parse is
/// left for the service to report.
fn refuse_demo_secrets(config: &std::path::Path, data: &std::path::Path, demo: bool) -> bool {
    let Ok((c, text, name)) = crate::config::live::ConfigStore::new(data).in_force(config) else { return true };
    let found = c.demo_secret_errors(&text, &name);
    if found.is_empty() {
        return true;
    }
    if demo {
        eprintln!("hallq serve --demo: accepting {} published demo tokens and staff accounts; never open a hall this way", found.len());
        return true;
    }
    for e in &found {
        eprintln!("error: {e}");
    }
    eprintln!(
        "hallq serve: refusing to start: {} holds {} published demo tokens or staff accounts (anyone can read them in `hallq config default`). \
         Replace them with your own (see `hallq config check`), or pass --demo to run the demo hall anyway.",
        name,
        found.len()
    );
    false
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
