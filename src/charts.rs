//! Terminal charts for `stats`, pure: data in, text out. Shapes carry the meaning and
//! colour only adds emphasis. On a terminal with colour the charts use Unicode blocks;
//! with colour off or output piped (NO_COLOR, `--plain`, a file, a screen reader, a pager
//! without UTF-8) they use ASCII only, so what is saved or read aloud stays plain text.

use chrono::{Datelike, Duration, NaiveDate};

/// How to draw: with colour or not, with Unicode blocks or ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub color: bool,
    pub ascii: bool,
}

impl Look {
    /// Unicode and colour on a colour terminal; ASCII whenever colour is off.
    pub fn for_output(color: bool) -> Look {
        Look {
            color,
            ascii: !color,
        }
    }

    fn glyphs(self) -> &'static Glyphs {
        if self.ascii { &ASCII } else { &UNICODE }
    }
}

struct Glyphs {
    /// No reviews, then four levels of a day's share of the busiest day.
    shades: [char; 5],
    /// Eight heights for the due-cards bars.
    bars: [char; 8],
    full: char,
    empty: char,
    /// Between the figures of a legend line.
    sep: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    shades: ['·', '░', '▒', '▓', '█'],
    bars: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
    full: '█',
    empty: '░',
    sep: " · ",
};

const ASCII: Glyphs = Glyphs {
    shades: ['.', ':', '+', '*', '#'],
    bars: ['_', '.', '-', '~', '=', '+', '*', '#'],
    full: '#',
    empty: '.',
    sep: ", ",
};

fn shade(g: &Glyphs, count: u32, max: u32) -> char {
    if count == 0 || max == 0 {
        return g.shades[0];
    }
    // 1..=4 by share of the busiest day, so one heavy day does not flatten the rest.
    let level = ((count as f64 / max as f64) * 4.0).ceil() as usize;
    g.shades[level.clamp(1, 4)]
}

/// A score out of 5 as a bar of `width` cells.
pub fn score_bar(score: f64, width: usize, look: Look) -> String {
    let g = look.glyphs();
    let filled = (((score / 5.0) * width as f64).round() as usize).min(width);
    let mut bar = String::with_capacity(width * 3);
    bar.extend(std::iter::repeat_n(g.full, filled));
    bar.extend(std::iter::repeat_n(g.empty, width - filled));
    bar
}

/// Reviews per study day for the last `weeks` weeks, a column per week (Monday on top),
/// month names over the columns where a month starts.
pub fn heatmap(counts: &[(NaiveDate, u32)], today: NaiveDate, weeks: usize, look: Look) -> String {
    let g = look.glyphs();
    let first_monday = today
        - Duration::days(today.weekday().num_days_from_monday() as i64 + 7 * (weeks as i64 - 1));
    let count_on = |d: NaiveDate| counts.iter().find(|(x, _)| *x == d).map_or(0, |(_, n)| *n);
    let max = counts
        .iter()
        .filter(|(d, _)| *d >= first_monday && *d <= today)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let mut months = String::from("    ");
    let mut last_month = 0;
    let mut skip = 0;
    for w in 0..weeks {
        let monday = first_monday + Duration::days(7 * w as i64);
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let first_fits = (monday + Duration::days(21)).month() == monday.month();
        if (w == 0 && first_fits) || (w > 0 && monday.month() != last_month) {
            let name = monday.format("%b").to_string();
            months.push_str(&name);
            skip = name.chars().count() - 1;
            last_month = monday.month();
        } else {
            months.push(' ');
            last_month = monday.month();
        }
    }
    let mut out = vec![months.trim_end().to_string()];
    for (row, name) in ["Mon", "", "Wed", "", "Fri", "", "Sun"].iter().enumerate() {
        let mut line = format!("{name:<4}");
        for w in 0..weeks {
            let day = first_monday + Duration::days(7 * w as i64 + row as i64);
            if day > today {
                break;
            }
            let c = shade(g, count_on(day), max);
            if look.color && c != g.shades[0] {
                line.push_str(&console::style(c).green().to_string());
            } else {
                line.push(c);
            }
        }
        out.push(line.trim_end().to_string());
    }
    out.push(format!(
        "    less {} more{}busiest day: {max} review{}",
        g.shades.iter().collect::<String>(),
        g.sep,
        if max == 1 { "" } else { "s" }
    ));
    out.join("\n")
}

/// Cards due on each of the next days (index 0 = today, overdue included), as one line of
/// bars with the scale and totals beside it.
pub fn due_bars(per_day: &[u32], look: Look) -> String {
    let g = look.glyphs();
    let max = per_day.iter().copied().max().unwrap_or(0);
    let bars: String = per_day
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                g.bars[(((n as f64 / max as f64) * 8.0).ceil() as usize).clamp(1, 8) - 1]
            }
        })
        .collect();
    let bars = if look.color {
        console::style(bars).cyan().to_string()
    } else {
        bars
    };
    let total: u32 = per_day.iter().sum();
    format!(
        "today |{bars}| +{} days\n      most on one day: {max}{sep}total: {total}{sep}today: {}",
        per_day.len().saturating_sub(1),
        per_day.first().copied().unwrap_or(0),
        sep = g.sep
    )
}

/// One month of review answers: how many, and how many were recalled.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MonthRetention {
    pub month: String,
    pub reviews: u32,
    pub recalled: u32,
}

