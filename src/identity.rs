//! Personal data handling: checking ID numbers (GB 11643), masking them for display, and
//! the keyed hash that stands in for them in limits and look-ups. A clear ID number never
//! leaves this module except masked.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::engine::Holder;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号码应为18位（最后一位可为X），请重新刷卡或核对号码。")]
    Length,
    #[error("身份证号码含有非法字符，请核对。")]
    Characters,
    #[error("身份证号码的出生日期无效，请核对。")]
    BirthDate,
    #[error("身份证号码校验位不正确，请核对号码。")]
    CheckDigit,
    #[error("请填写姓名。")]
    NoName,
}

pub use hallq_drivers::gb11643::{check_char, with_check_char};

/// A checked 18-character citizen identity number (also the form used by Hong Kong, Macao
/// and Taiwan residence permits and the 2023 foreigner permanent residence card).
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print it in clear, even in a debug log.
        write!(f, "IdNumber({})", self.masked())
    }
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(IdError::Length);
        }
        // Only ASCII from here: a byte index is then a character index (a card's number
        // with other characters is refused, never split mid-character).
        if !s.is_ascii() {
            return Err(IdError::Characters);
        }
        let (body, last) = s.split_at(17);
        if !body.bytes().all(|b| b.is_ascii_digit()) || !last.chars().all(|c| c.is_ascii_digit() || c == 'X') {
            return Err(IdError::Characters);
        }
        if NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").is_err() {
            return Err(IdError::BirthDate);
        }
        if check_char(body) != last.chars().next() {
            return Err(IdError::CheckDigit);
        }
        Ok(IdNumber(s))
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked in parse")
    }

    /// "4301**********123X": the first four and last four characters.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..4], "*".repeat(10), &self.0[14..])
    }

    /// Keyed hash (HMAC-SHA256, hex) used for per-person limits and look-ups.
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(self.0.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// "张*" for 张三, "欧**" for 欧阳娜娜; Latin names keep their first letter.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.filter(|c| !c.is_whitespace()).count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// A name as compared between the approval system and the card: no whitespace, Latin
/// letters in capitals, the middle dots of minority and foreign names as one "·".
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{00B7}' | '\u{2022}' | '\u{2027}' | '\u{30FB}' | '\u{FF65}' | '\u{2219}' | '\u{22C5}' | '.' | '\u{FF0E}' => '\u{00B7}',
            c => c,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

/// Keyed hash (HMAC-SHA256, hex) of an ID number together with the normalised name: the
/// person a result belongs to, so that finding it needs both as read from the card. Fails
/// like [`holder`] on a bad number or an empty name.
pub fn person_hash(id_number: &str, name: &str, key: &[u8]) -> Result<String, IdError> {
    let id = IdNumber::parse(id_number)?;
    let name = normalise_name(name);
    if name.is_empty() {
        return Err(IdError::NoName);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"hallq person v1\0");
    mac.update(id.0.as_bytes());
    mac.update(b"\0");
    mac.update(name.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Turns what a kiosk read from a card into what the engine may hold.
pub fn holder(id_number: &str, name: &str, key: &[u8]) -> Result<Holder, IdError> {
    let id = IdNumber::parse(id_number)?;
    if name.trim().is_empty() {
        return Err(IdError::NoName);
    }
    Ok(Holder { masked_name: mask_name(name), masked_id: id.masked(), id_hash: id.keyed_hash(key), birth_date: Some(id.birth_date()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_follows_gb11643() {
        // The standard's own example.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        // Found by the API fuzz: 18 characters, some not ASCII, once split mid-character.
        assert_eq!(IdNumber::parse("1111111111111111éé"), Err(IdError::Characters));
        assert_eq!(IdNumber::parse("11010519491231002é"), Err(IdError::Characters));
        assert_eq!(IdNumber::parse("110105194912310021"), Err(IdError::CheckDigit));
        assert_eq!(IdNumber::parse("1101051949123100"), Err(IdError::Length));
        assert_eq!(IdNumber::parse("11010519491331002X"), Err(IdError::BirthDate));
        assert_eq!(IdNumber::parse("11010519491231A02X"), Err(IdError::Characters));
    }

    #[test]
    fn the_person_hash_needs_the_name_too() {
        let key = b"k";
        let a = person_hash("11010519491231002X", "买买提·艾力", key).unwrap();
        assert_eq!(person_hash("11010519491231002x", " 买买提•艾力 ", key).unwrap(), a, "spaces, case and dot variants do not matter");
        assert_ne!(person_hash("11010519491231002X", "买买提", key).unwrap(), a);
        assert_ne!(person_hash("11010519491231002X", "买买提·艾力", b"other").unwrap(), a);
        assert_ne!(a, IdNumber::parse("11010519491231002X").unwrap().keyed_hash(key), "not the ID hash");
        assert_eq!(person_hash("11010519491231002X", " ", key), Err(IdError::NoName));
        assert_eq!(normalise_name("John  Smith"), "JOHNSMITH");
    }

    #[test]
    fn masks_hide_the_middle_and_the_given_name() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
    }

    #[test]
    fn keyed_hash_depends_on_the_key_and_not_on_case() {
        let a = IdNumber::parse("11010519491231002X").unwrap();
        let b = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(a.keyed_hash(b"k1"), b.keyed_hash(b"k1"));
        assert_ne!(a.keyed_hash(b"k1"), a.keyed_hash(b"k2"));
        assert!(!a.keyed_hash(b"k1").contains("110105"));
    }

    #[test]
    fn holder_carries_birth_date_for_the_green_channel() {
        let h = holder("11010519491231002X", "张三", b"key").unwrap();
        assert_eq!(h.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(h.masked_name, "张*");
        assert_eq!(holder("11010519491231002X", " ", b"key"), Err(IdError::NoName));
    }
}
