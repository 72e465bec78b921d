//! The process's memory as glibc's allocator keeps it. Left alone, glibc
//! gives each thread that contends for the heap an arena of its own (up to
//! eight per core: the session workers, each SQLite connection's thread,
//! the password hashing threads), and keeps every page a burst of logins
//! once used. Idle sessions are most of a chat server's memory, so both
//! matter: fewer arenas, and freed pages handed back once a burst is over.
//! Elsewhere (musl, other systems) these do nothing.

/// Caps the allocator's arenas at `arenas`; call before the threads start.
pub fn limit_arenas(arenas: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arenas = libc::c_int::try_from(arenas.max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a parameter of the allocator; glibc
        // documents M_ARENA_MAX as safe to change at any time.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}

/// Hands the pages no allocation uses back to the system.
pub fn return_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks and only releases
    // pages of free chunks.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Decides when to hand pages back: after the sessions fell well below
/// their peak (a burst ended), not on every small change.
#[derive(Debug, Default)]
pub struct Trimmer {
    peak: usize,
}

impl Trimmer {
    /// Notes the session count; `true` when it is time to trim.
    pub fn observe(&mut self, sessions: usize) -> bool {
        self.peak = self.peak.max(sessions);
        let fallen = self.peak - sessions;
        if fallen >= 64 && fallen * 10 >= self.peak {
            self.peak = sessions;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Trimmer;

    #[test]
    fn trims_once_after_a_burst_ends() {
        let mut trimmer = Trimmer::default();
        assert!(!trimmer.observe(10));
        assert!(!trimmer.observe(2_000));
        // Small moves around a level are no burst ending.
        assert!(!trimmer.observe(1_950));
        assert!(trimmer.observe(100));
        // Fewer than 64 gone is not worth a walk over the heap.
        assert!(!trimmer.observe(40));
        assert!(trimmer.observe(0));
        return_free_pages_runs();
    }

    fn return_free_pages_runs() {
        let freed: Vec<Vec<u8>> = (0..1_000).map(|_| vec![1; 4_096]).collect();
        drop(freed);
        super::return_free_pages();
    }
}
