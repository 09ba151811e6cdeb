//! The card's 256 bytes of UCS-2LE text (GA 490 layout) decoded into one [`Identity`], for
//! resident ID cards, Hong Kong / Macao / Taiwan residence permits ('J') and foreigner
//! permanent residence cards ('I'). The photo (WLT) passes through undecoded: decoding it
//! needs a vendor library.

use chrono::NaiveDate;

/// Bytes of card text in a read reply (UCS-2 little-endian, fixed fields).
pub const TEXT_LEN: usize = 256;
/// Bytes of the WLT-compressed photo in a read reply.
pub const PHOTO_LEN: usize = 1024;

/// Which of the three cards the reader reads (from the text's type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// 居民身份证
    Resident,
    /// 港澳台居民居住证
    HkMacaoTaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanent,
}

impl CardKind {
    /// The card's name in Chinese, as the kiosk and staff messages say it.
    pub fn label_zh(self) -> &'static str {
        match self {
            CardKind::Resident => "居民身份证",
            CardKind::HkMacaoTaiwanPermit => "港澳台居民居住证",
            CardKind::ForeignPermanent => "外国人永久居留身份证",
        }
    }
}

/// Gender as GB/T 2261.1 codes it on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// Code 0, or a code the card should not hold.
    Unknown,
    /// Code 1.
    Male,
    /// Code 2.
    Female,
    /// Code 9: not stated.
    Unstated,
}

impl Gender {
    fn from_code(c: &str) -> Gender {
        match c {
            "1" => Gender::Male,
            "2" => Gender::Female,
            "9" => Gender::Unstated,
            _ => Gender::Unknown,
        }
    }
    /// The GB/T 2261.1 code as on the card ("1" for male).
    pub fn code(self) -> &'static str {
        match self {
            Gender::Unknown => "0",
            Gender::Male => "1",
            Gender::Female => "2",
            Gender::Unstated => "9",
        }
    }
    /// The gender in Chinese (男, 女, 未说明, 未知).
    pub fn label_zh(self) -> &'static str {
        match self {
            Gender::Unknown => "未知",
            Gender::Male => "男",
            Gender::Female => "女",
            Gender::Unstated => "未说明",
        }
    }
}

/// The end of validity: a date or 长期 (long-term).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidUntil {
    /// Valid until the end of this day.
    Date(NaiveDate),
    /// 长期: no end.
    LongTerm,
}

/// What the card says. Debug output masks the ID number and name.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// Which card it is.
    pub kind: CardKind,
    /// Chinese name (for 'I' cards the Chinese name, possibly empty).
    pub name: String,
    /// 'I' cards: the English name; empty for other cards.
    pub name_en: String,
    /// As on the card.
    pub gender: Gender,
    /// 民族 for resident cards.
    pub nation: String,
    /// Date of birth (the service uses it for the age rule only and never keeps it).
    pub birth: Option<NaiveDate>,
    /// Address of residence, as printed on the back (empty on 'I' cards).
    pub address: String,
    /// Citizen ID number, residence-permit number or permanent-residence number.
    pub id_number: String,
    /// The issuing authority (签发机关).
    pub authority: String,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// End of validity: the kiosk does not take an expired card (it sends the visitor to
    /// the desk).
    pub valid_until: Option<ValidUntil>,
    /// 'J' cards: the Hong Kong / Macao / Taiwan travel permit number and issue count.
    pub pass_number: String,
    /// 'J' cards: how many times the permit has been issued.
    pub issue_count: String,
    /// 'I' cards: nationality code (ISO 3166 alpha-3).
    pub nationality: String,
    /// The WLT photo as read, undecoded.
    pub photo: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("kind", &self.kind)
            .field("name", &self.masked_name())
            .field("id_number", &self.masked_id())
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

/// Card text that cannot be what a card holds; the message is for the visitor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The text is not the 256 bytes a card gives (a partial read): the byte count.
    #[error("身份证信息长度不对（{0} 字节），请重新放置身份证")]
    Length(usize),
    /// The ID number fails the GB 11643 check digit (a misread).
    #[error("身份证号码校验失败，请重新放置身份证或到服务台办理")]
    BadIdNumber,
}

fn field(text: &[u8], start: usize, len: usize) -> String {
    let units: Vec<u16> = text[start..start + len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units).trim_matches(|c: char| c == ' ' || c == '\0').to_string()
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

fn until(s: &str) -> Option<ValidUntil> {
    if s.contains("长期") {
        Some(ValidUntil::LongTerm)
    } else {
        date(s).map(ValidUntil::Date)
    }
}

/// Nation codes of GB 3304 (01 汉 … 56 基诺, 97 其他, 98 外国血统中国籍人士).
pub fn nation_name(code: &str) -> Option<&'static str> {
    const NATIONS: [&str; 56] = [
        "汉",
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ];
    match code.parse::<usize>().ok()? {
        n @ 1..=56 => Some(NATIONS[n - 1]),
        97 => Some("其他"),
        98 => Some("外国血统中国籍人士"),
        _ => None,
    }
}

