//! The HTML of the status page: server-rendered, no JavaScript, a little inline CSS. Every value taken from
//! the store is escaped; secrets are never read.

use std::fmt::Write;

use scalelite_shared::balance::tenant::TenantUsage;
use scalelite_shared::model::{Server, ServerState, Tenant};

/// `text` with the HTML metacharacters written as entities, safe in element text and in quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Each load bar's width in percent of the most loaded server's: 100 for the most loaded, 0 for a server with
/// no measured load, and 0 for all when no server carries any load.
pub(crate) fn bar_widths(loads: &[Option<f64>]) -> Vec<f64> {
    let usable = |load: &Option<f64>| load.filter(|l| l.is_finite() && *l > 0.0);
    let max = loads.iter().filter_map(usable).fold(0.0_f64, f64::max);
    loads
        .iter()
        .map(|load| match usable(load) {
            Some(load) if max > 0.0 => (load / max * 100.0).clamp(0.0, 100.0),
            _ => 0.0,
        })
        .collect()
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}\
header{background:#1d2733;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px;font-weight:600}\
main{padding:20px 28px}\
.totals{display:flex;gap:16px;margin-bottom:20px}\
.total{background:#fff;border-radius:8px;padding:12px 18px;min-width:150px;box-shadow:0 1px 2px rgba(0,0,0,.08)}\
.total .n{font-size:26px;font-weight:600}.total .l{font-size:12px;color:#5b6875;text-transform:uppercase;letter-spacing:.04em}\
table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.08)}\
th,td{padding:9px 10px;text-align:left;font-size:14px;border-bottom:1px solid #e6e9ed;vertical-align:middle}\
th{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#5b6875;background:#fafbfc}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
.id{font-weight:600;word-break:break-all}.host{font-size:12px;color:#5b6875;word-break:break-all}.split{font-size:12px;color:#b4530a;word-break:break-all}\
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}\
.enabled{background:#dff5e3;color:#1a7f37}.cordoned{background:#fff4d6;color:#9a6700}.disabled{background:#eceef0;color:#57606a}\
.online{color:#1a7f37}.offline{color:#cf222e;font-weight:600}\
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:currentColor}\
tr.down td{background:#fff6f6}\
.load,.online,.offline{white-space:nowrap}.load{min-width:190px}.bar{background:#e6e9ed;border-radius:4px;height:10px;width:130px;display:inline-block;\
vertical-align:middle;margin-right:8px;overflow:hidden}.fill{display:block;background:#2f81f7;height:100%}\
.empty{padding:28px;text-align:center;color:#5b6875}\
.limits{font-size:12px;color:#5b6875}h2{font-size:16px;margin:24px 0 10px}";

/// `count`, out of `max` where there is a limit (`3 / 5`).
fn of_limit(count: u64, max: Option<u64>) -> String {
    max.map_or_else(|| count.to_string(), |max| format!("{count} / {max}"))
}

/// A server's limits as a line under its host; nothing without one.
fn server_limits(server: &Server) -> String {
    let limits: Vec<String> = [(server.max_meetings, "meetings"), (server.max_participants, "participants")]
        .into_iter()
        .filter_map(|(max, what)| max.map(|max| format!("{max} {what}")))
        .collect();
    if limits.is_empty() { String::new() } else { format!("<div class=\"limits\">at most {}</div>", limits.join(", ")) }
}

fn state_badge(state: ServerState) -> String {
    let name = state.as_str();
    format!("<span class=\"badge {name}\">{name}</span>")
}

fn row(out: &mut String, server: &Server, width: f64) {
    let (status, class) = if server.online { ("online", "") } else { ("offline", " class=\"down\"") };
    let load = server.load.map_or_else(|| "unavailable".to_owned(), |l| format!("{l:.1}"));
    let stats = &server.stats;
    let split = if server.split_meetings.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = server.split_meetings.iter().map(|id| escape(id)).collect();
        format!("<div class=\"split\">split: {}</div>", ids.join(", "))
    };
    let _ = write!(
        out,
        "<tr{class}><td><div class=\"id\">{id}</div><div class=\"host\">{host}</div>{limits}{split}</td>\
         <td>{state}</td><td class=\"{status}\"><span class=\"dot\"></span>{status}</td>\
         <td class=\"num\">{meetings}</td><td class=\"num\">{users}</td><td class=\"num\">{largest}</td>\
         <td class=\"num\">{videos}</td>\
         <td class=\"load\"><span class=\"bar\"><span class=\"fill\" style=\"width:{width:.1}%\"></span></span>{load}</td>\
         <td class=\"num\">{multiplier}</td><td>{version}</td><td>{tag}</td></tr>",
        id = escape(&server.id),
        host = escape(server.host()),
        limits = server_limits(server),
        state = state_badge(server.state),
        meetings = stats.meetings,
        users = stats.users,
        largest = stats.largest_meeting,
        videos = stats.videos,
        multiplier = escape(&server.load_multiplier_text()),
        version = escape(server.bbb_version.as_deref().unwrap_or("")),
        tag = escape(server.tag.as_deref().unwrap_or("")),
    );
}

fn total(out: &mut String, figure: &str, label: &str) {
    let _ = write!(out, "<div class=\"total\"><div class=\"n\">{figure}</div><div class=\"l\">{label}</div></div>");
}

/// The tenants' table: each tenant's meetings and participants, out of its limits.
fn tenants_table(out: &mut String, tenants: &[(Tenant, TenantUsage)]) {
    out.push_str(
        "<h2>Tenants</h2><table><thead><tr><th>Tenant</th><th class=\"num\">Meetings</th>\
         <th class=\"num\">Participants</th></tr></thead><tbody>",
    );
    for (tenant, usage) in tenants {
        let _ = write!(
            out,
            "<tr><td class=\"id\">{name}</td><td class=\"num\">{meetings}</td><td class=\"num\">{users}</td></tr>",
            name = escape(&tenant.name),
            meetings = of_limit(usage.meetings, tenant.max_meetings),
            users = of_limit(usage.participants, tenant.max_participants),
        );
    }
    out.push_str("</tbody></table>");
}

/// The whole page over `servers`, in the order given, then `tenants` (when given).
pub(crate) fn render(servers: &[Server], tenants: &[(Tenant, TenantUsage)]) -> String {
    let online = servers.iter().filter(|s| s.online).count();
    let meetings: u64 = servers.iter().map(|s| s.stats.meetings).sum();
    let users: u64 = servers.iter().map(|s| s.stats.users).sum();
    let videos: u64 = servers.iter().map(|s| s.stats.videos).sum();
    let mut out = String::with_capacity(4096 + servers.len() * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Scalelite status</title><style>{STYLE}</style></head>\
         <body><header><h1>Scalelite status</h1></header><main><section class=\"totals\">"
    );
    total(&mut out, &format!("{online}/{}", servers.len()), "servers online");
    total(&mut out, &meetings.to_string(), "meetings");
    total(&mut out, &users.to_string(), "participants");
    total(&mut out, &videos.to_string(), "videos");
    out.push_str(
        "</section><table><thead><tr><th>Server</th><th>State</th><th>Status</th><th class=\"num\">Meetings</th>\
         <th class=\"num\">Users</th><th class=\"num\">Largest meeting</th><th class=\"num\">Videos</th>\
         <th>Load</th><th class=\"num\">Multiplier</th><th>BBB version</th><th>Tag</th></tr></thead><tbody>",
    );
    if servers.is_empty() {
        out.push_str("<tr><td class=\"empty\" colspan=\"11\">No servers are configured.</td></tr>");
    }
    let widths = bar_widths(&servers.iter().map(|s| s.load).collect::<Vec<_>>());
    for (server, width) in servers.iter().zip(widths) {
        row(&mut out, server, width);
    }
    out.push_str("</tbody></table>");
    if !tenants.is_empty() {
        tenants_table(&mut out, tenants);
    }
    out.push_str("</main></body></html>");
    out
}

/// The page a request without the checksum or token gets (401).
pub(crate) const UNAUTHORIZED: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>Unauthorized</title></head><body><h1>Unauthorized</h1><p>The status page needs the admin checksum \
    (call name <code>status</code>) or <code>?token=</code> with the configured <code>STATUS_PAGE_TOKEN</code>.</p>\
    </body></html>";

#[cfg(test)]
mod tests {
    use scalelite_shared::model::ServerStats;

    use super::*;

    #[test]
    fn escapes_every_metacharacter() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("plain bbb-1.example.org"), "plain bbb-1.example.org");
        assert_eq!(escape("&amp;"), "&amp;amp;", "entities are escaped again, not trusted");
    }

    #[test]
    fn bars_are_relative_to_the_most_loaded_server() {
        assert_eq!(bar_widths(&[Some(10.0), Some(5.0), Some(0.0), None]), [100.0, 50.0, 0.0, 0.0]);
        assert_eq!(bar_widths(&[Some(3.0), Some(12.0)]), [25.0, 100.0]);
        assert_eq!(bar_widths(&[Some(0.0), None]), [0.0, 0.0], "no load anywhere: no bars, no division by zero");
        assert_eq!(bar_widths(&[Some(f64::NAN), Some(-2.0), Some(f64::INFINITY), Some(4.0)]), [0.0, 0.0, 0.0, 100.0]);
        assert!(bar_widths(&[]).is_empty());
    }

    fn server(id: &str, url: &str, tag: &str) -> Server {
        let mut server = Server::new(id, url, "very-secret");
        server.tag = Some(tag.to_owned());
        server.online = true;
        server.state = ServerState::Enabled;
        server.load = Some(8.0);
        server.stats = ServerStats { meetings: 2, users: 8, largest_meeting: 5, videos: 1 };
        server
    }

    #[test]
    fn the_page_escapes_store_values_and_never_shows_secrets() {
        let hostile = server("<script>alert(1)</script>", "http://a\"b<c>&d/bigbluebutton/api", "x'\"<>&");
        let mut quiet = server("bbb2", "https://bbb2.example.org/bigbluebutton/api", "");
        quiet.online = false;
        quiet.state = ServerState::Cordoned;
        quiet.load = Some(2.0);
        let page = render(&[hostile, quiet], &[]);
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("a&quot;b&lt;c&gt;&amp;d"));
        assert!(page.contains("x&#39;&quot;&lt;&gt;&amp;"));
        assert!(!page.contains("<script"));
        assert!(!page.contains("very-secret"));
        assert!(page.contains("width:100.0%") && page.contains("width:25.0%"));
        assert!(page.contains("<div class=\"n\">1/2</div>"), "one of two servers online");
        assert!(page.contains("<div class=\"n\">16</div>"), "participants summed");
        assert!(page.contains("cordoned") && page.contains("offline"));
    }

    #[test]
    fn limits_show_with_what_holds_them() {
        let mut limited = server("bbb1", "https://bbb1.example.org/bigbluebutton/api", "");
        limited.max_meetings = Some(4);
        let tenant = Tenant { max_participants: Some(50), ..Tenant::new("t1", "<school>", vec!["s".into()]) };
        let page = render(&[limited], &[(tenant, TenantUsage { meetings: 3, participants: 12 })]);
        assert!(page.contains("<div class=\"limits\">at most 4 meetings</div>"), "{page}");
        assert!(page.contains("&lt;school&gt;") && page.contains(">3<") && page.contains(">12 / 50<"), "{page}");
    }

    #[test]
    fn an_empty_pool_says_so() {
        let page = render(&[], &[]);
        assert!(page.contains("0/0") && page.contains("No servers are configured."));
        assert!(!page.contains("Tenants"), "no tenant table without limits");
    }
}
