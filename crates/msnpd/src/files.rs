//! Open files: every session is one, so the process's limit on them is a
//! limit on sessions. The soft limit is raised to the hard one at start (the
//! soft default, often 1,024, is far below what a chat server needs), and a
//! node takes no more sessions than its files allow: past that, `accept`
//! fails and clients wait for a timeout instead of being told to go elsewhere.

/// Raises the soft limit on open files to the hard limit; returns the limit
/// now in force, or `None` where it cannot be read.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit and setrlimit only read and write the struct
        // passed by reference, which lives across both calls.
        #[allow(unsafe_code)]
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        // `rlim_t` is not 64 bits everywhere.
        #[allow(clippy::useless_conversion)]
        Some(u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    None
}

/// The most sessions `open_files` leave room for: one file each, and a
/// twentieth of them (at least 64) kept for switchboard connections, logins
/// under way, HTTP, the database and the bus.
pub fn session_room(open_files: u64) -> usize {
    let reserve = (open_files / 20).max(64);
    usize::try_from(open_files.saturating_sub(reserve)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::{raise_open_file_limit, session_room};

    #[test]
    fn sessions_leave_files_for_the_rest() {
        assert_eq!(session_room(20_000), 19_000);
        assert_eq!(session_room(1_024), 960);
        assert_eq!(session_room(10), 0);
    }

    #[test]
    fn the_limit_is_readable_and_not_lowered() {
        let before = raise_open_file_limit().expect("a limit");
        assert!(raise_open_file_limit().expect("a limit") >= before);
    }
}
