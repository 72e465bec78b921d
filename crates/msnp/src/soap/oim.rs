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
}
