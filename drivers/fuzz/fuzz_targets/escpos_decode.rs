//! Fuzz the ESC/POS decoder and the simulated printer's renderer: no panic on any bytes.
#![no_main]
use hallq_drivers::printer::{decode, sim};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut chinese = false;
    let (_, used) = decode::decode_partial(data, &mut chinese);
    assert!(used <= data.len());
    // Rendering draws glyphs, QR codes, barcodes and rasters: keep inputs small.
    if data.len() < 2048 {
        let _ = sim::render(data);
    }
});
