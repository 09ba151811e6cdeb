//! Outside programs with a deadline (`scanimage`, `espeak-ng`, `aplay`): the child runs in
//! a process group of its own, and when its deadline passes the whole group is killed
//! (SIGKILL), so a program that forked cannot leave a helper behind holding the pipes. (A
//! program that ends by itself may leave a daemon running: that is its business.)
//! Nothing here waits without a bound: a child that does not die even after SIGKILL (stuck
//! in the kernel) is reported as timed out all the same and reaped in the background.
//!
//! [`run`] runs a program to its end and collects its output; [`Supervised`] is the child
//! itself, for callers that read its output as it comes and push the deadline on as it
//! makes progress (the scanner, page by page).

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a killed child is given to be gone, and its pipes to close, before the caller
/// is answered anyway.
const GRACE: Duration = Duration::from_secs(2);

/// How often the supervisor looks whether the child has ended.
const POLL: Duration = Duration::from_millis(10);

/// Why an outside program gave no result. `hallq doctor` and the device modules turn it into
/// what to install or check.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program is not on `PATH` (its Debian package is missing).
    #[error("{program} is not installed")]
    NotFound {
        /// The program's name.
        program: String,
    },
    /// It is there but could not be started (permissions, resources).
    #[error("cannot start {program}: {reason}")]
    Spawn {
        /// The program's name.
        program: String,
        /// The operating system's reason.
        reason: String,
    },
    /// It ran past its deadline and was killed with its process group.
    #[error("{program} did not finish within {:.1} s and was stopped", .after.as_secs_f64())]
    TimedOut {
        /// The program's name.
        program: String,
        /// How long it had run when it was stopped.
        after: Duration,
        /// What it wrote on stderr before it was stopped.
        stderr: String,
    },
}

impl RunError {
    /// Whether the program was stopped at its deadline (a hung device, a silent service),
    /// rather than missing or unable to start.
    pub fn is_timeout(&self) -> bool {
        matches!(self, RunError::TimedOut { .. })
    }
}

#[derive(Default)]
struct State {
    deadline: Option<Instant>,
    /// When the deadline passed and the group was killed.
    fired: Option<Instant>,
    /// The caller is gone: kill what is left.
    abandoned: bool,
    status: Option<std::io::Result<ExitStatus>>,
}

struct Watch {
    state: Mutex<State>,
    cv: Condvar,
}

impl Watch {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether the child has ended, without reaping it: while it is a zombie its pid and its
/// process group cannot be reused, so killing the group stays safe.
fn ended(pid: libc::pid_t) -> bool {
    // SAFETY: waitid writes only into `info`; WNOWAIT leaves the child to be reaped by std.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    if r == -1 {
        // Interrupted: look again. Any other error (no such child): it is gone.
        return std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR);
    }
    // With WNOHANG, si_pid stays 0 while the child runs.
    unsafe { info.si_pid() != 0 }
}