/// Decodes the text block (and keeps the photo).
pub fn decode(text: &[u8], photo: &[u8]) -> Result<Identity, CardError> {
    if text.len() != TEXT_LEN {
        return Err(CardError::Length(text.len()));
    }
    let flag = field(text, 248, 2);
    let id = match flag.as_str() {
        "I" => Identity {
            kind: CardKind::ForeignPermanent,
            name_en: field(text, 0, 120),
            gender: Gender::from_code(&field(text, 120, 2)),
            id_number: field(text, 122, 30),
            nationality: field(text, 152, 6),
            name: field(text, 158, 30),
            valid_from: date(&field(text, 188, 16)),
            valid_until: until(&field(text, 204, 16)),
            birth: date(&field(text, 220, 16)),
            authority: field(text, 240, 8),
            nation: String::new(),
            address: String::new(),
            pass_number: String::new(),
            issue_count: String::new(),
            photo: photo.to_vec(),
        },
        _ => {
            let kind = if flag == "J" { CardKind::HkMacaoTaiwanPermit } else { CardKind::Resident };
            let nation_code = field(text, 32, 4);
            Identity {
                kind,
                name: field(text, 0, 30),
                name_en: String::new(),
                gender: Gender::from_code(&field(text, 30, 2)),
                nation: nation_name(&nation_code).map(str::to_string).unwrap_or(nation_code),
                birth: date(&field(text, 36, 16)),
                address: field(text, 52, 70),
                id_number: field(text, 122, 36),
                authority: field(text, 158, 30),
                valid_from: date(&field(text, 188, 16)),
                valid_until: until(&field(text, 204, 16)),
                pass_number: if kind == CardKind::HkMacaoTaiwanPermit { field(text, 220, 18) } else { String::new() },
                issue_count: if kind == CardKind::HkMacaoTaiwanPermit { field(text, 238, 4) } else { String::new() },
                nationality: String::new(),
                photo: photo.to_vec(),
            }
        }
    };
    if id.kind != CardKind::ForeignPermanent && !crate::gb11643::is_valid(&id.id_number) {
        return Err(CardError::BadIdNumber);
    }
    Ok(id)
}

