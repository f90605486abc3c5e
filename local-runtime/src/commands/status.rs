//! `scalelite status`: the pool at a glance, as a table or JSON. The table keeps upstream's columns in their
//! order, then the server id (hosts alone do not tell servers on one host apart).

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, Table};
use scalelite_functions::Ctx;
use scalelite_shared::model::Server;
use serde_json::json;

fn host(server: &Server) -> &str {
    server.host()
}

pub async fn run(ctx: &Ctx, as_json: bool) -> anyhow::Result<()> {
    let mut servers = ctx.servers.servers().await?;
    if servers.is_empty() {
        eprintln!("No servers are configured (in {}).", ctx.meetings_at);
    }
    servers.sort_by(|a, b| host(a).cmp(host(b)).then_with(|| a.id.cmp(&b.id)));
    if as_json {
        let rows: Vec<_> = servers
            .iter()
            .map(|s| {
                json!({
                    "id": s.id, "hostname": host(s), "state": s.state.as_str(),
                    "status": if s.online { "online" } else { "offline" },
                    "meetings": s.stats.meetings, "users": s.stats.users, "largest_meeting": s.stats.largest_meeting,
                    "videos": s.stats.videos, "load": s.load, "bbb_version": s.bbb_version, "tag": s.tag,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(NOTHING).set_header([
        "HOSTNAME",
        "STATE",
        "STATUS",
        "MEETINGS",
        "USERS",
        "LARGEST MEETING",
        "VIDEOS",
        "LOAD",
        "BBB VERSION",
        "TAG",
        "ID",
    ]);
    for s in &servers {
        table.add_row([
            host(s).to_owned(),
            s.state.as_str().to_owned(),
            (if s.online { "online" } else { "offline" }).to_owned(),
            s.stats.meetings.to_string(),
            s.stats.users.to_string(),
            s.stats.largest_meeting.to_string(),
            s.stats.videos.to_string(),
            s.load.map_or_else(|| "unavailable".to_owned(), |l| format!("{l:.1}")),
            s.bbb_version.clone().unwrap_or_default(),
            s.tag.clone().unwrap_or_default(),
            s.id.clone(),
        ]);
    }
    for column in 3..8 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{table}");
    Ok(())
}
