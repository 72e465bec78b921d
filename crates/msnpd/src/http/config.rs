//! `/Config/MsgrConfig.asmx` GetClientConfig: the client configuration
//! document. This service has no MSN Today or tabs of its own; the one tab and
//! the Today page are the server's home page, which says so.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use msnp::text::escape_xml;

use crate::server::Context;

pub async fn msgr_config(State(ctx): State<Arc<Context>>) -> Response {
    let base = escape_xml(&format!("{}/", ctx.http_base));
    let host = escape_xml(&ctx.public_host);
    let config = format!(
        concat!(
            "<MsgrConfig><Simple><Config><ExpiresInDays>0</ExpiresInDays></Config><DisablePhoneDialer>1</DisablePhoneDialer>",
            "<Relay><Enabled>0</Enabled></Relay><TrustedDomains><domain name=\"{host}\" /></TrustedDomains></Simple>",
            "<TabConfig><msntabdata><tab><type>page</type><contenturl>{base}</contenturl><hiturl>{base}</hiturl>",
            "<image>{base}</image><name>msnpd</name><tooltip>msnpd</tooltip><siteid>0</siteid><notificationid>0</notificationid>",
            "</tab></msntabdata></TabConfig><LocalizedConfig Market=\"en-US\"><MsnTodayConfig><MsnTodayURL>{base}</MsnTodayURL>",
            "</MsnTodayConfig></LocalizedConfig></MsgrConfig>"
        ),
        host = host,
        base = base
    );
    let body = format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#,
            r#"<soap:Body><GetClientConfigResponse xmlns="http://www.msn.com/webservices/Messenger/Client"><GetClientConfigResult>{}</GetClientConfigResult>"#,
            r#"</GetClientConfigResponse></soap:Body></soap:Envelope>"#
        ),
        escape_xml(&config)
    );
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}
