//! The Notification Server session: login, the contact list, presence,
//! invitations. A task answers challenges and keeps the session alive, so a
//! bot only has to read its events.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msnp::dialect::{AuthScheme, ListSync};
use msnp::text::decode_param;
use msnp::{Dialect, Frame};
use tokio::sync::{mpsc, watch};

use crate::wire::Link;
use crate::{ClientError, answer_challenge, passport};

/// Where and how to sign in.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The Notification Server, `host:port`.
    pub server: String,
    /// The Passport Nexus URL (MSNP8-12), e.g. `http://host:8080/rdr/pprdr.asp`.
    pub nexus: String,
    pub dialect: Dialect,
    /// How long any one answer may take.
    pub timeout: Duration,
    /// The client identity answered to `CHL` challenges.
    pub product_id: String,
    pub product_key: Option<String>,
    /// The status set right after login (`NLN`, `BSY`, `HDN`...).
    pub initial_status: String,
    /// Accept any HTTPS certificate (a development server's self-signed one).
    pub accept_invalid_certs: bool,
    /// The local address connections leave from (a load generator spreads
    /// over 127.0.0.x so it does not run out of ports); any, when `None`.
    pub local_address: Option<std::net::IpAddr>,
}

impl ClientConfig {
    /// MSNP12 against `server`, with the Nexus on port 8080 of the same host.
    pub fn new(server: &str) -> ClientConfig {
        let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
        ClientConfig {
            server: server.to_owned(),
            nexus: format!("http://{host}:8080/rdr/pprdr.asp"),
            dialect: Dialect::MSNP12,
            timeout: Duration::from_secs(10),
            product_id: "PROD0090YUAUV{2B".to_owned(),
            product_key: None,
            initial_status: "NLN".to_owned(),
            accept_invalid_certs: false,
            local_address: None,
        }
    }
}

/// A contact as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub friendly_name: String,
    /// List bits: forward 1, allow 2, block 4, reverse 8, pending 16.
    pub lists: u8,
    /// The presence status (`NLN`, `BSY`...), `None` while offline.
    pub status: Option<String>,
}

/// An invitation to a conversation (`RNG`); `Conversation::accept` joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub session_id: String,
    pub address: String,
    pub cookie: String,
    pub inviter: String,
    pub inviter_name: String,
}

/// What the Notification Server tells this client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A contact is online or changed status or name (`ILN`, `NLN`).
    Presence { email: String, status: String, friendly_name: String },
    /// A contact went offline (`FLN`).
    Offline { email: String },
    /// Someone invites this client to a conversation.
    Invited(Invitation),
    /// Someone added this client to their list (reverse list).
    AddedBy { email: String, friendly_name: String },
    /// A text message that came by `SDG` (MSNP19+: no switchboard).
    Message { from: String, text: String },
    /// A text message to a circle (MSNP18+), by its address book id.
    CircleMessage { circle: String, from: String, text: String },
    /// The server ended the session: `OUT OTH` (signed in elsewhere), `OUT SSD`
    /// (shutting down), or `None` when the connection just closed.
    SignedOut { reason: Option<String> },
    /// Anything else, as sent.
    Other(Frame),
}

struct Shared {
    contacts: Mutex<BTreeMap<String, Contact>>,
}

/// A signed-in Notification Server session.
pub struct Client {
    pub(crate) link: Arc<Link>,
    shared: Arc<Shared>,
    pongs: watch::Receiver<u64>,
    events: mpsc::UnboundedReceiver<Event>,
    pub(crate) config: ClientConfig,
    pub(crate) email: String,
    ticket: Option<String>,
    /// The machine GUID of an MSNP16+ endpoint.
    pub(crate) endpoint: Option<String>,
    /// MSNP13+: the SOAP address book.
    pub(crate) book: Option<crate::abook::AddressBook>,
    /// MSNP13+: the offline message services.
    offline: Option<crate::oim::OfflineService>,
}

/// Who signed in, and with what, handed from the sign-in to the session.
struct Session {
    email: String,
    ticket: Option<String>,
    endpoint: Option<String>,
    book: Option<crate::abook::AddressBook>,
    offline: Option<crate::oim::OfflineService>,
}

