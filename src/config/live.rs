//! Versions of the hall configuration in `DATA/config/`: `v000001.toml`, `v000002.toml`…,
//! each saved only after it validated. The newest is in force. A version comes from the
//! file `hallq serve --config` names (when the file changed since it was last read), from
//! a manager through the API, or from a reload of the file.
//!
//! `DATA/config/source` remembers the file and the SHA-256 of its text when it was last
//! taken, so a restart keeps a manager's change unless the installer edited the file.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Config, ConfigError};

pub struct ConfigStore {
    dir: PathBuf,
    /// Refuse a new version that holds published demo tokens or staff.
    refuse_demo: bool,
}

/// A version in force.
#[derive(Debug, Clone)]
pub struct Version {
    pub number: u64,
    pub digest: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Invalid(ConfigError),
    #[error("the configuration changed meanwhile (now version {current}, you edited {expected}); reload it and apply your change again")]
    Conflict { current: u64, expected: u64 },
    #[error("no configuration file to reload: the service was not started with --config")]
    NoFile,
    #[error("{0}")]
    Io(String),
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn io(path: &Path, e: std::io::Error) -> LiveError {
    LiveError::Io(format!("{}: {e}", path.display()))
}

impl ConfigStore {
    pub fn new(data_dir: &Path) -> ConfigStore {
        ConfigStore { dir: data_dir.join("config"), refuse_demo: false }
    }

    /// With `refuse`, a new version (saved or reloaded) that holds the published demo
    /// tokens or staff is refused: a hall that runs without them cannot get them back.
    pub fn refusing_demo(mut self, refuse: bool) -> ConfigStore {
        self.refuse_demo = refuse;
        self
    }

    /// Parses `text` (named `file` in errors), and refuses demo secrets when asked to.
    fn parse(&self, text: &str, file: &str) -> Result<Config, LiveError> {
        let config = Config::parse(text, file).map_err(LiveError::Invalid)?;
        if self.refuse_demo {
            if let Some(e) = config.demo_secret_errors(text, file).into_iter().next() {
                return Err(LiveError::Invalid(e));
            }
        }
        Ok(config)
    }

    /// What [`ConfigStore::resolve`] would put in force, without saving anything: the
    /// configuration, its text and the name of where the text is.
    pub fn in_force(&self, file: &Path) -> Result<(Config, String, String), LiveError> {
        let text = std::fs::read_to_string(file).map_err(|e| io(file, e))?;
        let unchanged = self.source().is_some_and(|(p, d)| p == file && d == digest(&text));
        match self.newest()? {
            Some(v) if unchanged => {
                let name = self.path(v.number).display().to_string();
                let config = Config::parse(&v.text, &name).map_err(LiveError::Invalid)?;
                Ok((config, v.text, name))
            }
            _ => {
                let name = file.display().to_string();
                let config = Config::parse(&text, &name).map_err(LiveError::Invalid)?;
                Ok((config, text, name))
            }
        }
    }

    fn path(&self, n: u64) -> PathBuf {
        self.dir.join(format!("v{n:06}.toml"))
    }

    /// The numbers of every saved version, oldest first.
    pub fn numbers(&self) -> Result<Vec<u64>, LiveError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir, e)),
        };
        let mut numbers: Vec<u64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_prefix('v')?.strip_suffix(".toml")?.parse::<u64>().ok()))
            .collect();
        numbers.sort_unstable();
        Ok(numbers)
    }

    /// Saved version `n`, if there is one.
    pub fn version(&self, n: u64) -> Result<Option<Version>, LiveError> {
        let path = self.path(n);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Version { number: n, digest: digest(&text), text })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// The newest saved version, if any.
    pub fn newest(&self) -> Result<Option<Version>, LiveError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&self.dir, e)),
        };
        let newest = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_prefix('v')?.strip_suffix(".toml")?.parse::<u64>().ok()))
            .max();
        let Some(n) = newest else { return Ok(None) };
        let path = self.path(n);
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        Ok(Some(Version { number: n, digest: digest(&text), text }))
    }

    /// Validates `text` and saves it as the next version. With `expected`, refuses when the
    /// newest version is not that one (two managers editing at once).
    pub fn save(&self, text: &str, expected: Option<u64>) -> Result<(Config, Version), LiveError> {
        let previous = self.newest()?;
        // A webhook secret put back as `GET /config` showed it is the secret in force.
        let text = &super::secrets::restore_webhook_secret(text, previous.as_ref().map(|v| v.text.as_str())).map_err(LiveError::Invalid)?;
        // Checked as it came (the shown forms of staff passwords pass): an error may quote
        // the text, so it must be the text the manager sent.
        let checked = self.parse(text, "config")?;
        let current = previous.as_ref().map(|v| v.number).unwrap_or(0);
        if let Some(e) = expected {
            if e != current {
                return Err(LiveError::Conflict { current, expected: e });
            }
        }
        // Staff passwords put back in their shown form are the hashes in force; the text with
        // them is never quoted back.
        let restored =
            super::secrets::restore_staff_passwords(text, previous.as_ref().map(|v| v.text.as_str())).map_err(LiveError::Invalid)?;
        // Nothing put back: the text already checked is the one saved.
        let config = if restored == *text {
            checked
        } else {
            self.parse(&restored, "config").map_err(|e| match e {
                LiveError::Invalid(c) if c.to_string().contains("$argon2") => LiveError::Invalid(ConfigError {
                    file: "config".into(),
                    line: None,
                    field: "staff.password".into(),
                    message: "the configuration does not check once its staff's password hashes are put back".into(),
                }),
                other => other,
            })?
        };
        let text = &restored;
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let n = current + 1;
        let path = self.path(n);
        write_durably(&path, text.as_bytes()).map_err(|e| io(&path, e))?;
        Ok((config, Version { number: n, digest: digest(text), text: text.to_string() }))
    }

    fn source(&self) -> Option<(PathBuf, String)> {
        let s = std::fs::read_to_string(self.dir.join("source")).ok()?;
        let (d, p) = s.trim_end().split_once(' ')?;
        Some((PathBuf::from(p), d.to_string()))
    }

    fn set_source(&self, file: &Path, text: &str) -> Result<(), LiveError> {
        let path = self.dir.join("source");
        write_durably(&path, format!("{} {}\n", digest(text), file.display()).as_bytes()).map_err(|e| io(&path, e))
    }

    /// At start-up: the configuration to run with. The file wins when it changed since it
    /// was last taken (or nothing is saved yet); otherwise the newest saved version does,
    /// which may be a manager's change made through the API.
    pub fn resolve(&self, file: &Path) -> Result<(Config, Version), LiveError> {
        let text = std::fs::read_to_string(file).map_err(|e| io(file, e))?;
        let name = file.display().to_string();
        let newest = self.newest()?;
        let unchanged = self.source().is_some_and(|(p, d)| p == file && d == digest(&text));
        match newest {
            Some(v) if unchanged => {
                let config = Config::parse(&v.text, &self.path(v.number).display().to_string()).map_err(LiveError::Invalid)?;
                Ok((config, v))
            }
            Some(v) if v.digest == digest(&text) => {
                let config = Config::parse(&text, &name).map_err(LiveError::Invalid)?;
                self.set_source(file, &text)?;
                Ok((config, v))
            }
            _ => {
                Config::parse(&text, &name).map_err(LiveError::Invalid)?;
                let saved = self.save(&text, None)?;
                self.set_source(file, &text)?;
                Ok(saved)
            }
        }
    }

    /// Reads the file the service started from again: a new version when it changed.
    /// None when it is the version in force already.
    pub fn reload(&self) -> Result<Option<(Config, Version)>, LiveError> {
        let (file, _) = self.source().ok_or(LiveError::NoFile)?;
        let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
        if self.newest()?.is_some_and(|v| v.digest == digest(&text)) {
            self.set_source(&file, &text)?;
            return Ok(None);
        }
        let name = file.display().to_string();
        self.parse(&text, &name)?;
        let saved = self.save(&text, None)?;
        self.set_source(&file, &text)?;
        Ok(Some(saved))
    }
}

