//! The bus over NATS. Each node listens on `<prefix>.node.<id>` (what is for
//! it alone) and `<prefix>.all` (sign-ins and sign-outs); requests use NATS's
//! own request/reply. Heartbeats go on `<prefix>.beat` over a second
//! connection with a reader of its own: however many messages the first
//! carries or waits to have handled, the beats go through and are noted at
//! once. Messages are JSON: a node's notices are small and the format stays
//! readable with `nats sub`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Bus, BusError, Incoming, Liveness, Message, NodeId, NodeInfo, Reply, Route};

/// Messages waiting for the connection before publishing drops them.
const OUTBOX: usize = 65_536;

/// How long a request waits for its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, Deserialize)]
struct Envelope {
    from: NodeId,
    message: Message,
}

pub struct NatsBus {
    node: NodeId,
    prefix: String,
    client: async_nats::Client,
    outbox: mpsc::Sender<(String, Bytes)>,
    /// This node's next heartbeat, for the heartbeat connection to send.
    beats: mpsc::Sender<Bytes>,
    liveness: Arc<Liveness>,
    dropped: Arc<AtomicU64>,
}

fn node_subject(prefix: &str, node: NodeId) -> String {
    format!("{prefix}.node.{node:08x}")
}

impl NatsBus {
    /// Connects to `url` and starts listening. Returns the bus and what
    /// arrives on it (the node's own messages to all are left out).
    pub async fn connect(
        url: &str,
        prefix: &str,
        node: NodeId,
    ) -> Result<(NatsBus, mpsc::Receiver<Incoming>), BusError> {
        let (address, credentials) = split_credentials(url);
        let connect = |role: &str| {
            let mut options = async_nats::ConnectOptions::new().name(format!("msnpd-{node:08x}{role}"));
            if let Some((user, password)) = &credentials {
                options = options.user_and_password(user.clone(), password.clone());
            }
            options.connect(address.as_str())
        };
        let transport = |e: &dyn std::fmt::Display| BusError::Transport(e.to_string());
        let client = connect("").await.map_err(|e| transport(&e))?;
        let beat_client = connect("-beat").await.map_err(|e| transport(&e))?;
        let mine = client.subscribe(node_subject(prefix, node)).await.map_err(|e| transport(&e))?;
        let all = client.subscribe(format!("{prefix}.all")).await.map_err(|e| transport(&e))?;
        let beats_in = beat_client.subscribe(format!("{prefix}.beat")).await.map_err(|e| transport(&e))?;
        let liveness = Arc::new(Liveness::default());
        let (incoming_tx, incoming) = mpsc::channel(OUTBOX);
        tokio::spawn(read_beats(beats_in, node, liveness.clone(), incoming_tx.clone()));
        let mut both = futures_util::stream::select(mine, all);
        let replier = client.clone();
        let heard = liveness.clone();
        tokio::spawn(async move {
            while let Some(nats_message) = both.next().await {
                let Ok(envelope) = serde_json::from_slice::<Envelope>(&nats_message.payload) else {
                    tracing::warn!(subject = %nats_message.subject, "unreadable bus message dropped");
                    continue;
                };
                if envelope.from == node {
                    continue;
                }
                heard.heard(envelope.from);
                let reply = nats_message.reply.map(|subject| {
                    let client = replier.clone();
                    Box::new(move |answer: Message| {
                        let payload = encode(node, answer);
                        tokio::spawn(async move {
                            let _ = client.publish(subject, payload).await;
                        });
                    }) as Box<dyn FnOnce(Message) + Send>
                });
                let arrived = Incoming { from: envelope.from, message: envelope.message, reply };
                if incoming_tx.send(arrived).await.is_err() {
                    return;
                }
            }
        });
        let (outbox, mut queued) = mpsc::channel::<(String, Bytes)>(OUTBOX);
        let publisher = client.clone();
        let dropped = Arc::new(AtomicU64::new(0));
        let refused = dropped.clone();
        tokio::spawn(async move {
            while let Some((subject, payload)) = queued.recv().await {
                let size = payload.len();
                if let Err(error) = publisher.publish(subject, payload).await {
                    refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%error, size, "bus publish failed: message dropped");
                }
            }
        });
        // A beat not sent in time is worth nothing: a short queue, and a full one drops it.
        let (beats, mut beat_queue) = mpsc::channel::<Bytes>(2);
        let beat_subject = format!("{prefix}.beat");
        tokio::spawn(async move {
            while let Some(payload) = beat_queue.recv().await {
                if beat_client.publish(beat_subject.clone(), payload).await.is_err() {
                    tracing::warn!("heartbeat publish failed");
                }
            }
        });
        let bus = NatsBus { node, prefix: prefix.to_owned(), client, outbox, beats, liveness, dropped };
        Ok((bus, incoming))
    }

    fn subject(&self, route: Route) -> String {
        match route {
            Route::Node(node) => node_subject(&self.prefix, node),
            Route::All => format!("{}.all", self.prefix),
        }
    }
}

