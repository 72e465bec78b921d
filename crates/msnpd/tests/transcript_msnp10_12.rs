//! MSNP10, MSNP11 and MSNP12 over real sockets, line for line: GUID contact
//! lists (ADC/REM/ADG/RMG/REG/SBP), presence with personal messages (11+),
//! the challenge, and a conversation with capabilities in JOI/IRO (12).

mod common;

use common::{Peer, TestServer, sign_in};
use msnp::Dialect;
use msnp::auth::challenge::{md5_challenge_response, msnp11_challenge_response};

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

fn is_timestamp(text: &str) -> bool {
    // 2026-11-25T12:00:00.1234560-00:00
    text.len() == 33 && text.as_bytes()[10] == b'T' && text.ends_with("-00:00")
}

const MAIL_DATA: &str = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinitialmdatanotification; charset=UTF-8\r\n\r\nMail-Data: <MD><E><I>0</I><IU>0</IU><O>0</O><OU>0</OU></E><Q><QTM>409600</QTM><QNM>204800</QNM></Q></MD>\r\n";

/// What follows the first `CHG` echo: ILNs (given), UBXs (given), Mail-Data (11+), then CHL answered.
async fn after_first_chg(peer: &mut Peer, dialect: Dialect, trid: u32) {
    if dialect.has_uux() {
        peer.expect_payload(&format!("MSG Hotmail Hotmail {}", MAIL_DATA.len()), MAIL_DATA).await;
    }
    let chl = peer.line().await;
    assert!(chl.starts_with("CHL 0 ") && word(&chl, 2).len() == 20, "{chl}");
    let challenge = word(&chl, 2);
    let (id, answer) = if dialect.version() >= 11 {
        ("PROD0090YUAUV{2B", msnp11_challenge_response(&challenge, "PROD0090YUAUV{2B", "YMM8C_H7KCQ2S_KL"))
    } else {
        ("msmsgs@msnmsgr.com", md5_challenge_response(&challenge, "Q1P7W2E4J9R8U3S5"))
    };
    peer.send_payload(&format!("QRY {trid} {id}"), answer.as_bytes()).await;
    peer.expect(&format!("QRY {trid}")).await;
}

