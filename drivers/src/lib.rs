//! Device drivers for hallq. Only this crate touches device files, USB and serial ports.
