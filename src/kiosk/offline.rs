//! Issuing while the hall is unreachable: what the kiosk keeps for it (the journal, the
//! hall's catalogue and zone as last seen), the number leases it tops up while the hall
//! answers, and the tickets it issues from them, journaled before they are printed and
//! uploaded by [`super::journal::upload`] once the hall answers again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallq_drivers::printer::ticket::Template;
use hallq_proto::{ClientError, TicketId, TicketView};

use super::controller::{IssueFailure, Issued};
use super::runtime::{issued_from, Core};
use super::text::said;

/// What the kiosk needs to issue while the hall is unreachable.
pub(super) struct Offline {
    pub(super) journal: Option<super::journal::Journal>,
    pub(super) clock: Arc<dyn crate::service::Clock>,
    pub(super) catalog: Mutex<Option<hallq_proto::Catalog>>,
    /// The hall's UTC offset, from its clock's answers (the machine's until then).
    pub(super) offset: Mutex<chrono::FixedOffset>,
    /// The hall does not answer and the kiosk issues from its leases.
    pub(super) active: std::sync::atomic::AtomicBool,
    /// The hall answers but refuses this kiosk's token (revoked): no offline issuing, whose
    /// tickets could never be uploaded.
    pub(super) refused: std::sync::atomic::AtomicBool,
    /// The hall's offset is in the journal (written once per run, and when it changes).
    pub(super) offset_saved: std::sync::atomic::AtomicBool,
}

