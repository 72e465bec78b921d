//! The msnp-client library against a real server: login through Passport,
//! the contact list, presence, a conversation both ways, and the errors a
//! caller sees.

mod common;

use std::time::Duration;

use common::TestServer;
use msnp::{Dialect, ErrorCode};
use msnp_client::{Client, ClientConfig, ClientError, Conversation, ConversationEvent, Event};

fn config(server: &TestServer, dialect: Dialect) -> ClientConfig {
    // Through the well-known port, as a client is set up: it follows the referral.
    let mut config = ClientConfig::new(&server.dispatch().to_string());
    config.nexus = format!("http://{}/rdr/pprdr.asp", server.http());
    config.dialect = dialect;
    config.timeout = Duration::from_secs(5);
    config
}

async fn next(client: &mut Client) -> Event {
    tokio::time::timeout(Duration::from_secs(5), client.next_event()).await.expect("an event in time").expect("open")
}

async fn next_in(conversation: &mut Conversation) -> ConversationEvent {
    tokio::time::timeout(Duration::from_secs(5), conversation.next_event())
        .await
        .expect("a conversation event in time")
        .expect("open")
}

/// The next event that is not `Other` (profile, policy and other news).
async fn next_news(client: &mut Client) -> Event {
    loop {
        match next(client).await {
            Event::Other(_) => {}
            event => return event,
        }
    }
}

#[tokio::test]
async fn a_bot_signs_in_sees_presence_and_chats_both_ways() {
    let server = TestServer::start().await;
    // With the MD5 secret, so MSNP2-7 can sign in too.
    server.user_md5("alice@example.com", "alice-pw", "Alice").await;
    server.user_md5("bot@example.com", "bot-pw", "Echo Bot").await;
    let dialects = [
        Dialect::MSNP5,
        Dialect::MSNP7,
        Dialect::MSNP8,
        Dialect::MSNP12,
        Dialect::MSNP13,
        Dialect::MSNP15,
        Dialect::MSNP18,
    ];
    for dialect in dialects {
        let mut bot = Client::login(config(&server, dialect), "bot@example.com", "bot-pw").await.expect("bot login");
        let mut alice =
            Client::login(config(&server, dialect), "alice@example.com", "alice-pw").await.expect("alice login");
        if dialect == dialects[0] {
            alice.add_contact("bot@example.com").await.expect("add");
            bot.add_contact("alice@example.com").await.expect("add");
            assert_eq!(
                next_news(&mut bot).await,
                Event::AddedBy { email: "alice@example.com".into(), friendly_name: "Alice".into() }
            );
        }
        // The list survived from the first round: later rounds see it at login.
        let listed = alice.contacts();
        assert_eq!(listed.iter().map(|c| c.email.as_str()).collect::<Vec<_>>(), ["bot@example.com"]);
        assert_eq!(listed[0].lists & 3, 3);

        bot.set_status("BSY").await.expect("status");
        let presence = loop {
            match next_news(&mut alice).await {
                Event::Presence { email, status, .. } if email == "bot@example.com" && status == "BSY" => break status,
                _ => {}
            }
        };
        assert_eq!(presence, "BSY");
        assert_eq!(alice.contacts()[0].status.as_deref(), Some("BSY"));

        let mut chat = Conversation::open(&alice, "bot@example.com").await.expect("open");
        let invitation = loop {
            if let Event::Invited(invitation) = next_news(&mut bot).await {
                break invitation;
            }
        };
        assert_eq!(invitation.inviter, "alice@example.com");
        let mut bot_chat = Conversation::accept(&bot, &invitation).await.expect("accept");
        assert_eq!(next_in(&mut bot_chat).await, ConversationEvent::Joined { email: "alice@example.com".into() });
        assert_eq!(next_in(&mut chat).await, ConversationEvent::Joined { email: "bot@example.com".into() });
        chat.typing().await.expect("typing");
        assert_eq!(next_in(&mut bot_chat).await, ConversationEvent::Typing { from: "alice@example.com".into() });
        chat.nudge().await.expect("nudge");
        assert_eq!(next_in(&mut bot_chat).await, ConversationEvent::Nudge { from: "alice@example.com".into() });
        chat.send("héllo, bot").await.expect("delivered");
        let ConversationEvent::Message { from, text, .. } = next_in(&mut bot_chat).await else {
            panic!("a message");
        };
        assert_eq!((from.as_str(), text.as_str()), ("alice@example.com", "héllo, bot"));
        bot_chat.send(&text).await.expect("echoed");
        let ConversationEvent::Message { from, text, friendly_name } = next_in(&mut chat).await else {
            panic!("the echo");
        };
        assert_eq!(
            (from.as_str(), text.as_str(), friendly_name.as_str()),
            ("bot@example.com", "héllo, bot", "Echo Bot")
        );
        bot_chat.leave().await.expect("leave");
        assert_eq!(next_in(&mut chat).await, ConversationEvent::Left { email: "bot@example.com".into() });
        alice.sign_out().await.expect("out");
        bot.sign_out().await.expect("out");
    }
}