/// `nats://user:password@host:port` → the address without them, and them
/// (percent-decoded): the client takes credentials as options, not in the URL.
fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("nats", url));
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (format!("{scheme}://{host}"), Some((decode(user), decode(password))))
}

/// Notes every other node's heartbeat the moment it arrives, and hands it
/// on to be handled (the node's load, a node heard for the first time)
/// when there is room: the noting is what keeps the node alive here.
async fn read_beats(
    mut beats: async_nats::Subscriber,
    node: NodeId,
    liveness: Arc<Liveness>,
    incoming: mpsc::Sender<Incoming>,
) {
    while let Some(nats_message) = beats.next().await {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&nats_message.payload) else {
            tracing::warn!("unreadable heartbeat dropped");
            continue;
        };
        if envelope.from == node {
            continue;
        }
        liveness.heard(envelope.from);
        let arrived = Incoming { from: envelope.from, message: envelope.message, reply: None };
        if let Err(mpsc::error::TrySendError::Closed(_)) = incoming.try_send(arrived) {
            return;
        }
    }
}

fn encode(from: NodeId, message: Message) -> Bytes {
    serde_json::to_vec(&Envelope { from, message }).map(Bytes::from).unwrap_or_default()
}

impl Bus for NatsBus {
    fn publish(&self, route: Route, message: Message) {
        let payload = encode(self.node, message);
        if self.outbox.try_send((self.subject(route), payload)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("bus outbox full: message dropped");
        }
    }

    fn request(&self, node: NodeId, message: Message) -> Reply {
        let client = self.client.clone();
        let subject = self.subject(Route::Node(node));
        let payload = encode(self.node, message);
        Box::pin(async move {
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.request(subject, payload))
                .await
                .map_err(|_| BusError::Timeout)?
                .map_err(|e| BusError::Transport(e.to_string()))?;
            serde_json::from_slice::<Envelope>(&answer.payload)
                .map(|envelope| envelope.message)
                .map_err(|e| BusError::Transport(e.to_string()))
        })
    }

    fn beat(&self, info: NodeInfo) {
        let _ = self.beats.try_send(encode(self.node, Message::Heartbeat(info)));
    }

    fn liveness(&self) -> Arc<Liveness> {
        self.liveness.clone()
    }

    fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::{NodeId, encode, split_credentials};
    use crate::core::cluster::{Claim, Message, claims_in_parts};
    use msnp::xml::uux::EndpointView;

    /// NATS's default `max_payload`: a larger message is refused.
    const NATS_MAX_PAYLOAD: usize = 1024 * 1024;

    #[test]
    fn a_busy_nodes_claims_fit_the_bus() {
        let node: NodeId = 0x1234_5678;
        let endpoint = |n: usize| EndpointView {
            guid: format!("{{{n:08X}-0000-0000-0000-000000000000}}"),
            capabilities: None,
            private: None,
        };
        let claims: Vec<Claim> = (0..18_000)
            .map(|n| Claim {
                account: n as i64,
                email: format!("someone.with.a.long.name{n}@example.com"),
                node,
                stamp: 1_733_000_000_000_000 + n as i64,
                mpop: n % 2 == 0,
                endpoints: if n % 2 == 0 { vec![endpoint(n), endpoint(n + 1)] } else { Vec::new() },
            })
            .collect();
        let whole = encode(node, Message::Claims { node, claims: claims.clone(), part: 0 }).len();
        assert!(whole > NATS_MAX_PAYLOAD, "the test's claims would not have been refused: {whole} bytes");
        let parts = claims_in_parts(node, claims.clone());
        let mut carried = Vec::new();
        for (index, part) in parts.into_iter().enumerate() {
            let size = encode(node, part.clone()).len();
            assert!(size <= NATS_MAX_PAYLOAD / 4, "part {index}: {size} bytes");
            let Message::Claims { claims, part, .. } = part else { panic!("not claims") };
            assert_eq!(part as usize, index);
            carried.extend(claims.into_iter().map(|c| c.account));
        }
        assert_eq!(carried, claims.iter().map(|c| c.account).collect::<Vec<_>>());
        assert_eq!(claims_in_parts(node, Vec::new()).len(), 1, "a node with no one still replaces its claims");
    }

    #[test]
    fn credentials_leave_the_url() {
        assert_eq!(split_credentials("nats://127.0.0.1:4222"), ("nats://127.0.0.1:4222".to_owned(), None));
        let (address, credentials) = split_credentials("nats://msnpd:p%40ss@bus.internal:4222");
        assert_eq!(address, "nats://bus.internal:4222");
        assert_eq!(credentials, Some(("msnpd".to_owned(), "p@ss".to_owned())));
    }
}
