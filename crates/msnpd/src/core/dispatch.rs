//! Where a client goes: the Notification Server the dispatch port names, and
//! the switchboard an `XFR … SB` names, chosen among the live nodes by load.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Core;
use super::cluster::{Message, NodeId, NodeInfo, Route};
use super::tokens::{Purpose, Reader, Writer};

/// How long a pass-on token is good for: the other node reads it at once,
/// the margin is for clocks that differ between nodes.
const PASS_ON_LIFETIME: Duration = Duration::from_secs(300);

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// Orders nodes for a new session: those with room first (a full node would
/// refuse the client with 920; the least loaded full one is tried only when
/// every node is full), then by sessions, `me` first on a tie.
fn by_room(nodes: &mut [NodeInfo], me: NodeId) {
    nodes.sort_by_key(|n| (n.capacity != 0 && n.sessions >= n.capacity, n.sessions, n.id != me));
}

impl Core {
    /// The nodes that take new work: this one unless it is draining, and the
    /// others heard from lately, not doubted, and not draining.
    fn candidates(&self) -> Vec<NodeInfo> {
        let mut nodes: Vec<NodeInfo> =
            self.directory.peers().into_iter().filter(|n| !n.draining && self.directory.referable(n.id)).collect();
        let mut me = self.node_info();
        me.sessions += self.referred_here.load(Ordering::Relaxed);
        if !me.draining || nodes.is_empty() {
            nodes.push(me);
        }
        nodes
    }

    /// The Notification Server (`host:port`) the dispatch port refers a
    /// client to: the node already holding the account (its endpoints stay
    /// together), else the one with the fewest sessions (clients referred
    /// since its last heartbeat counted), this one on a tie. A node the same
    /// email was just sent to, and came back from without signing in, is
    /// passed over until it is heard from again: it may have died a moment
    /// ago, and no client is sent to a dead node twice.
    pub fn pick_notification_server(&self, email: Option<&str>) -> String {
        if let Some(doubted) = email.and_then(|email| self.directory.came_back(email)) {
            tracing::info!(node = format!("{doubted:08x}"), "a client came back from a node: not referring there");
            self.bus.publish(Route::All, Message::Doubt { node: doubted });
        }
        let remember = |node: NodeId| {
            if let Some(email) = email {
                self.directory.referred_email(email, node);
            }
        };
        if let Some(account) = email.and_then(|email| self.online_by_email(email)) {
            if self.hub.get(account).is_some() {
                return self.config.notification_address.clone();
            }
            let holders = self.directory.nodes_of(account);
            let holder = holders
                .into_iter()
                .filter(|id| self.directory.referable(*id))
                .find_map(|id| self.directory.peer(id))
                .filter(|n| !n.draining);
            if let Some(node) = holder {
                remember(node.id);
                return node.notification_address;
            }
        }
        let mut nodes = self.candidates();
        by_room(&mut nodes, self.node);
        let Some(chosen) = nodes.first() else {
            return self.config.notification_address.clone();
        };
        if chosen.id == self.node {
            self.referred_here.fetch_add(1, Ordering::Relaxed);
        } else {
            self.directory.referred(chosen.id);
            remember(chosen.id);
        }
        chosen.notification_address.clone()
    }

    /// The address of another node's Notification Server (`notification`)
    /// or switchboard that `ip` (`host` or `host:port`) names: a client that
    /// reaches this node by HTTP (the gateway, a browser) is passed on there.
    pub fn other_node_address(&self, ip: &str, notification: bool) -> Option<String> {
        self.directory.peers().into_iter().find_map(|node| {
            let address = if notification { node.notification_address } else { node.switchboard_address };
            let host = address.rsplit_once(':').map_or(address.as_str(), |(host, _)| host);
            (address == ip || host == ip).then_some(address)
        })
    }

    /// The node whose switchboard holds a new conversation, and its address:
    /// the least loaded (sessions and conversations), this one on a tie.
    pub fn pick_switchboard(&self) -> (NodeId, String) {
        let mut nodes = self.candidates();
        nodes.sort_by_key(|n| (n.sessions + n.conversations, n.id != self.node));
        nodes.first().map_or_else(
            || (self.node, self.config.switchboard_address.clone()),
            |n| (n.id, n.switchboard_address.clone()),
        )
    }

    /// The token a connection passed on to another node starts with (`PXY 0
    /// token`): it names the client, so that the other node counts the
    /// connection under the client's address, not under this node's.
    pub fn pass_on_token(&self, client: IpAddr) -> String {
        let expires = unix_now() + PASS_ON_LIFETIME.as_secs();
        let address = client.to_string();
        self.signer.seal(Purpose::PassedOn, &Writer::default().u64(expires).bytes(address.as_bytes()).finish())
    }

    /// The client a pass-on token of a node of this service names, if it is
    /// one and has not expired.
    pub fn open_pass_on_token(&self, token: &str) -> Option<IpAddr> {
        let payload = self.signer.open(Purpose::PassedOn, token)?;
        let mut reader = Reader::new(&payload);
        let expires = reader.u64()?;
        if expires < unix_now() {
            return None;
        }
        std::str::from_utf8(reader.rest()).ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{NodeInfo, by_room};

    fn node(id: u32, sessions: usize, capacity: usize) -> NodeInfo {
        NodeInfo {
            id,
            notification_address: String::new(),
            switchboard_address: String::new(),
            sessions,
            conversations: 0,
            draining: false,
            capacity,
        }
    }

    #[test]
    fn a_full_node_comes_after_every_node_with_room() {
        let order = |mut nodes: Vec<NodeInfo>| {
            by_room(&mut nodes, 1);
            nodes.iter().map(|n| n.id).collect::<Vec<_>>()
        };
        assert_eq!(order(vec![node(1, 10, 10), node(2, 50, 100), node(3, 40, 0)]), vec![3, 2, 1]);
        assert_eq!(order(vec![node(2, 7, 5), node(1, 9, 9), node(3, 20, 100)]), vec![3, 2, 1]);
        assert_eq!(order(vec![node(2, 4, 100), node(1, 4, 100)]), vec![1, 2]);
    }
}
