//! Why the engine refuses a command, each with its stable error code and HTTP status.

use super::*;

/// Why a command was refused. Each has a stable code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("没有这个事项：{0}。请从事项列表中选择。")]
    UnknownService(String),
    #[error("今天不办公，请在办公日前来。")]
    ClosedToday,
    #[error("现在不在取号时间，取号时间从 {} 开始。", .0.format("%H:%M"))]
    BeforeHours(NaiveTime),
    #[error("午休时间暂停取号，{} 恢复取号。", .0.format("%H:%M"))]
    LunchBreak(NaiveTime),
    #[error("今日取号已截止（{}），请明天再来或网上办理。", .0.format("%H:%M"))]
    AfterCutoff(NaiveTime),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    QueueFull(String, String),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    ServiceFull(String, String),
    #[error("办理{0}需要刷身份证取号。")]
    IdentityRequired(String, String),
    #[error("您今天已取过{limit}次“{service}”的号，不能再取。如有疑问请咨询服务台。")]
    PersonLimit { service: String, service_en: String, limit: u32 },
    #[error("没有{0}号窗口。")]
    UnknownWindow(u32),
    #[error("窗口已暂停（{0}），请先恢复。")]
    WindowPaused(String),
    #[error("窗口没有暂停。")]
    WindowNotPaused,
    #[error("当前没有等候的号。")]
    NothingWaiting,
    #[error("窗口当前没有正在叫的号。")]
    NoCurrentTicket,
    #[error("请先办结或转办当前的号 {0}。")]
    CurrentInProgress(String),
    #[error("{0} 已重呼 {1} 次，达到上限，可标记为过号。")]
    RecallLimit(String, u32),
    #[error("刚刚呼叫过，请 {0} 秒后再重呼。")]
    RecallTooSoon(u32),
    #[error("请填写原因。")]
    ReasonRequired,
    #[error("今天没有这张票：{0}。")]
    UnknownTicket(String),
    #[error("{0} 不在等候中，不能呼叫。")]
    TicketNotWaiting(String),
    #[error("{0} 已办结或作废，不能补打。")]
    NotReprintable(String),
    #[error("{ticket} 属于{queue}队列，本窗口（{window}号）不办理。")]
    NotServedHere { ticket: String, queue: String, window: u32 },
    #[error("{0} 过号已超过 {1} 分钟，不能再重新排队，请重新取号。")]
    RequeueExpired(String, u32),
    #[error("{0} 不是过号状态。")]
    NotNoShow(String),
    /// 过号 asked for before the hall's rule allows it (`[rules] no_show_after_*`); the
    /// second field says what is still needed.
    #[error("{0} 还不能标记过号：{1}。")]
    NoShowTooSoon(String, String),
    #[error("转办的事项与当前事项相同。")]
    SameService,
    #[error("{0} 已经评价过了。")]
    AlreadyRated(String),
    #[error("{0} 还没有办理，办理后才能评价。")]
    NotServed(String),
    #[error("{0} 不是在 {1} 号窗口请求的评价，本评价器不能评价。")]
    NotRatedHere(String, u32),
    #[error("{0} 的评价码无效或已用过，请让窗口重新发起评价。")]
    BadRatingNonce(String),
    #[error("没有找到预约码 {0}，请核对后重新输入，或到服务台咨询。")]
    UnknownAppointment(String),
    #[error("预约码 {0} 已被另一项预约使用。")]
    DuplicateAppointment(String),
    #[error("预约码应为 4 到 16 位字母或数字。")]
    BadAppointmentCode,
    #[error("您预约的是 {0}，请在预约当天前来签到。")]
    AppointmentNotToday(NaiveDate),
    #[error("签到时间未到，请于 {} 后签到。", .0.format("%H:%M"))]
    CheckInTooEarly(NaiveTime),
    #[error("预约时段（{}）已过，请现场取号。", .0.format("%H:%M"))]
    AppointmentMissed(NaiveTime),
    #[error("此预约不是本人的预约，请核对证件或预约码。")]
    AppointmentNotYours,
    #[error("没有这个队列：{0}。")]
    UnknownQueue(String),
    #[error("本厅未开启离线取号（[kiosk] offline_block = 0）。")]
    OfflineIssuingOff,
    #[error("本机在{0}队列已有未用完的离线号段，用完并上传后才能再领。")]
    LeaseLimit(String),
    #[error("{0}队列今天已无可预留的离线号段。")]
    NoNumbersToLease(String),
    #[error("号码 {0} 不在本机今天领取的离线号段内。")]
    NotLeased(String),
    #[error("号码 {0} 已被使用。")]
    NumberTaken(String),
    #[error("离线票 {0} 的取号时间晚于叫号系统的时钟，请检查自助机时钟。")]
    IssuedInFuture(String),
}

