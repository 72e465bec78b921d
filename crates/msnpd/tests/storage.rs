//! The storage service: a profile created and updated, a display picture
//! uploaded through CreateDocument and downloaded over HTTP.

mod common;

use common::{TestServer, http_get, http_request, rst_tokens};

fn request(ticket: &str, body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<soap:Header><StorageApplicationHeader xmlns="http://www.msn.com/webservices/storage/w10"><ApplicationID>Messenger Client 9.0</ApplicationID><Scenario>Initial</Scenario></StorageApplicationHeader>"#,
            r#"<StorageUserHeader xmlns="http://www.msn.com/webservices/storage/w10"><Puid>0</Puid><TicketToken>{}</TicketToken></StorageUserHeader></soap:Header>"#,
            r#"<soap:Body>{}</soap:Body></soap:Envelope>"#
        ),
        ticket.replace('&', "&amp;"),
        body
    )
}

const PATH: &str = "/storageservice/SchematizedStore.asmx";
const NS: &str = r#" xmlns="http://www.msn.com/webservices/storage/w10""#;

#[tokio::test]
async fn profile_and_display_picture_round_trip() {
    use base64::Engine as _;
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let tokens = rst_tokens(&server, "alice@example.com", "alice-pw", &[("storage.live.com", Some("MBI"))]).await;
    let ticket = &tokens[0].ticket;
    let http = server.http();
    let call = |body: String| {
        let body = request(ticket, &body);
        async move { http_request(http, "POST", PATH, &[("Content-Type", "text/xml")], body.as_bytes()).await }
    };

    let get = format!(
        "<GetProfile{NS}><profileHandle><Alias><Name>0</Name><NameSpace>MyCidStuff</NameSpace></Alias><RelationshipName>MyProfile</RelationshipName></profileHandle></GetProfile>"
    );
    // Every account has a profile: one never written reads as the account's
    // name, nothing else (WLM 2009 and MSNPSharp stop at a fault here).
    let fresh = call(get.clone()).await;
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    let fresh = fresh.text();
    assert!(fresh.contains(&format!("<GetProfileResponse{NS}><GetProfileResult>")), "{fresh}");
    assert!(fresh.contains("<PersonalStatus></PersonalStatus>") && fresh.contains("<DisplayName>Alice</DisplayName>"));
    assert!(!fresh.contains("<Photo>"));
    assert_eq!(call(format!("<CreateProfile{NS}><profile><ExpressionProfile><PersonalStatus/></ExpressionProfile></profile></CreateProfile>")).await.status, 200);
    let update = format!(
        "<UpdateProfile{NS}><profile><ResourceID>x</ResourceID><ExpressionProfile><FreeText>Update</FreeText><DisplayName>Alice &amp; Co</DisplayName><PersonalStatus>roaming</PersonalStatus><Flags>0</Flags></ExpressionProfile></profile></UpdateProfile>"
    );
    assert_eq!(call(update).await.status, 200);

    let mut picture: Vec<u8> = b"\x89PNG\r\n\x1a\n".to_vec();
    picture.extend((0..=255u8).cycle().take(4000));
    let data = base64::engine::general_purpose::STANDARD.encode(&picture);
    let create = format!(
        "<CreateDocument{NS}><parentHandle><RelationshipName>/UserTiles</RelationshipName></parentHandle><document xsi:type=\"Photo\"><Name>UserTile</Name><DocumentStreams><DocumentStream xsi:type=\"PhotoStream\"><DocumentStreamType>UserTileStatic</DocumentStreamType><MimeType>image/png</MimeType><Data>{data}</Data><DataSize>0</DataSize></DocumentStream></DocumentStreams></document><relationshipName>Messenger User Tile</relationshipName></CreateDocument>"
    );
    let response = call(create).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains("<CreateDocumentResult>"));

    let profile = call(get.clone()).await.text();
    assert!(profile.contains("<DisplayName>Alice &amp; Co</DisplayName>"), "{profile}");
    assert!(profile.contains("<PersonalStatus>roaming</PersonalStatus>"));
    let picture_path = |profile: &str| {
        let start = profile.find("<PreAuthURL>").expect("photo url") + "<PreAuthURL>".len();
        let url = &profile[start..profile[start..].find('<').expect("end") + start];
        url.split_once("//").and_then(|(_, rest)| rest.split_once('/')).map(|(_, p)| format!("/{p}")).expect("path")
    };
    let path = picture_path(&profile);
    // The URL is the capability: the CID alone (every contact sees it), or a
    // wrong key, reads nothing.
    let (bare, key) = path.split_once("?t=").expect("a key in the URL");
    assert_eq!(key.len(), 32);
    assert_eq!(http_get(server.http(), bare, &[]).await.status, 404);
    assert_eq!(http_get(server.http(), &format!("{bare}?t={}", "0".repeat(32)), &[]).await.status, 404);
    let download = http_get(server.http(), &path, &[]).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("Content-Type"), Some("image/png"));
    assert_eq!(download.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(download.body, picture);

    // Only pictures are kept, whatever type the client claims; what is served
    // is the type the bytes are.
    let document = |mime: &str, bytes: &[u8]| {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        format!(
            "<UpdateDocument{NS}><document><DocumentStreams><DocumentStream><MimeType>{mime}</MimeType><Data>{data}</Data></DocumentStream></DocumentStreams></document></UpdateDocument>"
        )
    };
    let script = call(document("text/html", b"<html><script>alert(document.cookie)</script></html>")).await;
    assert_eq!(script.status, 500);
    assert!(script.text().contains("BadArgument"), "{}", script.text());
    assert_eq!(http_get(server.http(), &path, &[]).await.body, picture, "the picture before stays");
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 and the rest";
    assert_eq!(call(document("image/png", jpeg)).await.status, 200);
    assert_eq!(http_get(server.http(), &path, &[]).await.status, 404, "a new picture, a new key");
    let download = http_get(server.http(), &picture_path(&call(get).await.text()), &[]).await;
    assert_eq!(download.header("Content-Type"), Some("image/jpeg"));

    // Named as its MSNObject names it (creator and SHA1D, what a contact sees
    // in presence), the picture is there for the browser client; the digest
    // of the picture before, or of another account's, reads nothing.
    let sha1d = |bytes: &[u8]| {
        use sha1::Digest as _;
        let digest = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(bytes));
        digest.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
    };
    let by_object = |creator: &str, digest: String| format!("/storage/picture?creator={creator}&sha1d={digest}");
    let named = http_get(server.http(), &by_object("Alice%40example.com", sha1d(jpeg)), &[]).await;
    assert_eq!((named.status, named.header("Content-Type")), (200, Some("image/jpeg")));
    assert_eq!(named.body, jpeg);
    for (creator, digest) in [
        ("alice%40example.com", sha1d(&picture)),
        ("bob%40example.com", sha1d(jpeg)),
        ("alice%40example.com", "short".to_owned()),
    ] {
        assert_eq!(http_get(server.http(), &by_object(creator, digest), &[]).await.status, 404);
    }

    // Limits, wrong tickets, and removal.
    let huge = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 300 * 1024]);
    let too_big = format!(
        "<CreateDocument{NS}><document><DocumentStreams><DocumentStream><MimeType>image/png</MimeType><Data>{huge}</Data></DocumentStream></DocumentStreams></document></CreateDocument>"
    );
    assert!(call(too_big).await.text().contains("QuotaExceeded"));
    let wrong = request("t=bogus&p=", &format!("<GetProfile{NS}/>"));
    assert!(http_request(server.http(), "POST", PATH, &[], wrong.as_bytes()).await.text().contains("PermissionDenied"));
    assert_eq!(
        call(format!("<DeleteRelationships{NS}><sourceHandle/><targetHandles/></DeleteRelationships>")).await.status,
        200
    );
    assert_eq!(http_get(server.http(), &path, &[]).await.status, 404);
    assert_eq!(http_get(server.http(), &by_object("alice%40example.com", sha1d(jpeg)), &[]).await.status, 404);
}

