//! `ecsdrill sandbox ...`: install, start, stop and use the local ECS sandbox.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::cli::SandboxCommand;
use crate::error::UserError;
use crate::sandbox::{DownOutcome, Sandbox, parse_image};

pub fn run(cmd: &SandboxCommand) -> Result<ExitCode> {
    let sb = Sandbox::locate()?;
    match cmd {
        SandboxCommand::Install => {
            if sb.is_installed() {
                println!("the sandbox is already installed in {}", sb.dir.display());
            } else {
                sb.install()?;
                println!("installed the sandbox in {}", sb.dir.display());
            }
        }
        SandboxCommand::Up { speed, clock, seed } => {
            if !(*speed > 0.0 && *speed <= 1000.0) {
                return Err(UserError::env("--speed must be between 0 and 1000").into());
            }
            let (info, started) = sb.up(*clock, *speed, *seed)?;
            if started {
                println!(
                    "sandbox running at {} (pid {}, moto {})",
                    info.endpoint, info.pid, info.moto_version
                );
                let restored = sb.server_status().unwrap_or_default()["restored"].clone();
                if let Some(why) = restored["discarded"].as_str() {
                    println!(
                        "the saved state was not restored ({why}): the sandbox starts empty; it is kept as {}.discarded",
                        sb.snapshot_file().display()
                    );
                } else if let Some(time) = restored["sim_time"].as_str() {
                    println!(
                        "restored what `sandbox down` saved (clusters: {}, services: {}; sandbox time {time}); `ecsdrill sandbox reset` empties it",
                        restored["clusters"], restored["services"]
                    );
                }
            } else {
                println!(
                    "sandbox already running at {} (pid {})",
                    info.endpoint, info.pid
                );
                let running_seed = sb.server_status().ok().and_then(|st| st["seed"].as_u64());
                if seed.is_some() && *seed != running_seed {
                    println!(
                        "--seed applies when the sandbox starts: `ecsdrill sandbox down`, then `up` again, to use it"
                    );
                }
            }
            println!("use it with `ecsdrill sandbox shell`, or: eval \"$(ecsdrill sandbox env)\"");
        }
        SandboxCommand::Down => match sb.down()? {
            DownOutcome::Stopped(pid) => {
                println!("stopped the sandbox (pid {pid})");
                if sb.snapshot_file().exists() {
                    println!(
                        "its state is saved in {}: `ecsdrill sandbox up` brings it back, `ecsdrill sandbox reset` forgets it",
                        sb.snapshot_file().display()
                    );
                }
            }
            DownOutcome::NotRunning => println!("the sandbox is not running"),
            DownOutcome::Stale(pid) => println!(
                "the recorded process {pid} is not the sandbox any more (it had already stopped); nothing was signalled"
            ),
        },
        SandboxCommand::Status { json } => {
            let info = sb.running();
            // What is live in the sandbox, read with ecsdrill's own AWS client.
            let clusters = match &info {
                Some(i) => Some(crate::aws::Aws::for_sandbox(&i.endpoint)?.clusters()?),
                None => None,
            };
            let seed = info
                .as_ref()
                .and_then(|_| sb.server_status().ok())
                .and_then(|st| st["seed"].as_u64());
            if *json {
                let v = json!({
                    "running": info.is_some(),
                    "endpoint": info.as_ref().map(|i| i.endpoint.clone()),
                    "pid": info.as_ref().map(|i| i.pid),
                    "moto_version": info.as_ref().map(|i| i.moto_version.clone()),
                    "seed": seed,
                    "installed": sb.is_installed(),
                    "log": sb.log_file(),
                    "clusters": clusters,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                match &info {
                    Some(i) => {
                        let seeded = seed.map(|n| format!(", seed {n}")).unwrap_or_default();
                        println!(
                            "running at {} (pid {}, moto {}, since {}{seeded})",
                            i.endpoint, i.pid, i.moto_version, i.started_at
                        );
                        for c in clusters.iter().flatten() {
                            println!(
                                "  cluster {}: {} services, {} running tasks, {} pending",
                                c.name, c.services, c.running_tasks, c.pending_tasks
                            );
                        }
                    }
                    None if sb.died() => println!(
                        "not running: it stopped unexpectedly (log: {}); `ecsdrill sandbox up` restarts it",
                        sb.log_file().display()
                    ),
                    None => println!("not running; `ecsdrill sandbox up` starts it"),
                }
            }
            return Ok(if info.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        SandboxCommand::Env => {
            let endpoint = sb.endpoint()?;
            for (k, v) in sb.env_vars(&endpoint) {
                println!("export {k}='{}'", v.replace('\'', "'\\''"));
            }
            println!("unset AWS_PROFILE AWS_SESSION_TOKEN");
        }
        SandboxCommand::Shell => {
            let endpoint = sb.endpoint()?;
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into());
            eprintln!("sandbox shell: `aws` talks to {endpoint}; type `exit` to leave");
            let status = std::process::Command::new(&shell)
                .envs(sb.env_vars(&endpoint))
                .env("ECSDRILL_SANDBOX_SHELL", "1")
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_SESSION_TOKEN")
                .status()
                .map_err(|e| UserError::env(format!("cannot start {shell}: {e}")))?;
            return Ok(ExitCode::from(
                status.code().unwrap_or(0).clamp(0, 255) as u8
            ));
        }
        SandboxCommand::Reset => {
            if sb.running().is_some() {
                sb.control("/_ecsdrill/reset", &json!({}))?;
                sb.forget_state()?;
                println!("the sandbox is empty again (default network recreated)");
            } else if sb.forget_state()? {
                println!(
                    "the sandbox is down; its saved state is deleted, so the next `ecsdrill sandbox up` starts empty"
                );
            } else {
                println!(
                    "the sandbox is down and has no saved state: the next `ecsdrill sandbox up` starts empty"
                );
            }
        }
        SandboxCommand::PushImage {
            image,
            behavior,
            exit_code,
            requires,
        } => {
            if exit_code.is_some() && behavior != "crash" {
                return Err(
                    UserError::env("--exit-code is the exit status of a crashing app")
                        .with_hint("use it with --behavior crash")
                        .into(),
                );
            }
            if let Some(name) = requires {
                if behavior != "crash" {
                    return Err(UserError::env(
                        "--requires is the setting a crashing app needs to start",
                    )
                    .with_hint("use it with --behavior crash")
                    .into());
                }
                if !crate::sandbox::is_setting_name(name) {
                    return Err(UserError::env(format!(
                        "`{name}` is not a setting name like ORDERS_DB_URL"
                    ))
                    .with_hint("use capital letters, digits and _, starting with a letter")
                    .into());
                }
            }
            let (repository, tag) = parse_image(image)?;
            let v = sb.control(
                "/_ecsdrill/images",
                &json!({"repository": repository, "tag": tag, "behavior": behavior,
                        "exit_code": exit_code, "requires": requires}),
            )?;
            let digest = v["imageDigest"].as_str().unwrap_or_default();
            if v["pushed"] == false {
                // As `docker push` of an image the registry already has: nothing to do.
                println!(
                    "{repository}:{tag} ({behavior}) is already in the sandbox's ECR as {}@{digest}; nothing pushed",
                    v["imageUri"].as_str().unwrap_or_default(),
                );
            } else {
                println!(
                    "pushed {}:{} ({behavior}) as {}@{digest}",
                    repository,
                    tag,
                    v["imageUri"].as_str().unwrap_or_default(),
                );
                if let Some(old) = v["previousDigest"].as_str() {
                    println!(
                        "the tag {tag} moved; the image it pointed at stays in the repository, pullable by digest: {repository}@{old}"
                    );
                }
            }
        }
        SandboxCommand::Load {
            cluster,
            service,
            cpu,
            memory,
            requests_per_target,
        } => {
            let mut body = json!({"cluster": cluster, "service": service});
            for (k, v) in [
                ("cpu", cpu),
                ("memory", memory),
                ("requests_per_target", requests_per_target),
            ] {
                if let Some(v) = v {
                    body[k] = json!(v);
                }
            }
            sb.control("/_ecsdrill/load", &body)?;
            println!("load set on {service} in {cluster}");
        }
        SandboxCommand::Advance { seconds } => {
            let v = sb.control("/_ecsdrill/clock", &json!({"advance": seconds}))?;
            println!(
                "sandbox time is now {}",
                v["sim_time"].as_str().unwrap_or_default()
            );
        }
        SandboxCommand::Reach { cluster, from, to } => {
            let v = sb.control_get(
                "/_ecsdrill/service-connect/reach",
                &[("cluster", cluster), ("from", from), ("to", to)],
            )?;
            let reachable = v["reachable"] == true;
            println!(
                "{from} -> {to}: {}",
                if reachable {
                    "reachable"
                } else {
                    "NOT reachable"
                }
            );
            println!("{}", v["reason"].as_str().unwrap_or_default());
            if !reachable {
                return Ok(ExitCode::from(1));
            }
        }
        SandboxCommand::Use(_) => unreachable!("`sandbox use` is dispatched to commands::lab"),
    }
    Ok(ExitCode::SUCCESS)
}
