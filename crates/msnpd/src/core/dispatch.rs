//! Where a client signs in: the Notification Server the dispatch port names.

use super::Core;

impl Core {
    /// The Notification Server (`host:port`) the dispatch port refers a client
    /// to. A single node serves every session itself; choosing among several
    /// nodes by their load needs a directory of the nodes, which is not built.
    pub fn pick_notification_server(&self) -> String {
        self.config.notification_address.clone()
    }
}