/// What proves who signs in.
enum Credential<'a> {
    Password(&'a str),
    Ticket(&'a str),
}

impl Client {
    /// Signs in with `email` and `password`, loads the contact list and sets
    /// the initial status: MSNP2-7 with MD5 (the account needs its MD5
    /// secret), MSNP8-12 through Passport (TWN), MSNP13+ through RST.srf
    /// (TWN or SSO) with the contact list from the SOAP address book.
    pub async fn login(config: ClientConfig, email: &str, password: &str) -> Result<Client, ClientError> {
        Client::sign_in(config, email, Credential::Password(password)).await
    }

    /// Signs in with a Passport ticket obtained before (see [`Client::ticket`]),
    /// as a client does when it reconnects: no password, no Passport round trip.
    pub async fn login_with_ticket(config: ClientConfig, email: &str, ticket: &str) -> Result<Client, ClientError> {
        Client::sign_in(config, email, Credential::Ticket(ticket)).await
    }

    /// The Passport ticket this session signed in with (none for MD5, MSNP2-7).
    pub fn ticket(&self) -> Option<&str> {
        self.ticket.as_deref()
    }

    async fn sign_in(config: ClientConfig, email: &str, credential: Credential<'_>) -> Result<Client, ClientError> {
        let dialect = config.dialect;
        let scheme = match dialect.auth_scheme() {
            AuthScheme::Md5 => "MD5",
            AuthScheme::Twn => "TWN",
            AuthScheme::Sso => "SSO",
        };
        let address_book = dialect.list_sync() == ListSync::AddressBook;
        // An MSNP16+ client is one endpoint of its account: its machine GUID names it.
        let endpoint = dialect.has_mpop().then(|| format!("{{{}}}", uuid::Uuid::new_v4()).to_ascii_uppercase());
        let mut server = config.server.clone();
        // At most one referral (`XFR NS`), as the real service gave.
        for _ in 0..2 {
            let (link, queue) = Link::connect(&server, &config).await?;
            let version = dialect.to_string();
            // Offering `CVR0` promises a `CVR`, which only MSNP8+ requires.
            let offer: &[&str] = if dialect.requires_cvr() { &[version.as_str(), "CVR0"] } else { &[version.as_str()] };
            let reply = link.call("VER", offer, None, &["VER"]).await?;
            if reply.params.get(1) != Some(&version) {
                return Err(ClientError::Protocol(format!("the server does not speak {version}: {reply}")));
            }
            if dialect.requires_cvr() {
                let cvr = ["0x0409", "winnt", "6.1.0", "i386", "MSNMSGR", "14.0.8117.0416", "msmsgs", email];
                link.call("CVR", &cvr, None, &["CVR"]).await?;
            }
            if dialect.has_inf() {
                // What MSN Messenger 1.0-4.x asked first: the scheme to use (always MD5).
                link.call("INF", &[], None, &["INF"]).await?;
            }
            let challenge = link.call("USR", &[scheme, "I", email], None, &["USR", "XFR"]).await?;
            if challenge.command == "XFR" {
                server = challenge.params.get(2).map(str::to_owned).ok_or_else(|| protocol(&challenge))?;
                continue;
            }
            // `USR trid MD5 S salt`, `USR trid TWN S policy` or `USR trid SSO S MBI_KEY_OLD nonce`.
            let offer = challenge.params.last().ok_or_else(|| protocol(&challenge))?;
            let (proof, book, offline) = prove(&config, email, credential, offer, endpoint.as_deref()).await?;
            let mut params = vec![scheme, "S"];
            params.extend(proof.iter().map(String::as_str));
            link.call("USR", &params, None, &["USR"]).await?;
            let ticket = (scheme == "TWN" && !address_book).then(|| proof[0].clone());
            let session = Session { email: email.to_owned(), ticket, endpoint, book, offline };
            return Client::start(link, queue, config, session).await;
        }
        Err(ClientError::Protocol("referred more than once".into()))
    }

    async fn start(
        link: Link,
        queue: mpsc::UnboundedReceiver<Frame>,
        config: ClientConfig,
        session: Session,
    ) -> Result<Client, ClientError> {
        let link = Arc::new(link);
        let shared = Arc::new(Shared { contacts: Mutex::new(BTreeMap::new()) });
        let (events_tx, events) = mpsc::unbounded_channel();
        let (listed_tx, mut listed) = watch::channel(0usize);
        let (pongs_tx, pongs) = watch::channel(0u64);
        let dispatcher = Dispatcher {
            link: link.clone(),
            shared: shared.clone(),
            events: events_tx,
            listed: listed_tx,
            pongs: pongs_tx,
            config: config.clone(),
        };
        tokio::spawn(dispatcher.run(queue));
        let keepalive = Arc::downgrade(&link);
        tokio::spawn(async move {
            // Real clients ping about every 50 seconds; the server's idle timeout is longer.
            let mut ticker = tokio::time::interval(Duration::from_secs(50));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let Some(link) = keepalive.upgrade() else { return };
                if link.send(&Frame::new("PNG")).await.is_err() {
                    return;
                }
            }
        });
        let Session { email, ticket, endpoint, book, offline } = session;
        let client = Client { link, shared, pongs, events, config, email, ticket, endpoint, book, offline };
        if let Some(book) = &client.book {
            // MSNP13+: the list comes from the address book, and the server learns it from ADL.
            let contacts = book.contacts().await?;
            let ml = crate::abook::membership_list(true, contacts.values().map(|c| (c.email.as_str(), c.lists)));
            *client.shared.contacts.lock().unwrap_or_else(|e| e.into_inner()) = contacts;
            client.link.call("ADL", &[], Some(bytes::Bytes::from(ml)), &["ADL"]).await?;
            let status = client.config.initial_status.clone();
            client.set_status(&status).await?;
            return Ok(client);
        }
        let sync = match client.config.dialect.list_sync() {
            ListSync::Guid => client.link.call("SYN", &["0", "0"], None, &["SYN"]).await?,
            _ => client.link.call("SYN", &["0"], None, &["SYN"]).await?,
        };
        // How many `listed` steps make the whole list: each of the four lists
        // ending (MSNP2-7), or each contact (MSNP8-12, counted in the SYN reply).
        let expected: usize = match client.config.dialect.list_sync() {
            ListSync::PerList | ListSync::PerListWithGroups => PER_LIST_LISTS.len(),
            _ => sync
                .params
                .len()
                .checked_sub(2)
                .and_then(|index| sync.params.get(index))
                .and_then(|count| count.parse().ok())
                .ok_or_else(|| protocol(&sync))?,
        };
        tokio::time::timeout(client.config.timeout, listed.wait_for(|count| *count >= expected))
            .await
            .map_err(|_| ClientError::Timeout("SYN"))?
            .map_err(|_| ClientError::Closed)?;
        let status = client.config.initial_status.clone();
        client.set_status(&status).await?;
        Ok(client)
    }

    /// The next event; `None` once the session has ended and every event was
    /// read. Events wait in memory until read, so a long-running client should
    /// keep reading them.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Waits until everything the server sent so far has been taken in: a
    /// `PNG` goes out and its `QNG` comes back behind it. After sign-in, the
    /// presence of contacts already online is then known.
    pub async fn settle(&self) -> Result<(), ClientError> {
        let mut pongs = self.pongs.clone();
        let before = *pongs.borrow_and_update();
        self.link.send(&Frame::new("PNG")).await?;
        tokio::time::timeout(self.config.timeout, pongs.wait_for(|count| *count > before))
            .await
            .map_err(|_| ClientError::Timeout("PNG"))?
            .map_err(|_| ClientError::Closed)?;
        Ok(())
    }

    /// The contact list as it stands, presence included.
    pub fn contacts(&self) -> Vec<Contact> {
        self.shared.contacts.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    /// How this client names itself on a switchboard: `email`, or
    /// `email;{machine-guid}` for an MSNP16+ endpoint.
    pub fn switchboard_handle(&self) -> String {
        match &self.endpoint {
            Some(guid) => format!("{};{guid}", self.email),
            None => self.email.clone(),
        }
    }

    /// `CHG` (MSNP19+: `PUT` of the user document): NLN, BSY, IDL, BRB, AWY,
    /// PHN, LUN or HDN.
    pub async fn set_status(&self, status: &str) -> Result<(), ClientError> {
        if self.config.dialect.has_structured_messages() {
            return self.put_status(status).await;
        }
        // Client capabilities came with MSNP8; before, `CHG` is the status alone.
        let params: &[&str] = if self.config.dialect.presence_has_caps() { &[status, "0"] } else { &[status] };
        self.link.call("CHG", params, None, &["CHG"]).await.map(drop)
    }

    /// Adds `email` to the forward (and allow) list.
    pub async fn add_contact(&self, email: &str) -> Result<(), ClientError> {
        match &self.book {
            Some(book) => {
                // MSNP13+: into the address book, then onto the forward and allow lists.
                book.add(email).await?;
                let ml = crate::abook::membership_list(false, [(email, 1 | 2)]);
                self.link.call("ADL", &[], Some(bytes::Bytes::from(ml)), &["ADL"]).await?;
            }
            None => {
                for list in ["FL", "AL"] {
                    self.add_to_list(list, email).await?;
                }
            }
        }
        let mut contacts = self.shared.contacts.lock().unwrap_or_else(|e| e.into_inner());
        let contact = contacts.entry(email.to_owned()).or_insert_with(|| Contact {
            email: email.to_owned(),
            friendly_name: email.to_owned(),
            lists: 0,
            status: None,
        });
        contact.lists |= 1 | 2;
        Ok(())
    }

    /// `ADD`/`ADC` to one list (MSNP2-12).
    async fn add_to_list(&self, list: &str, email: &str) -> Result<(), ClientError> {
        let result = match self.config.dialect.list_sync() {
            ListSync::Guid if list == "FL" => {
                let (name, friendly) = (format!("N={email}"), format!("F={email}"));
                self.link.call("ADC", &[list, name.as_str(), friendly.as_str()], None, &["ADC"]).await
            }
            ListSync::Guid => {
                let name = format!("N={email}");
                self.link.call("ADC", &[list, name.as_str()], None, &["ADC"]).await
            }
            _ => self.link.call("ADD", &[list, email, email], None, &["ADD"]).await,
        };
        match result {
            // Already allowed is fine: the contact was on the allow list before.
            Err(ClientError::Server(msnp::ErrorCode::AlreadyInList)) if list == "AL" => Ok(()),
            Err(error) => Err(error),
            Ok(_) => Ok(()),
        }
    }

    /// Asks for a switchboard (`XFR SB`): its address and cookie, for a
    /// caller that speaks to the switchboard itself (`Conversation::open`
    /// does all of it).
    pub async fn switchboard(&self) -> Result<(String, String), ClientError> {
        let reply = self.link.call("XFR", &["SB"], None, &["XFR"]).await?;
        match (reply.params.get(2), reply.params.get(4)) {
            (Some(address), Some(cookie)) => Ok((address.to_owned(), cookie.to_owned())),
            _ => Err(protocol(&reply)),
        }
    }

    /// Leaves `text` for `to` as an offline message (MSNP13+).
    pub async fn leave_offline_message(&self, to: &str, text: &str) -> Result<(), ClientError> {
        let offline = self.offline_service()?;
        let name = self.contacts().into_iter().find(|c| c.email == self.email).map(|c| c.friendly_name);
        let name = name.unwrap_or_else(|| self.email.clone());
        let config = &self.config;
        let answer = |challenge: &str| {
            answer_challenge(config.dialect, challenge, &config.product_id, config.product_key.as_deref())
        };
        offline.leave((&self.email, &name), to, text, &config.product_id, answer).await
    }

    /// The offline messages waiting (MSNP13+), oldest first; read, they are deleted.
    pub async fn take_offline_messages(&self) -> Result<Vec<crate::oim::OfflineMessage>, ClientError> {
        self.offline_service()?.take_all().await
    }

    fn offline_service(&self) -> Result<&crate::oim::OfflineService, ClientError> {
        self.offline
            .as_ref()
            .ok_or_else(|| ClientError::Protocol(format!("{} has no offline messages here", self.config.dialect)))
    }

    /// Signs out (`OUT`).
    pub async fn sign_out(self) -> Result<(), ClientError> {
        self.link.send(&Frame::new("OUT")).await
    }
}

fn protocol(frame: &Frame) -> ClientError {
    ClientError::Protocol(frame.to_string())
}

/// What the second `USR` carries (after `scheme S`), for the offer the first
/// one got (an MD5 salt, a Passport policy or an SSO nonce); MSNP13+ also get
/// the address book's access on the way.
async fn prove(
    config: &ClientConfig,
    email: &str,
    credential: Credential<'_>,
    offer: &str,
    endpoint: Option<&str>,
) -> Result<SignInProof, ClientError> {
    let dialect = config.dialect;
    let address_book = dialect.list_sync() == ListSync::AddressBook;
    Ok(match (dialect.auth_scheme(), credential) {
        (AuthScheme::Md5, Credential::Password(password)) => (vec![crate::md5_login(offer, password)], None, None),
        (AuthScheme::Twn, Credential::Ticket(ticket)) if !address_book => (vec![ticket.to_owned()], None, None),
        (_, Credential::Ticket(_)) => {
            return Err(ClientError::Protocol(format!("{dialect} signs in with a password here, not a ticket")));
        }
        (_, Credential::Password(password)) if !address_book => {
            let ticket = passport::twn_ticket(&http_client(config)?, &config.nexus, email, password, offer).await?;
            (vec![ticket], None, None)
        }
        (scheme, Credential::Password(password)) => {
            // MSNP13+: the tickets come from RST.srf, beside the Nexus.
            let http = http_client(config)?;
            let origin = crate::abook::origin(&config.nexus);
            let tokens = passport::rst_tokens(&http, &format!("{origin}/RST.srf"), email, password).await?;
            let mut proof = vec![tokens.messenger];
            if scheme == AuthScheme::Sso {
                proof.push(msnp::auth::mbi::response(&tokens.secret, offer, rand::random()));
                proof.extend(endpoint.map(str::to_owned));
            }
            let offline = crate::oim::OfflineService {
                http: http.clone(),
                origin: origin.clone(),
                secure: tokens.secure,
                web: tokens.web,
                sequence: std::sync::atomic::AtomicU32::new(1),
                run_id: format!("{{{}}}", uuid::Uuid::new_v4()).to_ascii_uppercase(),
            };
            let book = crate::abook::AddressBook { http, origin, ticket: tokens.contacts, owner: email.to_owned() };
            (proof, Some(book), Some(offline))
        }
    })
}

/// What the second `USR` carries, and the services an MSNP13+ sign-in opens.
type SignInProof = (Vec<String>, Option<crate::abook::AddressBook>, Option<crate::oim::OfflineService>);

/// The HTTP client for Passport and the SOAP services.
fn http_client(config: &ClientConfig) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .timeout(config.timeout)
        .danger_accept_invalid_certs(config.accept_invalid_certs)
        .local_address(config.local_address)
        .build()
        .map_err(|e| ClientError::Passport(e.to_string()))
}

