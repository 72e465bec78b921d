//! A browser's side of the web pages: a cookie jar and forms.

use super::{HttpResponse, TestServer, http_request_from};

/// A browser's cookie jar for one site, enough for these pages.
#[derive(Default)]
pub struct Browser {
    pub cookies: Vec<(String, String)>,
    /// The address it browses from (a loopback address of its own), if set.
    pub source: Option<std::net::IpAddr>,
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of `<input … name="NAME" value="…">` in a page.
pub fn field(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}

impl Browser {
    pub fn keep(&mut self, response: &HttpResponse) {
        for (name, value) in &response.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((key, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != key);
                if !value.is_empty() {
                    self.cookies.push((key.to_owned(), value.to_owned()));
                }
            }
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, server: &TestServer, path: &str) -> HttpResponse {
        self.get_at(server.http(), path).await
    }

    /// `get` from the HTTP listener at `http` (a node of a cluster).
    pub async fn get_at(&mut self, http: std::net::SocketAddr, path: &str) -> HttpResponse {
        let cookie = self.cookie_header();
        let response = http_request_from(self.source, http, "GET", path, &[("Cookie", &cookie)], b"").await;
        self.keep(&response);
        response
    }

    pub async fn post(&mut self, server: &TestServer, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        self.post_at(server.http(), path, fields).await
    }

    /// `post` to the HTTP listener at `http` (a node of a cluster).
    pub async fn post_at(&mut self, http: std::net::SocketAddr, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        let cookie = self.cookie_header();
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        let body = form_encode(fields);
        let response = http_request_from(self.source, http, "POST", path, &headers, body.as_bytes()).await;
        self.keep(&response);
        response
    }
}
