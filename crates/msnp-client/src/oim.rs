//! Offline messages of MSNP13+: left through the OIM service (`Store2`,
//! after its lock-key challenge) and read through RSI, as WLM and libpurple
//! do. The services live beside the address book.

use std::sync::atomic::{AtomicU32, Ordering};

use msnp::soap::envelope::Envelope;
use msnp::soap::oim;

use crate::ClientError;

/// An offline message, read and deleted from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineMessage {
    pub from: String,
    pub text: String,
}

/// What leaving and reading offline messages needs: the services' origin
/// and the tickets RST.srf issued for them.
pub(crate) struct OfflineService {
    pub http: reqwest::Client,
    pub origin: String,
    /// messengersecure.live.com: leaving one.
    pub secure: String,
    /// messenger.msn.com: reading them.
    pub web: String,
    pub sequence: AtomicU32,
    pub run_id: String,
}

impl OfflineService {
    async fn post(&self, path: &str, action: &str, body: String) -> Result<Envelope, ClientError> {
        let failed = |e: String| ClientError::Protocol(format!("{path}: {e}"));
        let reply = self
            .http
            .post(format!("{}{path}", self.origin))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(body)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let text = reply.text().await.map_err(|e| failed(e.to_string()))?;
        Envelope::parse(&text).map_err(|e| failed(e.to_string()))
    }

    /// Leaves `text` for `to`; `answer` computes the lock key from the challenge.
    pub(crate) async fn leave(
        &self,
        me: (&str, &str),
        to: &str,
        text: &str,
        product_id: &str,
        answer: impl Fn(&str) -> Result<String, ClientError>,
    ) -> Result<(), ClientError> {
        let mut lock_key = String::new();
        for _ in 0..2 {
            let sequence = self.sequence.load(Ordering::Relaxed);
            let request = oim::StoreRequest {
                from: me.0,
                friendly_name: me.1,
                to,
                ticket: &self.secure,
                product_id,
                lock_key: &lock_key,
                run_id: &self.run_id,
                sequence,
                text,
            };
            let envelope = self
                .post(
                    "/OimWS/oim.asmx",
                    "http://messenger.live.com/ws/2006/09/oim/Store2",
                    oim::render_store_request(&request),
                )
                .await?;
            if envelope.operation != "Fault" {
                self.sequence.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            match envelope.text(&["detail", "LockKeyChallenge"]) {
                Some(challenge) => lock_key = answer(challenge)?,
                None => {
                    let code = envelope.text(&["Fault", "faultcode"]).unwrap_or("Fault");
                    return Err(ClientError::Protocol(format!("the offline message was refused: {code}")));
                }
            }
        }
        Err(ClientError::Protocol("the offline message's lock key was refused".into()))
    }

    async fn rsi(&self, operation: String) -> Result<Envelope, ClientError> {
        let envelope = self
            .post(
                "/rsi/rsi.asmx",
                "http://www.hotmail.msn.com/ws/2004/09/oim/rsi",
                oim::render_rsi_request(&self.web, &operation),
            )
            .await?;
        if envelope.operation == "Fault" {
            let code = envelope.text(&["detail", "ErrorCode"]).unwrap_or("Fault");
            return Err(ClientError::Protocol(format!("offline messages: {code}")));
        }
        Ok(envelope)
    }

    /// Every offline message waiting, oldest first, deleted once read.
    pub(crate) async fn take_all(&self) -> Result<Vec<OfflineMessage>, ClientError> {
        let metadata = self.rsi(oim::get_metadata_operation()).await?;
        let listed: Vec<(String, String, String)> = metadata
            .each(&["MD", "M"])
            .into_iter()
            .filter_map(|m| {
                let id = metadata.child_text(m, &["I"])?.to_owned();
                let from = metadata.child_text(m, &["E"])?.to_ascii_lowercase();
                let received = metadata.child_text(m, &["RT"]).unwrap_or_default().to_owned();
                Some((received, id, from))
            })
            .collect();
        let mut messages = Vec::with_capacity(listed.len());
        for (received, id, from) in &listed {
            let envelope = self.rsi(oim::get_message_operation(id)).await?;
            let whole = envelope.text(&["GetMessageResponse", "GetMessageResult"]).unwrap_or_default();
            if let Some(text) = oim::message_text(whole) {
                let order = (received.clone(), from.clone(), oim::sequence_number(whole).unwrap_or(0));
                messages.push((order, OfflineMessage { from: from.clone(), text }));
            }
        }
        // By time, then by each sender's own numbering (times are to the second).
        messages.sort_by(|a, b| a.0.cmp(&b.0));
        let messages: Vec<OfflineMessage> = messages.into_iter().map(|(_, message)| message).collect();
        if !listed.is_empty() {
            let ids: Vec<&str> = listed.iter().map(|(_, id, _)| id.as_str()).collect();
            self.rsi(oim::delete_messages_operation(&ids)).await?;
        }
        Ok(messages)
    }
}
