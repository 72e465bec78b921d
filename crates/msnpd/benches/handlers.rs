//! Micro-benchmarks of the server's hot paths, without sockets: the
//! switchboard relay in the core, and a Notification Server session loop
//! over an in-memory pipe. `cargo bench -p msnpd`; figures in
//! docs/benchmarks.md.

use std::sync::Arc;

use bytes::Bytes;
use divan::{Bencher, black_box};
use msnpd::config::Config;
use msnpd::core::switchboard::{Member, Occupant, Seat, Switchboards};
use msnpd::server::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    divan::main();
}

fn member(email: &str) -> Member {
    Member { email: email.to_owned(), friendly_name: email.to_owned(), caps: Default::default(), machine: None }
}

/// A two-party conversation: (switchboards, sender's seat, recipient's seat).
fn conversation() -> (Switchboards, Seat, Seat) {
    let signer = std::sync::Arc::new(msnpd::core::tokens::Signer::new("00"));
    let switchboards = Switchboards::new(std::time::Duration::from_secs(60), (1e12, 1e12), 64, 1000, signer, 1);
    let alice = switchboards
        .create(Occupant { account: 1, credential: 0, outlet: None }, member("alice@example.com"))
        .expect("a conversation");
    let bob = switchboards
        .join(
            alice.conversation.clone(),
            Occupant { account: 2, credential: 0, outlet: None },
            member("bob@example.com"),
        )
        .expect("bob joins");
    (switchboards, alice, bob)
}

/// One message from one participant to the other, taken off the recipient's queue.
#[divan::bench]
fn relay_one_message(bencher: Bencher) {
    let (switchboards, alice, mut bob) = conversation();
    while bob.events.try_recv().is_ok() {}
    let payload = Bytes::from(vec![b'x'; 100]);
    bencher.bench_local(|| {
        assert!(switchboards.relay(&alice, payload.clone()));
        black_box(bob.events.try_recv().is_ok())
    });
}

/// The message-rate check every `MSG` passes (the allowance a session holds).
#[divan::bench]
fn message_rate_check(bencher: Bencher) {
    let (switchboards, _alice, _bob) = conversation();
    let bucket = switchboards.message_bucket(black_box(1));
    bencher.bench_local(|| bucket.lock().map(|mut bucket| bucket.take()).unwrap_or(false));
}

/// PINGS `PNG` commands written at once to a Notification Server session,
/// all `QNG`s read back: the session loop's cost per command and per batch.
#[divan::bench(args = [1, 10, 100])]
fn ns_ping_batch(bencher: Bencher, pings: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let ctx = runtime.block_on(Context::detached(Config {
        database: "sqlite:file:msnpd-bench?mode=memory&cache=shared".into(),
        ns_command_burst: 1e12,
        ns_command_rate: 1e12,
        ..Config::default()
    }));
    let ctx: Arc<Context> = ctx.expect("an in-memory service");
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let _session = runtime.spawn(msnpd::ns::serve_transport(ctx, Box::new(server), peer));
    let batch = b"PNG\r\n".repeat(pings);
    let mut answers = vec![0; 64 * 1024];
    bencher.counter(divan::counter::ItemsCount::new(pings)).bench_local(|| {
        runtime.block_on(async {
            client.write_all(&batch).await.expect("write");
            let mut lines = 0;
            while lines < pings {
                let read = client.read(&mut answers).await.expect("read");
                assert!(read > 0, "the session ended");
                lines += answers[..read].iter().filter(|&&byte| byte == b'\n').count();
            }
        })
    });
}
