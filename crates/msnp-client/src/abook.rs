//! The SOAP address book of MSNP13+: the contact list lives there, and the
//! Notification Server learns it from `ADL`.

use std::collections::BTreeMap;

use msnp::soap::abch;
use msnp::xml::ml::{self, MlContact};

use crate::ClientError;
use crate::ns::Contact;

/// What the address book calls need: an HTTP client, where the services
/// are, and the contacts.msn.com ticket.
#[derive(Clone)]
pub(crate) struct AddressBook {
    pub http: reqwest::Client,
    /// `scheme://host:port` of the services.
    pub origin: String,
    pub ticket: String,
    /// The owner, for creating the address book on first use.
    pub owner: String,
}

/// The services' origin: the Nexus URL's `scheme://host:port`.
pub(crate) fn origin(nexus: &str) -> String {
    let after_scheme = nexus.find("://").map_or(0, |at| at + 3);
    match nexus[after_scheme..].find('/') {
        Some(path) => nexus[..after_scheme + path].to_owned(),
        None => nexus.to_owned(),
    }
}

impl AddressBook {
    pub(crate) async fn call(
        &self,
        path: &str,
        action: &str,
        scenario: &str,
        operation: String,
    ) -> Result<String, ClientError> {
        let url = format!("{}{path}", self.origin);
        let body = abch::render_request(&self.ticket, scenario, &operation);
        let reply = self
            .http
            .post(&url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("http://www.msn.com/webservices/AddressBook/{action}"))
            .body(body)
            .send()
            .await
            .map_err(|e| ClientError::AddressBook(format!("{url}: {e}")))?;
        reply.text().await.map_err(|e| ClientError::AddressBook(format!("{url}: {e}")))
    }

    /// The contact list: the buddies of the address book, with the allow,
    /// block, reverse and pending lists from the sharing service.
    pub async fn contacts(&self) -> Result<BTreeMap<String, Contact>, ClientError> {
        let failed = |e: msnp::soap::SoapError| ClientError::AddressBook(e.to_string());
        let find_all = || self.call("/abservice/abservice.asmx", "ABFindAll", "Initial", abch::find_all_operation());
        let mut book = find_all().await?;
        if matches!(abch::parse_find_all(&book), Err(msnp::soap::SoapError::Fault(code)) if code == "ABDoesNotExist") {
            // A new account: create its address book, as WLM and Pidgin do.
            self.call("/abservice/abservice.asmx", "ABAdd", "Initial", abch::add_operation(&self.owner)).await?;
            book = find_all().await?;
        }
        let members = self
            .call("/abservice/SharingService.asmx", "FindMembership", "Initial", abch::find_membership_operation())
            .await?;
        let mut contacts = BTreeMap::new();
        for listed in abch::parse_find_all(&book).map_err(failed)? {
            let contact = entry(&mut contacts, &listed.email);
            contact.friendly_name = listed.display_name;
            if listed.is_messenger_user {
                contact.lists |= 1;
            }
        }
        for (role, email) in abch::parse_find_membership(&members).map_err(failed)? {
            let bit = match role.as_str() {
                "Allow" => 2,
                "Block" => 4,
                "Reverse" => 8,
                "Pending" => 16,
                _ => continue,
            };
            entry(&mut contacts, &email).lists |= bit;
        }
        Ok(contacts)
    }

    /// Adds a Messenger buddy to the address book (`ABContactAdd`).
    pub async fn add(&self, email: &str) -> Result<(), ClientError> {
        let operation = abch::contact_add_operation(email);
        let reply = self.call("/abservice/abservice.asmx", "ABContactAdd", "ContactSave", operation).await?;
        match msnp::soap::envelope::Envelope::parse(&reply).map(|envelope| abch::fault(&envelope)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) | Err(error) => Err(ClientError::AddressBook(error.to_string())),
        }
    }
}

fn entry<'a>(contacts: &'a mut BTreeMap<String, Contact>, email: &str) -> &'a mut Contact {
    contacts.entry(email.to_owned()).or_insert_with(|| Contact {
        email: email.to_owned(),
        friendly_name: email.to_owned(),
        lists: 0,
        status: None,
    })
}

/// The `<ml>` of `ADL`: each contact with the list bits the client manages
/// (forward, allow, block), grouped by domain.
pub(crate) fn membership_list<'a>(initial: bool, contacts: impl IntoIterator<Item = (&'a str, u8)>) -> String {
    let mut listed: Vec<MlContact> = contacts
        .into_iter()
        .filter(|(email, lists)| email.contains('@') && lists & 7 != 0)
        .map(|(email, lists)| MlContact {
            address: email.to_owned(),
            lists: lists & 7,
            network: 1,
            friendly_name: None,
        })
        .collect();
    // `render` groups neighbours of one domain.
    listed.sort_by(|a, b| a.address.rsplit('@').next().cmp(&b.address.rsplit('@').next()));
    if initial { ml::render_initial(&listed) } else { ml::render(&listed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_membership_list() {
        assert_eq!(origin("http://127.0.0.1:8080/rdr/pprdr.asp"), "http://127.0.0.1:8080");
        assert_eq!(origin("https://example.com"), "https://example.com");
        let xml = membership_list(true, [("b@x.com", 3), ("a@x.com", 1), ("r@y.com", 8), ("c@y.com", 7 | 8)]);
        assert_eq!(
            xml,
            r#"<ml l="1"><d n="x.com"><c n="b" t="1" l="3" /><c n="a" t="1" l="1" /></d><d n="y.com"><c n="c" t="1" l="7" /></d></ml>"#
        );
        let parsed = ml::parse(&xml).expect("the server's parser reads it");
        assert_eq!(parsed.contacts.len(), 3);
    }
}
