//! Staff sign-in through the real HTTP API: the lock is counted before the password is
//! checked, unknown and impossible staff numbers get the answer a wrong password gets, and
//! sessions end when the person's password changes or the person is removed, but survive a
//! restart of the service.

mod common;

use std::sync::Arc;

use common::*;
use hallq::config::Config;
use hallq::service::{Hall, SimClock};
use hallq_proto::{ClientError, ErrorCode, HallClient};

const MANAGER: &str = "demo-manager";

/// The demo configuration with `id`'s `[[staff]]` block changed by `edit`.
fn with_staff(toml: &str, id: &str, edit: impl FnOnce(&str) -> String) -> String {
    let start = toml.find(&format!("[[staff]]\nid = \"{id}\"")).unwrap_or_else(|| panic!("no staff {id}"));
    let end = toml[start..].find("\n\n").map_or(toml.len(), |e| start + e + 1);
    format!("{}{}{}", &toml[..start], edit(&toml[start..end]), &toml[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_wrong_passwords_get_at_most_five_checks() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let calls: Vec<_> = (0..40)
            .map(|i| {
                let c = h.client("");
                tokio::spawn(async move { c.login("1002", &format!("guess-{i}")).await })
            })
            .collect();
        let mut wrong = 0;
        let mut locked = 0;
        for call in calls {
            match refusal(call.await.unwrap()) {
                (401, ErrorCode::WrongPassword) => wrong += 1,
                (429, ErrorCode::SigninLocked) => locked += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(wrong <= hallq::staff::MAX_FAILURES, "{wrong} wrong passwords were checked");
        assert_eq!(wrong + locked, 40);
        // The right password is refused too, until the lock ends.
        assert_eq!(refusal(h.client("").login("1002", "demo-1002").await), (429, ErrorCode::SigninLocked));
        h.advance(chrono::Duration::minutes(hallq::staff::LOCK_MINUTES));
        h.client("").login("1002", "demo-1002").await.unwrap();
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn unknown_and_impossible_numbers_are_answered_like_a_wrong_password() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let anon = h.client("");
        let message = |r: Result<_, ClientError>| match r {
            Err(ClientError::Refused { status: 401, code: ErrorCode::WrongPassword, message, .. }) => message,
            other => panic!("{other:?}"),
        };
        let wrong = message(anon.login("1001", "guess").await);
        for id in ["9999", "1001 ", "工号1001", "10.01", &"1".repeat(33), &"9".repeat(4000)] {
            assert_eq!(message(anon.login(id, "demo-1001").await), wrong, "{id:?}");
        }
        // The real number is not locked by any of that.
        anon.login("1001", "demo-1001").await.unwrap();
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_password_change_or_removal_ends_the_persons_sessions() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let anon = h.client("");
        let (s1001, s1002, s2001) = (
            anon.login("1001", "demo-1001").await.unwrap().token,
            anon.login("1002", "demo-1002").await.unwrap().token,
            anon.login("2001", "demo-2001").await.unwrap().token,
        );
        let me = |token: &str| {
            let c: HallClient = h.client(token);
            async move { c.me().await }
        };
        for t in [&s1001, &s1002, &s2001] {
            me(t).await.unwrap();
        }
        // The manager gives 1001 a new password and removes 2001.
        let manager = h.client(MANAGER);
        let version = manager.config().await.unwrap().version;
        let new_hash = hallq::staff::hash_password("a new password for 1001");
        let edited = with_staff(hallq::config::DEFAULT_TOML, "1001", |block| {
            let old = block.lines().find(|l| l.starts_with("password = ")).unwrap();
            block.replacen(old, &format!("password = \"{new_hash}\""), 1)
        });
        let edited = with_staff(&edited, "2001", |_| String::new());
        manager.put_config(&edited, Some(version)).await.unwrap();

        assert_eq!(refusal(me(&s1001).await), (401, ErrorCode::SessionExpired), "password changed");
        assert_eq!(refusal(me(&s2001).await), (401, ErrorCode::SessionExpired), "removed");
        assert_eq!(me(&s1002).await.unwrap().name, "示例员工乙（1002）", "the others go on");
        assert_eq!(refusal(anon.login("1001", "demo-1001").await), (401, ErrorCode::WrongPassword));
        let again = anon.login("1001", "a new password for 1001").await.unwrap();
        me(&again.token).await.unwrap();

        // A manager reads the staff's passwords as digests of their hashes, never the
        // Argon2 hashes (which would let a manager try passwords offline and act as a
        // colleague); the text put back as it is keeps every password and every session.
        let shown = manager.config().await.unwrap();
        let text = shown.toml.expect("the text in force");
        assert!(!text.contains(&new_hash) && !text.contains("password = \"$argon2"), "a password hash is shown to the manager:\n{text}");
        assert!(text.contains(&format!("password = \"{}\"", hallq::config::shown_password(&new_hash))), "{text}");
        let saved = manager.put_config(&text, Some(shown.version)).await.unwrap();
        me(&again.token).await.unwrap();
        me(&s1002).await.unwrap();
        anon.login("1002", "demo-1002").await.unwrap();
        assert_eq!(manager.config().await.unwrap().toml.as_deref(), Some(text.as_str()), "the same text again");
        // A digest of a hash the hall does not hold is refused, and says what to do.
        // Nor can a colleague's digest be put where its hash would be shown, published or
        // quoted in an error: in a comment, or a value the check quotes.
        let digest = hallq::config::shown_password(&new_hash);
        for smuggled in [format!("{text}\n# {digest}\n"), text.replacen("prefix = \"A\"", &format!("prefix = \"{digest}\""), 1)] {
            match manager.put_config(&smuggled, Some(saved.version)).await {
                Err(ClientError::Refused { status: 422, code: ErrorCode::InvalidConfig, message, .. }) => {
                    assert!(!message.contains("$argon2"), "{message}")
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(manager.config().await.unwrap().version, saved.version, "nothing saved");
        let at = text.find("kept:sha256:").unwrap() + "kept:sha256:".len();
        let forged = format!("{}{}{}", &text[..at], "ab".repeat(32), &text[at + 64..]);
        match manager.put_config(&forged, Some(saved.version)).await {
            Err(ClientError::Refused { status: 422, code: ErrorCode::InvalidConfig, message, .. }) => {
                assert!(message.contains("hash-password"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        h.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_session_survives_a_restart_of_the_service() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let token = h.client("").login("1001", "demo-1001").await.unwrap().token;
        let dir = h.stop().await;

        let clock = Arc::new(SimClock::parse(MORNING).unwrap());
        let hall = Hall::start(Config::demo(), dir.path(), clock).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let me = HallClient::with_timeout(&format!("http://{addr}"), &token, CALL_TIMEOUT).me().await.unwrap();
        assert!(me.name.contains("1001"), "{me:?}");
        server.abort();
        hall.shutdown().await;
    })
    .await
}

#[tokio::test]
async fn sign_out_ends_that_session_only_and_is_kept_across_a_restart() {
    within(120, "test", async {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hall.toml");
        std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
        let data = dir.path().join("data");
        let port = free_port();
        let server = format!("http://127.0.0.1:{port}");
        let serve = ChildGuard(spawn_serve(&config, &data, port));
        wait_healthy(&format!("{server}/api/v1")).await;
        let anon = HallClient::new(&server, "");
        let first = anon.login("1001", "demo-1001").await.unwrap();
        let second = anon.login("1001", "demo-1001").await.unwrap();
        let (a, b) = (anon.with_token(&first.token), anon.with_token(&second.token));
        a.logout().await.unwrap();
        assert_eq!(refusal(a.me().await), (401, ErrorCode::SessionExpired), "the signed-out session ends");
        assert!(b.me().await.is_ok(), "the same person's other session goes on");
        assert_eq!(refusal(a.logout().await), (401, ErrorCode::SessionExpired));
        // A counter device's token is not a session to end.
        assert_eq!(refusal(anon.with_token("demo-counter-1-6").logout().await), (403, ErrorCode::ForbiddenRole));
        drop(serve);
        let _serve = ChildGuard(spawn_serve(&config, &data, port));
        wait_healthy(&format!("{server}/api/v1")).await;
        assert_eq!(refusal(a.me().await), (401, ErrorCode::SessionExpired), "a sign-out survives a restart");
        assert!(b.me().await.is_ok());
    })
    .await
}

#[tokio::test]
async fn one_address_guessing_many_numbers_is_locked_out() {
    within(180, "test", async {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hall.toml");
        std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
        let port = free_port();
        let server = format!("http://127.0.0.1:{port}");
        let _serve = ChildGuard(spawn_serve(&config, &dir.path().join("data"), port));
        wait_healthy(&format!("{server}/api/v1")).await;
        let anon = HallClient::new(&server, "");
        // Four tries each at many numbers: no number reaches its own lock of 5.
        let mut locked = None;
        for n in 0..40 {
            match refusal(anon.login(&format!("9{n:03}"), "guess").await) {
                (401, ErrorCode::WrongPassword) => {}
                (429, ErrorCode::SigninLocked) => {
                    locked = Some(n);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        let n = locked.expect("the address is locked after its failures");
        assert!(n >= 5, "locked by the address, not by one number: after {n}");
        // Even the right password of a real number is refused from that address now.
        let e = anon.login("1001", "demo-1001").await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::SigninLocked), "{e}");
    })
    .await
}

/// Issue 11: a manager signs in with a staff number too; the session has a manager's
/// rights, and the sign-in, the manager's actions and the sign-out are in the chain with
/// the staff number.
#[tokio::test]
async fn a_manager_signs_in_and_every_action_names_the_staff_number() {
    within(120, "test", async {
        let h = TestHall::start().await;
        let login = h.client("").login("9001", "demo-9001").await.unwrap();
        assert!(login.windows.is_empty());
        let manager = h.client(&login.token);
        assert_eq!(manager.me().await.unwrap().role, hallq_proto::Role::Manager);
        manager.config().await.unwrap();
        manager.window_action(hallq_proto::WindowNo(4), hallq_proto::WindowAction::Open, &Default::default()).await.unwrap();
        manager.logout().await.unwrap();
        // A ticket a member of staff issues (at the service desk, here with the desk's staff
        // session) names them in its chained event and, for staff, in its history; a
        // kiosk's names the kiosk's token.
        let desk = h.client(&h.client("").login("9001", "demo-9001").await.unwrap().token);
        let by_staff = desk.issue(&issue_req("issued-by-staff", "linshi-sfz")).await.unwrap().ticket;
        let by_kiosk = h.client("demo-kiosk-1").issue(&issue_req("issued-by-kiosk", "linshi-sfz")).await.unwrap().ticket;
        let history = h.client(MANAGER).ticket(&by_staff.id).await.unwrap().history.expect("staff see the history");
        assert_eq!(history[0].what, "issued");
        assert_eq!(history[0].by, Some(hallq::engine::Actor::staff("9001")));
        desk.logout().await.unwrap();
        // A counter's staff session may not do a manager's work.
        let counter = h.client(&h.client("").login("1001", "demo-1001").await.unwrap().token);
        assert_eq!(refusal(counter.config().await), (403, ErrorCode::ForbiddenRole));
        let conn = hallq::store::open_reader(h.hall.db_path()).unwrap();
        let events: Vec<_> = hallq::store::events_since(&conn, 0, 100).unwrap().into_iter().map(|r| r.event).collect();
        let staff = hallq::engine::Actor::staff("9001");
        let kinds: Vec<&str> = events.iter().filter(|e| e.actor().as_ref() == Some(&staff)).map(|e| e.kind()).collect();
        assert_eq!(kinds, ["staff_signed_in", "window_opened", "staff_signed_out", "staff_signed_in", "ticket_issued", "staff_signed_out"]);
        let issued_by = |id: &str| {
            events.iter().find_map(|e| match e {
                hallq::engine::Event::TicketIssued { ticket } if ticket.id == id => Some(ticket.issued_by.clone()),
                _ => None,
            })
        };
        assert_eq!(issued_by(by_staff.id.as_str()), Some(staff.clone()));
        assert_eq!(issued_by(by_kiosk.id.as_str()), Some(hallq::engine::Actor::token("kiosk-1")));
        assert!(events.iter().any(|e| matches!(e, hallq::engine::Event::StaffSignedIn { role: hallq_proto::Role::Manager, .. })));
        assert!(events
            .iter()
            .any(|e| matches!(e, hallq::engine::Event::StaffSignedIn { role: hallq_proto::Role::Counter, actor } if *actor == hallq::engine::Actor::staff("1001"))));
        h.stop().await;
    })
    .await
}
