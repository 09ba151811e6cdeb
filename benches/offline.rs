//! Benchmark: offline issuing at the kiosk — tickets per second journaled (SQLite,
//! synchronous=FULL) and printed on the simulated ticket printer (status before and after
//! each, as on a kiosk), with p50/p99 per ticket; then the time to upload 1,000 offline
//! tickets to a hall service over loopback HTTP once it answers again.
//! Run with `cargo bench --no-default-features --bench offline`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hallq::config::Config;
use hallq::kiosk::journal::{upload, Journal, OfflineIssue};
use hallq::service::{Clock, Hall, SimClock};
use hallq_drivers::printer::sim::SimPrinter;
use hallq_drivers::printer::ticket::{Template, TicketModel};
use hallq_drivers::printer::TicketPrinter;
use hallq_proto::{HallClient, QueueId};

const TICKETS: usize = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut config = Config::demo();
    config.kiosk.offline_block = 100;
    let clock = Arc::new(SimClock::parse("2026-12-01T09:30:00+08:00").unwrap());
    let hall = Hall::start(config.clone(), &dir.path().join("hall"), clock.clone()).unwrap();
    let (addr, kiosk) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, HallClient::with_timeout(&format!("http://{addr}"), "demo-kiosk-1", Duration::from_secs(30)))
    });
    let _ = addr;
    // Leases of 100 numbers over the demo hall's queues (a second one of the first): 1,000.
    let journal = Journal::open(&dir.path().join("kiosk/journal.db")).unwrap();
    let mut services = Vec::new();
    for q in config.queues.iter().cycle().take(TICKETS / 100) {
        let l = rt.block_on(kiosk.lease(&QueueId::new(&q.id))).unwrap();
        journal.add_lease(l.date, &q.id, &l.prefix, l.from, l.to).unwrap();
        let s = config.services.iter().find(|s| s.queue == q.id).unwrap();
        services.push((q.id.clone(), s.id.clone(), s.name.clone()));
    }

    // Issue and print, one after another as a kiosk does.
    let sim = SimPrinter::new();
    let mut printer = TicketPrinter::open(&"sim://printer".parse().unwrap(), Some(&sim)).unwrap();
    let template = Template::default();
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let mut each = Vec::with_capacity(TICKETS);
    let mut journaled = Vec::with_capacity(TICKETS);
    let start = Instant::now();
    for i in 0..TICKETS {
        let t0 = Instant::now();
        let (queue, service, name) = &services[i % services.len()];
        let now = clock.now().with_timezone(&offset);
        let token = format!("{:032x}", i);
        let r = journal
            .issue(&OfflineIssue {
                date: now.date_naive(),
                queue,
                request_id: &format!("bench-{i}"),
                service,
                issued_at: now,
                identity: None,
                token: &token,
            })
            .unwrap();
        journaled.push(t0.elapsed());
        let model = TicketModel {
            hall_name: config.hall.name.clone(),
            number: r.number.clone(),
            id: format!("20261201-{}", r.number),
            service: name.clone(),
            issued_at: now.format("%Y-%m-%d %H:%M").to_string(),
            token,
            offline: true,
            ..Default::default()
        };
        printer.print_ticket(&template, &model).unwrap();
        each.push(t0.elapsed());
    }
    let took = start.elapsed();
    each.sort();
    println!(
        "offline issuing (journal fsync + print on the simulated printer): {TICKETS} tickets in {:.2} s = {:.0} tickets/s; p50 {:.2} ms, p99 {:.2} ms",
        took.as_secs_f64(),
        TICKETS as f64 / took.as_secs_f64(),
        percentile(&each, 0.5).as_secs_f64() * 1e3,
        percentile(&each, 0.99).as_secs_f64() * 1e3
    );
    journaled.sort();
    println!(
        "  of which the journal (one durable transaction per ticket): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&journaled, 0.5).as_secs_f64() * 1e3,
        percentile(&journaled, 0.99).as_secs_f64() * 1e3
    );
    sim.take_printed();

    // The hall answers again: everything goes up, in print order.
    let start = Instant::now();
    let sent = rt.block_on(upload(&kiosk, &journal, clock.now().with_timezone(&offset)));
    let took = start.elapsed();
    assert_eq!(sent as usize, TICKETS);
    assert_eq!(journal.counts().unwrap(), (TICKETS as u32, 0, 0));
    println!(
        "upload of {TICKETS} offline tickets over loopback HTTP: {:.2} s ({:.1} ms per ticket)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / TICKETS as f64
    );
    rt.block_on(hall.shutdown());
}
