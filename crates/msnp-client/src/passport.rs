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
