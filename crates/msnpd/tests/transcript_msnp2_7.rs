//! MSNP2, MSNP5 and MSNP7 (MSN Messenger 1.0–4.x) over real sockets, line for
//! line: the MD5 login with its opt-in secret, per-list SYN, ADD/REM with list
//! versions, groups (MSNP7), presence without capabilities, the switchboard;
//! then MSNP2, MSNP7 and MSNP11 users together on one server.

mod common;

use common::{Peer, TestServer, sign_in, sign_in_md5};
use msnp::auth::challenge::md5_challenge_response;
use msnp::auth::md5_login_response;

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

async fn answer_md5_challenge(peer: &mut Peer, trid: u32) {
    let chl = peer.line().await;
    assert!(chl.starts_with("CHL 0 "), "{chl}");
    let answer = md5_challenge_response(&word(&chl, 2), "Q1P7W2E4J9R8U3S5");
    peer.send_payload(&format!("QRY {trid} msmsgs@msnmsgr.com"), answer.as_bytes()).await;
    peer.expect(&format!("QRY {trid}")).await;
}

#[tokio::test]
async fn md5_login_needs_the_opt_in_secret() {
    let server = TestServer::start().await;
    server.user_md5("old@example.com", "old-pw", "Old").await;
    server.user("new@example.com", "new-pw", "New").await;
    for (email, password, name) in [
        ("old@example.com", "wrong", "wrong-password"),
        ("new@example.com", "new-pw", "no-md5-secret"),
        ("nobody@example.com", "pw", "no-account"),
    ] {
        let mut peer = Peer::connect(server.ns(), name).await;
        peer.send("VER 1 MSNP5").await;
        peer.expect("VER 1 MSNP5").await;
        peer.send("INF 2").await;
        peer.expect("INF 2 MD5").await;
        peer.send(&format!("USR 3 MD5 I {email}")).await;
        let salt = word(&peer.line().await, 4);
        assert!(!salt.is_empty());
        peer.send(&format!("USR 4 MD5 S {}", md5_login_response(&salt, password))).await;
        peer.expect("911 4").await;
        peer.expect_closed().await;
    }
    // The salt is the account's own, the same every time.
    let mut salts = Vec::new();
    for name in ["first", "second"] {
        let mut peer = Peer::connect(server.ns(), name).await;
        peer.send("VER 1 MSNP3").await;
        peer.expect("VER 1 MSNP3").await;
        peer.send("USR 2 TWN I old@example.com").await;
        peer.expect("201 2").await;
        peer.send("USR 3 MD5 I old@example.com").await;
        salts.push(word(&peer.line().await, 4));
    }
    assert_eq!(salts[0], salts[1]);
    // INF is MSNP2-7 only, and only before USR.
    let mut peer = Peer::connect(server.ns(), "inf8").await;
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;
    peer.send("INF 2").await;
    peer.expect("200 2").await;
    let mut old = sign_in_md5(&server, "MSNP5", "old@example.com", "old-pw", "old").await;
    old.send("INF 6").await;
    old.expect("715 6").await;
}

