//! The ID-card reader driver against the simulated reader over a real pseudo-terminal:
//! each card type, a bad checksum, "not found" (0x80) and "read failed" (0x41), a SAM
//! fault, a reader unplugged mid-read, and the poll loop reading each placement once.

use std::time::{Duration, Instant};

use hallq_drivers::idcard::card::ValidUntil;
use hallq_drivers::idcard::sim::SimReader;
use hallq_drivers::idcard::{CardEvent, CardKind, IdReader, Identity, Poller, ReaderError, READ};
use hallq_drivers::transport::{self, TransportError};
use hallq_drivers::DeviceUri;

fn reader(sim: &SimReader) -> IdReader {
    let uri: DeviceUri = sim.uri().parse().unwrap();
    IdReader::new(transport::open(&uri).unwrap())
}

#[test]
fn reads_each_card_type_over_a_pseudo_terminal() {
    let sim = SimReader::start().unwrap();
    let mut r = reader(&sim);
    r.sam_status().unwrap();
    assert_eq!(r.sam_id().unwrap().len(), 32);
    assert!(!r.find().unwrap(), "no card yet");
    for kind in [CardKind::Resident, CardKind::HkMacaoTaiwanPermit, CardKind::ForeignPermanent] {
        let card = Identity::sample(kind);
        sim.place(card.clone());
        let got = r.read_card(Duration::from_secs(2)).unwrap().expect("a card");
        assert_eq!(got, card, "{kind:?}");
        assert_eq!(got.photo.len(), 1024, "photo passes through undecoded");
        sim.lift();
    }
}

#[test]
fn an_expired_permit_reads_and_says_so() {
    let sim = SimReader::start().unwrap();
    let mut r = reader(&sim);
    sim.place(Identity::sample(CardKind::HkMacaoTaiwanPermit));
    let id = r.read_card(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(id.valid_until, Some(ValidUntil::Date(chrono::NaiveDate::from_ymd_opt(2026, 1, 4).unwrap())));
    assert!(id.expired_on(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()));
}

#[test]
fn reader_status_words_become_clear_errors() {
    let sim = SimReader::start().unwrap();
    let mut r = reader(&sim);
    sim.place(Identity::sample(CardKind::Resident));
    assert!(r.find().unwrap());
    r.select().unwrap();
    sim.fail_next_with(0x41);
    let e = r.read().unwrap_err();
    assert!(matches!(e, ReaderError::ReadFailed(0x41)), "{e:?}");
    assert!(e.to_string().contains("请将身份证平放"));
    assert!(!e.is_device_fault());
    sim.fail_next_with(0x80);
    assert!(!r.find().unwrap(), "0x80 on find means no card");
    sim.fail_next_with(0x81);
    assert!(matches!(r.select(), Err(ReaderError::ReadFailed(0x81))));
    sim.fail_next_with(0x40);
    assert!(matches!(r.read(), Err(ReaderError::UnknownCard)));
    sim.set_sam_fault(true);
    let e = r.sam_status().unwrap_err();
    assert!(matches!(e, ReaderError::Sam(0x60)) && e.is_device_fault(), "{e:?}");
    assert!(e.staff_message().contains("SAM"));
}

#[test]
fn a_bad_checksum_is_a_protocol_error_and_the_next_command_works() {
    let sim = SimReader::start().unwrap();
    let mut r = reader(&sim);
    sim.place(Identity::sample(CardKind::Resident));
    sim.corrupt_next_reply();
    let e = r.find().unwrap_err();
    assert!(matches!(&e, ReaderError::Protocol(m) if m.contains("checksum")), "{e:?}");
    assert!(r.find().unwrap());
}

#[test]
fn the_poll_loop_reads_a_card_once_until_it_is_lifted() {
    let sim = SimReader::start().unwrap();
    let mut p = Poller::new(reader(&sim));
    assert!(p.poll().unwrap().is_none());
    sim.place(Identity::sample(CardKind::Resident));
    assert!(matches!(p.poll().unwrap(), Some(CardEvent::Placed(_))));
    for _ in 0..5 {
        assert!(p.poll().unwrap().is_none(), "the same card is not read twice");
    }
    assert_eq!(sim.count(READ), 1);
    sim.lift();
    assert!(matches!(p.poll().unwrap(), Some(CardEvent::Removed)));
    sim.place(Identity::sample(CardKind::ForeignPermanent));
    match p.poll().unwrap() {
        Some(CardEvent::Placed(id)) => assert_eq!(id.kind, CardKind::ForeignPermanent),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.count(READ), 2);
    // A failed read is reported and retried while the card stays.
    sim.lift();
    p.poll().unwrap();
    sim.place(Identity::sample(CardKind::Resident));
    sim.fail_next_with(0x41);
    // find answers 0x41 here: the reader could not talk to the card.
    assert!(matches!(p.poll(), Ok(Some(CardEvent::Unreadable(_))) | Err(ReaderError::ReadFailed(_))));
    assert!(matches!(p.poll().unwrap(), Some(CardEvent::Placed(_))));
}

#[test]
fn a_reader_unplugged_mid_read_is_a_device_fault_within_seconds() {
    let sim = SimReader::start().unwrap();
    let mut r = reader(&sim);
    sim.place(Identity::sample(CardKind::Resident));
    assert!(r.find().unwrap());
    sim.unplug();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let e = r.select().and_then(|_| r.read()).unwrap_err();
    assert!(e.is_device_fault(), "{e:?}");
    assert!(
        matches!(
            e,
            ReaderError::NoAnswer
                | ReaderError::Transport(TransportError::Disconnected { .. })
                | ReaderError::Transport(TransportError::Io { .. })
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}