fn put(text: &mut [u8], start: usize, len: usize, value: &str) {
    let mut units: Vec<u16> = value.encode_utf16().collect();
    units.resize(len / 2, u16::from(b' '));
    for (i, u) in units.iter().take(len / 2).enumerate() {
        text[start + 2 * i..start + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y%m%d").to_string()).unwrap_or_default()
}

fn until_text(v: Option<ValidUntil>) -> String {
    match v {
        Some(ValidUntil::LongTerm) => "长期".into(),
        Some(ValidUntil::Date(d)) => d.format("%Y%m%d").to_string(),
        None => String::new(),
    }
}

/// The text block a card with this identity holds (for the simulator and tests).
pub fn encode(id: &Identity) -> [u8; TEXT_LEN] {
    let mut t = [0u8; TEXT_LEN];
    put(&mut t, 0, TEXT_LEN, "");
    match id.kind {
        CardKind::ForeignPermanent => {
            put(&mut t, 0, 120, &id.name_en);
            put(&mut t, 120, 2, id.gender.code());
            put(&mut t, 122, 30, &id.id_number);
            put(&mut t, 152, 6, &id.nationality);
            put(&mut t, 158, 30, &id.name);
            put(&mut t, 188, 16, &date_text(id.valid_from));
            put(&mut t, 204, 16, &until_text(id.valid_until));
            put(&mut t, 220, 16, &date_text(id.birth));
            put(&mut t, 236, 4, "01");
            put(&mut t, 240, 8, &id.authority);
            put(&mut t, 248, 2, "I");
        }
        kind => {
            put(&mut t, 0, 30, &id.name);
            put(&mut t, 30, 2, id.gender.code());
            let code = (1..=98).map(|n| format!("{n:02}")).find(|c| nation_name(c) == Some(id.nation.as_str())).unwrap_or_default();
            put(&mut t, 32, 4, &code);
            put(&mut t, 36, 16, &date_text(id.birth));
            put(&mut t, 52, 70, &id.address);
            put(&mut t, 122, 36, &id.id_number);
            put(&mut t, 158, 30, &id.authority);
            put(&mut t, 188, 16, &date_text(id.valid_from));
            put(&mut t, 204, 16, &until_text(id.valid_until));
            if kind == CardKind::HkMacaoTaiwanPermit {
                put(&mut t, 220, 18, &id.pass_number);
                put(&mut t, 238, 4, &id.issue_count);
                put(&mut t, 248, 2, "J");
            }
        }
    }
    t
}

impl Identity {
    /// Whether the card has expired on `today` (a long-term card never does).
    pub fn expired_on(&self, today: NaiveDate) -> bool {
        matches!(self.valid_until, Some(ValidUntil::Date(d)) if d < today)
    }

    /// "4301**********123X" (first four, last four).
    pub fn masked_id(&self) -> String {
        let chars: Vec<char> = self.id_number.chars().collect();
        if chars.len() <= 8 {
            return "*".repeat(chars.len());
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
    }

    /// "张*"; for a foreign card without a Chinese name, the first letter of the English name.
    pub fn masked_name(&self) -> String {
        let name = if self.name.is_empty() { &self.name_en } else { &self.name };
        let mut chars = name.chars().filter(|c| !c.is_whitespace());
        match chars.next() {
            Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
            None => String::new(),
        }
    }

    /// The sample cards the simulator serves.
    pub fn sample(kind: CardKind) -> Identity {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        match kind {
            CardKind::Resident => Identity {
                kind,
                name: "张三".into(),
                name_en: String::new(),
                gender: Gender::Male,
                nation: "汉".into(),
                birth: d(1990, 3, 7),
                address: "湖南省长沙市芙蓉区五一大道100号".into(),
                id_number: crate::gb11643::with_check_char("43010219900307123"),
                authority: "长沙市公安局芙蓉分局".into(),
                valid_from: d(2016, 5, 1),
                valid_until: d(2036, 5, 1).map(ValidUntil::Date),
                pass_number: String::new(),
                issue_count: String::new(),
                nationality: String::new(),
                photo: vec![0x57; PHOTO_LEN],
            },
            CardKind::HkMacaoTaiwanPermit => Identity {
                kind,
                name: "陈大文".into(),
                name_en: String::new(),
                gender: Gender::Male,
                nation: String::new(),
                birth: d(1985, 8, 16),
                address: String::new(),
                id_number: crate::gb11643::with_check_char("81000019850816001"),
                authority: "长沙市公安局".into(),
                valid_from: d(2021, 1, 4),
                valid_until: d(2026, 1, 4).map(ValidUntil::Date),
                pass_number: "H12345678".into(),
                issue_count: "01".into(),
                nationality: String::new(),
                photo: vec![0x57; PHOTO_LEN],
            },
            CardKind::ForeignPermanent => Identity {
                kind,
                name: "李约翰".into(),
                name_en: "SMITH, JOHN".into(),
                gender: Gender::Male,
                nation: String::new(),
                birth: d(1975, 2, 28),
                address: String::new(),
                id_number: "USA430075022801".into(),
                authority: "1500".into(),
                valid_from: d(2019, 6, 1),
                valid_until: d(2029, 6, 1).map(ValidUntil::Date),
                pass_number: String::new(),
                issue_count: String::new(),
                nationality: "USA".into(),
                photo: vec![0x57; PHOTO_LEN],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_card_kind_round_trips_through_the_text_layout() {
        for kind in [CardKind::Resident, CardKind::HkMacaoTaiwanPermit, CardKind::ForeignPermanent] {
            let id = Identity::sample(kind);
            let back = decode(&encode(&id), &id.photo).unwrap();
            assert_eq!(back, id, "{kind:?}");
        }
    }

    #[test]
    fn resident_fields_sit_where_ga490_puts_them() {
        let id = Identity::sample(CardKind::Resident);
        let t = encode(&id);
        assert_eq!(&t[0..4], &[0x20, 0x5F, 0x09, 0x4E]); // 张三 in UCS-2LE
        assert_eq!(&t[30..32], &[b'1', 0]); // gender 1 = 男
        assert_eq!(&t[32..36], &[b'0', 0, b'1', 0]); // nation 01 = 汉
        assert_eq!(field(&t, 122, 36), id.id_number);
        assert_eq!(field(&t, 248, 2), ""); // no type flag on a resident card
    }

    #[test]
    fn long_term_cards_and_expiry() {
        let mut id = Identity::sample(CardKind::Resident);
        id.valid_until = Some(ValidUntil::LongTerm);
        let back = decode(&encode(&id), &[]).unwrap();
        assert_eq!(back.valid_until, Some(ValidUntil::LongTerm));
        assert!(!back.expired_on(NaiveDate::from_ymd_opt(2099, 1, 1).unwrap()));
        let permit = Identity::sample(CardKind::HkMacaoTaiwanPermit);
        assert!(permit.expired_on(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()));
        assert!(!permit.expired_on(NaiveDate::from_ymd_opt(2026, 1, 4).unwrap()));
    }

    #[test]
    fn tables_and_masks() {
        assert_eq!(nation_name("01"), Some("汉"));
        assert_eq!(nation_name("56"), Some("基诺"));
        assert_eq!(nation_name("98"), Some("外国血统中国籍人士"));
        assert_eq!(nation_name("57"), None);
        let id = Identity::sample(CardKind::Resident);
        assert_eq!(id.masked_name(), "张*");
        assert_eq!(id.masked_id(), format!("4301**********{}", &id.id_number[14..]));
        assert!(!format!("{id:?}").contains(&id.id_number));
        assert_eq!(Identity::sample(CardKind::ForeignPermanent).masked_id(), "USA4*******2801");
    }

    #[test]
    fn a_bad_check_digit_is_refused() {
        let mut id = Identity::sample(CardKind::Resident);
        id.id_number.replace_range(17..18, if id.id_number.ends_with('0') { "1" } else { "0" });
        assert_eq!(decode(&encode(&id), &[]), Err(CardError::BadIdNumber));
        assert_eq!(decode(&[0u8; 10], &[]), Err(CardError::Length(10)));
    }
}
