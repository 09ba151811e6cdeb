//! `hallq backup` and `hallq restore`: the whole data directory in one file, taken while the
//! service runs.
//!
//! Each SQLite database (`hallq.db`, the event log; `documents.db`) is copied with SQLite's
//! online backup API in one step, which reads one consistent snapshot while the writer goes
//! on (WAL); the other files (the identity key, configuration versions, the staff sign-out
//! list) are copied as they are. The copy of the event log has its hash chain verified
//! before the backup is written. The file is a tar archive, 0600 (it holds the identity key
//! and personal data), with `hallq-backup.json` first.
//!
//! A restore unpacks into a new directory beside the data directory, verifies the chain
//! again, and only then puts it in place; a data directory that is not empty is refused
//! unless `force`, and then kept beside it as `DIR.replaced-TIME`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use crate::store::{self, Verdict};

/// The first entry of every backup.
pub const MANIFEST: &str = "hallq-backup.json";
const FORMAT: u32 = 1;

/// What a backup holds (its first entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The hallq that wrote it.
    pub hallq: String,
    pub created_at: String,
    /// Schema version of the event log copy (`PRAGMA user_version`; 0 is version 1).
    pub schema_version: u32,
    /// Events in the event log copy, all verified.
    pub events: u64,
    /// Files in the archive besides this one, relative to the data directory.
    pub files: Vec<String>,
}

/// What `backup` did.
#[derive(Debug, Clone)]
pub struct Report {
    pub manifest: Manifest,
    /// Size of the backup file.
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Files never copied: SQLite's side files (their content is in the online copy) and
/// caches that the service makes again.
fn skipped(rel: &Path) -> bool {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with("-wal") || name.ends_with("-shm") || name.ends_with("-journal") || rel.starts_with("voice-cache")
}

fn is_database(rel: &Path) -> bool {
    rel.extension().is_some_and(|e| e == "db")
}

/// Every file under `dir` (relative paths, sorted), without the skipped ones.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            let rel = path.strip_prefix(root).expect("under the root").to_path_buf();
            if skipped(&rel) {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else if kind.is_file() {
                out.push(rel);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Copies the database at `from` into a new file `to` with the online backup API, in one
/// step (one consistent snapshot; the service's writer is not held up in WAL mode), and
/// leaves the copy as a plain rollback-journal database.
pub fn copy_database(from: &Path, to: &Path) -> anyhow::Result<()> {
    // Read-write without create: a WAL database whose -shm is gone (the service stopped)
    // cannot be read read-only. Nothing is written through it; run as root, SQLite gives
    // the -wal and -shm files it makes the database's owner.
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("opening {}", from.display()))?;
    src.busy_timeout(Duration::from_secs(30))?;
    store::create_private(to).with_context(|| format!("creating {}", to.display()))?;
    let mut dst = Connection::open(to).with_context(|| format!("creating {}", to.display()))?;
    {
        use rusqlite::backup::StepResult;
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        // -1: every page in one step, so the copy is one snapshot of the source.
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            match backup.step(-1).with_context(|| format!("copying {}", from.display()))? {
                StepResult::Done => break,
                // A step of every page does not stop half-way; busy or locked: try again.
                _ if Instant::now() < until => std::thread::sleep(Duration::from_millis(50)),
                _ => bail!("{} stayed locked for 60 s; try again", from.display()),
            }
        }
    }
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        bail!("the copy of {} fails SQLite's check: {check}", from.display());
    }
    Ok(())
}

fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// `hallq backup --data DIR --to FILE`.
pub fn backup(data: &Path, to: &Path) -> anyhow::Result<Report> {
    let started = Instant::now();
    let log = data.join("hallq.db");
    if !log.is_file() {
        bail!("{} has no event log (hallq.db): is it the data directory of hallq serve (--data)?", data.display());
    }
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new().prefix(".hallq-backup-").tempdir_in(&parent).context("making a staging directory")?;
    let files = files_under(data)?;
    for rel in &files {
        let (from, into) = (data.join(rel), staging.path().join(rel));
        if let Some(p) = into.parent() {
            fs::create_dir_all(p)?;
        }
        if is_database(rel) {
            copy_database(&from, &into)?;
        } else {
            fs::copy(&from, &into).with_context(|| format!("copying {}", from.display()))?;
        }
    }
    let copy = staging.path().join("hallq.db");
    let events = match store::verify(&copy).context("verifying the copy of the event log")? {
        Verdict::Intact { events, .. } => events,
        Verdict::Broken { seq, reason } => {
            bail!("the event log's chain is broken at event {seq} ({reason}); no backup written. Run `hallq log verify` on it.")
        }
    };
    let schema_version = store::schema_version(&store::open_reader(&copy)?)?;
    let manifest = Manifest {
        format: FORMAT,
        hallq: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        schema_version,
        events,
        files: files.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
    };

    let partial = parent.join(format!(".{}.partial", to.file_name().and_then(|n| n.to_str()).unwrap_or("hallq-backup")));
    let result = (|| -> anyhow::Result<()> {
        let file = private_file(&partial).with_context(|| format!("creating {}", partial.display()))?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        let json = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, json.as_slice())?;
        for rel in &files {
            tar.append_path_with_name(staging.path().join(rel), rel)?;
        }
        let mut w = tar.into_inner()?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&partial, to).with_context(|| format!("moving the backup to {}", to.display()))?;
        if let Ok(d) = fs::File::open(&parent) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result?;
    let bytes = fs::metadata(to)?.len();
    Ok(Report { manifest, bytes, elapsed: started.elapsed() })
}

