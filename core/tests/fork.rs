//! A forked process never hands out the sids its parent will: sids are drawn from batches the
//! drawing process itself read from the operating system.
#![cfg(unix)]

use watchword_core::service::{MemoryStore, ServiceConfig, Verify};

#[test]
fn a_forked_child_draws_other_sids_than_its_parent() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    // A batch is in use before the fork: were it copied into the child and used there, the
    // parent's next sid would be the child's too.
    verify.create_entity("user-0000-abcd", 1_700_000_000).unwrap();
    let mut pipe = [0i32; 2];
    // SAFETY: plain POSIX calls; the child only creates an entity, writes its sid and exits.
    unsafe {
        assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            let sid =
                verify.create_entity("user-0001-abcd", 1_700_000_000).map(|e| e.sid.to_string()).unwrap_or_default();
            libc::write(pipe[1], sid.as_ptr().cast(), sid.len());
            libc::_exit(0);
        }
        let parent = verify.create_entity("user-0002-abcd", 1_700_000_000).unwrap().sid.to_string();
        let mut child = [0u8; 34];
        assert_eq!(libc::read(pipe[0], child.as_mut_ptr().cast(), 34), 34);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert_ne!(parent.as_bytes(), &child[..], "parent and child drew the same sid after a fork");
    }
}
