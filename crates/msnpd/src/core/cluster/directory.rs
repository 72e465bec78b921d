//! What a node knows of the others: each one's address and load, when it was
//! last heard, and which accounts it holds. Learnt from the bus only; a node
//! not heard for `dead_after` is taken for dead with all its sessions.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Claim, Liveness, NodeId, NodeInfo};
use crate::core::AccountId;
use crate::core::types::Notice;

struct Peer {
    info: NodeInfo,
    seen: Instant,
    accounts: HashSet<AccountId>,
    /// Clients this node referred there since its last heartbeat: a burst of
    /// logins between two heartbeats spreads instead of piling onto one node.
    referred: usize,
}

#[derive(Default)]
struct Inner {
    peers: HashMap<NodeId, Peer>,
    /// Where dispatch last sent each email, and when; forgotten once the
    /// account signs in there.
    referrals: HashMap<String, (NodeId, Instant)>,
    /// Nodes a client came back from without signing in, and when: not
    /// referred to until heard from after that.
    doubted: HashMap<NodeId, Instant>,
    /// When the latest news of each facet of each contact on another node
    /// was sent (µs since the epoch).
    stamps: HashMap<(AccountId, Facet), i64>,
    /// Accounts signed in on other nodes, with each node's claim.
    accounts: HashMap<AccountId, Vec<Claim>>,
    emails: HashMap<String, AccountId>,
}

pub struct Directory {
    dead_after: Duration,
    /// A node not heard for this long (a heartbeat and a half) is not
    /// referred to, though not yet taken for dead.
    quiet_after: Duration,
    /// When each node was last heard by any message, noted by the bus.
    liveness: Arc<Liveness>,
    inner: Mutex<Inner>,
}

/// A node found dead or gone, and the accounts no node holds any more.
pub struct Departed {
    pub node: NodeId,
    pub gone: Vec<Claim>,
}

/// What a notice says of a contact, each kept to its latest on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    /// Online with a status, or offline.
    Presence,
    PersonalMessage,
}

impl Facet {
    pub fn of(notice: &Notice) -> Option<Facet> {
        match notice {
            Notice::Presence(_) | Notice::Offline { .. } => Some(Facet::Presence),
            Notice::PersonalMessage { .. } => Some(Facet::PersonalMessage),
            _ => None,
        }
    }
}

/// A map that held many more entries than it does now gives the memory
/// back (a cluster's sessions closing leave every node's maps of the others'
/// accounts nearly empty at their largest size).
fn shrink<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 4 * map.len() + 1024 {
        map.shrink_to(2 * map.len());
    }
}

fn shrink_set<K: std::hash::Hash + Eq>(set: &mut HashSet<K>) {
    if set.capacity() > 4 * set.len() + 1024 {
        set.shrink_to(2 * set.len());
    }
}

/// Stamps kept before the old ones are dropped (older than a minute: no
/// queue holds news that long).
const STAMPS_KEPT: usize = 100_000;

impl Directory {
    pub fn new(heartbeat: Duration, dead_after: Duration, liveness: Arc<Liveness>) -> Directory {
        let quiet_after = heartbeat + heartbeat / 2;
        Directory { dead_after, quiet_after, liveness, inner: Mutex::new(Inner::default()) }
    }

