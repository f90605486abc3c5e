//! Slow and numerous clients against the HTTP server: headers and bodies that stall are cut off, a crowd of
//! half-open connections does not keep `/healthz` from answering, and a stop drains the requests in flight.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scalelite_functions::runtime::app::{App, Mode};
use scalelite_functions::runtime::http_server::serve_until;
use scalelite_integration_tests::Harness;

const LIMITS: &[(&str, &str)] = &[("HTTP_HEADER_TIMEOUT", "1"), ("HTTP_BODY_TIMEOUT", "1")];

/// Sends `request` raw and reads the answer until the server closes or `wait` passes.
fn exchange(port: u16, request: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_slow_clients_neither_holds_the_server_nor_healthz() {
    let harness = Harness::with_env(0, LIMITS).await;
    let port = harness.running.addr.port();
    let crowd: Vec<TcpStream> = (0..1100)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
            stream
        })
        .collect();
    let started = Instant::now();
    let health = tokio::task::spawn_blocking(move || {
        exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Duration::from_secs(3))
    })
    .await
    .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(started.elapsed() < Duration::from_secs(1), "healthz took {:?} beside the crowd", started.elapsed());

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let closed = tokio::task::spawn_blocking(move || {
        crowd
            .into_iter()
            .filter(|stream| {
                let mut stream = stream;
                stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                let mut byte = [0u8; 512];
                stream.read(&mut byte).is_ok()
            })
            .count()
    })
    .await
    .unwrap();
    assert_eq!(closed, 1100, "every half-sent request was cut off after the header timeout");
}

#[tokio::test]
async fn a_stalled_body_is_cut_off_and_a_huge_one_refused_at_once() {
    let harness = Harness::with_env(0, LIMITS).await;
    let port = harness.running.addr.port();
    let started = Instant::now();
    let stalled = tokio::task::spawn_blocking(move || {
        exchange(
            port,
            b"POST /bigbluebutton/api/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\nabc",
            Duration::from_secs(5),
        )
    })
    .await
    .unwrap();
    assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "cut off after {waited:?}");

    let started = Instant::now();
    let huge = tokio::task::spawn_blocking(move || {
        exchange(
            port,
            b"POST /bigbluebutton/api/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: 10000000000\r\n\r\nabc",
            Duration::from_secs(5),
        )
    })
    .await
    .unwrap();
    assert!(huge.starts_with("HTTP/1.1 413"), "{huge}");
    assert!(started.elapsed() < Duration::from_millis(500), "refused at once");
}

/// A stop (SIGTERM in production) lets the request in flight finish, then takes no new connection.
#[tokio::test]
async fn a_stop_drains_the_requests_in_flight() {
    let harness = Harness::start(1).await;
    harness.sim(0).set_call_delay("create", Duration::from_millis(800));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(App { ctx: harness.running.ctx.clone(), mode: Mode::All });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(listener, app, async {
        let _ = stopped.await;
    }));
    let url = harness
        .url("create", "meetingID=drain&name=Drain")
        .replace(&harness.running.base_url(), &format!("http://{addr}"));
    let in_flight = tokio::spawn({
        let client = harness.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert!(answer.contains("<returncode>SUCCESS</returncode>"), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server stops once drained").unwrap();
    assert!(TcpStream::connect(addr).is_err(), "no new connection after the stop");
}