impl Offline {
    pub(super) fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.clock.now().with_timezone(&*self.offset.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Numbers left in today's leases, over all queues.
    pub(super) fn left_today(&self) -> u32 {
        let Some(j) = &self.journal else { return 0 };
        j.left(self.now().date_naive()).map(|l| l.iter().map(|(_, n)| n).sum()).unwrap_or(0)
    }

    pub(super) fn catalog(&self) -> Option<hallq_proto::Catalog> {
        self.catalog.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Core {
    /// Keeps the hall's catalogue for offline issuing (in the journal too, when its
    /// configuration version is new, so a kiosk restarted offline still has it).
    pub(super) fn keep_catalog(&self, v: &hallq_proto::Catalog) {
        let mut kept = self.offline.catalog.lock().unwrap_or_else(|p| p.into_inner());
        let new_version = kept.as_ref().is_none_or(|k| k.config_version != v.config_version);
        *kept = Some(v.clone());
        drop(kept);
        if let (true, Some(j)) = (new_version, &self.offline.journal) {
            if let Err(e) =
                serde_json::to_string(v).map_err(|e| e.to_string()).and_then(|json| j.save_catalog(&json).map_err(|e| e.to_string()))
            {
                tracing::warn!("cannot keep the catalogue for offline issuing: {e}");
            }
        }
    }

    /// Leases numbers for every queue this kiosk's items use whose lease is running low
    /// (none left, or less than half a block). A queue the hall refuses is asked again after
    /// 5 minutes.
    pub(super) async fn top_up_leases(
        &self,
        cat: &hallq_proto::Catalog,
        refused: &mut std::collections::HashMap<String, std::time::Instant>,
    ) {
        let Some(journal) = &self.offline.journal else { return };
        let today = self.offline.now().date_naive();
        let left: std::collections::HashMap<String, u32> = journal.left(today).unwrap_or_default().into_iter().collect();
        let queues: std::collections::BTreeSet<&str> = cat.services.iter().filter(|s| s.kiosk).map(|s| s.queue.as_str()).collect();
        let block = cat.kiosk.offline_block;
        for q in queues {
            let have = left.get(q).copied().unwrap_or(0);
            if block == 0 || have * 2 > block || refused.get(q).is_some_and(|t| t.elapsed() < Duration::from_secs(300)) {
                continue;
            }
            match self.hall.lease(&hallq_proto::QueueId::new(q)).await {
                Ok(l) if l.date == today => {
                    if let Err(e) = journal.add_lease(l.date, q, &l.prefix, l.from, l.to) {
                        tracing::error!("{e}");
                    }
                }
                Ok(l) => tracing::warn!("the hall leased numbers for {} but this kiosk's date is {today}; clocks differ", l.date),
                Err(ClientError::Refused { message, .. }) => {
                    tracing::info!("no lease of queue {q}: {message}");
                    refused.insert(q.to_string(), std::time::Instant::now());
                }
                Err(_) => return,
            }
        }
    }

    /// A ticket from this kiosk's number lease, journaled (durably) before it is printed;
    /// uploaded by [`super::journal::upload`] once the hall answers.
    pub(super) fn issue_offline(
        &self,
        request_id: &str,
        service: &str,
        identity: Option<(String, String)>,
        template: &Template,
    ) -> Result<Issued, IssueFailure> {
        let down = || IssueFailure::Refused(said!("无法连接叫号系统，请到服务台取号。"));
        let (Some(journal), Some(cat)) = (&self.offline.journal, self.offline.catalog()) else { return Err(down()) };
        let item = cat.services.iter().find(|s| s.id.as_str() == service).ok_or_else(down)?;
        let queue = cat.queues.iter().find(|q| q.id == item.queue);
        let now = self.offline.now();
        let token = hex::encode(rand::random::<[u8; 16]>());
        let issue = super::journal::OfflineIssue {
            date: now.date_naive(),
            queue: item.queue.as_str(),
            request_id,
            service,
            issued_at: now,
            identity: identity.clone(),
            token: &token,
        };
        let r = journal.issue(&issue).map_err(|e| match e {
            super::journal::JournalError::UsedUp(_) => IssueFailure::Refused(said!(
                "网络中断，本机“{}”的离线号段已用完，请到服务台取号。",
                queue.map(|q| q.name.as_str()).unwrap_or(item.queue.as_str())
            )),
            e => {
                tracing::error!("{e}");
                down()
            }
        })?;
        tracing::info!("issued {} offline for {service}", r.number);
        let holder = identity.map(|(id, name)| hallq_proto::HolderView {
            name: crate::identity::mask_name(&name),
            id_number: crate::identity::IdNumber::parse(&id).ok().map(|n| n.masked()),
        });
        let view = TicketView {
            hall: cat.hall.name.clone(),
            id: TicketId::new(format!("{}-{}", r.issued_at.format("%Y%m%d"), r.number)),
            number: hallq_proto::TicketNumber::new(&r.number),
            date: r.issued_at.date_naive(),
            service: hallq_proto::Named { id: item.id.to_string(), name: Some(item.name.clone()), name_en: Some(item.name_en.clone()) },
            queue: hallq_proto::Named {
                id: item.queue.to_string(),
                name: queue.map(|q| q.name.clone()),
                name_en: queue.map(|q| q.name_en.clone()),
            },
            status: hallq_proto::Status::Waiting,
            priority: hallq_proto::Priority::Normal,
            channel: hallq_proto::Channel::Kiosk,
            issued_at: r.issued_at.to_rfc3339(),
            holder,
            appointment_slot: None,
            window: None,
            windows: item.windows.clone(),
            people_ahead: None,
            estimate_minutes: None,
            people_ahead_at_issue: 0,
            estimate_minutes_at_issue: 0,
            recalls: 0,
            rating: None,
            history: None,
            token: Some(r.token.clone()),
            offline: true,
            // Where to wait and the 过号 rule as the hall's catalogue has them.
            waiting_area: item.waiting_area.clone(),
            waiting_area_en: item.waiting_area_en.clone(),
            no_show_rule: cat.no_show.text.clone(),
            no_show_rule_en: cat.no_show.text_en.clone(),
        };
        let mut issued = issued_from(&view, template);
        issued.offline = true;
        Ok(issued)
    }
}
