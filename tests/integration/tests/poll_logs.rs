//! What a poll pass logs at the default level: one line a pass, and one for each server whose online state
//! changed. The line a server (`polled`) is at debug only, so a pool of 10,000 servers does not log 10,000 lines
//! a pass.

use std::io::Write;
use std::sync::{Arc, Mutex};

use scalelite_integration_tests::Harness;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was logged since the last call.
    fn take(&self) -> String {
        let mut bytes = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        String::from_utf8_lossy(&std::mem::take(&mut *bytes)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Captured {
    type Writer = Captured;

    fn make_writer(&self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_pass_logs_one_line_and_the_servers_that_changed() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::INFO)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the one subscriber of this test binary");
    let harness = Harness::start(3).await;
    captured.take();

    harness.poll().await;
    let steady = captured.take();
    assert_eq!(steady.matches("poll pass done").count(), 1, "{steady}");
    assert!(steady.contains("servers=3 online=3 unrecorded=0"), "{steady}");
    assert!(!steady.contains("polled") && !steady.contains("online state changed"), "{steady}");

    harness.sim(1).go_down().await;
    let mut passes = String::new();
    for _ in 0..3 {
        harness.poll().await;
        passes += &captured.take();
    }
    assert_eq!(passes.matches("poll pass done").count(), 3, "{passes}");
    assert_eq!(passes.matches("online state changed").count(), 1, "one server went offline once: {passes}");
    let change = passes.lines().find(|line| line.contains("online state changed")).unwrap_or_default();
    assert!(change.contains("online=false"), "{change}");
    assert!(passes.contains("servers=3 online=2"), "{passes}");
}
