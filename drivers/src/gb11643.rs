//! The GB 11643 check character of citizen identity numbers (also used by Hong Kong,
//! Macao and Taiwan residence permits and the 2023 foreigner permanent residence card).

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits, or None if they are not 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Whether an 18-character number carries the right check character.
pub fn is_valid(id: &str) -> bool {
    id.len() == 18 && id.is_char_boundary(17) && check_char(&id[..17]) == id[17..].chars().next().map(|c| c.to_ascii_uppercase())
}

/// Completes 17 digits with their check character (for simulators and tests).
pub fn with_check_char(first17: &str) -> String {
    format!("{first17}{}", check_char(first17).expect("17 digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example() {
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert!(is_valid("11010519491231002X"));
        assert!(is_valid("11010519491231002x"));
        assert!(!is_valid("110105194912310021"));
        assert!(!is_valid("1101051949123100"));
    }
}