/// True retention (share of review-phase answers recalled) per month against the target.
pub fn retention_rows(months: &[MonthRetention], desired: f64, look: Look) -> String {
    let g = look.glyphs();
    if months.iter().all(|m| m.reviews == 0) {
        return "no reviews of learned cards yet (retention counts answers on cards past their learning steps)"
            .into();
    }
    let width = 20;
    let mut out = Vec::new();
    for m in months {
        if m.reviews == 0 {
            out.push(format!("{}  {:>4}  {}", m.month, "-", " ".repeat(width)));
            continue;
        }
        let r = m.recalled as f64 / m.reviews as f64;
        let filled = (r * width as f64).round() as usize;
        let mark = ((desired * width as f64).round() as usize).min(width - 1);
        let mut bar: Vec<char> = (0..width)
            .map(|i| if i < filled { g.full } else { g.empty })
            .collect();
        bar[mark] = '|';
        let bar: String = bar.into_iter().collect();
        let pct = format!("{:>3.0}%", r * 100.0);
        let pct = match (look.color, r >= desired) {
            (true, true) => console::style(pct).green().to_string(),
            (true, false) => console::style(pct).yellow().to_string(),
            _ => pct,
        };
        out.push(format!("{}  {pct}  {bar}  {} reviews", m.month, m.reviews));
    }
    out.push(format!(
        "           | marks the target, {:.0}%",
        desired * 100.0
    ));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNICODE_PLAIN: Look = Look {
        color: false,
        ascii: false,
    };
    const ASCII_PLAIN: Look = Look {
        color: false,
        ascii: true,
    };

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn heatmap_snapshot() {
        let today = d("2026-11-22"); // a Sunday
        let counts = vec![
            (d("2026-11-22"), 40),
            (d("2026-11-21"), 10),
            (d("2026-11-16"), 20),
            (d("2026-11-02"), 1),
            (d("2026-10-28"), 30),
        ];
        let got = heatmap(&counts, today, 6, UNICODE_PLAIN);
        let want = [
            "       Nov",
            "Mon ···░·▒",
            "    ······",
            "Wed ··▓···",
            "    ······",
            "Fri ······",
            "    ·····░",
            "Sun ·····█",
            "    less ·░▒▓█ more · busiest day: 40 reviews",
        ]
        .join("\n");
        assert_eq!(got, want, "\n{got}");
    }

    #[test]
    fn heatmap_stops_at_today() {
        let got = heatmap(&[], d("2026-11-18"), 2, UNICODE_PLAIN); // a Wednesday
        assert_eq!(
            got,
            "    Nov\nMon ··\n    ··\nWed ··\n    ·\nFri ·\n    ·\nSun ·\n    less ·░▒▓█ more · busiest day: 0 reviews"
        );
    }

    #[test]
    fn due_bars_snapshot() {
        let got = due_bars(&[8, 0, 1, 4, 2, 0, 0], UNICODE_PLAIN);
        assert_eq!(
            got,
            "today |█ ▁▄▂  | +6 days\n      most on one day: 8 · total: 15 · today: 8"
        );
    }

    #[test]
    fn retention_snapshot() {
        let months = vec![
            MonthRetention {
                month: "2026-09".into(),
                reviews: 0,
                recalled: 0,
            },
            MonthRetention {
                month: "2026-10".into(),
                reviews: 40,
                recalled: 30,
            },
            MonthRetention {
                month: "2026-11".into(),
                reviews: 50,
                recalled: 47,
            },
        ];
        let got = retention_rows(&months, 0.9, UNICODE_PLAIN);
        let want = "\
2026-09     -                      
2026-10   75%  ███████████████░░░|░  40 reviews
2026-11   94%  ██████████████████|░  50 reviews
           | marks the target, 90%";
        assert_eq!(got, want, "\n{got}");
        assert!(retention_rows(&months[..1], 0.9, UNICODE_PLAIN).starts_with("no reviews"));
    }

    #[test]
    fn ascii_when_colour_is_off() {
        assert_eq!(Look::for_output(false), ASCII_PLAIN);
        assert!(!Look::for_output(true).ascii);
        let today = d("2026-11-22");
        let counts = vec![(d("2026-11-22"), 40), (d("2026-11-16"), 20)];
        let got = heatmap(&counts, today, 2, ASCII_PLAIN);
        let want = [
            "    Nov",
            "Mon .+",
            "    ..",
            "Wed ..",
            "    ..",
            "Fri ..",
            "    ..",
            "Sun .#",
            "    less .:+*# more, busiest day: 40 reviews",
        ]
        .join("\n");
        assert_eq!(got, want, "\n{got}");
        assert_eq!(
            due_bars(&[8, 0, 1, 4, 2, 0, 0], ASCII_PLAIN),
            "today |# _~.  | +6 days\n      most on one day: 8, total: 15, today: 8"
        );
        let months = vec![MonthRetention {
            month: "2026-11".into(),
            reviews: 50,
            recalled: 47,
        }];
        assert_eq!(
            retention_rows(&months, 0.9, ASCII_PLAIN),
            "2026-11   94%  ##################|.  50 reviews\n           | marks the target, 90%"
        );
        assert_eq!(score_bar(2.5, 10, ASCII_PLAIN), "#####.....");
        assert_eq!(score_bar(5.0, 4, UNICODE_PLAIN), "████");
        assert_eq!(
            score_bar(9.0, 4, ASCII_PLAIN),
            "####",
            "never wider than asked"
        );
    }
}
