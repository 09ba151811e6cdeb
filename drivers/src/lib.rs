//! Device drivers for hallq. Only this crate touches device files, USB and serial ports.
//!
//! One module per device kind, each with its protocol as pure byte functions, its
//! transports behind one byte-stream trait, and a simulator that the tests and `hallq demo`
//! use in place of the hardware:
//! - [`printer`]: 80 mm ESC/POS ticket printer (encoder, status, ticket layout, simulator
//!   that renders to PNG);
//! - [`idcard`]: resident ID-card reader (GA/T 467 frames, card decoding, poll loop,
//!   simulator on a pseudo-terminal);
//! - [`scanner`]: document scanner through SANE;
//! - [`a4`]: A4 printing through IPP to CUPS;
//! - [`discover`]: listing candidate devices and checking permissions;
//! - [`process`]: outside programs (scanimage, espeak-ng, aplay) under a deadline.

#![warn(missing_docs)]

pub mod a4;
pub mod a4_sim;
pub mod device;
pub mod discover;
pub mod font;
pub mod gb11643;
pub mod idcard;
pub mod pdf;
pub mod printer;
pub mod process;
pub mod scanner;
pub mod transport;
pub mod uri;

pub use uri::DeviceUri;
