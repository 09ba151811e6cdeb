//! The kiosk manager PIN: an Argon2id hash in PHC form (`[kiosk] manager_pin`, made by
//! `hallq kiosk hash-pin`), sent in a kiosk's own catalogue only and checked on the kiosk.
//!
//! A PIN has few digits, so no hash makes it safe to hand out: 10,000 four-digit PINs are
//! all tried at once against SHA-256. Argon2id with [`PIN_M_KIB`], [`PIN_T`], [`PIN_P`]
//! makes one check cost ~50–100 ms of one core and 24 MiB on kiosk hardware (measured:
//! ~60 ms on one core of a Xeon server VM; a Celeron- or RK3588-class kiosk is slower), so
//! trying every 4-digit PIN takes ~10–15 minutes of a core and every 6-digit PIN ~1 day,
//! and each guess needs its own 24 MiB, which spoils cheap GPU guessing. That is a delay,
//! not a wall: use 6 digits or more. The rest of the protection is that only kiosk tokens ever
//! see the hash, and the lock after [`MAX_WRONG`] wrong PINs at the kiosk itself.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};
use sha2::{Digest, Sha256};

/// Memory per check, KiB (24 MiB).
pub const PIN_M_KIB: u32 = 24 * 1024;
/// Passes over the memory.
pub const PIN_T: u32 = 3;
/// Lanes: one, so a kiosk's single check is not spread over cores it needs for the screen.
pub const PIN_P: u32 = 1;
/// Wrong PINs in a row after which the kiosk's manager menu locks.
pub const MAX_WRONG: u32 = 5;
/// How long it stays locked, in seconds (the kiosk counts its once-a-second clock ticks).
pub const LOCK_SECS: u32 = 5 * 60;

/// The PHC string of a new Argon2id hash of `pin` with a random salt and the PIN
/// parameters.
pub fn hash_pin(pin: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::new(PIN_M_KIB, PIN_T, PIN_P, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("Argon2 hashes any PIN")
        .to_string()
}

/// Whether `pin` matches `hash`: an Argon2 PHC string (its own parameters and salt), or —
/// for configurations that still have the old `manager_pin_sha256` — 64 hex digits of its
/// SHA-256. Anything else (empty, malformed) matches nothing.
pub fn verify_pin(hash: &str, pin: &str) -> bool {
    if hash.starts_with('$') {
        return PasswordHash::new(hash)
            .is_ok_and(|h| h.algorithm.as_str().starts_with("argon2") && Argon2::default().verify_password(pin.as_bytes(), &h).is_ok());
    }
    if is_sha256_hex(hash) {
        return hex::encode(Sha256::digest(pin.as_bytes())).eq_ignore_ascii_case(hash);
    }
    false
}

/// Whether `hash` is an Argon2 hash in PHC form (what `[kiosk] manager_pin` must be).
pub fn is_argon2_phc(hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| h.algorithm.as_str().starts_with("argon2") && Params::try_from(&h).is_ok() && h.hash.is_some() && h.salt.is_some())
}

/// Whether `hash` is the old unsalted SHA-256 form: 64 hex digits.
pub fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_hash_verifies_its_pin_only() {
        let h = hash_pin("2468");
        assert!(is_argon2_phc(&h), "{h}");
        assert!(h.starts_with(&format!("$argon2id$v=19$m={PIN_M_KIB},t={PIN_T},p={PIN_P}$")), "{h}");
        assert!(verify_pin(&h, "2468"));
        assert!(!verify_pin(&h, "2469"));
        assert!(!verify_pin(&h, ""));
        assert_ne!(h, hash_pin("2468"), "salted");
        // The old SHA-256 form still opens, for configurations not yet changed.
        assert!(verify_pin(crate::config::DEMO_PIN_SHA256, "2468"));
        assert!(!verify_pin(crate::config::DEMO_PIN_SHA256, "1234"));
        assert!(!verify_pin("", ""));
        assert!(!verify_pin("$argon2id$nonsense", "2468"));
    }

    #[test]
    fn the_demo_pin_hash_is_2468_with_the_pin_parameters() {
        let h = crate::config::DEMO_PIN_PHC;
        assert!(is_argon2_phc(h));
        assert!(h.starts_with(&format!("$argon2id$v=19$m={PIN_M_KIB},t={PIN_T},p={PIN_P}$")), "{h}");
        let t = std::time::Instant::now();
        assert!(verify_pin(h, "2468"));
        eprintln!("one PIN check: {:?}", t.elapsed());
        assert!(!verify_pin(h, "1234"));
    }
}
