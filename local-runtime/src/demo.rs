//! The demo's simulated fleet: BBB servers on loopback, registered as enabled servers and polled once.

use anyhow::Context;
use bbb_simulator::Fleet;
use scalelite_functions::Ctx;
use scalelite_functions::jobs::poll;
use scalelite_shared::model::{Server, ServerState, ServerUpdate};
use scalelite_shared::store::StoreError;

/// Registers (or re-points, on a restart) the simulated servers as enabled servers.
async fn register(ctx: &Ctx, fleet: &Fleet) -> anyhow::Result<()> {
    for (index, sim) in fleet.servers.iter().enumerate() {
        let id = format!("demo-{index}");
        let mut server = Server::new(&id, sim.url(), sim.secret());
        server.state = ServerState::Enabled;
        match ctx.servers.add_server(&server).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                let update = ServerUpdate {
                    url: Some(sim.url()),
                    secret: Some(sim.secret().to_owned()),
                    state: Some(ServerState::Enabled),
                    ..ServerUpdate::default()
                };
                ctx.servers.update_server(&id, &update).await?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Starts `servers` simulated servers (none for 0), registers them and polls them once.
pub(crate) async fn start(ctx: &Ctx, servers: usize) -> anyhow::Result<Option<Fleet>> {
    if servers == 0 {
        return Ok(None);
    }
    let fleet = Fleet::start(servers).await.context("starting the simulated fleet")?;
    register(ctx, &fleet).await?;
    poll::pass(ctx).await?;
    Ok(Some(fleet))
}