/// WLM 2009 (and MSNPSharp, whose proxy is generated from its WSDL) asks in
/// the `storage/2008` schema and reads nothing in another; it may update a
/// profile it never created.
#[tokio::test]
async fn the_2008_schema_is_answered_in_kind() {
    let server = TestServer::start().await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let tokens = rst_tokens(&server, "bob@example.com", "bob-pw", &[("storage.msn.com", Some("MBI"))]).await;
    let v2008 = r#" xmlns="http://www.msn.com/webservices/storage/2008""#;
    let call = |body: String| {
        let body = request(&tokens[0].ticket, &body).replace("storage/w10", "storage/2008");
        let http = server.http();
        async move { http_request(http, "POST", PATH, &[("Content-Type", "text/xml")], body.as_bytes()).await }
    };
    let update = format!(
        "<UpdateProfile{v2008}><profile><ResourceID>x</ResourceID><ExpressionProfile><DisplayName>Bobby</DisplayName><PersonalStatus>hi</PersonalStatus></ExpressionProfile></profile></UpdateProfile>"
    );
    let response = call(update).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains(&format!("<UpdateProfileResponse{v2008} />")), "{}", response.text());
    let get = format!(
        "<GetProfile{v2008}><profileHandle><Alias><Name>0</Name><NameSpace>MyCidStuff</NameSpace></Alias><RelationshipName>MyProfile</RelationshipName></profileHandle></GetProfile>"
    );
    let profile = call(get).await.text();
    assert!(profile.contains(&format!("<GetProfileResponse{v2008}><GetProfileResult>")), "{profile}");
    assert!(
        profile.contains("<DisplayName>Bobby</DisplayName>") && profile.contains("<PersonalStatus>hi</PersonalStatus>")
    );
    assert!(profile.contains(r#"<AffinityCacheHeader xmlns="http://www.msn.com/webservices/storage/2008">"#));
    assert!(!profile.contains("w10"), "{profile}");
    let fault = call(format!("<DeleteEverything{v2008}/>")).await.text();
    assert!(
        fault.contains(r#"<errorcode xmlns="http://www.msn.com/webservices/storage/2008">NotImplemented</errorcode>"#)
    );
}
