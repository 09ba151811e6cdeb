//! Why the engine refuses a command, each with its stable error code and HTTP status.

use super::*;

/// Why a command was refused. Each has a stable code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("没有这个事项：{0}。请从事项列表中选择。")]
    UnknownService(String),
    #[error("今天不办公，请在办公日前来。")]
    ClosedToday,
    #[error("现在不在取号时间，取号时间从 {0} 开始。")]
    BeforeHours(NaiveTime),
    #[error("午休时间暂停取号，{0} 恢复取号。")]
    LunchBreak(NaiveTime),
    #[error("今日取号已截止（{0}），请明天再来或网上办理。")]
    AfterCutoff(NaiveTime),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    QueueFull(String),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    ServiceFull(String),
    #[error("办理{0}需要刷身份证取号。")]
    IdentityRequired(String),
    #[error("您今天已取过{limit}次“{service}”的号，不能再取。如有疑问请咨询服务台。")]
    PersonLimit { service: String, limit: u32 },
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
    #[error("签到时间未到，请于 {0} 后签到。")]
    CheckInTooEarly(NaiveTime),
    #[error("预约时段（{0}）已过，请现场取号。")]
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
            Rejection::QueueFull(_) => ErrorCode::QueueFull,
            Rejection::ServiceFull(_) => ErrorCode::ServiceFull,
            Rejection::IdentityRequired(_) => ErrorCode::IdentityRequired,
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
}
