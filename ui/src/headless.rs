//! Rendering screens without a display: a Slint platform whose window is a software
//! framebuffer. Used for screenshots (`hallq kiosk --screenshots`), for the headless
//! kiosk in `hallq demo`, and by the UI tests.

use std::rc::Rc;
use std::time::Instant;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, Rgb8Pixel, SharedPixelBuffer};

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

/// A framebuffer window. Create one per thread, before any Slint component.
pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
}

impl Headless {
    pub fn init() -> Result<Headless, slint::PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        slint::platform::set_platform(Box::new(HeadlessPlatform { window: window.clone(), start: Instant::now() }))
            .map_err(|e| slint::PlatformError::Other(e.to_string()))?;
        Ok(Headless { window })
    }

    /// Draws the window at `width` × `height` and returns the picture.
    pub fn render(&self, width: u32, height: u32) -> image::RgbImage {
        self.window.set_size(PhysicalSize::new(width, height));
        slint::platform::update_timers_and_animations();
        self.window.request_redraw();
        let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(width, height);
        self.window.draw_if_needed(|renderer| {
            renderer.render(buffer.make_mut_slice(), width as usize);
        });
        image::RgbImage::from_raw(width, height, buffer.as_bytes().to_vec()).expect("buffer size matches")
    }
}
