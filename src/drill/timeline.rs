//! The timeline of a drill attempt: the learner's API calls, in order, beside what the service
//! did meanwhile (its events), on the sandbox's clock from the moment the incident was ready.
//! The sandbox notes every call it serves; this module only merges and words them.

use serde::Serialize;

/// One API call the learner made (the sandbox's call log, `aws` CLI calls only).
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Sandbox time, epoch seconds.
    pub time: f64,
    pub service: String,
    pub operation: String,
    pub status: u16,
}

/// Something the service did: one of its events.
#[derive(Clone, Debug, PartialEq)]
pub struct Happening {
    pub time: f64,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    You,
    Ecs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    /// Seconds since the incident was ready.
    pub at: i64,
    pub who: Who,
    pub text: String,
}

/// Calls and happenings since `start`, oldest first; a run of the same call is one line
/// ("×3"), a failed call says its status.
pub fn build(start: f64, calls: &[Call], happenings: &[Happening]) -> Vec<Line> {
    let mut lines: Vec<(f64, Line)> = Vec::new();
    let mut last: Option<(String, usize)> = None;
    for c in calls.iter().filter(|c| c.time >= start) {
        let text = if c.status >= 400 {
            format!("{} {} (failed: HTTP {})", c.service, c.operation, c.status)
        } else {
            format!("{} {}", c.service, c.operation)
        };
        if let Some((prev, n)) = &mut last
            && *prev == text
        {
            *n += 1;
            if let Some((_, line)) = lines.last_mut() {
                line.text = format!("{text} ×{n}");
            }
            continue;
        }
        last = Some((text.clone(), 1));
        lines.push((
            c.time,
            Line {
                at: (c.time - start).round() as i64,
                who: Who::You,
                text,
            },
        ));
    }
    for h in happenings.iter().filter(|h| h.time >= start) {
        lines.push((
            h.time,
            Line {
                at: (h.time - start).round() as i64,
                who: Who::Ecs,
                text: h.text.clone(),
            },
        ));
    }
    // Stable: a call and an event at the same second keep calls first.
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.into_iter().map(|(_, l)| l).collect()
}

/// `m:ss` (or `h:mm:ss`) since the start.
pub fn clock(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The timeline as text lines, `+m:ss  you   ecs DescribeServices`.
pub fn render(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let who = match l.who {
                Who::You => "you",
                Who::Ecs => "ECS",
            };
            format!("+{:>7}  {who:<3}  {}", clock(l.at), l.text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(time: f64, op: &str, status: u16) -> Call {
        Call {
            time,
            service: "ecs".into(),
            operation: op.into(),
            status,
        }
    }

    #[test]
    fn calls_and_events_interleave_by_time_and_repeats_fold() {
        let calls = [
            call(90.0, "DescribeServices", 200), // before the start: not the learner's
            call(110.0, "DescribeServices", 200),
            call(111.0, "DescribeServices", 200),
            call(130.0, "DescribeTasks", 400),
            call(200.0, "UpdateService", 200),
        ];
        let events = [
            Happening {
                time: 95.0,
                text: "before".into(),
            },
            Happening {
                time: 150.0,
                text: "(service orders) has started 1 tasks".into(),
            },
        ];
        let lines = build(100.0, &calls, &events);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "ecs DescribeServices ×2",
                "ecs DescribeTasks (failed: HTTP 400)",
                "(service orders) has started 1 tasks",
                "ecs UpdateService",
            ]
        );
        assert_eq!(lines[0].at, 10);
        assert_eq!(lines[2].who, Who::Ecs);
        assert_eq!(render(&lines)[3], "+   1:40  you  ecs UpdateService");
    }

    #[test]
    fn clock_reads_minutes_and_hours() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(clock(-3), "0:00");
    }
}
