//! A restart loses nothing that was acknowledged.

mod common;

use common::{TestServer, sign_in};

#[tokio::test]
async fn lists_groups_and_settings_survive_a_restart() {
    let mut server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    server.user("carol@example.com", "pw", "Carol").await;
    let mut alice = sign_in(&server, "MSNP9", "alice@example.com", "pw", "alice").await;
    for (line, reply) in [
        ("ADG 1 Work 0", "ADG 1 1 Work 1 0"),
        ("ADD 2 FL bob@example.com Bobby 1", "ADD 2 FL 2 bob@example.com Bobby 1"),
        ("ADD 3 AL bob@example.com Bobby", "ADD 3 AL 3 bob@example.com Bobby"),
        ("ADD 4 BL carol@example.com Carol", "ADD 4 BL 4 carol@example.com Carol"),
        ("BLP 5 BL", "BLP 5 5 BL"),
        ("GTC 6 N", "GTC 6 6 N"),
        ("PRP 7 PHM 555%200000", "PRP 7 7 PHM 555%200000"),
        ("REA 8 alice@example.com Alice%20Smith", "REA 8 7 alice@example.com Alice%20Smith"),
    ] {
        alice.send(line).await;
        alice.expect(reply).await;
    }
    // Bob's phone number reaches Alice, who has him on her list, at once.
    alice.send("CHG 9 NLN 0").await;
    alice.expect("CHG 9 NLN 0").await;
    assert!(alice.line().await.starts_with("CHL 0 "));
    let mut bob = sign_in(&server, "MSNP9", "bob@example.com", "pw", "bob").await;
    bob.send("PRP 1 PHW 123").await;
    bob.expect("PRP 1 2 PHW 123").await;
    alice.expect("BPR 7 bob@example.com PHW 123").await;
    alice.send("OUT").await;
    alice.expect_closed().await;
    bob.send("OUT").await;
    bob.expect_closed().await;
    server.restart().await;

    let mut alice = sign_in(&server, "MSNP9", "alice@example.com", "pw", "alice-again").await;
    alice.send("SYN 1 0").await;
    for line in [
        "SYN 1 7 2 2",
        "GTC N",
        "BLP BL",
        "PRP PHM 555%200000",
        "LSG 0 Other%20Contacts 0",
        "LSG 1 Work 0",
        "LST bob@example.com Bobby 3 1",
        "BPR PHW 123",
        "LST carol@example.com Carol 4",
    ] {
        alice.expect(line).await;
    }
    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "pw", "bob").await;
    bob.send("SYN 1 0 0").await;
    assert!(bob.line().await.ends_with(" 1 0"));
    bob.expect("GTC A").await;
    bob.expect("BLP AL").await;
    bob.expect("PRP MFN Bob").await;
    bob.expect("PRP PHW 123").await;
    // Her request is kept too: Bob has not answered it (PL).
    bob.expect("LST N=alice@example.com F=Alice 24").await;
    // Alice blocks everyone not on her allow list: Carol does not see her phone.
    let mut carol = sign_in(&server, "MSNP10", "carol@example.com", "pw", "carol").await;
    carol.send("ADC 1 FL N=alice@example.com F=Alice").await;
    assert!(carol.line().await.starts_with("ADC 1 FL N=alice@example.com F=Alice C="));
    carol.send("SYN 2 0 0").await;
    assert!(carol.line().await.ends_with(" 1 0"));
    carol.expect("GTC A").await;
    carol.expect("BLP AL").await;
    carol.expect("PRP MFN Carol").await;
    let lst = carol.line().await;
    assert!(lst.starts_with("LST N=alice@example.com F=Alice C=") && lst.ends_with(" 1"), "{lst}");
    carol.send("PNG").await;
    carol.expect("QNG 60").await;
}
