//! `ecsdrill simulate`: the learning-efficiency comparison of `crate::simulate`, printed as
//! a table (or JSON). It needs no database and no network.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SimulateArgs;
use crate::simulate::{Comparison, Setup, compare};

pub fn run(args: &SimulateArgs) -> Result<ExitCode> {
    let setup = Setup {
        days: args.days,
        new_per_day: args.new_per_day,
        learners: args.learners,
        seed: args.seed,
        with_optimize: args.with_optimize,
    };
    if !args.json {
        eprintln!(
            "simulating {} learners for {} days, {} new cards a day...",
            setup.learners, setup.days, setup.new_per_day
        );
    }
    let result = compare(setup);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", render(&result));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(c: &Comparison) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<40} {:>9} {:>8} {:>9} {:>9} {:>10} {:>8}\n",
        "scheduler", "reviews", "per day", "retained", "pass rate", "per card", "known"
    ));
    for r in &c.rows {
        out.push_str(&format!(
            "{:<40} {:>9} {:>8.1} {:>9.3} {:>9.3} {:>10.2} {:>8.0}\n",
            r.label,
            r.outcome.reviews,
            r.reviews_per_day,
            r.outcome.final_retention,
            r.outcome.review_pass_rate,
            r.reviews_per_card_remembered,
            r.outcome.mean_known
        ));
    }
    out.push_str(&format!(
        "\nretained: mean true recall probability of every card on the last day; per card: reviews per card remembered.\n\
         At SM-2's retention ecsdrill needs desired retention {:.3} and {:.1}% {} reviews than SM-2.\n\
         At Leitner's retention ecsdrill needs {:.1}% {} reviews than Leitner.\n",
        c.matched_desired_retention,
        c.saving_vs_sm2.abs() * 100.0,
        fewer_or_more(c.saving_vs_sm2),
        c.saving_vs_leitner.abs() * 100.0,
        fewer_or_more(c.saving_vs_leitner),
    ));
    if let Some(saving) = c.saving_optimized_vs_sm2 {
        out.push_str(&format!(
            "With `ecsdrill optimize` every 60 days, ecsdrill needs {:.1}% {} reviews than SM-2 at SM-2's retention.\n",
            saving.abs() * 100.0,
            fewer_or_more(saving)
        ));
    }
    out
}

fn fewer_or_more(saving: f64) -> &'static str {
    if saving >= 0.0 { "fewer" } else { "more" }
}