    /// When `node` was last heard: its last heartbeat handled here, or any
    /// message the bus noted since.
    fn last_heard(&self, node: NodeId, peer: &Peer) -> Instant {
        self.liveness.last(node).map_or(peer.seen, |heard| heard.max(peer.seen))
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a heartbeat; `true` when the node was not heard before (it
    /// may be known from its claims alone, which can arrive first).
    pub fn heard(&self, info: NodeInfo) -> bool {
        let mut inner = self.inner();
        match inner.peers.get_mut(&info.id) {
            Some(peer) => {
                let first = peer.info.notification_address.is_empty();
                peer.info = info;
                peer.seen = Instant::now();
                peer.referred = 0;
                first
            }
            None => {
                let peer = Peer { info, seen: Instant::now(), accounts: HashSet::new(), referred: 0 };
                inner.peers.insert(peer.info.id, peer);
                true
            }
        }
    }

    /// Records that `claim.node` holds the account. A claim from a node not
    /// heard yet is kept: its heartbeat follows.
    pub fn claim(&self, claim: Claim) {
        let mut inner = self.inner();
        let Inner { peers, accounts, emails, referrals, .. } = &mut *inner;
        if referrals.get(&claim.email).is_some_and(|(node, _)| *node == claim.node) {
            referrals.remove(&claim.email);
        }
        let peer = peers.entry(claim.node).or_insert_with(|| Peer {
            info: NodeInfo {
                id: claim.node,
                notification_address: String::new(),
                switchboard_address: String::new(),
                sessions: 0,
                conversations: 0,
                draining: true,
                capacity: 0,
            },
            seen: Instant::now(),
            accounts: HashSet::new(),
            referred: 0,
        });
        peer.accounts.insert(claim.account);
        emails.insert(claim.email.clone(), claim.account);
        let claims = accounts.entry(claim.account).or_default();
        claims.retain(|c| c.node != claim.node);
        claims.push(claim);
    }

    /// The account has no session on `node` any more; `true` when no other
    /// node holds it either.
    pub fn unclaim(&self, node: NodeId, account: AccountId) -> bool {
        let mut inner = self.inner();
        Self::unclaim_locked(&mut inner, node, account)
    }

    fn unclaim_locked(inner: &mut Inner, node: NodeId, account: AccountId) -> bool {
        if let Some(peer) = inner.peers.get_mut(&node) {
            peer.accounts.remove(&account);
        }
        let Some(claims) = inner.accounts.get_mut(&account) else {
            return false;
        };
        let email = claims.first().map(|c| c.email.clone());
        let before = claims.len();
        claims.retain(|c| c.node != node);
        if claims.is_empty() {
            inner.accounts.remove(&account);
            if let Some(email) = email {
                inner.emails.remove(&email);
            }
            shrink(&mut inner.accounts);
            shrink(&mut inner.emails);
            if let Some(peer) = inner.peers.get_mut(&node) {
                shrink_set(&mut peer.accounts);
            }
            return before > 0;
        }
        false
    }

    /// Replaces everything known of `node`'s accounts.
    pub fn replace_claims(&self, node: NodeId, claims: Vec<Claim>) {
        let held: Vec<AccountId> =
            self.inner().peers.get(&node).map(|p| p.accounts.iter().copied().collect()).unwrap_or_default();
        for account in held {
            self.unclaim(node, account);
        }
        self.add_claims(node, claims);
    }

    /// More of a node's claims, after the first part replaced the rest.
    pub fn add_claims(&self, node: NodeId, claims: Vec<Claim>) {
        for claim in claims.into_iter().filter(|c| c.node == node) {
            self.claim(claim);
        }
    }

    /// Forgets a node; returns the accounts no node holds any more.
    pub fn remove(&self, node: NodeId) -> Departed {
        self.liveness.forget(node);
        let mut inner = self.inner();
        inner.doubted.remove(&node);
        let Some(peer) = inner.peers.remove(&node) else {
            return Departed { node, gone: Vec::new() };
        };
        let mut gone = Vec::new();
        for account in peer.accounts {
            let claim = inner.accounts.get(&account).and_then(|c| c.iter().find(|c| c.node == node)).cloned();
            if Self::unclaim_locked(&mut inner, node, account)
                && let Some(claim) = claim
            {
                gone.push(claim);
            }
        }
        Departed { node, gone }
    }

    /// Nodes not heard for `dead_after`, forgotten.
    pub fn reap(&self) -> Vec<Departed> {
        let now = Instant::now();
        let dead: Vec<NodeId> = self
            .inner()
            .peers
            .iter()
            .filter(|(id, peer)| now.duration_since(self.last_heard(**id, peer)) > self.dead_after)
            .map(|(id, _)| *id)
            .collect();
        dead.into_iter().map(|node| self.remove(node)).collect()
    }

    /// The other nodes holding the account.
    pub fn nodes_of(&self, account: AccountId) -> Vec<NodeId> {
        self.inner().accounts.get(&account).map(|c| c.iter().map(|c| c.node).collect()).unwrap_or_default()
    }

    pub fn claims_of(&self, account: AccountId) -> Vec<Claim> {
        self.inner().accounts.get(&account).cloned().unwrap_or_default()
    }

    /// The accounts among `accounts` held elsewhere, grouped by node: one
    /// message per node reaches them all.
    pub fn by_node(&self, accounts: &[AccountId]) -> HashMap<NodeId, Vec<AccountId>> {
        let inner = self.inner();
        let mut grouped: HashMap<NodeId, Vec<AccountId>> = HashMap::new();
        if inner.accounts.is_empty() {
            return grouped;
        }
        for account in accounts {
            for claim in inner.accounts.get(account).into_iter().flatten() {
                grouped.entry(claim.node).or_default().push(*account);
            }
        }
        grouped
    }

    /// Gives back the room of accounts signed out elsewhere.
    pub fn shrink(&self) {
        let mut inner = self.inner();
        inner.accounts.shrink_to_fit();
        inner.emails.shrink_to_fit();
        inner.stamps.shrink_to_fit();
        inner.referrals.shrink_to_fit();
    }

    /// How many accounts other nodes hold, as this node knows them.
    pub fn account_count(&self) -> usize {
        self.inner().accounts.len()
    }

    /// An account signed in on another node, by email.
    pub fn account_by_email(&self, email: &str) -> Option<AccountId> {
        self.inner().emails.get(email).copied()
    }

    /// The other nodes alive, as they last described themselves, each with
    /// the clients referred there since counted among its sessions.
    pub fn peers(&self) -> Vec<NodeInfo> {
        self.inner()
            .peers
            .values()
            .filter(|p| !p.info.notification_address.is_empty())
            .map(|p| NodeInfo { sessions: p.info.sessions + p.referred, ..p.info.clone() })
            .collect()
    }

    /// Counts a client referred to `node` until its next heartbeat.
    pub fn referred(&self, node: NodeId) {
        if let Some(peer) = self.inner().peers.get_mut(&node) {
            peer.referred += 1;
        }
    }

    /// Whether dispatch may send a client to `node`: heard lately, and not
    /// doubted since it was last heard.
    pub fn referable(&self, node: NodeId) -> bool {
        let inner = self.inner();
        let Some(peer) = inner.peers.get(&node) else { return false };
        let heard = self.last_heard(node, peer);
        heard.elapsed() <= self.quiet_after && inner.doubted.get(&node).is_none_or(|doubted| heard > *doubted)
    }

    /// Dispatch sent `email` to `node`.
    pub fn referred_email(&self, email: &str, node: NodeId) {
        let mut inner = self.inner();
        if inner.referrals.len() >= 4096 {
            let dead_after = self.dead_after;
            inner.referrals.retain(|_, (_, at)| at.elapsed() <= dead_after);
        }
        inner.referrals.insert(email.to_owned(), (node, Instant::now()));
    }

    /// `email` is back at dispatch soon after being sent to a node where it
    /// has not signed in: that node is doubted until heard from anew (a
    /// client that cannot reach it is not sent there a second time).
    /// Returns the node doubted.
    pub fn came_back(&self, email: &str) -> Option<NodeId> {
        let mut inner = self.inner();
        let (node, at) = inner.referrals.remove(email)?;
        (at.elapsed() <= self.dead_after).then(|| {
            inner.doubted.insert(node, Instant::now());
            node
        })
    }

    /// Whether news of `contact`'s `facet` sent at `at` is the latest yet
    /// (then it is recorded as such).
    pub fn fresh(&self, contact: AccountId, facet: Facet, at: i64) -> bool {
        let mut inner = self.inner();
        if inner.stamps.len() >= STAMPS_KEPT {
            let minute_ago = at.saturating_sub(60_000_000);
            inner.stamps.retain(|_, stamp| *stamp > minute_ago);
        }
        let stamp = inner.stamps.entry((contact, facet)).or_insert(i64::MIN);
        if at < *stamp {
            return false;
        }
        *stamp = at;
        true
    }

    /// Another node doubts `node` (see [`Directory::came_back`]).
    pub fn doubt(&self, node: NodeId) {
        self.inner().doubted.insert(node, Instant::now());
    }

    pub fn peer(&self, node: NodeId) -> Option<NodeInfo> {
        self.inner().peers.get(&node).map(|p| p.info.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: NodeId) -> NodeInfo {
        NodeInfo {
            id,
            notification_address: format!("127.0.0.{id}:1865"),
            switchboard_address: format!("127.0.0.{id}:1864"),
            sessions: 0,
            conversations: 0,
            draining: false,
            capacity: 0,
        }
    }

    fn claim(account: AccountId, node: NodeId) -> Claim {
        Claim { account, email: format!("u{account}@example.com"), node, stamp: 1, mpop: true, endpoints: Vec::new() }
    }

    #[test]
    fn accounts_are_found_by_node_and_email_until_their_node_goes() {
        let directory = Directory::new(Duration::from_millis(20), Duration::from_millis(50), Arc::default());
        assert!(directory.heard(info(2)));
        assert!(!directory.heard(info(2)));
        // Known by a claim first, then heard: that is its first heartbeat.
        directory.claim(claim(20, 4));
        assert!(directory.heard(info(4)));
        assert!(directory.unclaim(4, 20));
        directory.remove(4);
        directory.heard(info(3));
        directory.claim(claim(10, 2));
        directory.claim(claim(11, 3));
        directory.claim(claim(12, 2));
        directory.claim(claim(12, 3));
        let grouped = directory.by_node(&[10, 11, 12, 13]);
        assert_eq!(grouped.get(&2), Some(&vec![10, 12]));
        assert_eq!(grouped.get(&3), Some(&vec![11, 12]));
        assert_eq!(directory.account_by_email("u11@example.com"), Some(11));
        let departed = directory.remove(2);
        let gone: Vec<AccountId> = departed.gone.iter().map(|c| c.account).collect();
        assert_eq!(gone, vec![10], "12 is still held by node 3");
        assert_eq!(directory.nodes_of(12), vec![3]);
        assert!(directory.unclaim(3, 12));
        assert_eq!(directory.account_by_email("u12@example.com"), None);
        std::thread::sleep(Duration::from_millis(60));
        let reaped = directory.reap();
        assert_eq!(reaped.len(), 1);
        assert_eq!(reaped[0].gone.iter().map(|c| c.account).collect::<Vec<_>>(), vec![11]);
        assert!(directory.peers().is_empty());
    }
}
