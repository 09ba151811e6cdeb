//! The simulated A4 printer (`sim://a4`) of the demo and the tests: each "printed" PDF is
//! filed in a folder, after a short pause as a real printer would take.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::device::KioskDevice;

/// An A4 printer that files what it prints as PDF files in a folder.
#[derive(Debug, Clone)]
pub struct SimA4 {
    dir: PathBuf,
}

impl SimA4 {
    /// A simulated printer filing into `dir` (created).
    pub fn open(dir: &Path) -> Result<SimA4, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(SimA4 { dir: dir.to_path_buf() })
    }

    /// The folder the printed PDFs go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// "Prints" one PDF, reporting (what, percent of this job) as a real printer would.
    pub fn print(&self, pdf: &[u8], title: &str, mut progress: impl FnMut(&str, u32)) -> Result<(), String> {
        progress("正在打印", 50);
        std::thread::sleep(Duration::from_millis(600));
        let name = format!("{}-{}.pdf", chrono::Local::now().format("%H%M%S%3f"), title.replace(['/', '\\'], "_"));
        std::fs::write(self.dir.join(name), pdf).map_err(|e| format!("A4 打印失败：{e}"))?;
        progress("已打印", 100);
        Ok(())
    }
}

impl KioskDevice for SimA4 {
    fn describe(&self) -> String {
        format!("sim://a4 ({})", self.dir.display())
    }

    fn status(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn self_test(&mut self) -> Result<String, String> {
        Ok("A4打印机就绪".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_pdf_is_filed_with_its_title() {
        let dir = tempfile::tempdir().unwrap();
        let a4 = SimA4::open(&dir.path().join("a4")).unwrap();
        let mut seen = Vec::new();
        a4.print(b"%PDF-1.4", "营业执照/副本", |what, pct| seen.push((what.to_string(), pct))).unwrap();
        assert_eq!(seen.last(), Some(&("已打印".to_string(), 100)));
        let files: Vec<_> = std::fs::read_dir(a4.dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(files[0].ends_with("营业执照_副本.pdf"), "{files:?}");
    }
}
