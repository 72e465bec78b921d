//! The malformed-input table: each broken or hostile command and the answer it
//! gets. Every case is answered (a seed code, an HTTP status or a SOAP fault)
//! or ends in a documented close; none is silence or a crash, and the
//! sender's session goes on where the case is not fatal.

mod common;

use common::{Peer, TestServer, ab_call, http_get, http_request, sign_in};

/// A logged-in MSNP11 session: (bytes sent, exact line expected).
const NS_MSNP11: &[(&[u8], &str)] = &[
    (b"FOO 1\r\n", "200 1"),
    (b"foo 2\r\n", "200 2"),
    (b"ADCX 3 FL\r\n", "200 3"),
    (b"SYN\r\n", "200 0"),
    (b"SYN x 0 0\r\n", "200 0"),
    (b"SYN 4\r\n", "201 4"),
    (b"ADC 5\r\n", "201 5"),
    (b"ADC 6 XX N=a@b.com\r\n", "201 6"),
    (b"ADC 7 FL\r\n", "201 7"),
    (b"ADC 8 FL N=\r\n", "201 8"),
    (b"ADC 9 FL N=@\r\n", "201 9"),
    (b"ADC 10 FL N=a@b\r\n", "201 10"),
    (b"ADC 11 FL N=a b@c.com\r\n", "201 11"),
    (b"ADC 12 RL N=bob@example.com\r\n", "201 12"),
    (b"ADC 13 PL N=bob@example.com\r\n", "201 13"),
    (b"ADC 14 FL C=not-a-guid 00000000-0000-0000-0000-000000000000\r\n", "201 14"),
    (b"ADC 15 FL C=00000000-0000-0000-0000-000000000001\r\n", "201 15"),
    (b"ADC 16 FL N=bob@example.com F=x x1 x2\r\n", "201 16"),
    (b"ADC 17 AL N=bob@example.com 00000000-0000-0000-0000-000000000000\r\n", "201 17"),
    (b"ADC 18 FL N=nobody@nowhere.example\r\n", "208 18"),
    (b"REM 19\r\n", "201 19"),
    (b"REM 20 FL\r\n", "201 20"),
    (b"REM 21 RL bob@example.com\r\n", "201 21"),
    (b"REM 22 FL zzz\r\n", "201 22"),
    (b"REM 23 AL not-an-email\r\n", "201 23"),
    (b"REM 24 FL 00000000-0000-0000-0000-000000000009\r\n", "216 24"),
    (b"REM 25 BL bob@example.com\r\n", "216 25"),
    (b"ADG 26\r\n", "201 26"),
    (b"ADG 27 %20%20\r\n", "201 27"),
    (b"ADG 28 %01bad\r\n", "201 28"),
    (b"ADG 29 %ff%fe\r\n", "201 29"),
    (b"RMG 30\r\n", "201 30"),
    (b"RMG 31 not-a-guid\r\n", "224 31"),
    (b"RMG 32 0\r\n", "230 32"),
    (b"REG 33 0 name\r\n", "224 33"),
    (b"REG 34 00000000-0000-0000-0000-000000000000\r\n", "224 34"),
    (b"BLP 35\r\n", "201 35"),
    (b"BLP 36 al\r\n", "201 36"),
    (b"BLP 37 AL\r\n", "BLP 37 AL"),
    (b"GTC 38 X\r\n", "201 38"),
    (b"GTC 39\r\n", "201 39"),
    (b"PRP 40\r\n", "201 40"),
    (b"PRP 41 XYZ 1\r\n", "201 41"),
    (b"PRP 42 MFN\r\n", "209 42"),
    (b"PRP 43 MFN %0d%0a\r\n", "209 43"),
    (b"PRP 44 PHH %zz\r\n", "PRP 44 PHH %25zz"),
    (b"SBP 45\r\n", "201 45"),
    (b"SBP 46 00000000-0000-0000-0000-000000000000 XXX name\r\n", "201 46"),
    (b"SBP 47 00000000-0000-0000-0000-000000000000 MFN name\r\n", "216 47"),
    (b"REA 48 me@example.com name\r\n", "200 48"),
    (b"ADD 49 FL bob@example.com bob\r\n", "200 49"),
    (b"CHG 50\r\n", "201 50"),
    (b"CHG 51 FLN\r\n", "201 51"),
    (b"CHG 52 nln\r\n", "201 52"),
    (b"CHG 53 NLN x\r\n", "201 53"),
    (b"CHG 54 NLN 1:2:3\r\n", "201 54"),
    (b"CHG 55 NLN 99999999999\r\n", "201 55"),
    (b"CHG 56 NLN 0 obj extra\r\n", "201 56"),
    (b"XFR 57\r\n", "201 57"),
    (b"XFR 58 NS\r\n", "201 58"),
    (b"XFR 59 SB\r\n", "913 59"),
    (b"GCF 60\r\n", "201 60"),
    (b"GCF 61 ../../etc/passwd\r\n", "201 61"),
    (b"URL 62\r\n", "201 62"),
    (b"URL 63 javascript:\r\n", "201 63"),
    (b"UUX 64 5\r\nhello", "240 64"),
    (b"UUX 65 2\r\n\xff\xfe", "240 65"),
    (b"UUX 66 0\r\n", "240 66"),
    (b"UUX 67 15\r\n<Data><PSM></x>", "240 67"),
    (b"QRY 68 PROD0090YUAUV{2B 32\r\n0123456789abcdef0123456789abcdef", "715 68"),
    (b"VER 69 MSNP11\r\n", "715 69"),
    (b"CVR 70 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs a@b.com\r\n", "715 70"),
    (b"USR 71 TWN I me@example.com\r\n", "207 71"),
    (b"INF 72\r\n", "200 72"),
    (b"SND 73 a@b.com\r\n", "200 73"),
    (b"IMS 74 ON\r\n", "200 74"),
    (b"ADL 75 3\r\n<ml", "200 75"),
    (b"MSG 76 A 2\r\nhi", "200 76"),
    (b"CAL 77 bob@example.com\r\n", "200 77"),
    (b"CHG 78 NLN 0 \xff\r\n", "201 78"),
    (b"PNG extra words\r\n", "QNG 60"),
];

