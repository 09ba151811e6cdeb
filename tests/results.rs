//! Result documents at the kiosk (issue 10): `find` needs the ID number and the name as
//! read from the card and answers with a short-lived nonce per result, bound to the kiosk
//! that asked; the PDF and `collected` need that nonce; every print is an event in the
//! hash-chained log, seen by managers only.

mod common;

use common::*;
use hallq_proto::{DeliverResult, ErrorCode, EventView, HallClient, Identity, StreamEvent};

const KIOSK: &str = "demo-kiosk-1";
const KIOSK_2: &str = "demo-kiosk-2";
const SYSTEM: &str = "demo-system";
const MANAGER: &str = "demo-manager";
const DISPLAY: &str = "demo-display";
const COUNTER: &str = "demo-counter-1-6";

async fn deliver(system: &HallClient, external_id: &str, who: &Identity, pdf: &[u8]) -> String {
    use base64::Engine as _;
    let body = DeliverResult {
        external_id: external_id.into(),
        identity: who.clone(),
        title: "营业执照".into(),
        department: "市场监管局".into(),
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        keep_days: None,
    };
    system.deliver_result(&body).await.unwrap().id
}

/// The events of the log, read straight from the store.
fn logged(h: &TestHall) -> Vec<hallq::engine::Event> {
    let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
    hallq::store::events_since(&conn, 0, 100_000).unwrap().into_iter().map(|r| r.event).collect()
}

/// The stream events `token` receives from the start up to `until` (an event it may see).
async fn stream(h: &TestHall, token: &str, until: u64) -> Vec<StreamEvent> {
    stream_texts(&h.events_url(&format!("since=0&token={token}")), until, 30)
        .await
        .iter()
        .filter_map(|t| serde_json::from_str::<StreamEvent>(t).ok())
        .collect()
}

