//! Offline messages: stored through Store2 (after the lock-key challenge)
//! while the recipient is away, listed in Mail-Data at their next sign-in,
//! fetched through RSI, deleted on request; limits and privacy apply.

mod common;

use common::{TestServer, http_request, rst_tokens, sign_in};
use msnp::auth::challenge::msnp11_challenge_response;

const PRODUCT: &str = "PROD0119GSJUC$18";
const KEY: &str = "ILTXC!4IXB5FB*PX";

fn store_request(ticket: &str, from: &str, to: &str, lockkey: &str, text: &str) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(text);
    let content = format!(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\nX-OIM-Message-Type: OfflineMessage\r\nX-OIM-Run-Id: {{3A3BE82C-D7B3-4C5A-8D5E-1B2C3D4E5F60}}\r\nX-OIM-Sequence-Num: 1\r\n\r\n{body}"
    );
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>"#,
            r#"<From memberName="{from}" friendlyName="=?utf-8?B?QWxpY2U=?=" xml:lang="en-US" proxy="MSNMSGR" xmlns="http://messenger.msn.com/ws/2004/09/oim/" msnpVer="MSNP15" buildVer="8.5.1288.816"/>"#,
            r#"<To memberName="{to}" xmlns="http://messenger.msn.com/ws/2004/09/oim/"/>"#,
            r#"<Ticket passport="{ticket}" appid="{product}" lockkey="{lockkey}" xmlns="http://messenger.msn.com/ws/2004/09/oim/"/>"#,
            r#"<Sequence xmlns="http://schemas.xmlsoap.org/ws/2003/03/rm"><Identifier xmlns="http://schemas.xmlsoap.org/ws/2002/07/utility">http://messenger.msn.com</Identifier><MessageNumber>1</MessageNumber></Sequence></soap:Header>"#,
            r#"<soap:Body><MessageType xmlns="http://messenger.msn.com/ws/2004/09/oim/">text</MessageType><Content xmlns="http://messenger.msn.com/ws/2004/09/oim/">{content}</Content></soap:Body></soap:Envelope>"#
        ),
        from = from,
        to = to,
        ticket = ticket.replace('&', "&amp;"),
        product = PRODUCT,
        lockkey = lockkey,
        content = content
    )
}

fn rsi_request(ticket: &str, operation: &str) -> String {
    let (t, p) = ticket.trim_start_matches("t=").split_once("&p=").unwrap_or((ticket, ""));
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>"#,
            r#"<PassportCookie xmlns="http://www.hotmail.msn.com/ws/2004/09/oim/rsi"><t>{t}</t><p>{p}</p></PassportCookie></soap:Header>"#,
            r#"<soap:Body>{operation}</soap:Body></soap:Envelope>"#
        ),
        t = t,
        p = p,
        operation = operation
    )
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("{open} in {text}")) + open.len();
    let end = text[start..].find(close).expect("close") + start;
    &text[start..end]
}

