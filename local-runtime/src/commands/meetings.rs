//! `scalelite meetings`: the meetings the balancer has placed, and ending one.

use anyhow::{Context, bail};
use scalelite_functions::Ctx;
use scalelite_functions::jobs::end_meetings::end_meetings;

use super::confirm;

/// Lists every placed meeting with its server.
pub async fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let mut listed = 0;
    for server in ctx.servers.servers().await? {
        for meeting in ctx.meetings.meetings_on(&server.id, ctx.meetings.now_ms().await?).await? {
            println!("{}\tserver: {}\t{}", meeting.id, server.id, server.url);
            listed += 1;
        }
    }
    if listed == 0 {
        println!("No meetings are placed (in {}).", ctx.meetings_at);
    }
    Ok(())
}

/// Forgets a meeting and ends it on its server (asks first, unless `yes`).
pub async fn end(ctx: &Ctx, ids: &[String], yes: bool) -> anyhow::Result<()> {
    let mut meetings = Vec::new();
    for id in ids {
        meetings.push(
            ctx.meetings
                .meeting(id, ctx.meetings.now_ms().await?)
                .await?
                .with_context(|| format!("no meeting with id {id}"))?,
        );
    }
    if !confirm(&format!("End {}?", ids.join(", ")), yes) {
        bail!("not ended");
    }
    for meeting in meetings {
        let id = &meeting.id;
        ctx.meetings.delete_meeting(id, &ctx.config.load, ctx.meetings.now_ms().await?).await?;
        match ctx.servers.server(&meeting.server_id).await? {
            Some(server) if end_meetings(ctx, &server, std::slice::from_ref(&meeting)).await => println!("OK"),
            Some(_) => bail!("meeting {id} is no longer tracked, but its server did not confirm the end"),
            None => println!("OK (its server is gone)"),
        }
    }
    Ok(())
}