/// Writes a file so that it is either the old one or the whole new one after a crash.
/// Created 0600: a version may hold tokens in clear (and the staff sign-out list uses it too).
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("part");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    // A leftover .part from an older hallq keeps its mode through open: set it.
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_TOML;

    #[test]
    fn the_file_the_api_and_restarts() {
        let data = tempfile::tempdir().unwrap();
        let file = data.path().join("hall.toml");
        std::fs::write(&file, DEFAULT_TOML).unwrap();
        let store = ConfigStore::new(data.path());
        let (_, v1) = store.resolve(&file).unwrap();
        assert_eq!(v1.number, 1);
        // A restart with the same file: the same version.
        assert_eq!(store.resolve(&file).unwrap().1.number, 1);
        // A manager's change through the API survives a restart.
        let edited = DEFAULT_TOML.replacen("name = \"示例县市民之家\"", "name = \"示例县政务服务中心\"", 1);
        assert_ne!(edited, DEFAULT_TOML);
        let (c, v2) = store.save(&edited, Some(1)).unwrap();
        assert_eq!((v2.number, c.hall.name.as_str()), (2, "示例县政务服务中心"));
        assert!(matches!(store.save(&edited, Some(1)), Err(LiveError::Conflict { current: 2, expected: 1 })));
        let (c, v) = store.resolve(&file).unwrap();
        assert_eq!((v.number, c.hall.name.as_str()), (2, "示例县政务服务中心"));
        // An invalid text is refused with its line, and nothing is saved.
        let bad = DEFAULT_TOML.replacen("prefix = \"A\"", "prefix = \"AA\"", 1);
        match store.save(&bad, None) {
            Err(LiveError::Invalid(e)) => assert!(e.line.is_some(), "{e}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.newest().unwrap().unwrap().number, 2);
        // Reloading an unchanged file changes nothing; an edited file wins, at reload and at start.
        assert!(store.reload().unwrap().is_some(), "the file differs from version 2");
        assert!(store.reload().unwrap().is_none());
        std::fs::write(&file, &edited).unwrap();
        let (c, v) = store.resolve(&file).unwrap();
        assert_eq!((v.number, c.hall.name.as_str()), (4, "示例县政务服务中心"));
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;
    use crate::config::DEFAULT_TOML;

    #[test]
    fn versions_are_0600_and_demo_secrets_can_be_refused() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let file = data.path().join("hall.toml");
        std::fs::write(&file, DEFAULT_TOML).unwrap();
        let store = ConfigStore::new(data.path());
        let (c, text, name) = store.in_force(&file).unwrap();
        assert_eq!((text.as_str(), name.as_str(), c.tokens.len()), (DEFAULT_TOML, file.to_str().unwrap(), 12));
        assert!(store.newest().unwrap().is_none(), "in_force saves nothing");
        let (_, v) = store.resolve(&file).unwrap();
        for f in [store.path(v.number), data.path().join("config/source")] {
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
        }
        let refusing = ConfigStore::new(data.path()).refusing_demo(true);
        match refusing.save(DEFAULT_TOML, None) {
            Err(LiveError::Invalid(e)) => assert!(e.message.contains("demo") && e.line.is_some(), "{e}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.newest().unwrap().unwrap().number, 1, "nothing saved");
    }
}