/// The lists of MSNP2-7, each sent whole by `SYN`, and their bits in [`Contact::lists`].
const PER_LIST_LISTS: [(&str, u8); 4] = [("FL", 1), ("AL", 2), ("BL", 4), ("RL", 8)];

fn list_bit(list: &str) -> Option<u8> {
    PER_LIST_LISTS.iter().find(|(name, _)| *name == list).map(|(_, bit)| *bit)
}

/// Reads everything the server sends unasked.
struct Dispatcher {
    link: Arc<Link>,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<Event>,
    listed: watch::Sender<usize>,
    pongs: watch::Sender<u64>,
    config: ClientConfig,
}

impl Dispatcher {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Frame>) {
        while let Some(frame) = queue.recv().await {
            if let Some(event) = self.handle(frame).await {
                let _ = self.events.send(event);
            }
        }
        let _ = self.events.send(Event::SignedOut { reason: None });
    }

    async fn handle(&self, frame: Frame) -> Option<Event> {
        let params: Vec<&str> = frame.params.iter().collect();
        match (frame.command.as_str(), params.as_slice()) {
            ("CHL", [_, challenge, ..]) => {
                let answer = answer_challenge(
                    self.config.dialect,
                    challenge,
                    &self.config.product_id,
                    self.config.product_key.as_deref(),
                );
                if let Ok(answer) = answer {
                    let trid = self.link.next_trid();
                    let qry = Frame::new("QRY").param(trid).param(&self.config.product_id).with_payload(answer);
                    let _ = self.link.send(&qry).await;
                }
                None
            }
            ("QNG", _) => {
                self.pongs.send_modify(|count| *count += 1);
                None
            }
            ("QRY", _) => None,
            ("LST", [_, list, _, index, total, rest @ ..])
                if matches!(self.config.dialect.list_sync(), ListSync::PerList | ListSync::PerListWithGroups) =>
            {
                // `LST trid LIST ver index total [email name [groups]]`, one line per entry.
                if let ([email, name, ..], Some(bit)) = (rest, list_bit(list)) {
                    let mut contacts = self.contacts();
                    let contact = contacts.entry((*email).to_owned()).or_insert_with(|| Contact {
                        email: (*email).to_owned(),
                        friendly_name: decode_param(name).unwrap_or_else(|| (*name).to_owned()),
                        lists: 0,
                        status: None,
                    });
                    contact.lists |= bit;
                }
                if index == total {
                    self.listed.send_modify(|count| *count += 1);
                }
                None
            }
            ("LST", _) => {
                if let Some(contact) = self.listed_contact(&params) {
                    self.contacts().insert(contact.email.clone(), contact);
                }
                self.listed.send_modify(|count| *count += 1);
                None
            }
            // A member's presence in a circle (`1:email;via=9:circle`): not a contact's.
            ("NLN", [_, handle, ..]) | ("FLN", [handle, ..]) if handle.contains(";via=") => Some(Event::Other(frame)),
            ("ILN", [_, rest @ ..]) | ("NLN", rest) if rest.len() >= 3 => {
                let (status, email, name) = self.presence_fields(rest)?;
                let friendly_name = decode_param(name).unwrap_or_else(|| name.to_owned());
                if let Some(contact) = self.contacts().get_mut(&email) {
                    contact.status = Some(status.to_owned());
                    contact.friendly_name = friendly_name.clone();
                }
                Some(Event::Presence { email, status: status.to_owned(), friendly_name })
            }
            ("FLN", [handle, ..]) => {
                let email = handle.strip_prefix("1:").unwrap_or(handle).to_owned();
                if let Some(contact) = self.contacts().get_mut(&email) {
                    contact.status = None;
                }
                Some(Event::Offline { email })
            }
            // MSNP13+: someone added this account (`l` has the reverse list).
            ("ADL", ["0", ..]) => {
                let ml = std::str::from_utf8(frame.payload.as_deref().unwrap_or_default()).ok()?;
                let added = msnp::xml::ml::parse(ml).ok()?.contacts.into_iter().find(|c| c.lists & 8 != 0)?;
                let friendly_name = added.friendly_name.unwrap_or_else(|| added.address.clone());
                Some(Event::AddedBy { email: added.address, friendly_name })
            }
            ("RNG", [session_id, address, _, cookie, inviter, name, ..]) => Some(Event::Invited(Invitation {
                session_id: (*session_id).to_owned(),
                address: (*address).to_owned(),
                cookie: (*cookie).to_owned(),
                inviter: (*inviter).to_owned(),
                inviter_name: decode_param(name).unwrap_or_else(|| (*name).to_owned()),
            })),
            ("ADD", [_, "RL", _, email, name, ..]) => Some(Event::AddedBy {
                email: (*email).to_owned(),
                friendly_name: decode_param(name).unwrap_or_else(|| (*name).to_owned()),
            }),
            ("ADC", [_, "RL", email, name, ..]) => Some(Event::AddedBy {
                email: email.trim_start_matches("N=").to_owned(),
                friendly_name: decode_param(name.trim_start_matches("F=")).unwrap_or_default(),
            }),
            // MSNP19+: a contact's presence document (or departure), a message.
            ("NFY", [verb, ..]) => crate::structured::presence(&frame, *verb == "DEL", &mut self.contacts()),
            ("SDG", _) => crate::structured::message(&frame),
            ("PUT", _) => None,
            ("OUT", reason) => Some(Event::SignedOut { reason: reason.first().map(|r| (*r).to_owned()) }),
            _ => Some(Event::Other(frame)),
        }
    }

    /// (status, email, friendly name) from the parameters of `NLN` (or `ILN`
    /// after its TrID): the handle is `email`, `email network` (MSNP14-17)
    /// or `1:email` (MSNP18).
    fn presence_fields<'a>(&self, params: &[&'a str]) -> Option<(&'a str, String, &'a str)> {
        let dialect = self.config.dialect;
        let (status, rest) = params.split_first()?;
        let (handle, rest) = rest.split_first()?;
        let rest = if dialect.presence_has_network_id() && !dialect.handles_have_network_prefix() {
            rest.get(1..)?
        } else {
            rest
        };
        let email = handle.strip_prefix("1:").unwrap_or(handle).to_owned();
        Some((status, email, rest.first()?))
    }

    fn contacts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Contact>> {
        self.shared.contacts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A contact from `LST`: `email friendly lists [groups]` (MSNP8-9) or
    /// `N=email [F=friendly] [C=guid] lists [groups]` (MSNP10-12).
    fn listed_contact(&self, params: &[&str]) -> Option<Contact> {
        let (email, friendly_name, rest) = match self.config.dialect.list_sync() {
            ListSync::Guid => {
                let email = params.first()?.strip_prefix("N=")?;
                let name = params.iter().find_map(|p| p.strip_prefix("F=")).unwrap_or(email);
                let rest: Vec<&str> = params[1..].iter().copied().filter(|p| !p.contains('=')).collect();
                (email, name, rest)
            }
            _ => (*params.first()?, *params.get(1)?, params.get(2..)?.to_vec()),
        };
        Some(Contact {
            email: email.to_owned(),
            friendly_name: decode_param(friendly_name).unwrap_or_else(|| friendly_name.to_owned()),
            lists: rest.first()?.parse().ok()?,
            status: None,
        })
    }
}