/// Reads the manifest of a backup file.
pub fn read_manifest(from: &Path) -> anyhow::Result<Manifest> {
    let file = fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive.entries()?;
    let mut first = entries.next().ok_or_else(|| anyhow::anyhow!("{} is empty", from.display()))??;
    if first.path()?.as_ref() != Path::new(MANIFEST) {
        bail!("{} is not a hallq backup (no {MANIFEST} first)", from.display());
    }
    let manifest: Manifest = serde_json::from_reader(&mut first).context("reading the backup's manifest")?;
    if manifest.format != FORMAT {
        bail!("{} is a backup of format {}; this hallq reads format {FORMAT}", from.display(), manifest.format);
    }
    Ok(manifest)
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    Ok(fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_none())
}

/// What `restore` did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the data directory that was replaced (with `force`) was kept.
    pub kept: Option<PathBuf>,
}

/// `hallq restore --from FILE --data DIR [--force]`. Stop the service first.
pub fn restore(from: &Path, data: &Path, force: bool) -> anyhow::Result<Restored> {
    let manifest = read_manifest(from)?;
    let existing = data.exists();
    if existing && !data.is_dir() {
        bail!("{} is not a directory", data.display());
    }
    if existing && !is_empty_dir(data)? && !force {
        bail!(
            "{} is not empty: restoring would replace the hall's data. Stop hallq serve, then run again with --force \
             (the current directory is kept beside it as {}.replaced-TIME)",
            data.display(),
            data.file_name().and_then(|n| n.to_str()).unwrap_or("DATA")
        );
    }
    let parent = match data.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new().prefix(".hallq-restore-").tempdir_in(&parent).context("making a staging directory")?;
    {
        let mut archive = tar::Archive::new(fs::File::open(from)?);
        archive.set_preserve_permissions(true);
        for entry in archive.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.into_owned();
            if path == Path::new(MANIFEST) {
                continue;
            }
            // unpack_in refuses paths that leave the staging directory.
            if !entry.unpack_in(staging.path())? {
                bail!("{} holds a path outside the data directory: {}", from.display(), path.display());
            }
        }
    }
    for f in &manifest.files {
        if !staging.path().join(f).is_file() {
            bail!("{} is incomplete: {f} is missing", from.display());
        }
    }
    match store::verify(&staging.path().join("hallq.db")).context("verifying the event log in the backup")? {
        Verdict::Intact { events, .. } if events == manifest.events => {}
        Verdict::Intact { events, .. } => {
            bail!("the backup's event log has {events} events, its manifest says {}; not restored", manifest.events)
        }
        Verdict::Broken { seq, reason } => bail!("the backup's event log is broken at event {seq} ({reason}); not restored"),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        fs::set_permissions(staging.path(), fs::Permissions::from_mode(0o700))?;
        // Run as root for a service user's directory: the files go back to its owner.
        if existing && running_as_root() {
            let meta = fs::metadata(data)?;
            if meta.uid() != 0 {
                chown_tree(staging.path(), meta.uid(), meta.gid())?;
            }
        }
    }
    let mut kept = None;
    if existing {
        if is_empty_dir(data)? {
            fs::remove_dir(data).with_context(|| format!("removing the empty {}", data.display()))?;
        } else {
            let aside = PathBuf::from(format!("{}.replaced-{}", data.display(), chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
            fs::rename(data, &aside).with_context(|| format!("moving {} aside", data.display()))?;
            kept = Some(aside);
        }
    }
    let staged = staging.keep();
    fs::rename(&staged, data).with_context(|| format!("putting the restored data in {}", data.display()))?;
    Ok(Restored { manifest, kept })
}

#[cfg(unix)]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(unix)]
fn chown_tree(dir: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            chown_tree(&path, uid, gid)?;
        } else {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
        }
    }
    Ok(())
}
