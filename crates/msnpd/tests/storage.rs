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
    assert!(call(get.clone()).await.text().contains("ItemDoesNotExist"));
    assert_eq!(call(format!("<CreateProfile{NS}><profile><ExpressionProfile><PersonalStatus/></ExpressionProfile></profile></CreateProfile>")).await.status, 200);
    let update = format!(
        "<UpdateProfile{NS}><profile><ResourceID>x</ResourceID><ExpressionProfile><FreeText>Update</FreeText><DisplayName>Alice &amp; Co</DisplayName><PersonalStatus>roaming</PersonalStatus><Flags>0</Flags></ExpressionProfile></profile></UpdateProfile>"
    );
    assert_eq!(call(update).await.status, 200);

    let picture: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    let data = base64::engine::general_purpose::STANDARD.encode(&picture);
    let create = format!(
        "<CreateDocument{NS}><parentHandle><RelationshipName>/UserTiles</RelationshipName></parentHandle><document xsi:type=\"Photo\"><Name>UserTile</Name><DocumentStreams><DocumentStream xsi:type=\"PhotoStream\"><DocumentStreamType>UserTileStatic</DocumentStreamType><MimeType>image/png</MimeType><Data>{data}</Data><DataSize>0</DataSize></DocumentStream></DocumentStreams></document><relationshipName>Messenger User Tile</relationshipName></CreateDocument>"
    );
    let response = call(create).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains("<CreateDocumentResult>"));

    let profile = call(get).await.text();
    assert!(profile.contains("<DisplayName>Alice &amp; Co</DisplayName>"), "{profile}");
    assert!(profile.contains("<PersonalStatus>roaming</PersonalStatus>"));
    let url = {
        let start = profile.find("<PreAuthURL>").expect("photo url") + "<PreAuthURL>".len();
        profile[start..profile[start..].find('<').expect("end") + start].to_owned()
    };
    let path =
        url.split_once("//").and_then(|(_, rest)| rest.split_once('/')).map(|(_, p)| format!("/{p}")).expect("path");
    let download = http_get(server.http(), &path, &[]).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("Content-Type"), Some("image/png"));
    assert_eq!(download.body, picture);

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
}
