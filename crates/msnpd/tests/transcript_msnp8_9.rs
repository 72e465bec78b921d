//! MSNP8 and MSNP9 over real sockets, line for line: three accounts sign in
//! through Passport, change lists and groups, see each other's presence, and
//! chat in a switchboard of three; every error along the way is the seed's.

mod common;

use common::{Peer, TestServer, sign_in};
use msnp::auth::challenge::md5_challenge_response;

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

/// Answers the challenge the server sends after the first CHG.
async fn answer_challenge(peer: &mut Peer, trid: u32) {
    let chl = peer.line().await;
    assert!(chl.starts_with("CHL 0 ") && word(&chl, 2).len() == 20, "{chl}");
    let answer = md5_challenge_response(&word(&chl, 2), "Q1P7W2E4J9R8U3S5");
    peer.send_payload(&format!("QRY {trid} msmsgs@msnmsgr.com"), answer.as_bytes()).await;
    peer.expect(&format!("QRY {trid}")).await;
}

async fn legacy_transcript(dialect: &str) {
    let nine = dialect == "MSNP9";
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    server.user("carol@example.com", "carol-pw", "Carol").await;
    // MSNP9 carries the MSNObject in presence lines; MSNP8 does not.
    let msnobj = "%3Cmsnobj%20Creator%3D%22alice%40example.com%22%20Type%3D%223%22%2F%3E";
    let alice_obj = if nine { format!(" {msnobj}") } else { String::new() };
    // Without a display picture the field is still there in MSNP9, as 0.
    let no_obj = if nine { " 0" } else { "" };

    let mut alice = sign_in(&server, dialect, "alice@example.com", "alice-pw", "alice").await;
    alice.send("SYN 5 0").await;
    alice.expect("SYN 5 0 0 1").await;
    alice.expect("GTC A").await;
    alice.expect("BLP AL").await;
    alice.expect("LSG 0 Other%20Contacts 0").await;

    alice.send("ADD 6 FL bob@example.com Bob").await;
    alice.expect("ADD 6 FL 1 bob@example.com Bob").await;
    alice.send("ADD 7 AL bob@example.com Bob").await;
    alice.expect("ADD 7 AL 2 bob@example.com Bob").await;
    alice.send("ADD 8 FL bob@example.com Bob").await;
    alice.expect("215 8").await;
    alice.send("ADD 9 BL bob@example.com Bob").await;
    alice.expect("219 9").await;
    alice.send("ADD 10 FL nobody@example.com Nobody").await;
    alice.expect("205 10").await;
    alice.send("ADD 11 FL bademail Bad").await;
    alice.expect("201 11").await;
    alice.send("ADD 12 RL bob@example.com Bob").await;
    alice.expect("201 12").await;

    alice.send("ADG 13 Friends 0").await;
    alice.expect("ADG 13 3 Friends 1 0").await;
    alice.send("ADG 14 Friends 0").await;
    alice.expect("228 14").await;
    alice.send(&format!("ADG 15 {} 0", "x".repeat(62))).await;
    alice.expect("229 15").await;
    alice.send("ADD 16 FL bob@example.com Bob 1").await;
    alice.expect("ADD 16 FL 4 bob@example.com Bob 1").await;
    alice.send("ADD 17 FL bob@example.com Bob 1").await;
    alice.expect("215 17").await;
    alice.send("ADD 18 FL bob@example.com Bob 9").await;
    alice.expect("224 18").await;
    alice.send("REG 19 1 Buddies 0").await;
    alice.expect("REG 19 5 1 Buddies 0").await;
    alice.send("RMG 20 0").await;
    alice.expect("230 20").await;
    alice.send("RMG 21 7").await;
    alice.expect("224 21").await;

    // The setting already in force is echoed with the serial unchanged.
    alice.send("BLP 22 AL").await;
    alice.expect("BLP 22 5 AL").await;
    alice.send("GTC 23 N").await;
    alice.expect("GTC 23 6 N").await;
    alice.send("GTC 24 N").await;
    alice.expect("GTC 24 6 N").await;
    alice.send("BLP 25 XX").await;
    alice.expect("201 25").await;
    alice.send("PRP 26 PHH 555%201234").await;
    alice.expect("PRP 26 7 PHH 555%201234").await;
    alice.send("REA 27 alice@example.com Alice%20A").await;
    alice.expect("REA 27 7 alice@example.com Alice%20A").await;
    alice.send(&format!("REA 28 alice@example.com {}", "y".repeat(400))).await;
    alice.expect("209 28").await;
    alice.send("REA 29 alice@example.com bad%01name").await;
    alice.expect("209 29").await;

    alice.send("XFR 30 SB").await;
    alice.expect("913 30").await;
    alice.send("CHG 31 FLN 268435492").await;
    alice.expect("201 31").await;
    alice.send(&format!("CHG 32 NLN 268435492{alice_obj}")).await;
    alice.expect(&format!("CHG 32 NLN 268435492{alice_obj}")).await;
    answer_challenge(&mut alice, 33).await;

    // Bob finds Alice on his reverse list, adds her, and sees her at once.
    let mut bob = sign_in(&server, dialect, "bob@example.com", "bob-pw", "bob").await;
    bob.send("SYN 5 0").await;
    bob.expect("SYN 5 1 1 1").await;
    bob.expect("GTC A").await;
    bob.expect("BLP AL").await;
    bob.expect("LSG 0 Other%20Contacts 0").await;
    bob.expect("LST alice@example.com Alice 8").await;
    bob.send("ADD 6 FL alice@example.com Alice").await;
    bob.expect("ADD 6 FL 2 alice@example.com Alice").await;
    bob.expect(&format!("ILN 6 NLN alice@example.com Alice%20A 268435492{alice_obj}")).await;
    alice.expect("ADD 0 RL 8 bob@example.com Bob").await;
    bob.send("CHG 7 BSY 268435492").await;
    bob.expect("CHG 7 BSY 268435492").await;
    bob.expect(&format!("ILN 7 NLN alice@example.com Alice%20A 268435492{alice_obj}")).await;
    answer_challenge(&mut bob, 8).await;
    alice.expect(&format!("NLN BSY bob@example.com Bob 268435492{no_obj}")).await;

    // A conversation: Alice opens it, invites Bob, then Carol.
    alice.send("XFR 34 SB").await;
    let xfr = alice.line().await;
    let cookie = word(&xfr, 5);
    assert_eq!(xfr, format!("XFR 34 SB {} CKI {cookie}", server.sb()));
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send_payload("MSG 1 A", b"hi").await;
    alice_sb.expect("302 1").await;
    alice_sb.send(&format!("USR 2 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 2 OK alice@example.com Alice%20A").await;
    alice_sb.send("CAL 3 carol@example.com").await;
    alice_sb.expect("217 3").await;
    alice_sb.send("CAL 4 nobody@example.com").await;
    alice_sb.expect("208 4").await;
    alice_sb.send("CAL 5 bob@example.com").await;
    let ringing = alice_sb.line().await;
    let session = word(&ringing, 3);
    assert_eq!(ringing, format!("CAL 5 RINGING {session}"));
    let rng = bob.line().await;
    let bob_cookie = word(&rng, 4);
    assert_eq!(rng, format!("RNG {session} {} CKI {bob_cookie} alice@example.com Alice%20A", server.sb()));
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice%20A").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;
    alice_sb.send("CAL 6 bob@example.com").await;
    alice_sb.expect("215 6").await;

    let text = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n\r\nhello bob";
    alice_sb.send_payload("MSG 7 A", text.as_bytes()).await;
    alice_sb.expect("ACK 7").await;
    bob_sb.expect_payload(&format!("MSG alice@example.com Alice%20A {}", text.len()), text).await;
    let typing = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: bob@example.com\r\n\r\n\r\n";
    bob_sb.send_payload("MSG 2 U", typing.as_bytes()).await;
    alice_sb.expect_payload(&format!("MSG bob@example.com Bob {}", typing.len()), typing).await;
    bob_sb.send_payload("MSG 3 Z", b"x").await;
    bob_sb.expect("201 3").await;
    bob_sb.send_payload("MSG 4 N", &vec![b'a'; 1665]).await;
    bob_sb.expect("201 4").await;
    if nine {
        let p2p = "MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: alice@example.com\r\n\r\n\0\0\0\0";
        bob_sb.send_payload("MSG 5 D", p2p.as_bytes()).await;
        bob_sb.expect("ACK 5").await;
        alice_sb.expect_payload(&format!("MSG bob@example.com Bob {}", p2p.len()), p2p).await;
    } else {
        bob_sb.send_payload("MSG 5 D", b"data").await;
        bob_sb.expect("201 5").await;
    }

    let mut carol = sign_in(&server, dialect, "carol@example.com", "carol-pw", "carol").await;
    carol.send("CHG 5 NLN 0").await;
    carol.expect("CHG 5 NLN 0").await;
    answer_challenge(&mut carol, 6).await;
    alice_sb.send("CAL 8 carol@example.com").await;
    alice_sb.expect(&format!("CAL 8 RINGING {session}")).await;
    let rng = carol.line().await;
    let carol_cookie = word(&rng, 4);
    let mut carol_sb = Peer::connect(server.sb(), "carol-sb").await;
    carol_sb.send(&format!("ANS 1 carol@example.com {carol_cookie} {session}")).await;
    carol_sb.expect("IRO 1 1 2 alice@example.com Alice%20A").await;
    carol_sb.expect("IRO 1 2 2 bob@example.com Bob").await;
    carol_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI carol@example.com Carol").await;
    bob_sb.expect("JOI carol@example.com Carol").await;
    // A spent cookie does not open the door twice.
    let mut intruder = Peer::connect(server.sb(), "intruder").await;
    intruder.send(&format!("ANS 1 carol@example.com {carol_cookie} {session}")).await;
    intruder.expect("911 1").await;
    intruder.expect_closed().await;

    alice_sb.send_payload("MSG 9 N", b"to all").await;
    bob_sb.expect_payload("MSG alice@example.com Alice%20A 6", "to all").await;
    carol_sb.expect_payload("MSG alice@example.com Alice%20A 6", "to all").await;
    alice_sb.expect_silence().await;
    bob_sb.send("OUT").await;
    bob_sb.expect_closed().await;
    alice_sb.expect("BYE bob@example.com").await;
    carol_sb.expect("BYE bob@example.com").await;
    drop(carol_sb);
    alice_sb.expect("BYE carol@example.com").await;
    alice_sb.send_payload("MSG 10 A", b"anyone?").await;
    alice_sb.expect("NAK 10").await;

    // Privacy: blocking Bob hides Alice from him; unblocking shows her again.
    alice.send("REM 35 AL bob@example.com").await;
    alice.expect("REM 35 AL 9 bob@example.com").await;
    alice.send("ADD 36 BL bob@example.com Bob").await;
    alice.expect("ADD 36 BL 10 bob@example.com Bob").await;
    bob.expect("FLN alice@example.com").await;
    alice.send("REM 37 BL bob@example.com").await;
    alice.expect("REM 37 BL 11 bob@example.com").await;
    bob.expect(&format!("NLN NLN alice@example.com Alice%20A 268435492{alice_obj}")).await;

    // Groups, then the forward list; Bob sees himself leave Alice's list.
    alice.send("REM 38 FL bob@example.com 1").await;
    alice.expect("REM 38 FL 12 bob@example.com 1").await;
    alice.send("REM 39 FL bob@example.com 1").await;
    alice.expect("225 39").await;
    alice.send("REM 40 FL bob@example.com").await;
    alice.expect("REM 40 FL 13 bob@example.com").await;
    bob.expect("REM 0 RL 3 alice@example.com").await;
    alice.send("REM 41 FL bob@example.com").await;
    alice.expect("216 41").await;
    alice.send("RMG 42 1").await;
    alice.expect("RMG 42 14 1").await;

    alice.send("SYN 43 14").await;
    alice.expect("SYN 43 14").await;
    alice.send("SYN 44 0").await;
    alice.expect("SYN 44 14 1 1").await;
    alice.expect("GTC N").await;
    alice.expect("BLP AL").await;
    alice.expect("PRP PHH 555%201234").await;
    alice.expect("LSG 0 Other%20Contacts 0").await;
    alice.expect("LST bob@example.com Bob 8").await;

    alice.send("PNG").await;
    alice.expect(if nine { "QNG 60" } else { "QNG" }).await;
    alice.send("FOO 45").await;
    alice.expect("200 45").await;
    alice.send("ADC 46 FL N=bob@example.com").await;
    alice.expect("200 46").await;
    alice.send("INF 47").await;
    alice.expect("200 47").await;
    alice.send("USR 48 TWN I alice@example.com").await;
    alice.expect("207 48").await;

    // Alice signs in again elsewhere: the old session is told and closed, and
    // Bob sees her offline until the new session sets a status.
    let mut again = sign_in(&server, dialect, "alice@example.com", "alice-pw", "alice-again").await;
    alice.expect("OUT OTH").await;
    alice.expect_closed().await;
    bob.expect("FLN alice@example.com").await;
    again.send("CHG 5 AWY 268435492").await;
    again.expect("CHG 5 AWY 268435492").await;
    answer_challenge(&mut again, 6).await;
    bob.expect(&format!("NLN AWY alice@example.com Alice%20A 268435492{no_obj}")).await;
    again.send("OUT").await;
    again.expect_closed().await;
    bob.expect("FLN alice@example.com").await;
}

#[tokio::test]
async fn msnp8_transcript() {
    legacy_transcript("MSNP8").await;
}

#[tokio::test]
async fn msnp9_transcript() {
    legacy_transcript("MSNP9").await;
}
