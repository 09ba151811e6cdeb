//! A configuration at the brief's scale for tests, benches and screenshots: the demo hall
//! grown to 57 departments, 470 items in the six modes, 24 queues (the new ones with long
//! English names) and 231 windows on three floors, floor 2's construction-permit windows in
//! zone 报建区.

use super::{Category, Config, Department, IdentityRule, Mode, Queue, Service, Window, WindowKind, DEFAULT_TOML};

/// Windows in the generated hall.
pub const WINDOWS: u32 = 231;
/// Queues in the generated hall.
pub const QUEUES: usize = 24;
/// Departments and units in the generated hall.
pub const DEPARTMENTS: usize = 57;
/// Items in the generated hall.
pub const ITEMS: usize = 470;

/// What a generated item does, in Chinese and English.
const ERRANDS: [(&str, &str); 8] = [
    ("申请", "application"),
    ("变更登记", "change of registration"),
    ("注销", "cancellation"),
    ("补办", "replacement"),
    ("年度报告", "annual report"),
    ("备案", "filing"),
    ("证明开具", "certificate"),
    ("信息查询", "records enquiry"),
];

const MORE_QUEUES: [(&str, &str, &str); 15] = [
    ("L", "机动车驾驶证", "Motor Vehicle and Driving Licence Services"),
    ("M", "婚姻登记", "Marriage Registration"),
    ("N", "残疾人服务", "Services for People with Disabilities"),
    ("P", "退役军人事务", "Veterans Affairs"),
    ("Q", "市场监管", "Market Regulation"),
    ("R", "人力资源", "Human Resources and Employment"),
    ("S", "民政救助", "Civil Affairs and Social Assistance"),
    ("T", "交通运输", "Transport"),
    ("U", "卫生健康", "Health Certificates and Medical Services"),
    ("V", "教育入学", "School Enrolment"),
    ("W", "农业农村", "Agriculture and Rural Affairs"),
    ("X", "自然资源", "Natural Resources"),
    ("Y", "生态环境", "Ecology and Environment"),
    ("Z", "文化旅游", "Culture and Tourism"),
    ("J", "公证法律服务", "Notarisation and Legal Aid"),
];

/// The generated hall: floor 1 has windows 1–80, floor 2 81–160 (121–160 in zone
/// 报建区, serving queue K), floor 3 161–231. The demo's own 26 windows keep their queues.
pub fn hall_231() -> Config {
    let mut c = Config::parse(DEFAULT_TOML, "<default>").expect("the embedded default configuration is valid");
    let template = c.queues[0].clone();
    for (prefix, name, name_en) in MORE_QUEUES {
        c.queues.push(Queue { id: prefix.into(), name: name.into(), name_en: name_en.into(), prefix: prefix.into(), ..template.clone() });
    }
    assert_eq!(c.queues.len(), QUEUES);
    // Departments and units to 57, each bound to a queue round the 24.
    for n in c.departments.len() + 1..=DEPARTMENTS {
        c.departments.push(Department {
            id: format!("dept{n}"),
            name: format!("第{n}办事单位"),
            name_en: format!("Government Unit No. {n}"),
        });
    }
    // Items to 470, in the six modes, half of them personal, a third needing the ID card.
    let template = c.services[0].clone();
    let (queue_ids, dept_ids): (Vec<String>, Vec<String>) =
        (c.queues.iter().map(|q| q.id.clone()).collect(), c.departments.iter().map(|d| d.id.clone()).collect());
    for n in c.services.len()..ITEMS {
        let dept = &dept_ids[n % dept_ids.len()];
        let (dept_zh, dept_en) =
            c.departments.iter().find(|d| &d.id == dept).map(|d| (d.name.clone(), d.name_en.clone())).unwrap_or_default();
        let (what_zh, what_en) = ERRANDS[n % ERRANDS.len()];
        c.services.push(Service {
            id: format!("item{n}"),
            name: format!("{dept_zh}事项{n}{what_zh}"),
            name_en: format!("{dept_en}: item {n}, {what_en}"),
            department: dept.clone(),
            queue: queue_ids[n % queue_ids.len()].clone(),
            mode: Mode::ALL[n % Mode::ALL.len()],
            category: if n % 2 == 0 { Category::Personal } else { Category::Business },
            identity: if n % 3 == 0 { IdentityRule::Required } else { IdentityRule::Optional },
            hot: n % 97 == 0,
            ..template.clone()
        });
    }
    let ids: Vec<String> = c.queues.iter().map(|q| q.id.clone()).collect();
    let first = c.windows.len() as u32 + 1;
    for n in first..=WINDOWS {
        let floor = match n {
            ..=80 => 1,
            81..=160 => 2,
            _ => 3,
        };
        let permits = (121..=160).contains(&n);
        c.windows.push(Window {
            number: n,
            name: if permits { "报建窗口".into() } else { "专业窗口".into() },
            kind: WindowKind::Special,
            floor,
            // Each of the other windows serves two queues, round the 24.
            queues: if permits {
                vec!["K".into()]
            } else {
                vec![ids[n as usize % ids.len()].clone(), ids[(n as usize + 7) % ids.len()].clone()]
            },
            zone: permits.then(|| "报建区".to_string()),
        });
    }
    c
}

/// [`hall_231`] as TOML, for a `hallq serve --config` in a test.
pub fn hall_231_toml() -> String {
    toml::to_string(&hall_231()).expect("the configuration serializes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_hall_is_valid_and_at_scale() {
        let c = super::Config::parse(&super::hall_231_toml(), "scale").expect("valid");
        assert_eq!((c.windows.len(), c.queues.len()), (231, 24));
        assert_eq!((c.departments.len(), c.services.len()), (57, 470));
        let modes: std::collections::BTreeSet<String> = c.services.iter().map(|s| format!("{:?}", s.mode)).collect();
        assert_eq!(modes.len(), 6, "all six modes");
        let floors: std::collections::BTreeSet<i32> = c.windows.iter().map(|w| w.floor).collect();
        assert_eq!(floors.len(), 3);
        assert_eq!(c.windows.iter().filter(|w| w.zone.as_deref() == Some("报建区")).count(), 40);
    }

    #[test]
    fn a_zone_name_is_short_and_without_spaces() {
        for bad in ["", "east wing", "一二三四五六七八九十一二三四五六七"] {
            let mut c = super::hall_231();
            c.windows[200].zone = Some(bad.into());
            let e = super::Config::parse(&toml::to_string(&c).unwrap(), "scale").unwrap_err();
            assert_eq!(e.field, "windows[200].zone", "{bad:?}: {e}");
        }
        let mut c = super::hall_231();
        c.display.page_seconds = 1;
        let e = super::Config::parse(&toml::to_string(&c).unwrap(), "scale").unwrap_err();
        assert_eq!(e.field, "display.page_seconds");
    }
}
