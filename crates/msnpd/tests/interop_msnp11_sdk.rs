//! Interoperability with an independent client: two `msnp11-sdk` clients
//! (crates.io) sign in through our Nexus and login2.srf, add each other, see
//! each other come online, and chat both ways over the switchboard.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use msnp11_sdk::client::Client;
use msnp11_sdk::enums::event::Event;
use msnp11_sdk::enums::msnp_list::MsnpList;
use msnp11_sdk::enums::msnp_status::MsnpStatus;
use msnp11_sdk::models::plain_text::PlainText;
use msnp11_sdk::switchboard_server::switchboard::Switchboard;
use tokio::sync::mpsc;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

/// Runs an SDK call with a deadline: the SDK waits forever when a reply never comes.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    timeout(STEP, future).await.unwrap_or_else(|_| panic!("msnp11-sdk: {what} did not finish"))
}

async fn connect(server: &TestServer, email: &str, password: &str) -> (Client, mpsc::UnboundedReceiver<Event>) {
    let client = within("connect", Client::new("127.0.0.1", server.ns().port())).await.expect("connects");
    let (sender, events) = mpsc::unbounded_channel();
    client.add_event_handler_closure(move |event| {
        let sender = sender.clone();
        async move {
            let _ = sender.send(event);
        }
    });
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http());
    let result = within("login", client.login(email.to_owned(), password, &nexus, "msnp11-sdk", "0.13.0"))
        .await
        .expect("signs in");
    assert!(matches!(result, Event::Authenticated), "{result:?}");
    (client, events)
}

/// Waits for the first event that `pick` accepts, skipping the others.
async fn wait_for<T>(
    events: &mut mpsc::UnboundedReceiver<Event>,
    what: &str,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let event = events.recv().await.expect("event stream open");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
}

fn text(message: &str) -> PlainText {
    PlainText {
        bold: false,
        italic: false,
        underline: false,
        strikethrough: false,
        color: "0".into(),
        text: message.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sdk_clients_add_each_other_see_presence_and_chat() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;

    let (alice, mut alice_events) = connect(&server, "alice@example.com", "alice-pw").await;
    let (bob, mut bob_events) = connect(&server, "bob@example.com", "bob-pw").await;

    within("alice adds bob", alice.add_contact("bob@example.com", "Bob", MsnpList::ForwardList))
        .await
        .expect("bob added");
    wait_for(&mut bob_events, "bob told he was added", |event| match event {
        Event::AddedBy { email, .. } if email == "alice@example.com" => Some(()),
        _ => None,
    })
    .await;
    within("bob adds alice", bob.add_contact("alice@example.com", "Alice", MsnpList::ForwardList))
        .await
        .expect("alice added");

    within("bob online", bob.set_presence(MsnpStatus::Online)).await.expect("bob's status");
    within("alice online", alice.set_presence(MsnpStatus::Busy)).await.expect("alice's status");
    let status = wait_for(&mut alice_events, "alice sees bob online", |event| match event {
        Event::InitialPresenceUpdate { email, presence, .. } if email == "bob@example.com" => Some(presence.status),
        _ => None,
    })
    .await;
    assert_eq!(status, MsnpStatus::Online);
    let status = wait_for(&mut bob_events, "bob sees alice online", |event| match event {
        Event::PresenceUpdate { email, presence, .. } if email == "alice@example.com" => Some(presence.status),
        _ => None,
    })
    .await;
    assert_eq!(status, MsnpStatus::Busy);

    // Alice opens a conversation; Bob's client answers the invitation by itself.
    let alice_sb =
        Arc::new(within("alice opens a switchboard", alice.create_session("bob@example.com")).await.expect("session"));
    let (alice_sb_sender, mut alice_sb_events) = mpsc::unbounded_channel();
    alice_sb.add_event_handler_closure(move |event| {
        let sender = alice_sb_sender.clone();
        async move {
            let _ = sender.send(event);
        }
    });
    let bob_sb: Arc<Switchboard> = wait_for(&mut bob_events, "bob joins the switchboard", |event| match event {
        Event::SessionAnswered(switchboard) => Some(switchboard),
        _ => None,
    })
    .await;
    let (bob_sb_sender, mut bob_sb_events) = mpsc::unbounded_channel();
    bob_sb.add_event_handler_closure(move |event| {
        let sender = bob_sb_sender.clone();
        async move {
            let _ = sender.send(event);
        }
    });
    wait_for(&mut alice_sb_events, "alice sees bob join", |event| match event {
        Event::ParticipantInSwitchboard { email } if email == "bob@example.com" => Some(()),
        _ => None,
    })
    .await;

    within("alice says hello", alice_sb.send_text_message(&text("hello bob"))).await.expect("delivered");
    let received = wait_for(&mut bob_sb_events, "bob reads alice", |event| match event {
        Event::TextMessage { email, message } if email == "alice@example.com" => Some(message.text),
        _ => None,
    })
    .await;
    assert_eq!(received, "hello bob");
    within("bob answers", bob_sb.send_text_message(&text("hi alice"))).await.expect("delivered");
    let received = wait_for(&mut alice_sb_events, "alice reads bob", |event| match event {
        Event::TextMessage { email, message } if email == "bob@example.com" => Some(message.text),
        _ => None,
    })
    .await;
    assert_eq!(received, "hi alice");

    // The client configuration (MsgrConfig) reads as the SDK expects it.
    let config_url = format!("http://{}/Config/MsgrConfig.asmx", server.http());
    let config = within("config", alice.get_config(&config_url)).await.expect("config parses");
    assert_eq!(config.tabs.len(), 1);
    assert_eq!(config.msn_today_url, format!("http://{}/", server.http()));

    within("bob disconnects", bob.disconnect()).await.expect("disconnects");
    wait_for(&mut alice_events, "alice sees bob leave", |event| match event {
        Event::ContactOffline { email } if email == "bob@example.com" => Some(()),
        _ => None,
    })
    .await;
    let _ = within("alice disconnects", alice.disconnect()).await;
}
