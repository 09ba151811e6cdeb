//! Fuzz the GA/T 467 frame parser and the card text decoder: no panic on any bytes.
#![no_main]
use hallq_drivers::idcard::{card, frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((payload, used))) = frame::parse(data) {
        assert!(used <= data.len());
        if let Ok(reply) = frame::Reply::from_payload(&payload) {
            // The reply re-encodes to a frame that parses back to itself.
            let again = frame::parse(&reply.to_frame()).unwrap().unwrap().0;
            assert_eq!(again, payload);
            if reply.data.len() >= 4 + card::TEXT_LEN {
                let _ = card::decode(&reply.data[4..4 + card::TEXT_LEN], &[]);
            }
        }
    }
    if data.len() >= card::TEXT_LEN {
        let _ = card::decode(&data[..card::TEXT_LEN], &data[card::TEXT_LEN..]);
    }
});
