//! The display's IO: the [`Feed`] in, the Slint window (or PNG files without a display) and
//! the loudspeaker out. A new call flashes for three seconds; on the hall display it is
//! spoken, one announcement after another, never overlapping.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallq_ui::view::DisplayView;
use tokio::sync::mpsc;

use super::{layout, DisplayOptions, Feed, Mode, Update};

/// Where announcements go.
#[derive(Debug, Clone)]
pub enum VoiceOut {
    Off,
    /// Played with `aplay` (alsa-utils) on the box's sound output.
    Speaker,
    /// Written as numbered WAV files (a display without sound, and the tests).
    Dir(PathBuf),
}

const FLASH: Duration = Duration::from_secs(3);

/// Drives `render` from the feed until the process ends. The hall display's pages turn
/// every `page_seconds` (from the configuration) when it has more than one.
async fn drive(opts: DisplayOptions, voice: VoiceOut, render: impl Fn(DisplayView) + Send + 'static) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(Feed::new(opts.clone()).run(tx));
    let speaker = (opts.mode == Mode::Hall).then(|| spawn_speaker(opts.clone(), voice));
    let mut full = DisplayView::default();
    let mut flash_until: Option<Instant> = None;
    let mut page = 0usize;
    let mut next_page: Option<Instant> = None;
    loop {
        let flash_wait = flash_until.map(|t| t.saturating_duration_since(Instant::now())).unwrap_or(Duration::from_secs(3600));
        let page_wait = next_page.map(|t| t.saturating_duration_since(Instant::now())).unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            u = rx.recv() => match u {
                Some(Update::View(v)) => full = v,
                Some(Update::Call { number, window, .. }) => {
                    flash_until = Some(Instant::now() + FLASH);
                    if let Some(s) = &speaker {
                        let _ = s.send((number, window));
                    }
                }
                None => return,
            },
            _ = tokio::time::sleep(flash_wait) => flash_until = None,
            _ = tokio::time::sleep(page_wait) => {
                page += 1;
                next_page = None;
            }
        }
        full.flash = flash_until.is_some();
        if opts.mode == Mode::Hall {
            let pages = layout::page_count(&full);
            page %= pages;
            if pages == 1 {
                next_page = None;
            } else if next_page.is_none() {
                next_page = Some(Instant::now() + Duration::from_secs(full.page_seconds.clamp(3, 60) as u64));
            }
            render(layout::page(&full, page));
        } else {
            render(full.clone());
        }
    }
}

/// Speaks calls one after another.
fn spawn_speaker(opts: DisplayOptions, out: VoiceOut) -> mpsc::UnboundedSender<(String, u32)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, u32)>();
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("HTTP client");
        let base = opts.server.trim_end_matches('/').to_string();
        let mut written = 0u32;
        let mut warned = false;
        while let Some((number, window)) = rx.recv().await {
            if matches!(out, VoiceOut::Off) {
                continue;
            }
            let r = http
                .get(format!("{base}/api/v1/announce"))
                .query(&[("number", number.as_str()), ("window", &window.to_string())])
                .bearer_auth(&opts.token)
                .send()
                .await;
            let wav = match r {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(b) => b,
                    Err(_) => continue,
                },
                // Voice switched off in the hall's configuration.
                Ok(r) if r.status() == 404 => continue,
                Ok(r) => {
                    tracing::warn!("announcement of {number} at window {window}: HTTP {}", r.status());
                    continue;
                }
                Err(e) => {
                    tracing::warn!("announcement of {number} at window {window}: {e}");
                    continue;
                }
            };
            match &out {
                VoiceOut::Off => {}
                VoiceOut::Dir(dir) => {
                    written += 1;
                    let _ = std::fs::create_dir_all(dir);
                    if let Err(e) = std::fs::write(dir.join(format!("{written:04}-{number}-{window}.wav")), &wav) {
                        tracing::warn!("cannot write the announcement to {}: {e}", dir.display());
                    }
                }
                VoiceOut::Speaker => {
                    // aplay reads the WAV from stdin and returns when it has played it, so
                    // announcements never overlap; a stuck sound device is given up on after
                    // the clip's length and a margin, and the next call is tried again.
                    let limit = crate::kiosk::errands::wav_length(&wav).unwrap_or(std::time::Duration::from_secs(30))
                        + std::time::Duration::from_secs(5);
                    let played = tokio::task::spawn_blocking(move || {
                        let mut cmd = std::process::Command::new("aplay");
                        cmd.arg("-q");
                        hallq_drivers::process::run(&mut cmd, Some(wav.to_vec()), limit)
                    })
                    .await;
                    match played {
                        Ok(Ok(out)) if out.status.success() => {}
                        Ok(Ok(out)) if !warned => {
                            warned = true;
                            tracing::warn!("aplay failed ({}): check the box's sound output (aplay -l)", out.status);
                        }
                        Ok(Err(e)) if !warned => {
                            warned = true;
                            tracing::warn!("cannot play announcements: {e}. Install alsa-utils (aplay) or run with --voice off");
                        }
                        _ => {}
                    }
                }
            }
        }
    });
    tx
}

/// Runs the display in a Slint window (linuxkms on a display box, a desktop window with the
/// `desktop` feature of hallq-ui). Blocks until the window closes.
pub fn run_window(opts: DisplayOptions, voice: VoiceOut) -> anyhow::Result<()> {
    let window = hallq_ui::display::new_window().map_err(|e| {
        anyhow::anyhow!("cannot open the display screen: {e}. On a display box, check /dev/dri permissions; without a display use --png")
    })?;
    let sender = hallq_ui::display::sender(&window);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.spawn(drive(opts, voice, move |v| sender.send(v)));
    hallq_ui::display::run(&window).map_err(|e| anyhow::anyhow!("display screen: {e}"))?;
    drop(rt);
    Ok(())
}

/// Runs the display without a screen, writing what it shows to `png` (width × height)
/// whenever it changes. For display boxes being set up, and for the tests.
pub fn run_png(opts: DisplayOptions, voice: VoiceOut, png: PathBuf, size: (u32, u32)) -> anyhow::Result<()> {
    let headless = hallq_ui::headless::Headless::init().map_err(|e| anyhow::anyhow!("{e}"))?;
    let window = hallq_ui::display::new_window().map_err(|e| anyhow::anyhow!("{e}"))?;
    let latest: Arc<Mutex<Option<DisplayView>>> = Arc::default();
    let l = latest.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    rt.spawn(drive(opts, voice, move |v| *l.lock().unwrap_or_else(|p| p.into_inner()) = Some(v)));
    let mut shown: Option<DisplayView> = None;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let Some(view) = latest.lock().unwrap_or_else(|p| p.into_inner()).take() else { continue };
        if shown.as_ref() == Some(&view) {
            continue;
        }
        hallq_ui::display::apply(&window, &view);
        let img = headless.render(size.0, size.1);
        // Write then rename, so a reader never sees half a picture.
        let tmp = png.with_extension("part.png");
        img.save(&tmp)?;
        std::fs::rename(&tmp, &png)?;
        shown = Some(view);
    }
}
