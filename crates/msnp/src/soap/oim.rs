//! Offline messages: the `Store`/`Store2` service (OimWS) and the retrieval
//! service (RSI), as libpurple and WLM read them (MSNP.md §9).

use crate::text::escape_xml;

const OIM_NS: &str = "http://messenger.msn.com/ws/2004/09/oim/";
const RSI_NS: &str = "http://www.hotmail.msn.com/ws/2004/09/oim/rsi";

fn envelope(body: &str) -> String {
    super::response_envelope(None, body)
}

/// The answer to a stored message.
pub fn render_stored() -> String {
    envelope(&format!(r#"<StoreResponse xmlns="{OIM_NS}"><PointsConsumed>0</PointsConsumed></StoreResponse>"#))
}

/// A Store fault; with `lock_key_challenge`, the challenge the client must
/// answer in its next `Ticket lockkey` (computed like a `QRY`).
pub fn render_store_fault(code: &str, lock_key_challenge: Option<&str>) -> String {
    let detail = match lock_key_challenge {
        Some(challenge) => format!(
            r#"<detail><TweenerChallenge xmlns="{OIM_NS}">ct=1,rver=1,wp=FS_40SEC_0_COMPACT,lc=1,id=1</TweenerChallenge><LockKeyChallenge xmlns="{OIM_NS}">{}</LockKeyChallenge></detail>"#,
            escape_xml(challenge)
        ),
        None => String::new(),
    };
    envelope(&format!(
        concat!(
            r#"<soap:Fault><faultcode xmlns:q0="{ns}">q0:{code}</faultcode>"#,
            r#"<faultstring>Exception of type 'System.Web.Services.Protocols.SoapException' was thrown.</faultstring>"#,
            r#"<faultactor>http://messenger.msn.com</faultactor>{detail}</soap:Fault>"#
        ),
        ns = OIM_NS,
        code = escape_xml(code),
        detail = detail
    ))
}

/// `GetMetadata`: the `Mail-Data` document.
pub fn render_metadata(mail_data: &str) -> String {
    envelope(&format!(r#"<GetMetadataResponse xmlns="{RSI_NS}">{mail_data}</GetMetadataResponse>"#))
}

/// `GetMessage`: the whole message text.
pub fn render_message(text: &str) -> String {
    envelope(&format!(
        r#"<GetMessageResponse xmlns="{RSI_NS}"><GetMessageResult>{}</GetMessageResult></GetMessageResponse>"#,
        escape_xml(text)
    ))
}

pub fn render_deleted() -> String {
    envelope(&format!(r#"<DeleteMessagesResponse xmlns="{RSI_NS}" />"#))
}

/// An RSI fault (unknown message, bad ticket).
pub fn render_rsi_fault(code: &str, message: &str) -> String {
    envelope(&format!(
        r#"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{}</faultstring><detail><ErrorCode xmlns="{RSI_NS}">{}</ErrorCode></detail></soap:Fault>"#,
        escape_xml(message),
        escape_xml(code)
    ))
}

/// What a client sends to leave an offline message (`Store2`, as WLM 8.5+
/// and libpurple do): `text` base64 in a MIME body, the sender's ticket for
/// messengersecure.live.com, and the lock key (empty on a first attempt).
pub struct StoreRequest<'a> {
    pub from: &'a str,
    pub friendly_name: &'a str,
    pub to: &'a str,
    pub ticket: &'a str,
    pub product_id: &'a str,
    pub lock_key: &'a str,
    pub run_id: &'a str,
    pub sequence: u32,
    pub text: &'a str,
}

pub fn render_store_request(request: &StoreRequest<'_>) -> String {
    use base64::Engine as _;
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let content = format!(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\nX-OIM-Message-Type: OfflineMessage\r\nX-OIM-Run-Id: {}\r\nX-OIM-Sequence-Num: {}\r\n\r\n{}",
        request.run_id,
        request.sequence,
        encode(request.text)
    );
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>"#,
            r#"<From memberName="{from}" friendlyName="=?utf-8?B?{name}?=" xml:lang="en-US" proxy="MSNMSGR" xmlns="{ns}" msnpVer="MSNP15" buildVer="8.5.1288.816"/>"#,
            r#"<To memberName="{to}" xmlns="{ns}"/>"#,
            r#"<Ticket passport="{ticket}" appid="{product}" lockkey="{lockkey}" xmlns="{ns}"/>"#,
            r#"<Sequence xmlns="http://schemas.xmlsoap.org/ws/2003/03/rm"><Identifier xmlns="http://schemas.xmlsoap.org/ws/2002/07/utility">http://messenger.msn.com</Identifier><MessageNumber>{sequence}</MessageNumber></Sequence></soap:Header>"#,
            r#"<soap:Body><MessageType xmlns="{ns}">text</MessageType><Content xmlns="{ns}">{content}</Content></soap:Body></soap:Envelope>"#
        ),
        ns = OIM_NS,
        from = escape_xml(request.from),
        name = encode(request.friendly_name),
        to = escape_xml(request.to),
        ticket = escape_xml(request.ticket),
        product = escape_xml(request.product_id),
        lockkey = escape_xml(request.lock_key),
        sequence = request.sequence,
        content = escape_xml(&content)
    )
}

/// An RSI request (`GetMetadata`, `GetMessage`, `DeleteMessages`) with the
/// messenger.msn.com ticket `t=…&p=…` split into its `PassportCookie`.
pub fn render_rsi_request(ticket: &str, operation: &str) -> String {
    let (t, p) = ticket.trim_start_matches("t=").split_once("&p=").unwrap_or((ticket, ""));
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>"#,
            r#"<PassportCookie xmlns="{ns}"><t>{t}</t><p>{p}</p></PassportCookie></soap:Header><soap:Body>{operation}</soap:Body></soap:Envelope>"#
        ),
        ns = RSI_NS,
        t = escape_xml(t.trim_start_matches("t=")),
        p = escape_xml(p),
        operation = operation
    )
}

pub fn get_metadata_operation() -> String {
    format!(r#"<GetMetadata xmlns="{RSI_NS}" />"#)
}

pub fn get_message_operation(id: &str) -> String {
    format!(
        r#"<GetMessage xmlns="{RSI_NS}"><messageId>{}</messageId><alsoMarkAsRead>true</alsoMarkAsRead></GetMessage>"#,
        escape_xml(id)
    )
}

pub fn delete_messages_operation(ids: &[&str]) -> String {
    let ids: String = ids.iter().map(|id| format!("<messageId>{}</messageId>", escape_xml(id))).collect();
    format!(r#"<DeleteMessages xmlns="{RSI_NS}"><messageIds>{ids}</messageIds></DeleteMessages>"#)
}

/// The `X-OIM-Sequence-Num` of a message as `GetMessage` returns it: the
/// order of a sender's messages left within the same second.
pub fn sequence_number(whole: &str) -> Option<u32> {
    let head = whole.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("X-OIM-Sequence-Num").then(|| value.trim().parse().ok())?
    })
}

/// The text of an offline message as `GetMessage` returns it (MIME headers,
/// a blank line, the body, base64 when it says so); `None` for anything else.
pub fn message_text(whole: &str) -> Option<String> {
    use base64::Engine as _;
    let whole = whole.replace("\r\n", "\n");
    let (head, body) = whole.split_once("\n\n")?;
    let base64 = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("Content-Transfer-Encoding") && value.trim().eq_ignore_ascii_case("base64")
        })
    });
    if !base64 {
        return Some(body.to_owned());
    }
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(
            render_store_fault("AuthenticationFailed", Some("123")).contains(
                r#"<LockKeyChallenge xmlns="http://messenger.msn.com/ws/2004/09/oim/">123</LockKeyChallenge>"#
            )
        );
        assert!(render_store_fault("AuthenticationFailed", None).contains("q0:AuthenticationFailed"));
        assert!(render_message("a<b").contains("<GetMessageResult>a&lt;b</GetMessageResult>"));
        assert!(render_stored().contains("<StoreResponse"));
    }

    #[test]
    fn a_client_request_and_a_message_read_back() {
        assert_eq!(
            message_text("From: a\r\nContent-Transfer-Encoding: base64\r\n\r\naGkgOik=").as_deref(),
            Some("hi :)")
        );
        assert_eq!(message_text("A: b\r\n\r\nplain").as_deref(), Some("plain"));
        assert_eq!(message_text("no blank line"), None);
        assert_eq!(sequence_number("A: b\r\nX-OIM-Sequence-Num: 7\r\n\r\nX-OIM-Sequence-Num: 8"), Some(7));
        assert_eq!(sequence_number("A: b\r\n\r\n"), None);
        let rsi = render_rsi_request("t=a&amp;b&p=c", &get_metadata_operation());
        assert!(rsi.contains("<t>a&amp;amp;b</t><p>c</p>") && rsi.contains("<GetMetadata "), "{rsi}");
        let store = render_store_request(&StoreRequest {
            from: "a@x.com",
            friendly_name: "A",
            to: "b@x.com",
            ticket: "t=1&p=2",
            product_id: "PROD",
            lock_key: "",
            run_id: "{R}",
            sequence: 1,
            text: "hi :)",
        });
        assert!(store.contains(r#"passport="t=1&amp;p=2""#) && store.contains("aGkgOik="), "{store}");
        assert!(delete_messages_operation(&["1", "2"]).contains("<messageId>1</messageId><messageId>2</messageId>"));
    }
}
