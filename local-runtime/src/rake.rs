//! Upstream's rake task names as `scalelite` commands, so scripts written for Scalelite keep working:
//! `scalelite 'servers:add[URL,SECRET,LOAD_MULTIPLIER,TAG]'` runs `scalelite servers add URL SECRET ...`,
//! with the arguments in brackets as rake takes them (comma separated, empty or trailing ones omitted).

/// A rake task's name and its bracketed arguments (`None` when it had no brackets).
fn split_task(task: &str) -> (&str, Option<Vec<&str>>) {
    match task.split_once('[') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(']').unwrap_or(rest).split(',').collect())),
        None => (task, None),
    }
}

/// Whether a rake argument says true, as upstream reads it.
fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim(), "true" | "yes" | "1"))
}

/// The `scalelite` arguments a rake task stands for; `None` when `task` is no rake task (left as it is).
fn translate(task: &str) -> Option<Vec<String>> {
    let (name, args) = split_task(task);
    let args = args.unwrap_or_default();
    let arg = |i: usize| args.get(i).copied().filter(|a| !a.is_empty());
    let mut out: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| out.extend(items.iter().map(|s| (*s).to_owned()));
    match name {
        "servers:add" => {
            push(&["servers", "add", arg(0)?, args.get(1).copied().unwrap_or("")]);
            if let Some(multiplier) = arg(2) {
                push(&["--load-multiplier", multiplier]);
            }
            if let Some(tag) = arg(3) {
                push(&["--tag", tag]);
            }
        }
        "servers:update" => {
            push(&["servers", "update", arg(0)?]);
            if let Some(secret) = arg(1) {
                push(&["--secret", secret]);
            }
            if let Some(multiplier) = arg(2) {
                push(&["--rake-load-multiplier", multiplier]);
            }
            // Present but empty untags; absent leaves the tag alone.
            if let Some(tag) = args.get(3) {
                push(&["--tag", tag]);
            }
        }
        "servers:remove" => push(&["servers", "remove", arg(0)?]),
        "servers:enable" => push(&["servers", "enable", arg(0)?]),
        "servers:cordon" => push(&["servers", "cordon", arg(0)?]),
        "servers:disable" => push(&["servers", "disable", arg(0)?]),
        "servers:panic" => {
            push(&["servers", "panic", arg(0)?]);
            if truthy(arg(1)) {
                push(&["--keep-state"]);
            }
            if truthy(arg(2)) {
                push(&["--skip-end-calls"]);
            }
        }
        "servers:loadMultiplier" => push(&["servers", "update", arg(0)?, "--load-multiplier", arg(1)?]),
        "servers:tag" => push(&["servers", "update", arg(0)?, "--tag", args.get(1).copied().unwrap_or("")]),
        "servers:sync" => {
            push(&["servers", "sync", arg(0)?]);
            if let Some(mode) = arg(1) {
                push(&["--mode", mode]);
            }
            if truthy(arg(2)) {
                push(&["--dry-run"]);
            }
        }
        "servers:yaml" => {
            push(&["servers", "yaml"]);
            if truthy(arg(0)) {
                push(&["--verbose"]);
            }
        }
        "poll:all" | "poll:servers" | "poll:meetings" | "poll:versions" => push(&["poll"]),
        "meetings:list" => push(&["meetings"]),
        "meetings:end" => {
            push(&["meetings", "end"]);
            out.extend(arg(0)?.split(':').filter(|id| !id.is_empty()).map(str::to_owned));
        }
        "tenants:add" | "tenants:update" | "tenants:update_lrs_basic" | "tenants:update_lrs_kc" | "tenants:remove" => {
            // Upstream's own answers, even to missing arguments.
            let task = name.trim_start_matches("tenants:").replace('_', "-");
            push(&["tenant-task", &task]);
            push(&args);
        }
        "tenantSettings" => push(&["tenant-settings"]),
        "tenantSettings:add" => {
            push(&["tenant-settings", "add", arg(0)?, arg(1)?, args.get(2).copied().unwrap_or("")]);
            if truthy(arg(3)) {
                push(&["--override"]);
            }
        }
        "tenantSettings:remove" => push(&["tenant-settings", "remove", arg(0)?]),
        _ => return None,
    }
    Some(out)
}

/// The process arguments with a leading rake task replaced by the `scalelite` command it stands for.
pub fn arguments(mut args: Vec<String>) -> Vec<String> {
    if let Some(command) = args.get(1).and_then(|task| translate(task)) {
        args.splice(1..2, command);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(task: &str) -> Vec<String> {
        arguments(vec!["scalelite".into(), task.into()]).split_off(1)
    }

    #[test]
    fn server_tasks() {
        assert_eq!(
            run("servers:add[https://b/bigbluebutton/api,s3cret,2,gpu]"),
            ["servers", "add", "https://b/bigbluebutton/api", "s3cret", "--load-multiplier", "2", "--tag", "gpu"]
        );
        assert_eq!(run("servers:add[https://b/api,s]"), ["servers", "add", "https://b/api", "s"]);
        assert_eq!(
            run("servers:update[id1,,3,]"),
            ["servers", "update", "id1", "--rake-load-multiplier", "3", "--tag", ""]
        );
        assert_eq!(run("servers:update[id1,new]"), ["servers", "update", "id1", "--secret", "new"]);
        assert_eq!(run("servers:panic[id1,true]"), ["servers", "panic", "id1", "--keep-state"]);
        assert_eq!(run("servers:panic[id1,false,true]"), ["servers", "panic", "id1", "--skip-end-calls"]);
        assert_eq!(run("servers:loadMultiplier[id1,1.5]"), ["servers", "update", "id1", "--load-multiplier", "1.5"]);
        assert_eq!(run("servers:sync[-,force,true]"), ["servers", "sync", "-", "--mode", "force", "--dry-run"]);
        assert_eq!(run("poll:all"), ["poll"]);
        assert_eq!(run("meetings:end[a:b]"), ["meetings", "end", "a", "b"]);
        assert_eq!(
            run("tenants:update_lrs_basic[t1,https://lrs,u,p]"),
            ["tenant-task", "update-lrs-basic", "t1", "https://lrs", "u", "p"]
        );
        assert_eq!(
            run("tenants:update_lrs_kc[t1,https://lrs,https://kc/token,id,cs,ku,kp]"),
            ["tenant-task", "update-lrs-kc", "t1", "https://lrs", "https://kc/token", "id", "cs", "ku", "kp"]
        );
        assert_eq!(run("tenants:add[school]"), ["tenant-task", "add", "school"], "upstream answers a missing part");
        assert_eq!(run("tenants:remove[t1]"), ["tenant-task", "remove", "t1"]);
        assert_eq!(
            run("tenantSettings:add[t1,record,false,true]"),
            ["tenant-settings", "add", "t1", "record", "false", "--override"]
        );
    }

    #[test]
    fn other_words_are_left_alone() {
        assert_eq!(run("servers"), ["servers"]);
        assert_eq!(run("status"), ["status"]);
        assert_eq!(run("servers:enable"), ["servers:enable"], "a task without its argument is left to clap's error");
    }
}