async fn guid_transcript(name: &str) {
    let dialect = Dialect::from_token(name).expect("dialect");
    let eleven = dialect.has_uux();
    let twelve = dialect.version() == 12;
    let net = if twelve { " 1" } else { "" };
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;

    let mut alice = sign_in(&server, name, "alice@example.com", "alice-pw", "alice").await;
    alice.send("SYN 5 0 0").await;
    let syn = alice.line().await;
    assert!(syn.starts_with("SYN 5 ") && syn.ends_with(" 0 0"), "{syn}");
    assert!(is_timestamp(&word(&syn, 2)) && is_timestamp(&word(&syn, 3)), "{syn}");
    alice.expect("GTC A").await;
    alice.expect("BLP AL").await;
    alice.expect("PRP MFN Alice").await;

    alice.send("ADC 6 FL N=bob@example.com F=Bob").await;
    let adc = alice.line().await;
    let bob_guid = word(&adc, 5).trim_start_matches("C=").to_owned();
    assert_eq!(adc, format!("ADC 6 FL N=bob@example.com F=Bob C={bob_guid}"));
    assert!(uuid::Uuid::try_parse(&bob_guid).is_ok());
    alice.send("ADC 7 AL N=bob@example.com").await;
    alice.expect("ADC 7 AL N=bob@example.com").await;
    alice.send("ADC 8 FL N=bob@example.com F=Bob").await;
    alice.expect("215 8").await;
    alice.send("ADC 9 BL N=bob@example.com").await;
    alice.expect("219 9").await;
    alice.send("ADC 10 FL N=nobody@example.com F=Nobody").await;
    alice.expect("208 10").await;
    alice.send("ADC 11 FL N=bademail").await;
    alice.expect("201 11").await;
    alice.send("ADC 12 RL N=bob@example.com").await;
    alice.expect("201 12").await;

    alice.send("ADG 13 Friends").await;
    let adg = alice.line().await;
    let group = word(&adg, 3);
    assert_eq!(adg, format!("ADG 13 Friends {group}"));
    alice.send("ADG 14 Friends").await;
    alice.expect("228 14").await;
    alice.send(&format!("ADG 15 {}", "x".repeat(62))).await;
    alice.expect("229 15").await;
    alice.send(&format!("ADC 16 FL C={bob_guid} {group}")).await;
    alice.expect(&format!("ADC 16 FL C={bob_guid} {group}")).await;
    alice.send(&format!("ADC 17 FL C={bob_guid} {group}")).await;
    alice.expect("215 17").await;
    alice.send(&format!("ADC 18 FL C={bob_guid} 00000000-0000-0000-0000-00000000dead")).await;
    alice.expect("224 18").await;
    alice.send(&format!("REG 19 {group} Buddies")).await;
    alice.expect(&format!("REG 19 {group} Buddies")).await;
    alice.send("RMG 20 00000000-0000-0000-0000-00000000dead").await;
    alice.expect("224 20").await;
    alice.send("RMG 21 0").await;
    alice.expect("230 21").await;

    // The setting already in force is echoed (clients send it at every sign-in).
    alice.send("BLP 22 AL").await;
    alice.expect("BLP 22 AL").await;
    alice.send("GTC 23 N").await;
    alice.expect("GTC 23 N").await;
    alice.send("PRP 24 MFN Alice%20A").await;
    alice.expect("PRP 24 MFN Alice%20A").await;
    alice.send(&format!("PRP 25 MFN {}", "n".repeat(388))).await;
    alice.expect("209 25").await;
    alice.send(&format!("SBP 26 {bob_guid} MFN Bobby")).await;
    alice.expect(&format!("SBP 26 {bob_guid} MFN Bobby")).await;
    alice.send("SBP 27 11111111-2222-3333-4444-555555555555 MFN Who").await;
    alice.expect("216 27").await;
    alice.send("PRP 28 PHH 555").await;
    alice.expect("PRP 28 PHH 555").await;
    alice.send("REA 29 alice@example.com Alice").await;
    alice.expect("200 29").await;
    alice.send("ADD 30 FL bob@example.com Bob").await;
    alice.expect("200 30").await;

    alice.send("XFR 31 SB").await;
    alice.expect("913 31").await;
    alice.send("CHG 32 NLN 1342177280").await;
    alice.expect("CHG 32 NLN 1342177280").await;
    after_first_chg(&mut alice, dialect, 33).await;

    if eleven {
        alice.send("GCF 34 Shields.xml").await;
        let gcf = alice.frame().await;
        assert_eq!(gcf.params, ["34", "Shields.xml"]);
        assert!(String::from_utf8_lossy(gcf.payload.as_deref().unwrap_or_default()).contains("<shield><cli maj=\"7\""));
        let psm = "<Data><PSM>hi there</PSM><CurrentMedia></CurrentMedia><MachineGuid>{11111111-2222-3333-4444-555555555555}</MachineGuid></Data>";
        alice.send_payload("UUX 35", psm.as_bytes()).await;
        alice.expect("UUX 35 0").await;
        alice.send_payload("UUX 36", b"<Data><PSM>").await;
        alice.expect("240 36").await;
    } else {
        alice.send("GCF 34 Shields.xml").await;
        alice.expect("200 34").await;
    }
    alice.send("URL 37 INBOX").await;
    alice.expect(&format!("URL 37 / http://{}/ 2", server.http())).await;
    alice.send("URL 38 NOWHERE").await;
    alice.expect("201 38").await;

    // Bob signs in, finds Alice on his reverse list and asking (PL), adds her and sees her.
    let mut bob = sign_in(&server, name, "bob@example.com", "bob-pw", "bob").await;
    bob.send("SYN 5 0 0").await;
    let syn = bob.line().await;
    assert!(syn.starts_with("SYN 5 ") && syn.ends_with(" 1 0"), "{syn}");
    bob.expect("GTC A").await;
    bob.expect("BLP AL").await;
    bob.expect("PRP MFN Bob").await;
    bob.expect(&format!("LST N=alice@example.com F=Alice 24{net}")).await;
    bob.send("ADC 6 FL N=alice@example.com F=Alice").await;
    let adc = bob.line().await;
    assert!(adc.starts_with("ADC 6 FL N=alice@example.com F=Alice C="), "{adc}");
    bob.expect("ILN 6 NLN alice@example.com Alice%20A 1342177280 0").await;
    // Her personal message follows her presence, as in the first CHG's burst.
    let ubx = "<Data><PSM>hi there</PSM><CurrentMedia></CurrentMedia></Data>";
    if eleven {
        bob.expect_payload(&format!("UBX alice@example.com {}", ubx.len()), ubx).await;
    }
    alice.expect("ADC 0 RL N=bob@example.com F=Bob").await;
    bob.send("CHG 7 BSY 1342177280").await;
    bob.expect("CHG 7 BSY 1342177280").await;
    bob.expect("ILN 7 NLN alice@example.com Alice%20A 1342177280 0").await;
    if eleven {
        bob.expect_payload(&format!("UBX alice@example.com {}", ubx.len()), ubx).await;
    }
    after_first_chg(&mut bob, dialect, 8).await;
    alice.expect("NLN BSY bob@example.com Bob 1342177280 0").await;
    if eleven {
        bob.send_payload("UUX 9", b"<Data><PSM>busy &amp; happy</PSM><CurrentMedia/></Data>").await;
        bob.expect("UUX 9 0").await;
        let bob_ubx = "<Data><PSM>busy &amp; happy</PSM><CurrentMedia></CurrentMedia></Data>";
        alice.expect_payload(&format!("UBX bob@example.com {}", bob_ubx.len()), bob_ubx).await;
    }

    // Bob answers her request as msn-pecan does after sign-in: RL, then off
    // PL; each is an answer alone, and repeating one is harmless.
    bob.send("ADC 30 RL N=alice@example.com").await;
    bob.expect("ADC 30 RL N=alice@example.com").await;
    bob.send("REM 31 PL alice@example.com").await;
    bob.expect("REM 31 PL alice@example.com").await;
    bob.send("REM 32 PL alice@example.com").await;
    bob.expect("REM 32 PL alice@example.com").await;
    // RL stays the server's: nobody else can be put there.
    bob.send("ADC 33 RL N=carol@example.com").await;
    bob.expect("201 33").await;
    bob.send("REM 34 PL carol@example.com").await;
    bob.expect("216 34").await;
    bob.send("SYN 35 0 0").await;
    assert!(bob.line().await.starts_with("SYN 35 "));
    for line in ["GTC A", "BLP AL", "PRP MFN Bob"] {
        bob.expect(line).await;
    }
    let lst = bob.line().await;
    assert!(lst.starts_with("LST N=alice@example.com F=Alice C=") && lst.ends_with(&format!(" 9{net}")), "{lst}");
    bob.expect("BPR PHH 555").await;

    // A conversation; MSNP12 adds capabilities to IRO and JOI.
    let caps = if twelve { " 1342177280" } else { "" };
    alice.send("XFR 40 SB").await;
    let xfr = alice.line().await;
    let cookie = word(&xfr, 5);
    assert_eq!(xfr, format!("XFR 40 SB {} CKI {cookie}", server.sb()));
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice%20A").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    let session = word(&alice_sb.line().await, 3);
    let rng = bob.line().await;
    let bob_cookie = word(&rng, 4);
    assert_eq!(rng, format!("RNG {session} {} CKI {bob_cookie} alice@example.com Alice%20A", server.sb()));
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect(&format!("IRO 1 1 1 alice@example.com Alice%20A{caps}")).await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect(&format!("JOI bob@example.com Bob{caps}")).await;
    let nudge = "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n";
    bob_sb.send_payload("MSG 2 N", nudge.as_bytes()).await;
    alice_sb.expect_payload(&format!("MSG bob@example.com Bob {}", nudge.len()), nudge).await;
    bob_sb.expect_silence().await;

    // Lists again: out of the group, off the FL (Bob is told), and block/unblock.
    alice.send(&format!("REM 41 FL {bob_guid} {group}")).await;
    alice.expect(&format!("REM 41 FL {bob_guid} {group}")).await;
    alice.send(&format!("REM 42 FL {bob_guid}")).await;
    alice.expect(&format!("REM 42 FL {bob_guid}")).await;
    bob.expect("REM 0 RL N=alice@example.com").await;
    alice.send(&format!("REM 43 FL {bob_guid}")).await;
    alice.expect("216 43").await;
    alice.send("REM 44 FL not-a-guid").await;
    alice.expect("201 44").await;
    alice.send("REM 45 AL bob@example.com").await;
    alice.expect("REM 45 AL bob@example.com").await;
    alice.send("ADC 46 BL N=bob@example.com").await;
    alice.expect("ADC 46 BL N=bob@example.com").await;
    bob.expect("FLN alice@example.com").await;
    alice.send("REM 47 BL bob@example.com").await;
    alice.expect("REM 47 BL bob@example.com").await;
    bob.expect("NLN NLN alice@example.com Alice%20A 1342177280 0").await;
    if eleven {
        bob.expect_payload(&format!("UBX alice@example.com {}", ubx.len()), ubx).await;
    }
    alice.send(&format!("RMG 48 {group}")).await;
    alice.expect(&format!("RMG 48 {group}")).await;

    alice.send("SYN 49 0 0").await;
    let syn = alice.line().await;
    assert!(syn.ends_with(" 1 0"), "{syn}");
    alice.expect("GTC N").await;
    alice.expect("BLP AL").await;
    alice.expect("PRP MFN Alice%20A").await;
    alice.expect("PRP PHH 555").await;
    alice.expect(&format!("LST N=bob@example.com F=Bobby 8{net}")).await;
    alice.send("PNG").await;
    alice.expect("QNG 60").await;

    // A wrong challenge answer: 540, then the connection closes.
    let mut carol = sign_in(&server, name, "bob@example.com", "bob-pw", "bob-again").await;
    bob.expect("OUT OTH").await;
    carol.send("CHG 5 NLN 0").await;
    carol.expect("CHG 5 NLN 0").await;
    carol.expect("ILN 5 NLN alice@example.com Alice%20A 1342177280 0").await;
    if eleven {
        carol.expect_payload(&format!("UBX alice@example.com {}", ubx.len()), ubx).await;
        carol.expect_payload(&format!("MSG Hotmail Hotmail {}", MAIL_DATA.len()), MAIL_DATA).await;
    }
    assert!(carol.line().await.starts_with("CHL 0 "));
    carol.send_payload("QRY 6 PROD0090YUAUV{2B", b"0123456789abcdef0123456789abcdef").await;
    carol.expect("540 6").await;
    carol.expect_closed().await;
}

#[tokio::test]
async fn msnp10_transcript() {
    guid_transcript("MSNP10").await;
}

#[tokio::test]
async fn msnp11_transcript() {
    guid_transcript("MSNP11").await;
}

#[tokio::test]
async fn msnp12_transcript() {
    guid_transcript("MSNP12").await;
}