#[tokio::test]
async fn notification_server_table() {
    let server = TestServer::start().await;
    server.user("me@example.com", "pw", "Me").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut me = sign_in(&server, "MSNP11", "me@example.com", "pw", "me").await;
    for (sent, expected) in NS_MSNP11 {
        me.send_raw(sent).await;
        let got = me.line().await;
        assert_eq!(&got, expected, "for {:?}", String::from_utf8_lossy(sent));
    }
    // After all that, the session still works.
    me.send("PNG").await;
    me.expect("QNG 60").await;
}

/// Before login (after VER): (bytes, reply).
const NS_BEFORE_LOGIN: &[(&[u8], &str)] = &[
    (b"SYN 2 0 0\r\n", "302 2"),
    (b"CHG 3 NLN 0\r\n", "302 3"),
    (b"ADC 4 FL N=a@b.com\r\n", "302 4"),
    (b"XFR 5 SB\r\n", "302 5"),
    (b"USR 6 TWN S t=x&p=\r\n", "715 6"),
    (b"USR 7 SSO I me@example.com\r\n", "201 7"),
    (b"USR 8 TWN Q me@example.com\r\n", "201 8"),
    (b"USR 9\r\n", "201 9"),
    (b"CVR 10\r\n", "201 10"),
    (b"ZZZ 11\r\n", "200 11"),
];

