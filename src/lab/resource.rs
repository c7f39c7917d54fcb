//! The kinds of resource a lab's setup creates and `lab cleanup` deletes. The database keeps
//! them as text (`lab_resource.kind`); those names never change, so databases written by any
//! earlier build still clean up.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// An ECR repository (made when the sandbox stands in for a first `docker push`).
    Repository,
    Cluster,
    LogGroup,
    Role,
    /// An SSM parameter.
    Parameter,
    /// One revision, named by its ARN.
    TaskDefinition,
    /// Named `cluster/service`.
    Service,
    /// An Application Load Balancer, with its listeners and the target group made with it.
    LoadBalancer,
    /// An ELB target group.
    TargetGroup,
}

impl ResourceKind {
    pub const ALL: &[ResourceKind] = &[
        ResourceKind::Repository,
        ResourceKind::Cluster,
        ResourceKind::LogGroup,
        ResourceKind::Role,
        ResourceKind::Parameter,
        ResourceKind::TaskDefinition,
        ResourceKind::Service,
        ResourceKind::LoadBalancer,
        ResourceKind::TargetGroup,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Repository => "repository",
            ResourceKind::Cluster => "cluster",
            ResourceKind::LogGroup => "log_group",
            ResourceKind::Role => "role",
            ResourceKind::Parameter => "parameter",
            ResourceKind::TaskDefinition => "task_definition",
            ResourceKind::Service => "service",
            ResourceKind::LoadBalancer => "load_balancer",
            ResourceKind::TargetGroup => "target_group",
        }
    }
}

/// In words, for messages: "task definition".
impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

impl FromStr for ResourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ResourceKind, String> {
        ResourceKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown resource kind `{s}`"))
    }
}

impl ToSql for ResourceKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ResourceKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<ResourceKind> {
        value
            .as_str()?
            .parse()
            .map_err(|e: String| FromSqlError::Other(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_stored_names() {
        let stored: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            stored,
            [
                "repository",
                "cluster",
                "log_group",
                "role",
                "parameter",
                "task_definition",
                "service",
                "load_balancer",
                "target_group"
            ]
        );
        for &k in ResourceKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
        }
        assert_eq!(ResourceKind::TaskDefinition.to_string(), "task definition");
        assert!("image".parse::<ResourceKind>().is_err());
    }
}
