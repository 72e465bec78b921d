//! Configured list limits answer with their seed codes.

mod common;

use common::{TestServer, sign_in};

#[tokio::test]
async fn full_lists_and_too_many_groups() {
    let server = TestServer::start_with(|config| {
        config.max_list_entries = 1;
        config.max_groups = 2;
    })
    .await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    alice.send("ADD 1 FL bob@example.com Bob").await;
    alice.expect("ADD 1 FL 1 bob@example.com Bob").await;
    alice.send("ADD 2 FL carol@example.com Carol").await;
    alice.expect("210 2").await;
    // Each list has its own limit.
    alice.send("ADD 3 AL carol@example.com Carol").await;
    alice.expect("ADD 3 AL 2 carol@example.com Carol").await;
    // Group 0 counts: one more group fits, a second does not.
    alice.send("ADG 4 One 0").await;
    alice.expect("ADG 4 3 One 1 0").await;
    alice.send("ADG 5 Two 0").await;
    alice.expect("223 5").await;
    // A challenge answer nobody asked for is out of order.
    alice.send_payload("QRY 6 msmsgs@msnmsgr.com", b"0123456789abcdef0123456789abcdef").await;
    alice.expect("715 6").await;
}
