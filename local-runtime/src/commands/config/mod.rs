//! `scalelite config`: the effective settings (secrets masked), the stores they name, and every problem that can
//! be seen before `serve` starts, one line each; fails when there is any.

mod problems;
mod settings;

use comfy_table::Table;
use comfy_table::presets::NOTHING;
use scalelite_shared::config::Config;

fn table(header: [&str; 2], rows: impl IntoIterator<Item = (String, String)>) -> Table {
    let mut table = Table::new();
    table.load_preset(NOTHING).set_header(header);
    for (name, value) in rows {
        table.add_row([name, value]);
    }
    table
}

/// Where recording files are kept.
fn files_at(config: &Config) -> String {
    match (&config.recordings.s3, config.recordings.disabled) {
        (_, true) => "none (RECORDING_DISABLED)".into(),
        (Some(s3), false) => format!("the S3 bucket {}", s3.bucket),
        (None, false) => format!(
            "the directories under RECORDING_PUBLISH_DIR ({}) and RECORDING_UNPUBLISH_DIR",
            config.recordings.publish_dir.display()
        ),
    }
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let rows = settings::rows(&config).into_iter().map(|(name, value)| (name.to_owned(), value));
    println!("{}", table(["SETTING", "VALUE"], rows));

    let mut problems: Vec<String> = problems::secret(&config).into_iter().collect();
    let ctx = problems::stores(&config, &mut problems).await;
    let mut stores = vec![
        ("servers, meetings, tenants".to_owned(), scalelite_infra::meetings_at(&config)),
        ("recordings index".to_owned(), scalelite_infra::recordings_at(&config)),
        ("recording files".to_owned(), files_at(&config)),
    ];
    let listed = match &ctx {
        Some(ctx) => ctx.servers.servers().await.ok(),
        None => None,
    };
    if let Some(servers) = listed {
        let online = servers.iter().filter(|s| s.online).count();
        stores.push(("BBB servers".to_owned(), format!("{} ({online} online)", servers.len())));
    }
    println!("\n{}\n", table(["STORE", "WHERE"], stores));
    problems.extend(problems::directories(&config));

    for problem in &problems {
        println!("problem: {problem}");
    }
    match problems.len() {
        0 => {
            println!("No problems found.");
            Ok(())
        }
        1 => anyhow::bail!("1 problem found"),
        n => anyhow::bail!("{n} problems found"),
    }
}
