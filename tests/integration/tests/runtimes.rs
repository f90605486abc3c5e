//! The same handlers behind the hyper adapter, a single-function deployment and a Lambda HTTP-API v2 event.

use std::sync::Arc;

use scalelite_functions::registry;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_functions::runtime::http_server;
use scalelite_functions::runtime::lambda;
use scalelite_integration_tests::Harness;
use serde_json::json;

fn http_api_event(method: &str, path: &str, raw_query: &str) -> String {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {"host": "lb.example.org"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "lb.example.org",
            "domainPrefix": "lb",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0
        },
        "isBase64Encoded": false
    })
    .to_string()
}

#[tokio::test]
async fn lambda_http_api_events_get_the_same_answers_as_http() {
    let harness = Harness::start(2).await;
    harness.create("lm").await;
    let app = App { ctx: harness.running.ctx.clone(), mode: Mode::All };
    let calls = [
        ("join", "fullName=Ann%20Lee&meetingID=lm&role=MODERATOR"),
        ("getMeetingInfo", "meetingID=lm"),
        ("isMeetingRunning", "meetingID=missing"),
        ("getMeetings", ""),
    ];
    for (call, query) in calls {
        let url = harness.url(call, query);
        let raw_query = url.split_once('?').unwrap().1;
        let over_http = harness.get_url(&url).await;

        let event = http_api_event("GET", &format!("/bigbluebutton/api/{call}"), raw_query);
        let request = lambda_http::request::from_str(&event).expect("a valid HTTP API event");
        let answer = lambda::answer(&app, request).await;
        let body = String::from_utf8_lossy(answer.body().as_ref()).into_owned();
        assert_eq!(answer.status(), over_http.status, "{call}");
        assert_eq!(body, over_http.body, "{call}");
        assert_eq!(
            answer.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned),
            over_http.location(),
            "{call}"
        );
        assert!(over_http.returncode().is_some() || over_http.location().is_some());
    }
    let bad =
        http_api_event("GET", "/bigbluebutton/api/getMeetings", "checksum=0000000000000000000000000000000000000000");
    let answer = app.handle(lambda::from_lambda(lambda_http::request::from_str(&bad).unwrap())).await;
    assert!(String::from_utf8_lossy(&answer.body).contains("checksumError"));
}

/// REST API (payload 1.0) and ALB events re-encode the query, so no checksum could pass: they get a clear
/// error naming the front doors that work, not a bare 502.
#[tokio::test]
async fn rest_api_and_alb_events_get_a_clear_refusal() {
    let harness = Harness::start(1).await;
    let app = App { ctx: harness.running.ctx.clone(), mode: Mode::All };
    let rest = json!({
        "resource": "/{proxy+}",
        "path": "/bigbluebutton/api/getMeetings",
        "httpMethod": "GET",
        "headers": {"Host": "lb.example.org"},
        "multiValueHeaders": {"Host": ["lb.example.org"]},
        "queryStringParameters": {"checksum": "abc"},
        "multiValueQueryStringParameters": {"checksum": ["abc"]},
        "pathParameters": {"proxy": "bigbluebutton/api/getMeetings"},
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "r", "stage": "prod", "requestId": "q",
            "identity": {"sourceIp": "127.0.0.1"}, "resourcePath": "/{proxy+}", "httpMethod": "GET", "apiId": "api",
            "path": "/prod/bigbluebutton/api/getMeetings"
        },
        "body": null,
        "isBase64Encoded": false
    });
    let alb = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:region:123456789012:targetgroup/tg/1"}},
        "httpMethod": "GET",
        "path": "/bigbluebutton/api/getMeetings",
        "queryStringParameters": {"checksum": "abc"},
        "headers": {"host": "lb.example.org"},
        "body": "",
        "isBase64Encoded": false
    });
    for (event, door) in [(rest, "API Gateway REST API"), (alb, "Application Load Balancer")] {
        let request = lambda_http::request::from_str(&event.to_string()).expect("a valid event");
        let answer = lambda::answer(&app, request).await;
        let body = String::from_utf8_lossy(answer.body().as_ref()).into_owned();
        assert_eq!(answer.status(), 200, "{door}");
        assert!(body.contains("<messageKey>internalError</messageKey>") && body.contains(door), "{door}: {body}");
        assert!(body.contains("payload 2.0"), "{body}");
    }
}

#[tokio::test]
async fn a_single_function_deployment_serves_any_path() {
    let harness = Harness::start(1).await;
    harness.create("one").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(App { ctx: harness.running.ctx.clone(), mode: Mode::One(registry::find("join").unwrap()) });
    let server = tokio::spawn(http_server::serve(listener, app));

    let signed = harness.url("join", "meetingID=one&fullName=x&role=VIEWER");
    let query = signed.split_once('?').unwrap().1;
    let answer = harness.get_url(&format!("http://{addr}/function/join?{query}")).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert!(answer.location().unwrap().starts_with(&harness.sim(0).url()));
    let probe = harness.get_url(&format!("http://{addr}/_/health")).await;
    assert_eq!((probe.status.as_u16(), probe.body.as_str()), (200, "OK"));
    let post = harness.fetch(harness.client.post(format!("http://{addr}/?{query}"))).await;
    assert_eq!(post.message_key().as_deref(), Some("unsupportedRequest"));
    server.abort();
}

#[test]
fn every_function_is_reachable_by_name_and_path() {
    for function in registry::FUNCTIONS {
        assert!(std::ptr::eq(registry::find(function.name).unwrap(), function));
        for path in function.paths() {
            let owners = registry::FUNCTIONS.iter().filter(|f| f.paths().contains(&path)).count();
            assert_eq!(owners, 1, "{path} is routed once");
            if !path.ends_with('*') {
                assert!(std::ptr::eq(registry::route(&path).unwrap(), function), "{path} routes to {}", function.name);
            }
        }
    }
}