#[tokio::test]
async fn before_login_table() {
    let server = TestServer::start().await;
    let mut peer = Peer::connect(server.ns(), "early").await;
    peer.send("VER 1 MSNP11").await;
    peer.expect("VER 1 MSNP11").await;
    for (sent, expected) in NS_BEFORE_LOGIN {
        peer.send_raw(sent).await;
        assert_eq!(&peer.line().await, expected, "for {:?}", String::from_utf8_lossy(sent));
    }
}

/// Fatal cases: each on its own connection, (bytes, the last line before the close or "").
const NS_FATAL: &[(&[u8], &str)] = &[
    (b"VER 1\r\n", "VER 1 0"),
    (b"VER 1 MSNP99\r\n", "VER 1 0"),
    (b"VER 1 MSNP11\r\nQRY 2 X 99999999999\r\n", "201 2"),
    (b"VER 1 MSNP11\r\nUSR 2 TWN I me@example.com\r\nUSR 3 TWN S t=forged&p=\r\n", "911 3"),
    (b"VER 1 MSNP15\r\nUSR 2 SSO I me@example.com\r\nUSR 3 SSO S t=forged&p= AAAA\r\n", "911 3"),
    (b"VER 1 MSNP5\r\nUSR 2 MD5 I me@example.com\r\nUSR 3 MD5 S 00000000000000000000000000000000\r\n", "911 3"),
];

#[tokio::test]
async fn fatal_cases_answer_then_close() {
    let server = TestServer::start().await;
    server.user("me@example.com", "pw", "Me").await;
    for (sent, last) in NS_FATAL {
        let mut peer = Peer::connect(server.ns(), "fatal").await;
        peer.send_raw(sent).await;
        let mut lines = Vec::new();
        while let Some(frame) = peer.try_frame().await {
            lines.push(frame.to_string());
        }
        assert_eq!(lines.last().map(String::as_str), Some(*last), "for {:?}: {lines:?}", String::from_utf8_lossy(sent));
    }
    // Binary garbage and an endless line: closed without an answer that could be misread.
    let mut peer = Peer::connect(server.ns(), "garbage").await;
    peer.send_raw(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]).await;
    peer.send_raw(&vec![b'x'; 3000]).await;
    peer.expect_closed().await;
}

/// Switchboard before and after sign-in: (bytes, reply).
const SB_TABLE: &[(&[u8], &str)] = &[
    (b"FOO 2\r\n", "200 2"),
    (b"CAL 3\r\n", "208 3"),
    (b"CAL 4 not-an-email\r\n", "208 4"),
    (b"CAL 5 nobody@nowhere.example\r\n", "208 5"),
    (b"CAL 6 bob@example.com\r\n", "217 6"),
    (b"CAL 7 me@example.com\r\n", "215 7"),
    (b"MSG 8 X 1\r\nx", "201 8"),
    (b"MSG 9 A B 1\r\nx", "201 9"),
    (b"MSG 10 N\r\n", "200 10"),
    (b"MSG 11 D 1\r\nx", "201 11"),
    (b"ANS 12 me@example.com x 1\r\n", "207 12"),
    (b"USR 13 me@example.com x\r\n", "207 13"),
];

#[tokio::test]
async fn switchboard_table() {
    let server = TestServer::start().await;
    server.user("me@example.com", "pw", "Me").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut me = sign_in(&server, "MSNP8", "me@example.com", "pw", "me").await;
    me.send("CHG 1 NLN 0").await;
    me.expect("CHG 1 NLN 0").await;
    me.line().await; // CHL
    me.send("XFR 2 SB").await;
    let cookie = me.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut sb = Peer::connect(server.sb(), "sb").await;
    sb.send("MSG 1 A 2").await;
    sb.send_raw(b"hi").await;
    sb.expect("302 1").await;
    sb.send(&format!("USR 1 me@example.com {cookie}")).await;
    sb.expect("USR 1 OK me@example.com Me").await;
    for (sent, expected) in SB_TABLE {
        sb.send_raw(sent).await;
        assert_eq!(&sb.line().await, expected, "for {:?}", String::from_utf8_lossy(sent));
    }
}

