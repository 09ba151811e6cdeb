//! hallq's Slint screens. [`view`] holds the plain view types the kiosk controller
//! produces (they build without Slint); with the `slint` feature, [`kiosk`] draws them and
//! reports taps, [`display`] draws the window and hall displays, and [`headless`] renders screens to images without a display.
//!
//! This crate and nothing else imports slint.

pub mod view;

#[cfg(feature = "slint")]
mod generated {
    slint::include_modules!();
}

#[cfg(feature = "slint")]
pub mod display;
#[cfg(feature = "slint")]
pub mod headless;
#[cfg(feature = "slint")]
pub mod kiosk;
