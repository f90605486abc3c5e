//! A service that is down, then comes back: a port that refuses connections until [`Outage::end`] starts
//! forwarding it to the real server.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A loopback port standing in for a server during an outage.
pub struct Outage {
    pub port: u16,
    target: SocketAddr,
    forwarder: Option<JoinHandle<()>>,
}

impl Outage {
    /// A free port that nothing listens on yet; `target` is the real server it forwards to once back.
    pub fn new(target: SocketAddr) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { port, target, forwarder: None }
    }

    /// The service is back: the port forwards every connection to the real server.
    pub async fn end(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("the outage port");
        let target = self.target;
        self.forwarder = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        if let Some(forwarder) = self.forwarder.take() {
            forwarder.abort();
        }
    }
}
