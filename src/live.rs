//! The live target labs and drills work on: a connection to the local sandbox or an AWS
//! account with the values of `${account}` and `${region}`, the rule that setup and cleanup
//! write only where they may, and the cleanup of what setups created (only what still
//! carries the tag). Shared by `lab` and `drill`; the commands render what it returns.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::aws::setup::Deleted;
use crate::aws::{Aws, Target};
use crate::error::UserError;
use crate::lab::Vars;
use crate::sandbox::Sandbox;
use crate::store::Store;

/// Seconds this machine's clock may be ahead of AWS's: a lab's start in an account is taken
/// this much earlier, so that nothing the learner starts right away counts as before it.
const CLOCK_SKEW_S: f64 = 5.0;

/// A connection to the target, with the values of `${account}` and `${region}`.
pub struct Conn {
    pub aws: Aws,
    pub sandbox: Option<Sandbox>,
    pub vars: Vars,
}

pub fn connect(target: &Target) -> Result<Conn> {
    match target {
        Target::Local => {
            let sb = Sandbox::locate()?;
            let endpoint = sb.endpoint()?;
            Ok(Conn {
                aws: Aws::for_sandbox(&endpoint)?,
                sandbox: Some(sb),
                vars: Vars {
                    account: crate::sandbox::ACCOUNT.into(),
                    region: crate::sandbox::REGION.into(),
                    lab_started: 0.0,
                    workspace: String::new(),
                    private_subnets: vec![],
                    drawn: BTreeMap::new(),
                },
            })
        }
        Target::Aws { region, .. } => {
            let aws = Aws::for_account(target)?;
            let account = aws.caller_account().map_err(|f| aws.explain(f))?;
            Ok(Conn {
                aws,
                sandbox: None,
                vars: Vars {
                    account,
                    region: region.clone(),
                    lab_started: 0.0,
                    workspace: String::new(),
                    private_subnets: vec![],
                    drawn: BTreeMap::new(),
                },
            })
        }
    }
}

impl Conn {
    /// The subnets tasks belong in: the sandbox's private subnets (no route to the internet
    /// gateway), or the subnets given with `sandbox use aws --subnet`.
    pub fn private_subnets(&self, target: &Target) -> Result<Vec<String>> {
        match (target, &self.sandbox) {
            (Target::Local, Some(sb)) => {
                let endpoint = sb.endpoint()?;
                let (_, text) =
                    crate::sandbox::request(&endpoint, "GET", "/_ecsdrill/network", None)?;
                let v: serde_json::Value = serde_json::from_str(&text)?;
                Ok(v["private_subnets"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default())
            }
            (Target::Aws { subnets, .. }, _) if !subnets.is_empty() => Ok(subnets.clone()),
            (Target::Aws { .. }, _) => Err(UserError::env(
                "this lab checks that tasks run in your private subnets, and ecsdrill does not know them",
            )
            .with_hint(
                "give them once: `ecsdrill sandbox use aws ... --subnet subnet-aaa --subnet subnet-bbb`",
            )
            .into()),
            _ => Ok(vec![]),
        }
    }

    /// Now in the target's clock, in epoch seconds: the sandbox's simulated time (which ECS
    /// timestamps there follow), or this machine's, a little early, for an AWS account.
    pub fn now(&self) -> Result<f64> {
        match &self.sandbox {
            Some(sb) => {
                let status = sb.status()?;
                status["sim_time"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis() as f64 / 1000.0)
                    .ok_or_else(|| {
                        UserError::env("the sandbox did not say its time")
                            .with_hint(
                                "restart it: `ecsdrill sandbox down`, then `ecsdrill sandbox up`",
                            )
                            .into()
                    })
            }
            None => Ok(std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
                - CLOCK_SKEW_S),
        }
    }
}

/// Setup and cleanup write only in the local sandbox or the allow-listed account.
pub fn may_write(conn: &Conn, target: &Target) -> Result<()> {
    if let Target::Aws { account, .. } = target
        && &conn.vars.account != account
    {
        return Err(UserError::env(format!(
                "refusing to write: these credentials are for account {}, not the allow-listed {account}",
                conn.vars.account
            ))
            .with_hint("use the profile of your sandbox account, or `ecsdrill sandbox use aws ... --account ID` with its id")
            .into());
    }
    Ok(())
}

/// Deletes what setups recorded for `lab` (every lab and drill when `None`) in this target,
/// newest record last as they were made; forgets each resource that is deleted, gone or no
/// longer tagged. Returns (what, lab id, result) per resource.
pub fn cleanup(
    store: &Store,
    target: &Target,
    conn: &Conn,
    lab: Option<&str>,
) -> Result<Vec<(String, String, Deleted)>> {
    let mut done = Vec::new();
    for r in store.lab_resources(&target.key(), lab)? {
        let created = crate::aws::setup::Created {
            kind: r.kind,
            name: r.name.clone(),
        };
        let result = conn.aws.delete(&r.lab, &created)?;
        if !matches!(result, Deleted::Failed(_)) {
            store.forget_lab_resource(r.id)?;
        }
        done.push((format!("{} {}", r.kind, r.name), r.lab.clone(), result));
    }
    Ok(done)
}

/// A lab's reads: those ecsdrill makes itself (`ecsdrill:*`: the workflow file of the lab's
/// repository, the last replay, a trust policy probed with GitHub tokens) on this machine,
/// the others through `aws`, a wave at a time.
pub struct LabReader<'a> {
    pub aws: &'a crate::aws::Aws,
    /// The lab's repository directory.
    pub workspace: std::path::PathBuf,
    /// The record of the attempt's last `lab replay`.
    pub run: Option<serde_json::Value>,
}

impl crate::lab::plan::Reader for LabReader<'_> {
    fn read_wave(
        &self,
        calls: &[crate::lab::plan::ReadCall],
    ) -> Vec<Result<serde_json::Value, crate::error::Failure>> {
        let remote: Vec<crate::lab::plan::ReadCall> = calls
            .iter()
            .filter(|c| !c.action.is_local())
            .cloned()
            .collect();
        let mut answers = if remote.is_empty() {
            Vec::new()
        } else {
            self.aws.read_wave(&remote)
        }
        .into_iter();
        calls
            .iter()
            .map(|c| {
                if c.action.is_local() {
                    crate::workflow::reads::local_read(c, &self.workspace, self.run.as_ref())
                } else {
                    answers.next().unwrap_or_else(|| {
                        Err(crate::error::Failure::Other("a read got no answer".into()))
                    })
                }
            })
            .collect()
    }
}