#[tokio::test]
async fn an_offline_message_is_stored_listed_fetched_and_deleted() {
    let server = TestServer::start_with(|config| config.max_offline_messages = 2).await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    server.user("eve@example.com", "eve-pw", "Eve").await;
    let tokens =
        rst_tokens(&server, "alice@example.com", "alice-pw", &[("messengersecure.live.com", Some("MBI_SSL"))]).await;
    let secure = &tokens[0].ticket;

    // The first attempt earns a lock-key challenge; the answer opens the door.
    let response = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", "", "hello later").as_bytes(),
    )
    .await;
    assert_eq!(response.status, 500);
    let challenge = between(
        &response.text(),
        "<LockKeyChallenge xmlns=\"http://messenger.msn.com/ws/2004/09/oim/\">",
        "</LockKeyChallenge>",
    )
    .to_owned();
    let lockkey = msnp11_challenge_response(&challenge, PRODUCT, KEY);
    let wrong = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", "00000000000000000000000000000000", "x")
            .as_bytes(),
    )
    .await;
    assert!(wrong.text().contains("q0:AuthenticationFailed"));
    let response = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", &lockkey, "hello later").as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains("<StoreResponse"));
    // Limits and refusals.
    let unknown = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "nobody@example.com", &lockkey, "x").as_bytes(),
    )
    .await;
    assert!(unknown.text().contains("q0:InvalidRecipient"));
    let spoofed = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "eve@example.com", "bob@example.com", &lockkey, "x").as_bytes(),
    )
    .await;
    assert!(spoofed.text().contains("q0:AuthenticationFailed"));
    let big = "y".repeat(20_000);
    let too_big = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", &lockkey, &big).as_bytes(),
    )
    .await;
    assert!(too_big.text().contains("q0:MessageTooLarge"));
    let second = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", &lockkey, "again").as_bytes(),
    )
    .await;
    assert_eq!(second.status, 200);
    let full = http_request(
        server.http(),
        "POST",
        "/OimWS/oim.asmx",
        &[],
        store_request(secure, "alice@example.com", "bob@example.com", &lockkey, "third").as_bytes(),
    )
    .await;
    assert!(full.text().contains("q0:QuotaExceeded"));

    // Bob signs in: Mail-Data lists both, sender and id.
    let mut bob = sign_in(&server, "MSNP12", "bob@example.com", "bob-pw", "bob").await;
    bob.send("CHG 1 NLN 0").await;
    bob.expect("CHG 1 NLN 0").await;
    let mail = bob.frame().await;
    let text = String::from_utf8_lossy(mail.payload.as_deref().unwrap_or_default()).into_owned();
    assert!(text.contains("Content-Type: text/x-msmsgsinitialmdatanotification"));
    assert_eq!(text.matches("<M><T>11</T>").count(), 2, "{text}");
    assert!(text.contains("<E>alice@example.com</E>") && text.contains("<N>=?utf-8?B?QWxpY2U=?=</N>"));
    let id = between(&text, "<I>", "</I>").to_owned();
    let id = if id == "0" { between(&text[text.find("<M>").expect("M")..], "<I>", "</I>").to_owned() } else { id };

    // RSI: fetch it (once marked read), delete it.
    let messenger = rst_tokens(&server, "bob@example.com", "bob-pw", &[("messenger.msn.com", Some("?id=507"))]).await;
    let ticket = &messenger[0].ticket;
    let get = format!(
        r#"<GetMessage xmlns="http://www.hotmail.msn.com/ws/2004/09/oim/rsi"><messageId>{id}</messageId><alsoMarkAsRead>true</alsoMarkAsRead></GetMessage>"#
    );
    let response =
        http_request(server.http(), "POST", "/rsi/rsi.asmx", &[], rsi_request(ticket, &get).as_bytes()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let message = response.text();
    assert!(message.contains("From: =?utf-8?B?QWxpY2U=?= &lt;alice@example.com&gt;"), "{message}");
    assert!(message.contains("X-OIM-Message-Type: OfflineMessage"));
    use base64::Engine as _;
    // Both were left within the same second: either may be listed first.
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    assert!(message.contains(&encode("hello later")) || message.contains(&encode("again")), "{message}");
    let delete = format!(
        r#"<DeleteMessages xmlns="http://www.hotmail.msn.com/ws/2004/09/oim/rsi"><messageIds><messageId>{id}</messageId></messageIds></DeleteMessages>"#
    );
    let response =
        http_request(server.http(), "POST", "/rsi/rsi.asmx", &[], rsi_request(ticket, &delete).as_bytes()).await;
    assert_eq!(response.status, 200);
    let response =
        http_request(server.http(), "POST", "/rsi/rsi.asmx", &[], rsi_request(ticket, &get).as_bytes()).await;
    assert!(response.text().contains("MessageDoesNotExist"));
    let metadata = r#"<GetMetadata xmlns="http://www.hotmail.msn.com/ws/2004/09/oim/rsi" />"#;
    let response =
        http_request(server.http(), "POST", "/rsi/rsi.asmx", &[], rsi_request(ticket, metadata).as_bytes()).await;
    assert_eq!(response.text().matches("<M><T>11</T>").count(), 1);
    // Another user's ticket reads nothing of Bob's.
    let response =
        http_request(server.http(), "POST", "/rsi/rsi.asmx", &[], rsi_request("t=bogus&p=", metadata).as_bytes()).await;
    assert!(response.text().contains("AuthenticationFailed"));
}

/// One sender may fill only its share of an inbox: past that it is told the
/// quota is exceeded, and every other sender still gets through.
#[tokio::test]
async fn one_sender_cannot_fill_an_inbox_for_everyone() {
    let server = TestServer::start_with(|config| {
        config.max_offline_messages = 5;
        config.max_offline_messages_per_sender = 2;
    })
    .await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    /// Leaves one message from `from` to Bob: the Store2 fault code, or "" when stored.
    async fn leave(server: &TestServer, from: &str, text: &str) -> String {
        let tokens = rst_tokens(server, from, "pw", &[("messengersecure.live.com", Some("MBI_SSL"))]).await;
        let secure = &tokens[0].ticket;
        let send = |lockkey: String| {
            let body = store_request(secure, from, "bob@example.com", &lockkey, text);
            async move { http_request(server.http(), "POST", "/OimWS/oim.asmx", &[], body.as_bytes()).await }
        };
        let first = send(String::new()).await;
        let challenge = between(
            &first.text(),
            "<LockKeyChallenge xmlns=\"http://messenger.msn.com/ws/2004/09/oim/\">",
            "</LockKeyChallenge>",
        )
        .to_owned();
        let answer = send(msnp11_challenge_response(&challenge, PRODUCT, KEY)).await;
        let text = answer.text();
        if answer.status == 200 { String::new() } else { between(&text, "oim/\">", "</faultcode>").to_owned() }
    }
    for sender in ["alice@example.com", "eve@example.com", "carol@example.com"] {
        server.user(sender, "pw", "Sender").await;
    }
    assert_eq!(leave(&server, "eve@example.com", "1").await, "");
    assert_eq!(leave(&server, "eve@example.com", "2").await, "");
    assert_eq!(leave(&server, "eve@example.com", "3").await, "q0:QuotaExceeded");
    assert_eq!(leave(&server, "alice@example.com", "4").await, "");
    assert_eq!(leave(&server, "carol@example.com", "5").await, "");
    assert_eq!(leave(&server, "carol@example.com", "6").await, "");
    // Five in all: now the inbox itself is full.
    assert_eq!(leave(&server, "alice@example.com", "7").await, "q0:QuotaExceeded");
}