async fn old_transcript(dialect: &str) {
    let version = msnp::Dialect::from_token(dialect).expect("dialect");
    let groups = version.has_groups();
    let phones = version.has_phone_properties();
    let server = TestServer::start().await;
    server.user_md5("alice@example.com", "alice-pw", "Alice").await;
    server.user_md5("bob@example.com", "bob-pw", "Bob").await;

    let mut alice = sign_in_md5(&server, dialect, "alice@example.com", "alice-pw", "alice").await;
    alice.send("SYN 6 0").await;
    alice.expect("SYN 6 0").await;
    alice.expect("GTC 6 0 A").await;
    alice.expect("BLP 6 0 AL").await;
    if groups {
        alice.expect("LSG 6 0 1 1 0 Other%20Contacts 0").await;
    }
    for list in ["FL", "AL", "BL", "RL"] {
        alice.expect(&format!("LST 6 {list} 0 0 0")).await;
    }
    alice.send("ADD 7 FL bob@example.com Bob").await;
    alice.expect("ADD 7 FL 1 bob@example.com Bob").await;
    alice.send("ADD 8 AL bob@example.com Bob").await;
    alice.expect("ADD 8 AL 2 bob@example.com Bob").await;
    alice.send("ADD 9 FL nobody@example.com Nobody").await;
    alice.expect("205 9").await;
    alice.send("ADD 10 FL bademail").await;
    alice.expect("201 10").await;
    alice.send("ADD 11 FL bob@example.com Bob").await;
    alice.expect("215 11").await;
    let next = if groups {
        alice.send("ADG 12 Pals 0").await;
        alice.expect("ADG 12 3 Pals 1 0").await;
        alice.send("ADD 13 FL bob@example.com Bob 1").await;
        alice.expect("ADD 13 FL 4 bob@example.com Bob 1").await;
        5
    } else {
        alice.send("ADG 12 Pals 0").await;
        alice.expect("200 12").await;
        alice.send("ADD 13 FL bob@example.com Bob 1").await;
        alice.expect("201 13").await;
        3
    };
    if phones {
        alice.send("PRP 14 PHH 555").await;
        alice.expect(&format!("PRP 14 {next} PHH 555")).await;
    } else {
        alice.send("PRP 14 PHH 555").await;
        alice.expect("200 14").await;
    }
    let serial = if phones { next } else { next - 1 };
    // The setting already in force is echoed (clients send it at every sign-in).
    alice.send("GTC 15 A").await;
    alice.expect(&format!("GTC 15 {serial} A")).await;
    alice.send("REA 16 alice@example.com Alice%20A").await;
    alice.expect(&format!("REA 16 {serial} alice@example.com Alice%20A")).await;
    alice.send("SND 17 friend@example.com").await;
    alice.expect("417 17").await;
    alice.send("IMS 18 OFF").await;
    alice.expect("IMS 18 0 OFF").await;
    alice.send("IMS 19 ON").await;
    alice.expect("IMS 19 0 ON").await;
    alice.send("CHG 20 NLN").await;
    alice.expect("CHG 20 NLN").await;
    if version.challenge().is_some() {
        answer_md5_challenge(&mut alice, 21).await;
    }

    let mut bob = sign_in_md5(&server, dialect, "bob@example.com", "bob-pw", "bob").await;
    bob.send("SYN 6 0").await;
    bob.expect("SYN 6 1").await;
    bob.expect("GTC 6 1 A").await;
    bob.expect("BLP 6 1 AL").await;
    if groups {
        bob.expect("LSG 6 1 1 1 0 Other%20Contacts 0").await;
    }
    bob.expect("LST 6 FL 1 0 0").await;
    bob.expect("LST 6 AL 1 0 0").await;
    bob.expect("LST 6 BL 1 0 0").await;
    bob.expect("LST 6 RL 1 1 1 alice@example.com Alice").await;
    bob.send("ADD 7 FL alice@example.com Alice").await;
    bob.expect("ADD 7 FL 2 alice@example.com Alice").await;
    bob.expect("ILN 7 NLN alice@example.com Alice%20A").await;
    alice.expect(&format!("ADD 0 RL {} bob@example.com Bob", serial + 1)).await;
    if phones {
        bob.send("SYN 8 0").await;
        for _ in 0..(if groups { 4 } else { 3 }) {
            bob.line().await;
        }
        let entry =
            if groups { "LST 8 FL 2 1 1 alice@example.com Alice 0" } else { "LST 8 FL 2 1 1 alice@example.com Alice" };
        bob.expect(entry).await;
        bob.expect("BPR 2 alice@example.com PHH 555").await;
        bob.line().await; // AL
        bob.line().await; // BL
        bob.line().await; // RL
    }
    bob.send("CHG 9 BSY").await;
    bob.expect("CHG 9 BSY").await;
    bob.expect("ILN 9 NLN alice@example.com Alice%20A").await;
    if version.challenge().is_some() {
        answer_md5_challenge(&mut bob, 10).await;
    }
    alice.expect("NLN BSY bob@example.com Bob").await;

    alice.send("XFR 22 SB").await;
    let cookie = word(&alice.line().await, 5);
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice%20A").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    let session = word(&alice_sb.line().await, 3);
    let rng = bob.line().await;
    let bob_cookie = word(&rng, 4);
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice%20A").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;
    alice_sb.send_payload("MSG 3 A", b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi").await;
    alice_sb.expect("ACK 3").await;
    bob_sb
        .expect_payload("MSG alice@example.com Alice%20A 49", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi")
        .await;
    bob_sb.send_payload("MSG 2 D", b"data").await;
    bob_sb.expect("201 2").await;

    // IMS OFF turns invitations away.
    bob.send("IMS 11 OFF").await;
    bob.expect("IMS 11 0 OFF").await;
    alice.send("XFR 23 SB").await;
    let cookie = word(&alice.line().await, 5);
    let mut second = Peer::connect(server.sb(), "alice-sb2").await;
    second.send(&format!("USR 1 alice@example.com {cookie}")).await;
    second.expect("USR 1 OK alice@example.com Alice%20A").await;
    second.send("CAL 2 bob@example.com").await;
    second.expect("217 2").await;

    alice.send("REM 24 FL bob@example.com").await;
    let removed = alice.line().await;
    assert!(removed.starts_with("REM 24 FL ") && removed.ends_with(" bob@example.com"), "{removed}");
    bob.expect("REM 0 RL 3 alice@example.com").await;
    alice.send("PNG").await;
    alice.expect("QNG").await;
    // Alice no longer watches Bob: his leaving is not news to her.
    bob.send("OUT").await;
    bob.expect_closed().await;
    alice.expect_silence().await;
}

#[tokio::test]
async fn msnp2_transcript() {
    old_transcript("MSNP2").await;
}

#[tokio::test]
async fn msnp5_transcript() {
    old_transcript("MSNP5").await;
}

#[tokio::test]
async fn msnp7_transcript() {
    old_transcript("MSNP7").await;
}

/// MSNP2, MSNP7 and MSNP11 users on one server: each sees the others in its own
/// format, a list changed in one dialect reads right in another, and they chat.
#[tokio::test]
async fn mixed_dialects_see_and_reach_each_other() {
    let server = TestServer::start().await;
    server.user_md5("ann@example.com", "pw", "Ann").await;
    server.user_md5("ben@example.com", "pw", "Ben").await;
    server.user("cat@example.com", "pw", "Cat").await;
    let mut ann = sign_in_md5(&server, "MSNP2", "ann@example.com", "pw", "ann").await;
    let mut ben = sign_in_md5(&server, "MSNP7", "ben@example.com", "pw", "ben").await;
    let mut cat = sign_in(&server, "MSNP11", "cat@example.com", "pw", "cat").await;

    cat.send("ADC 1 FL N=ann@example.com F=Ann").await;
    assert!(cat.line().await.starts_with("ADC 1 FL N=ann@example.com F=Ann C="));
    ann.expect("ADD 0 RL 1 cat@example.com Cat").await;
    cat.send("ADC 2 FL N=ben@example.com F=Ben").await;
    assert!(cat.line().await.starts_with("ADC 2 FL N=ben@example.com F=Ben C="));
    ben.expect("ADD 0 RL 1 cat@example.com Cat").await;
    ann.send("ADD 1 FL cat@example.com Cat").await;
    ann.expect("ADD 1 FL 2 cat@example.com Cat").await;
    cat.expect("ADC 0 RL N=ann@example.com F=Ann").await;
    ben.send("ADD 2 FL ann@example.com Ann").await;
    ben.expect("ADD 2 FL 2 ann@example.com Ann").await;
    ann.expect("ADD 0 RL 3 ben@example.com Ben").await;

    ann.send("CHG 2 NLN").await;
    ann.expect("CHG 2 NLN").await;
    cat.send("CHG 3 AWY 1073741824").await;
    cat.expect("CHG 3 AWY 1073741824").await;
    // Ann's client has no capabilities; MSNP11 shows that as 0, and no display picture as 0.
    cat.expect("ILN 3 NLN ann@example.com Ann 0 0").await;
    cat.line().await; // Mail-Data
    cat.line().await; // CHL
    ann.expect("NLN AWY cat@example.com Cat").await;
    ben.send("CHG 3 BSY").await;
    ben.expect("CHG 3 BSY").await;
    ben.expect("ILN 3 NLN ann@example.com Ann").await;
    ben.line().await; // CHL
    // Ben is not on Cat's... Cat has Ben on FL: Cat sees him in MSNP11's format.
    cat.expect("NLN BSY ben@example.com Ben 0 0").await;

    // Cat's list, changed from MSNP11, reads right in MSNP7 after Ben adds a group.
    ben.send("SYN 4 0").await;
    for line in [
        "SYN 4 2",
        "GTC 4 2 A",
        "BLP 4 2 AL",
        "LSG 4 2 1 1 0 Other%20Contacts 0",
        "LST 4 FL 2 1 1 ann@example.com Ann 0",
        "LST 4 AL 2 0 0",
        "LST 4 BL 2 0 0",
        "LST 4 RL 2 1 1 cat@example.com Cat",
    ] {
        ben.expect(line).await;
    }

    // Cat (MSNP11) invites Ann (MSNP2); Ann sees no capabilities, Cat sees Ann's.
    cat.send("XFR 5 SB").await;
    let cookie = word(&cat.line().await, 5);
    let mut cat_sb = Peer::connect(server.sb(), "cat-sb").await;
    cat_sb.send(&format!("USR 1 cat@example.com {cookie}")).await;
    cat_sb.expect("USR 1 OK cat@example.com Cat").await;
    cat_sb.send("CAL 2 ann@example.com").await;
    let session = word(&cat_sb.line().await, 3);
    let rng = ann.line().await;
    let mut ann_sb = Peer::connect(server.sb(), "ann-sb").await;
    ann_sb.send(&format!("ANS 1 ann@example.com {} {session}", word(&rng, 4))).await;
    ann_sb.expect("IRO 1 1 1 cat@example.com Cat").await;
    ann_sb.expect("ANS 1 OK").await;
    cat_sb.expect("JOI ann@example.com Ann").await;
    ann_sb.send_payload("MSG 2 N", b"from 1999").await;
    cat_sb.expect_payload("MSG ann@example.com Ann 9", "from 1999").await;
    cat_sb.send_payload("MSG 3 A", b"from 2005").await;
    cat_sb.expect("ACK 3").await;
    ann_sb.expect_payload("MSG cat@example.com Cat 9", "from 2005").await;
}

/// The salt `USR MD5 I` asks for is what a client would see. For every
/// address, an account with the MD5 secret or not, or no account at all, it
/// is one salt of the same shape, the same each time and across restarts:
/// asking tells nothing. A login that carries the password (Passport) gives
/// the secret a new salt, so an `USR MD5 S` answer captured before it fails.
#[tokio::test]
async fn md5_salts_tell_nothing_and_change_with_password_logins() {
    let mut server = TestServer::start().await;
    server.user_md5("old@example.com", "old-pw", "Old").await;
    server.user("new@example.com", "new-pw", "New").await;
    async fn salt(server: &TestServer, email: &str) -> String {
        let mut peer = Peer::connect(server.ns(), "salt").await;
        peer.send("VER 1 MSNP5").await;
        peer.expect("VER 1 MSNP5").await;
        peer.send(&format!("USR 2 MD5 I {email}")).await;
        word(&peer.line().await, 4)
    }
    let shape = |salt: &str| {
        let parts: Vec<&str> = salt.split('.').collect();
        parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut before = Vec::new();
    for email in ["old@example.com", "new@example.com", "nobody@example.com"] {
        let first = salt(&server, email).await;
        assert!(shape(&first), "{email}: {first}");
        assert_eq!(salt(&server, email).await, first, "{email}: the same every time");
        before.push(first);
    }
    assert_ne!(before[1], before[2], "each address its own");
    server.restart().await;
    assert_eq!(salt(&server, "nobody@example.com").await, before[2], "and after a restart");
    assert_eq!(salt(&server, "new@example.com").await, before[1]);

    // An answer captured for the old salt, then a Passport login with the password.
    let captured = md5_login_response(&before[0], "old-pw");
    let header = "Passport1.4 sign-in=old%40example.com,pwd=old-pw";
    assert_eq!(common::http_get(server.http(), "/login2.srf", &[("Authorization", header)]).await.status, 200);
    let fresh = salt(&server, "old@example.com").await;
    assert_ne!(fresh, before[0]);
    let mut replay = Peer::connect(server.ns(), "replay").await;
    replay.send("VER 1 MSNP5").await;
    replay.expect("VER 1 MSNP5").await;
    replay.send("USR 2 MD5 I old@example.com").await;
    replay.line().await;
    replay.send(&format!("USR 3 MD5 S {captured}")).await;
    replay.expect("911 3").await;
    // The client that knows the password signs in with the new salt as ever.
    let _old = sign_in_md5(&server, "MSNP5", "old@example.com", "old-pw", "old").await;
}