impl Rejection {
    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::UnknownService(_) => ErrorCode::UnknownService,
            Rejection::ClosedToday => ErrorCode::HallClosedToday,
            Rejection::BeforeHours(_) => ErrorCode::BeforeHours,
            Rejection::LunchBreak(_) => ErrorCode::LunchBreak,
            Rejection::AfterCutoff(_) => ErrorCode::AfterCutoff,
            Rejection::QueueFull(..) => ErrorCode::QueueFull,
            Rejection::ServiceFull(..) => ErrorCode::ServiceFull,
            Rejection::IdentityRequired(..) => ErrorCode::IdentityRequired,
            Rejection::PersonLimit { .. } => ErrorCode::PersonDailyLimit,
            Rejection::UnknownWindow(_) => ErrorCode::UnknownWindow,
            Rejection::WindowPaused(_) => ErrorCode::WindowPaused,
            Rejection::WindowNotPaused => ErrorCode::WindowNotPaused,
            Rejection::NothingWaiting => ErrorCode::NothingWaiting,
            Rejection::NoCurrentTicket => ErrorCode::NoCurrentTicket,
            Rejection::CurrentInProgress(_) => ErrorCode::CurrentInProgress,
            Rejection::RecallLimit(..) => ErrorCode::RecallLimit,
            Rejection::RecallTooSoon(_) => ErrorCode::RecallTooSoon,
            Rejection::ReasonRequired => ErrorCode::ReasonRequired,
            Rejection::UnknownTicket(_) => ErrorCode::UnknownTicket,
            Rejection::TicketNotWaiting(_) => ErrorCode::TicketNotWaiting,
            Rejection::NotReprintable(_) => ErrorCode::NotReprintable,
            Rejection::NotServedHere { .. } => ErrorCode::NotServedHere,
            Rejection::RequeueExpired(..) => ErrorCode::RequeueExpired,
            Rejection::NotNoShow(_) => ErrorCode::NotNoShow,
            Rejection::NoShowTooSoon(..) => ErrorCode::NoShowTooSoon,
            Rejection::SameService => ErrorCode::SameService,
            Rejection::AlreadyRated(_) => ErrorCode::AlreadyRated,
            Rejection::NotServed(_) => ErrorCode::NotServed,
            Rejection::NotRatedHere(..) => ErrorCode::ForbiddenWindow,
            Rejection::BadRatingNonce(_) => ErrorCode::BadRatingNonce,
            Rejection::UnknownAppointment(_) => ErrorCode::UnknownAppointment,
            Rejection::DuplicateAppointment(_) => ErrorCode::DuplicateAppointment,
            Rejection::BadAppointmentCode => ErrorCode::BadAppointmentCode,
            Rejection::AppointmentNotToday(_) => ErrorCode::AppointmentNotToday,
            Rejection::CheckInTooEarly(_) => ErrorCode::CheckInTooEarly,
            Rejection::AppointmentMissed(_) => ErrorCode::AppointmentMissed,
            Rejection::AppointmentNotYours => ErrorCode::AppointmentNotYours,
            Rejection::UnknownQueue(_) => ErrorCode::UnknownQueue,
            Rejection::OfflineIssuingOff => ErrorCode::OfflineIssuingOff,
            Rejection::LeaseLimit(_) => ErrorCode::LeaseLimit,
            Rejection::NoNumbersToLease(_) => ErrorCode::NoNumbersToLease,
            Rejection::NotLeased(_) => ErrorCode::NotLeased,
            Rejection::NumberTaken(_) => ErrorCode::NumberTaken,
            Rejection::IssuedInFuture(_) => ErrorCode::IssuedInFuture,
        }
    }

    /// The message in English (`Display` gives the Chinese), for clients showing English.
    pub fn message_en(&self) -> String {
        match self {
            Rejection::UnknownService(s) => format!("There is no item {s}. Please choose one from the list."),
            Rejection::ClosedToday => "The hall is closed today. Please come on a working day.".into(),
            Rejection::BeforeHours(t) => format!("Tickets are not issued yet; issuing starts at {}.", t.format("%H:%M")),
            Rejection::LunchBreak(t) => format!("Tickets pause for lunch and resume at {}.", t.format("%H:%M")),
            Rejection::AfterCutoff(t) => {
                format!("Tickets are no longer issued today (after {}). Please come tomorrow or apply online.", t.format("%H:%M"))
            }
            Rejection::QueueFull(_, en) | Rejection::ServiceFull(_, en) => {
                format!("All of today's numbers for {en} are taken. Please come tomorrow or apply online.")
            }
            Rejection::IdentityRequired(_, en) => format!("{en} needs your ID card: please swipe it to take a number."),
            Rejection::PersonLimit { service_en, limit, .. } => format!(
                "You have already taken {limit} number(s) for \"{service_en}\" today and cannot take another. Please ask at the service desk."
            ),
            Rejection::UnknownWindow(n) => format!("There is no window {n}."),
            Rejection::WindowPaused(why) => format!("The window is paused ({why}); resume it first."),
            Rejection::WindowNotPaused => "The window is not paused.".into(),
            Rejection::NothingWaiting => "Nobody is waiting.".into(),
            Rejection::NoCurrentTicket => "The window has no ticket called now.".into(),
            Rejection::CurrentInProgress(t) => format!("Finish or transfer the current ticket {t} first."),
            Rejection::RecallLimit(t, n) => format!("{t} has been recalled {n} times, the limit; it may be marked as a no-show."),
            Rejection::RecallTooSoon(s) => format!("Just called; recall again in {s} s."),
            Rejection::ReasonRequired => "Please give a reason.".into(),
            Rejection::UnknownTicket(t) => format!("There is no ticket {t} today."),
            Rejection::TicketNotWaiting(t) => format!("{t} is not waiting and cannot be called."),
            Rejection::NotReprintable(t) => format!("{t} is finished or void and cannot be reprinted."),
            Rejection::NotServedHere { ticket, queue, window } => {
                format!("{ticket} belongs to queue {queue}, which window {window} does not serve.")
            }
            Rejection::RequeueExpired(t, m) => {
                format!("{t} was a no-show more than {m} minutes ago and cannot be requeued; please take a new number.")
            }
            Rejection::NotNoShow(t) => format!("{t} is not a no-show."),
            Rejection::NoShowTooSoon(t, what) => format!("{t} cannot be marked as a no-show yet: {what}."),
            Rejection::SameService => "The item to transfer to is the current one.".into(),
            Rejection::AlreadyRated(t) => format!("{t} has already been rated."),
            Rejection::NotServed(t) => format!("{t} has not been served yet; it can be rated after."),
            Rejection::NotRatedHere(t, w) => format!("The rating of {t} was not asked for at window {w}; this tablet cannot rate it."),
            Rejection::BadRatingNonce(t) => format!("The rating code of {t} is invalid or used; ask the window to start the rating again."),
            Rejection::UnknownAppointment(c) => {
                format!("No appointment has the code {c}. Please check it and try again, or ask at the service desk.")
            }
            Rejection::DuplicateAppointment(c) => format!("The appointment code {c} is used by another appointment."),
            Rejection::BadAppointmentCode => "An appointment code has 4 to 16 letters or digits.".into(),
            Rejection::AppointmentNotToday(d) => format!("Your appointment is on {d}; please check in on that day."),
            Rejection::CheckInTooEarly(t) => format!("It is too early to check in; please check in after {}.", t.format("%H:%M")),
            Rejection::AppointmentMissed(t) => {
                format!("The appointment time ({}) has passed; please take a number.", t.format("%H:%M"))
            }
            Rejection::AppointmentNotYours => "This appointment is not yours; please check the card or the code.".into(),
            Rejection::UnknownQueue(q) => format!("There is no queue {q}."),
            Rejection::OfflineIssuingOff => "Offline issuing is off in this hall ([kiosk] offline_block = 0).".into(),
            Rejection::LeaseLimit(q) => {
                format!("This kiosk has an unused offline block in queue {q}; use and upload it before taking another.")
            }
            Rejection::NoNumbersToLease(q) => format!("Queue {q} has no offline numbers left to lease today."),
            Rejection::NotLeased(n) => format!("Number {n} is not in a block this kiosk leased today."),
            Rejection::NumberTaken(n) => format!("Number {n} is already taken."),
            Rejection::IssuedInFuture(n) => {
                format!("Offline ticket {n} was issued later than the hall's clock says it is now; check the kiosk's clock.")
            }
        }
    }

    /// Hall-local "HH:MM" at which the refusal ends, for refusals that are a matter of time.
    pub fn until(&self) -> Option<String> {
        match self {
            Rejection::BeforeHours(t) | Rejection::LunchBreak(t) | Rejection::CheckInTooEarly(t) => Some(t.format("%H:%M").to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c) || c == '，' || c == '。')
    }

    /// Every refusal reads in English for an English screen (names the hall gave only in
    /// Chinese aside), and the refusals that end at a time say when.
    #[test]
    fn refusals_in_english_and_their_time() {
        let t = NaiveTime::from_hms_opt(13, 30, 0).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let s = || "A001".to_string();
        let all = [
            Rejection::UnknownService(s()),
            Rejection::ClosedToday,
            Rejection::BeforeHours(t),
            Rejection::LunchBreak(t),
            Rejection::AfterCutoff(t),
            Rejection::QueueFull("综合受理".into(), "General".into()),
            Rejection::ServiceFull("户籍".into(), "Household registration".into()),
            Rejection::IdentityRequired("户籍".into(), "Household registration".into()),
            Rejection::PersonLimit { service: "户籍".into(), service_en: "Household registration".into(), limit: 2 },
            Rejection::UnknownWindow(3),
            Rejection::WindowPaused("break".into()),
            Rejection::WindowNotPaused,
            Rejection::NothingWaiting,
            Rejection::NoCurrentTicket,
            Rejection::CurrentInProgress(s()),
            Rejection::RecallLimit(s(), 3),
            Rejection::RecallTooSoon(10),
            Rejection::ReasonRequired,
            Rejection::UnknownTicket(s()),
            Rejection::TicketNotWaiting(s()),
            Rejection::NotReprintable(s()),
            Rejection::NotServedHere { ticket: s(), queue: "A".into(), window: 2 },
            Rejection::RequeueExpired(s(), 30),
            Rejection::NotNoShow(s()),
            Rejection::NoShowTooSoon(s(), "3 recalls".into()),
            Rejection::SameService,
            Rejection::AlreadyRated(s()),
            Rejection::NotServed(s()),
            Rejection::NotRatedHere(s(), 2),
            Rejection::BadRatingNonce(s()),
            Rejection::UnknownAppointment("AB12".into()),
            Rejection::DuplicateAppointment("AB12".into()),
            Rejection::BadAppointmentCode,
            Rejection::AppointmentNotToday(d),
            Rejection::CheckInTooEarly(t),
            Rejection::AppointmentMissed(t),
            Rejection::AppointmentNotYours,
            Rejection::UnknownQueue("A".into()),
            Rejection::OfflineIssuingOff,
            Rejection::LeaseLimit("A".into()),
            Rejection::NoNumbersToLease("A".into()),
            Rejection::NotLeased(s()),
            Rejection::NumberTaken(s()),
            Rejection::IssuedInFuture(s()),
        ];
        for r in &all {
            let (zh, en) = (r.to_string(), r.message_en());
            assert!(han(&zh), "{r:?}: the Chinese message {zh:?}");
            assert!(!en.is_empty() && !han(&en), "{r:?}: the English message {en:?}");
        }
        let timed: Vec<_> = all.iter().filter_map(|r| r.until().map(|u| (r.code(), u))).collect();
        assert_eq!(
            timed,
            [
                (ErrorCode::BeforeHours, "13:30".to_string()),
                (ErrorCode::LunchBreak, "13:30".to_string()),
                (ErrorCode::CheckInTooEarly, "13:30".to_string())
            ]
        );
        assert_eq!(Rejection::LunchBreak(t).to_string(), "午休时间暂停取号，13:30 恢复取号。");
    }
}
