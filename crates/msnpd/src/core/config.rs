//! Service settings the core needs (the listeners' settings live in the server config).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// How long a Passport ticket stays valid.
    pub ticket_lifetime: Duration,
    /// How long a switchboard cookie (XFR/RNG) stays valid.
    pub cookie_lifetime: Duration,
    /// The host:port clients reach this node's Notification Server at.
    pub notification_address: String,
    /// The host:port clients reach the switchboard at.
    pub switchboard_address: String,
    /// Argon2id parameters for new password hashes: memory KiB, iterations, lanes.
    pub argon2_params: (u32, u32, u32),
    /// Most contacts on one list (FL, AL, BL).
    pub max_list_entries: usize,
    /// Most contact groups.
    pub max_groups: usize,
    /// Most circles one account is in (invited or in).
    pub max_circles: usize,
    /// Most members of one circle, those invited counted.
    pub max_circle_members: usize,
    /// Longest friendly name, counted URL-encoded (MSNP.md §1.1).
    pub max_friendly_name: usize,
    /// Longest group name, counted URL-encoded.
    pub max_group_name: usize,
    /// Most participants in one switchboard conversation.
    pub max_participants: usize,
    /// Most conversations one account may be in at once, all its endpoints together.
    pub max_conversations_per_user: usize,
    /// Most conversations this node holds at once (712 beyond).
    pub max_conversations: usize,
    /// Largest offline message, in bytes.
    pub max_offline_message: usize,
    /// Most offline messages kept for one recipient.
    pub max_offline_messages: usize,
    /// Most offline messages one sender may leave in one recipient's inbox.
    pub max_offline_messages_per_sender: usize,
    /// Switchboard messages per second an account may send, and its burst.
    pub sb_message_rate: (f64, f64),
    /// Connections not signed in yet that one client address may hold, and
    /// that the node holds in all (TCP and gateway sessions alike).
    pub max_pending_per_address: u32,
    pub max_pending: u32,
    /// Most sessions signed in on this node at once, every endpoint counted (920 beyond).
    pub max_sessions: usize,
    /// Most endpoints (MSNP16+ points of presence) one account may have signed in (714 beyond).
    pub max_endpoints: usize,
    /// Failed-login window, failures allowed per account and per address.
    pub login_guard: (Duration, u32, u32),
    /// How often a node tells the others it lives, and after how long
    /// without a word the others take it for dead (its users go offline).
    pub heartbeat: Duration,
    pub node_dead_after: Duration,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            ticket_lifetime: Duration::from_secs(24 * 3600),
            cookie_lifetime: Duration::from_secs(120),
            notification_address: "127.0.0.1:1865".into(),
            switchboard_address: "127.0.0.1:1864".into(),
            argon2_params: (19 * 1024, 2, 1),
            max_list_entries: 1000,
            max_groups: 30,
            max_circles: 30,
            max_circle_members: 100,
            max_friendly_name: 387,
            max_group_name: 61,
            max_participants: 20,
            max_conversations_per_user: 64,
            max_conversations: 100_000,
            max_offline_message: 16 * 1024,
            max_offline_messages: 100,
            max_offline_messages_per_sender: 20,
            sb_message_rate: (10.0, 30.0),
            max_pending_per_address: 128,
            max_pending: 10_000,
            max_sessions: 100_000,
            max_endpoints: 8,
            login_guard: (Duration::from_secs(300), 10, 50),
            heartbeat: Duration::from_secs(1),
            node_dead_after: Duration::from_secs(3),
        }
    }
}