fn kill_group(pid: libc::pid_t) {
    // SAFETY: plain syscall; the group is ours while its leader is not reaped.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// The supervisor: one thread per child, which owns the `Child`, kills its group when the
/// deadline passes (or the caller gives up) and reaps it.
fn supervise(mut child: Child, watch: Arc<Watch>) {
    let pid = child.id() as libc::pid_t;
    loop {
        if ended(pid) {
            break;
        }
        let mut s = watch.lock();
        let now = Instant::now();
        let expired = s.deadline.is_some_and(|d| now >= d);
        if (expired || s.abandoned) && s.fired.is_none() {
            kill_group(pid);
            if expired {
                s.fired = Some(now);
            }
            watch.cv.notify_all();
        }
        let _ = watch.cv.wait_timeout(s, POLL);
    }
    {
        // Killed: anything of the group still running (a helper it forked) goes with it,
        // while the leader, not yet reaped, keeps the group ours. A child that ended by
        // itself keeps its helpers (a daemon it started).
        let s = watch.lock();
        if s.fired.is_some() || s.abandoned {
            kill_group(pid);
        }
    }
    let status = child.wait();
    watch.lock().status = Some(status);
    watch.cv.notify_all();
}

/// A child process under a deadline. Dropping it kills its process group.
pub struct Supervised {
    program: String,
    started: Instant,
    watch: Arc<Watch>,
    /// The child's stdin, if `cmd` piped it (take it to write; drop it to close).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if `cmd` piped it.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if `cmd` piped it.
    pub stderr: Option<ChildStderr>,
}

impl Supervised {
    /// Starts `cmd` in a process group of its own; it is killed `limit` from now unless
    /// [`Supervised::extend`] pushes the deadline on. Pipes are as `cmd` sets them.
    pub fn spawn(cmd: &mut Command, limit: Duration) -> Result<Supervised, RunError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        cmd.process_group(0);
        let mut tries = 0;
        let mut child = loop {
            match cmd.spawn() {
                Ok(c) => break c,
                // A program just written (a test's fake, an upgrade) while another thread
                // forked: that fork holds it open for writing until it execs. Try again.
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 10 => {
                    tries += 1;
                    std::thread::sleep(POLL * 2);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(RunError::NotFound { program }),
                Err(e) => return Err(RunError::Spawn { program, reason: e.to_string() }),
            }
        };
        let started = Instant::now();
        let watch =
            Arc::new(Watch { state: Mutex::new(State { deadline: Some(started + limit), ..State::default() }), cv: Condvar::new() });
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let w = watch.clone();
        std::thread::Builder::new()
            .name(format!("deadline:{program}"))
            .spawn(move || supervise(child, w))
            .map_err(|e| RunError::Spawn { program: program.clone(), reason: e.to_string() })?;
        Ok(Supervised { program, started, watch, stdin, stdout, stderr })
    }

    /// Moves the deadline to `limit` from now (progress was made). No effect once it fired.
    pub fn extend(&self, limit: Duration) {
        let mut s = self.watch.lock();
        if s.fired.is_none() {
            s.deadline = Some(Instant::now() + limit);
        }
    }

    /// Whether the deadline passed and the child was killed.
    pub fn timed_out(&self) -> bool {
        self.watch.lock().fired.is_some()
    }

    /// Kills the child (and its group) now.
    pub fn kill(&self) {
        self.watch.lock().abandoned = true;
        self.watch.cv.notify_all();
    }

    /// Waits for the child's end: at the latest a moment after its deadline. `stderr` is
    /// what the caller collected, for the error.
    pub fn wait(&self, stderr: impl FnOnce() -> String) -> Result<ExitStatus, RunError> {
        let mut s = self.watch.lock();
        loop {
            if let Some(fired) = s.fired {
                if s.status.is_some() || fired.elapsed() >= GRACE {
                    drop(s);
                    return Err(self.timed_out_error(stderr()));
                }
            }
            if let Some(status) = s.status.as_ref() {
                return match status {
                    Ok(st) => Ok(*st),
                    Err(e) => Err(RunError::Spawn { program: self.program.clone(), reason: e.to_string() }),
                };
            }
            s = self.watch.cv.wait_timeout(s, POLL * 5).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    fn timed_out_error(&self, stderr: String) -> RunError {
        let s = self.watch.lock();
        let after = s.fired.map(|f| f.duration_since(self.started)).unwrap_or_else(|| self.started.elapsed());
        RunError::TimedOut { program: self.program.clone(), after, stderr }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let mut s = self.watch.lock();
        if s.status.is_none() {
            s.abandoned = true;
            self.watch.cv.notify_all();
        }
    }
}

/// A pipe read to its end in a thread of its own; what arrived so far can be taken at any
/// time (a killed child's helper might hold the pipe open).
struct Drain {
    buf: Arc<Mutex<(Vec<u8>, bool)>>,
}

impl Drain {
    fn start(mut r: impl Read + Send + 'static) -> Drain {
        let buf: Arc<Mutex<(Vec<u8>, bool)>> = Arc::default();
        let b = buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match r.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => b.lock().unwrap_or_else(|p| p.into_inner()).0.extend_from_slice(&chunk[..n]),
                }
            }
            b.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        });
        Drain { buf }
    }

    /// Everything, once the pipe closed or `until` passed.
    fn take(&self, until: Instant) -> Vec<u8> {
        loop {
            {
                let mut b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
                if b.1 || Instant::now() >= until {
                    return std::mem::take(&mut b.0);
                }
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Runs `cmd` to its end with `input` on its stdin, collecting stdout and stderr; kills it
/// (and its group) when `limit` passes.
pub fn run(cmd: &mut Command, input: Option<Vec<u8>>, limit: Duration) -> Result<Output, RunError> {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = Supervised::spawn(cmd, limit)?;
    if let (Some(mut pipe), Some(data)) = (child.stdin.take(), input) {
        // In a thread: a stuck reader must not block us on a full pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = Drain::start(child.stdout.take().expect("piped"));
    let err = Drain::start(child.stderr.take().expect("piped"));
    let status = child.wait(|| String::from_utf8_lossy(&err.take(Instant::now() + GRACE / 4)).into_owned())?;
    let until = Instant::now() + GRACE;
    Ok(Output { status, stdout: out.take(until), stderr: err.take(until) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn a_quick_program_gives_its_output() {
        let out = run(&mut sh("cat; echo oops >&2; exit 3"), Some(b"hello".to_vec()), Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, b"hello");
        assert_eq!(out.stderr, b"oops\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_program_that_hangs_is_killed_with_what_it_forked() {
        // The shell forks a sleep that holds stdout and stderr open: only killing the
        // group lets the pipes close.
        let started = Instant::now();
        let e = run(&mut sh("echo started >&2; sleep 1000 & wait"), None, Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        match &e {
            RunError::TimedOut { after, stderr, .. } => {
                assert!(*after >= Duration::from_millis(300) && *after < Duration::from_secs(1), "{after:?}");
                assert_eq!(stderr, "started\n");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("did not finish within 0.3 s"), "{e}");
    }

    #[test]
    fn a_program_that_never_reads_its_input_is_stopped() {
        let e = run(&mut sh("sleep 1000"), Some(vec![0u8; 1 << 20]), Duration::from_millis(200)).unwrap_err();
        assert!(e.is_timeout());
    }

    #[test]
    fn a_missing_program_is_named() {
        let e = run(&mut Command::new("/nonexistent/hallq-no-such-program"), None, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(e, RunError::NotFound { .. }), "{e:?}");
    }

    #[test]
    fn progress_pushes_the_deadline_on() {
        let child = Supervised::spawn(sh("sleep 0.6").stdout(Stdio::null()).stderr(Stdio::null()), Duration::from_millis(400)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        child.extend(Duration::from_secs(5));
        assert!(child.wait(String::new).unwrap().success());
    }
}
