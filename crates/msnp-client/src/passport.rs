//! Passport 1.4 (TWN) as MSNP8-12 clients do it: ask the Nexus where to log
//! in, then send the email, password and the NS policy string there.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ClientError;

/// A ticket for `USR TWN S`: Nexus, then `login2.srf`.
pub(crate) async fn twn_ticket(
    http: &reqwest::Client,
    nexus: &str,
    email: &str,
    password: &str,
    policy: &str,
) -> Result<String, ClientError> {
    let failed = |what: &str| ClientError::Passport(what.to_owned());
    let nexus_reply = http.get(nexus).send().await.map_err(|e| failed(&format!("Nexus {nexus}: {e}")))?;
    let urls = header(&nexus_reply, "PassportURLs").ok_or_else(|| failed("the Nexus sent no PassportURLs"))?;
    let login_url = urls
        .split(',')
        .find_map(|field| field.trim().strip_prefix("DALogin="))
        .ok_or_else(|| failed("the Nexus named no DALogin"))?;
    // Real Nexus replies give the host without a scheme, meaning HTTPS.
    let login_url = if login_url.contains("://") { login_url.to_owned() } else { format!("https://{login_url}") };
    let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    let authorization = format!(
        "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,sign-in={},pwd={},{policy}",
        encode(email),
        encode(password)
    );
    let reply = http
        .get(&login_url)
        .header("Authorization", authorization)
        .send()
        .await
        .map_err(|e| failed(&format!("{login_url}: {e}")))?;
    if reply.status() == reqwest::StatusCode::UNAUTHORIZED {
        return Err(failed("wrong email or password"));
    }
    let info = header(&reply, "Authentication-Info")
        .ok_or_else(|| failed(&format!("{login_url} answered {} without a ticket", reply.status())))?;
    let ticket = info
        .split(',')
        .find_map(|field| field.trim().strip_prefix("from-PP="))
        .map(|ticket| ticket.trim_matches('\''))
        .ok_or_else(|| failed("no from-PP ticket in Authentication-Info"))?;
    Ok(ticket.to_owned())
}

fn header(reply: &reqwest::Response, name: &str) -> Option<String> {
    reply.headers().get(name)?.to_str().ok().map(str::to_owned)
}

/// What RST.srf issues an MSNP13+ client: the Messenger ticket with its
/// proof key (for the SSO `MBI_KEY_OLD` response) and the address book's ticket.
pub(crate) struct RstTokens {
    pub messenger: String,
    pub secret: Vec<u8>,
    pub contacts: String,
    /// messenger.msn.com and messengersecure.live.com: reading and leaving offline messages.
    pub web: String,
    pub secure: String,
}

/// Asks `url` (RST.srf) for the tokens an MSNP13+ client signs in with.
pub(crate) async fn rst_tokens(
    http: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> Result<RstTokens, ClientError> {
    use base64::Engine as _;
    use msnp::soap::rst::{PASSPORT_TB, TokenRequest};
    let failed = |what: String| ClientError::Passport(what);
    let asked = |address: &str, policy: &str| TokenRequest {
        id: None,
        address: address.to_owned(),
        policy: (!policy.is_empty()).then(|| policy.to_owned()),
    };
    let request = msnp::soap::rst::render_request(
        email,
        password,
        &[
            asked(PASSPORT_TB, ""),
            asked("messengerclear.live.com", "MBI_KEY_OLD"),
            asked("messenger.msn.com", "?id=507"),
            asked("contacts.msn.com", "MBI"),
            asked("messengersecure.live.com", "MBI_SSL"),
        ],
    );
    let reply = http
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(request)
        .send()
        .await
        .map_err(|e| failed(format!("{url}: {e}")))?;
    let text = reply.text().await.map_err(|e| failed(format!("{url}: {e}")))?;
    let tokens = match msnp::soap::rst::parse_response(&text) {
        Ok(tokens) => tokens,
        Err(msnp::soap::SoapError::Fault(code)) if code.ends_with("FailedAuthentication") => {
            return Err(failed("wrong email or password".into()));
        }
        Err(error) => return Err(failed(format!("{url}: {error}"))),
    };
    let find = |address: &str| tokens.iter().find(|token| token.address == address);
    let messenger = find("messengerclear.live.com").ok_or_else(|| failed("no messengerclear.live.com token".into()))?;
    let contacts = find("contacts.msn.com").ok_or_else(|| failed("no contacts.msn.com token".into()))?;
    let web = find("messenger.msn.com").ok_or_else(|| failed("no messenger.msn.com token".into()))?;
    let secure = find("messengersecure.live.com").ok_or_else(|| failed("no messengersecure.live.com token".into()))?;
    let secret = messenger.binary_secret.as_deref().ok_or_else(|| failed("no proof key for Messenger".into()))?;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .map_err(|e| failed(format!("the proof key is not base64: {e}")))?;
    Ok(RstTokens {
        messenger: messenger.ticket.clone(),
        secret,
        contacts: contacts.ticket.clone(),
        web: web.ticket.clone(),
        secure: secure.ticket.clone(),
    })
}
