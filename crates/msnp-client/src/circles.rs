//! Circles (MSNP18, as WLM 2009 uses them): listed, created, joined and
//! answered through the address book; their conversation joined with `USR
//! SHA A` (the book's circle ticket), `ADL` (network 9) and `PUT`, and
//! written to with `SDG`.

use base64::Engine as _;
use bytes::Bytes;
use msnp::Frame;
use msnp::soap::circles::{self, ListedCircle};
use msnp::structured::{Chat, Headers, Structured};
use msnp::xml::ml::{self, MlContact};

use crate::ClientError;
use crate::abook::AddressBook;
use crate::ns::Client;

const AB: &str = "/abservice/abservice.asmx";
const SHARING: &str = "/abservice/SharingService.asmx";

fn failed(error: msnp::soap::SoapError) -> ClientError {
    ClientError::AddressBook(error.to_string())
}

impl Client {
    fn circle_book(&self) -> Result<&AddressBook, ClientError> {
        match (&self.book, self.config.dialect.has_circles()) {
            (Some(book), true) => Ok(book),
            _ => Err(ClientError::Protocol(format!("{} has no circles: use MSNP18 or later", self.config.dialect))),
        }
    }

    async fn own_book(&self) -> Result<(Vec<ListedCircle>, Option<String>), ClientError> {
        let reply =
            self.circle_book()?.call(AB, "ABFindContactsPaged", "Initial", circles::own_book_operation()).await?;
        circles::parse_circles(&reply).map_err(failed)
    }

    /// The circles this account is in or invited to.
    pub async fn circles(&self) -> Result<Vec<ListedCircle>, ClientError> {
        Ok(self.own_book().await?.0)
    }

    /// The circle `name_or_id` names (its name, or its address book id).
    async fn find_circle(&self, name_or_id: &str) -> Result<ListedCircle, ClientError> {
        let mut found = self.circles().await?.into_iter().filter(|c| c.ab_id == name_or_id || c.name == name_or_id);
        match (found.next(), found.next()) {
            (Some(circle), None) => Ok(circle),
            (Some(_), Some(_)) => {
                Err(ClientError::Protocol(format!("several circles are named {name_or_id:?}: give its id")))
            }
            (None, _) => Err(ClientError::Protocol(format!("no circle {name_or_id:?}"))),
        }
    }

    /// A new circle with this account its admin; its address book id.
    pub async fn create_circle(&self, name: &str) -> Result<String, ClientError> {
        let reply =
            self.circle_book()?.call(SHARING, "CreateCircle", "CircleSave", circles::create_operation(name)).await?;
        circles::parse_created(&reply).map_err(failed)
    }

    /// Invites `email` to the circle (this account must be its admin).
    pub async fn invite_to_circle(&self, circle: &str, email: &str) -> Result<(), ClientError> {
        let circle = self.find_circle(circle).await?;
        let book = self.circle_book()?;
        let invite = circles::invite_operation(&circle.ab_id, email);
        let contact = circles::parse_contact_id(&book.call(AB, "CreateContact", "CircleInvite", invite).await?)
            .map_err(failed)?;
        let connect = circles::connection_operation(Some(&circle.ab_id), &contact, true);
        circles::parse_contact_id(&book.call(AB, "ManageWLConnection", "CircleInvite", connect).await?)
            .map_err(failed)?;
        Ok(())
    }

    /// Accepts or declines an invitation to the circle.
    pub async fn answer_circle(&self, circle: &str, accept: bool) -> Result<(), ClientError> {
        let circle = self.find_circle(circle).await?;
        let answer = circles::connection_operation(None, &circle.ab_id, accept);
        let reply = self.circle_book()?.call(AB, "ManageWLConnection", "CircleStatus", answer).await?;
        circles::parse_contact_id(&reply).map_err(failed).map(drop)
    }

    /// Joins the circle's conversation: the circle ticket, the circle in
    /// `ADL`, then `PUT` to it. Its id, to send to.
    pub async fn join_circle(&self, circle: &str) -> Result<String, ClientError> {
        let circle = self.find_circle(circle).await?;
        let ticket = self.own_book().await?.1.ok_or_else(|| ClientError::AddressBook("no circle ticket".into()))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(ticket);
        self.link.call("USR", &["SHA", "A", &encoded], None, &["USR"]).await?;
        let entry =
            MlContact { address: format!("{}@live.com", circle.ab_id), lists: 3, network: 9, friendly_name: None };
        self.link.call("ADL", &[], Some(Bytes::from(ml::render(&[entry]))), &["ADL"]).await?;
        let roster = format!("<circle><roster><id>IM</id><user><id>1:{}</id></user></roster></circle>", self.email());
        let length = roster.len().to_string();
        let put = Structured {
            routing: self.circle_routing(&circle.ab_id),
            reliability: Headers::of([("Reliability", "1.0"), ("Stream", "0"), ("Segment", "0")]),
            content: Headers::of([
                ("Publication", "1.0"),
                ("Uri", "/circle"),
                ("Content-Type", "application/circles+xml"),
                ("Content-Length", &length),
            ]),
            body: roster.into_bytes(),
        };
        self.link.call("PUT", &[], Some(put.render().into()), &["PUT"]).await?;
        Ok(circle.ab_id)
    }

    fn circle_routing(&self, ab_id: &str) -> Headers {
        self.routing(&format!("9:{ab_id}@live.com;path=IM"))
    }

    /// A text message to a circle joined with [`Client::join_circle`] (by its id).
    pub async fn send_to_circle(&self, ab_id: &str, text: &str) -> Result<(), ClientError> {
        let chat = Chat::Text { format: "FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0".into(), text: text.as_bytes().to_vec() };
        let mut message = chat.to_sdg("", "");
        message.routing = self.circle_routing(ab_id);
        let trid = self.link.next_trid();
        self.link.send(&Frame::new("SDG").param(trid).with_payload(message.render())).await
    }
}