#[tokio::test]
async fn a_result_needs_the_name_and_the_kiosks_own_fresh_nonce_and_its_print_is_logged() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let (system, kiosk, kiosk2, manager) = (h.client(SYSTEM), h.client(KIOSK), h.client(KIOSK_2), h.client(MANAGER));
        let number = id_number("19800101", 7);
        let owner = identity(&number, "李四");
        let pdf = b"%PDF-1.7\n% result\n".to_vec();
        let id = deliver(&system, "SP-1", &owner, &pdf).await;

        // The right ID number with a wrong name finds nothing; so does a wrong number.
        assert_eq!(kiosk.find_results(&identity(&number, "王五")).await.unwrap().results, []);
        assert_eq!(kiosk.find_results(&identity(&number, "李")).await.unwrap().results, []);
        assert_eq!(kiosk.find_results(&identity(&id_number("19700101", 3), "李四")).await.unwrap().results, []);
        // The name as the card has it (spacing aside) finds it, with a nonce.
        let found = kiosk.find_results(&identity(&number, " 李 四")).await.unwrap();
        assert_eq!(found.results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
        let nonce = found.results[0].nonce.clone().expect("a kiosk gets a nonce");

        // Without a nonce, with a made-up one, with another kiosk's or for another result:
        // refused, before the PDF is read.
        assert_eq!(refusal(kiosk.result_pdf(&id, None).await), (403, ErrorCode::ResultNonceRequired));
        assert_eq!(refusal(kiosk.result_collected(&id, None).await), (403, ErrorCode::ResultNonceRequired));
        assert_eq!(refusal(kiosk.result_pdf(&id, Some("00000000000000000000000000000000")).await), (403, ErrorCode::BadResultNonce));
        let nonce2 = kiosk2.find_results(&owner).await.unwrap().results[0].nonce.clone().unwrap();
        assert_ne!(nonce, nonce2);
        assert_eq!(refusal(kiosk.result_pdf(&id, Some(&nonce2)).await), (403, ErrorCode::BadResultNonce), "another kiosk's nonce");
        assert_eq!(refusal(kiosk2.result_pdf(&id, Some(&nonce)).await), (403, ErrorCode::BadResultNonce), "another kiosk's nonce");
        assert_eq!(refusal(kiosk2.result_collected(&id, Some(&nonce)).await), (403, ErrorCode::BadResultNonce));
        let other = deliver(&system, "SP-2", &identity(&id_number("19700101", 3), "王五"), &pdf).await;
        assert_eq!(refusal(kiosk.result_pdf(&other, Some(&nonce)).await), (403, ErrorCode::BadResultNonce), "a nonce is for one result");
        assert_eq!(refusal(kiosk.result_pdf("R-no-such", None).await), (403, ErrorCode::ResultNonceRequired), "no probing of ids");

        // An expired nonce: 10 minutes on the hall's clock.
        h.advance(chrono::Duration::minutes(11));
        assert_eq!(refusal(kiosk.result_pdf(&id, Some(&nonce)).await), (403, ErrorCode::BadResultNonce), "expired");
        assert_eq!(refusal(kiosk.result_collected(&id, Some(&nonce)).await), (403, ErrorCode::BadResultNonce), "expired");
        assert!(!logged(&h).iter().any(|e| e.kind() == "result_collected"), "nothing collected yet");

        // A fresh nonce: the PDF downloads (more than once, a retry), and collecting logs the print.
        let nonce = kiosk.find_results(&owner).await.unwrap().results[0].nonce.clone().unwrap();
        assert_eq!(kiosk.result_pdf(&id, Some(&nonce)).await.unwrap(), pdf);
        assert_eq!(kiosk.result_pdf(&id, Some(&nonce)).await.unwrap(), pdf);
        let c = kiosk.result_collected(&id, Some(&nonce)).await.unwrap();
        assert_eq!(c.collected_by, "kiosk-1");
        assert_eq!(refusal(kiosk.result_pdf(&id, Some(&nonce)).await), (403, ErrorCode::BadResultNonce), "collected: its nonces end");
        assert_eq!(refusal(kiosk2.result_pdf(&id, Some(&nonce2)).await), (403, ErrorCode::BadResultNonce));
        assert_eq!(kiosk.find_results(&owner).await.unwrap().results, []);
        let prints: Vec<_> = logged(&h).into_iter().filter(|e| e.kind() == "result_collected").collect();
        assert_eq!(
            prints,
            [hallq::engine::Event::ResultCollected {
                result: id.clone(),
                kiosk: "kiosk-1".into(),
                actor: hallq::engine::Actor::token("kiosk-1")
            }]
        );

        // Managers answer for the hall: no nonce needed (and no nonce given), their prints
        // are events too. A repeated collect logs nothing.
        let found = manager.find_results(&identity(&id_number("19700101", 3), "王五")).await.unwrap();
        assert_eq!((found.results.len(), found.results[0].nonce.clone()), (1, None));
        assert_eq!(manager.result_pdf(&other, None).await.unwrap(), pdf);
        assert_eq!(manager.result_collected(&other, None).await.unwrap().collected_by, "manager");
        assert_eq!(refusal(manager.result_collected(&other, None).await), (409, ErrorCode::AlreadyCollected));
        let prints: Vec<_> = logged(&h).into_iter().filter(|e| e.kind() == "result_collected").collect();
        assert_eq!(prints.len(), 2, "{prints:?}");

        // The chain holds the prints.
        let dir_db = h.hall.db_path().to_path_buf();
        assert!(matches!(hallq::store::verify(&dir_db).unwrap(), hallq::store::Verdict::Intact { .. }));

        // The manager's stream has them; a display's, a counter's and a kiosk's do not.
        let collected_seqs: Vec<u64> = {
            let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
            hallq::store::events_since(&conn, 0, 100_000)
                .unwrap()
                .into_iter()
                .filter(|r| r.event.kind() == "result_collected")
                .map(|r| r.seq)
                .collect()
        };
        let last = *collected_seqs.last().unwrap();
        let seen = stream(&h, MANAGER, last).await;
        let shown: Vec<_> =
            seen.iter().filter(|e| matches!(e.event, EventView::ResultCollected { .. })).map(|e| (e.seq, e.event.clone())).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(
            shown[0],
            (
                collected_seqs[0],
                EventView::ResultCollected {
                    result: id.clone(),
                    kiosk: "kiosk-1".into(),
                    actor: Some(hallq_proto::Actor::token("kiosk-1"))
                }
            )
        );
        // An event everyone sees after them, so the other streams can be read up to it.
        let t = kiosk.issue(&issue_req("after", "linshi-sfz")).await.unwrap();
        let after = {
            let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
            hallq::store::ticket_events(&conn, t.ticket.id.as_str()).unwrap()[0].seq
        };
        assert!(after > last);
        for token in [DISPLAY, COUNTER, KIOSK] {
            let texts = stream_texts(&h.events_url(&format!("since=0&token={token}")), after, 30).await;
            assert!(texts.iter().all(|t| !t.contains("result_collected")), "{token} saw a print: {texts:?}");
            assert!(texts.iter().any(|t| t.contains("ticket_issued")), "{token} read its stream");
        }
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn nonces_end_with_a_new_find_and_the_kiosk_can_refind() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let (system, kiosk) = (h.client(SYSTEM), h.client(KIOSK));
        let owner = identity(&id_number("19851212", 11), "欧阳娜娜");
        let pdf = b"%PDF-1.7\n% two\n".to_vec();
        let a = deliver(&system, "SP-A", &owner, &pdf).await;
        let b = deliver(&system, "SP-B", &owner, &pdf).await;
        let first = kiosk.find_results(&owner).await.unwrap().results;
        assert_eq!(first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [a.as_str(), b.as_str()]);
        let second = kiosk.find_results(&owner).await.unwrap().results;
        // The kiosk's newer find ends its older nonces for the same results.
        assert_eq!(refusal(kiosk.result_pdf(&a, first[0].nonce.as_deref()).await), (403, ErrorCode::BadResultNonce));
        assert_eq!(kiosk.result_pdf(&a, second[0].nonce.as_deref()).await.unwrap(), pdf);
        assert_eq!(
            refusal(kiosk.result_pdf(&b, second[0].nonce.as_deref()).await),
            (403, ErrorCode::BadResultNonce),
            "a's nonce is not b's"
        );
        kiosk.result_collected(&b, second[1].nonce.as_deref()).await.unwrap();
        assert_eq!(kiosk.find_results(&owner).await.unwrap().results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [a.as_str()]);
        h.stop().await;
    })
    .await
}