#[tokio::test]
async fn errors_carry_the_seed_code_and_text() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let wrong = Client::login(config(&server, Dialect::MSNP11), "alice@example.com", "nope").await;
    assert!(matches!(&wrong, Err(ClientError::Passport(reason)) if reason == "wrong email or password"));
    let alice = Client::login(config(&server, Dialect::MSNP11), "alice@example.com", "alice-pw").await.expect("login");
    let missing = alice.add_contact("nobody@example.com").await;
    let Err(error) = missing else { panic!("adding an unknown account succeeded") };
    assert!(matches!(error, ClientError::Server(ErrorCode::InvalidUsername)), "{error:?}");
    assert_eq!(error.to_string(), format!("208: {}", ErrorCode::InvalidUsername.description()));
    // MSNP13+ through RST.srf: a wrong password is Passport's answer too.
    let wrong = Client::login(config(&server, Dialect::MSNP18), "alice@example.com", "nope").await;
    assert!(
        matches!(&wrong, Err(ClientError::Passport(reason)) if reason == "wrong email or password"),
        "{:?}",
        wrong.err()
    );
    // MSNP2-7 prove the password with MD5, which needs the account's MD5 secret.
    let md5 = Client::login(config(&server, Dialect::MSNP5), "alice@example.com", "alice-pw").await;
    let Err(error) = md5 else { panic!("an MD5 sign-in without the MD5 secret succeeded") };
    assert!(matches!(error, ClientError::Server(ErrorCode::AuthenticationFailed)), "{error:?}");
}

/// MSNP18: a message for a contact who is away is left as an offline
/// message (Store2, its lock-key challenge answered), and is read back, in
/// order, the next time they sign in; read, it is gone.
#[tokio::test]
async fn an_offline_message_is_left_and_read_at_the_next_sign_in() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let alice = Client::login(config(&server, Dialect::MSNP18), "alice@example.com", "alice-pw").await.expect("alice");
    let bob = Client::login(config(&server, Dialect::MSNP18), "bob@example.com", "bob-pw").await.expect("bob");
    alice.add_contact("bob@example.com").await.expect("add");
    bob.add_contact("alice@example.com").await.expect("add");
    bob.sign_out().await.expect("out");
    for text in ["first (y)", "sécond"] {
        alice.leave_offline_message("bob@example.com", text).await.expect("left");
    }
    let refused = alice.leave_offline_message("nobody@example.com", "x").await;
    assert!(matches!(refused, Err(ClientError::Protocol(ref e)) if e.contains("InvalidRecipient")), "{refused:?}");

    let bob = Client::login(config(&server, Dialect::MSNP18), "bob@example.com", "bob-pw").await.expect("bob again");
    let read = bob.take_offline_messages().await.expect("read");
    let read: Vec<(&str, &str)> = read.iter().map(|m| (m.from.as_str(), m.text.as_str())).collect();
    assert_eq!(read, [("alice@example.com", "first (y)"), ("alice@example.com", "sécond")]);
    assert!(bob.take_offline_messages().await.expect("read again").is_empty());
    // Offline messages are for the MSNP13+ services only.
    let old = Client::login(config(&server, Dialect::MSNP12), "alice@example.com", "alice-pw").await.expect("MSNP12");
    assert!(matches!(old.take_offline_messages().await, Err(ClientError::Protocol(_))));
}