/// Method, path, headers, body, expected status.
type HttpCase = (&'static str, &'static str, &'static [(&'static str, &'static str)], &'static str, u16);

#[tokio::test]
async fn http_table() {
    let server = TestServer::start().await;
    server.user("me@example.com", "pw", "Me").await;
    let cases: &[HttpCase] = &[
        ("GET", "/login2.srf", &[], "", 401),
        ("GET", "/login2.srf", &[("Authorization", "Passport1.4")], "", 401),
        ("GET", "/login2.srf", &[("Authorization", "Passport1.4 sign-in=%ff,pwd=%ff")], "", 401),
        ("GET", "/login2.srf", &[("Authorization", "Passport1.4 ,,,,===,,,")], "", 401),
        ("POST", "/RST.srf", &[], "", 400),
        ("POST", "/RST.srf", &[], "<", 400),
        ("POST", "/RST.srf", &[], "<Envelope><Body/></Envelope>", 400),
        ("POST", "/RST2.srf", &[], "\u{0}\u{1}binary", 400),
        ("GET", "/RST.srf", &[], "", 405),
        ("GET", "/nothing", &[], "", 404),
        ("GET", "/../../etc/passwd", &[], "", 404),
        ("POST", "/abservice/abservice.asmx", &[], "", 500),
        ("POST", "/abservice/SharingService.asmx", &[], "<soap:Envelope>", 500),
        ("POST", "/OimWS/oim.asmx", &[], "garbage", 500),
        ("POST", "/rsi/rsi.asmx", &[], "garbage", 500),
        ("POST", "/storageservice/SchematizedStore.asmx", &[], "garbage", 500),
        ("GET", "/storage/usertile/1/static", &[], "", 404),
        ("GET", "/storage/usertile/x/static", &[], "", 400),
        ("POST", "/gateway/gateway.dll", &[], "", 400),
        ("POST", "/gateway/gateway.dll?Action=open&Server=XX", &[], "VER 1 MSNP8\r\n", 400),
        ("POST", "/gateway/gateway.dll?SessionID=", &[], "", 400),
        ("GET", "/gateway/gateway.dll", &[], "", 405),
    ];
    for (method, path, headers, body, status) in cases {
        let response = http_request(server.http(), method, path, headers, body.as_bytes()).await;
        assert_eq!(response.status, *status, "{method} {path} {body:?}: {}", response.text());
        assert!(!response.text().contains("panicked"), "{method} {path}");
    }
    // SOAP faults are SOAP, not stack traces.
    let response = ab_call(&server, "/abservice/abservice.asmx", "t=x&p=", "<ABFindAll/>").await;
    assert!(response.text().contains("<soap:Fault>"));
    let response = http_get(server.http(), "/rdr/pprdr.asp", &[("Authorization", "garbage")]).await;
    assert_eq!(response.status, 200);
}

/// Every HTTP service refuses a body over `max_http_body` with 413 before
/// reading it, and still serves a request within the limit.
#[tokio::test]
async fn http_bodies_over_the_limit_get_413() {
    let server = TestServer::start_with(|config| config.max_http_body = 4096).await;
    let oversized = vec![b'x'; 4097];
    for path in [
        "/RST.srf",
        "/abservice/abservice.asmx",
        "/abservice/SharingService.asmx",
        "/storageservice/SchematizedStore.asmx",
        "/OimWS/oim.asmx",
        "/rsi/rsi.asmx",
        "/gateway/gateway.dll?Action=open&Server=NS&IP=127.0.0.1",
    ] {
        let response = http_request(server.http(), "POST", path, &[], &oversized).await;
        assert_eq!(response.status, 413, "{path}");
    }
    let within = http_request(server.http(), "POST", "/RST.srf", &[], b"not a SOAP envelope").await;
    assert_ne!(within.status, 413);
}
