//! Grading, pure: normalising typed answers, parsing what the learner entered, and deciding
//! whether it is right. No terminal, no database, no clock.

use crate::deck::{Card, Kind};

/// Lowercase, punctuation to spaces, spaces collapsed, leading articles dropped (all of
/// them, so normalising twice changes nothing; a lone word is kept).
pub fn normalize(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    let mut words: &[&str] = &mapped.split_whitespace().collect::<Vec<_>>();
    while words.len() > 1 && matches!(words[0], "the" | "a" | "an") {
        words = &words[1..];
    }
    words.join(" ")
}

fn compact(s: &str) -> String {
    normalize(s).replace(' ', "")
}

/// A number as people type it: `$1,234.50`, `137`, `50 %`, `22.5 USD`.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim().replace([',', '_'], "");
    let first = s.split_whitespace().next()?;
    let first = first.trim_start_matches('$').trim_end_matches(['%', '$']);
    if first.is_empty() {
        return None;
    }
    let rest: String = s.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    if !rest
        .chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '/' || c == '%')
    {
        return None;
    }
    first.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number written in words, the whole reply: `two`, `twenty five`, `twenty-five`,
/// `a hundred`, `three hundred and ten`, `two thousand`, `zero`, and `none`/`nothing`
/// for 0. A unit may follow (`two tasks`, `zero dollars`), another number may not (`two
/// or three` is not 2).
pub fn parse_number_words(s: &str) -> Option<f64> {
    let norm = normalize(s);
    let words: Vec<&str> = norm.split_whitespace().collect();
    if let [only] = words[..]
        && matches!(only, "none" | "nothing")
    {
        return Some(0.0);
    }
    let mut total: u64 = 0; // the thousands, once `thousand` is read
    let mut group: u64 = 0; // what is below a thousand
    let mut any = false;
    let mut zero = false;
    let mut used = 0;
    for (i, &w) in words.iter().enumerate() {
        let tens_open = group.is_multiple_of(100);
        let ones_open = tens_open || (group % 100 >= 20 && group.is_multiple_of(10));
        let fits = match (word_value(w), w) {
            _ if zero => false,
            (Some(0), _) => {
                zero = !any;
                !any
            }
            (Some(v), _) if v >= 10 => tens_open,
            (Some(_), _) => ones_open,
            (None, "hundred") => group < 10,
            (None, "thousand") => total == 0 && group < 1000,
            // `three hundred and ten`
            (None, "and") => {
                any && tens_open
                    && words
                        .get(i + 1)
                        .and_then(|n| word_value(n))
                        .is_some_and(|v| v > 0)
            }
            _ => false,
        };
        if !fits {
            break;
        }
        match (word_value(w), w) {
            (Some(v), _) => group += v,
            (None, "hundred") => group = group.max(1) * 100,
            (None, "thousand") => {
                total = group.max(1) * 1000;
                group = 0;
            }
            _ => {}
        }
        any = true;
        used = i + 1;
    }
    if !any {
        return None;
    }
    let unit_only = words[used..].iter().all(|w| {
        w.chars().all(char::is_alphabetic)
            && word_value(w).is_none()
            && !matches!(
                *w,
                "or" | "to" | "and" | "point" | "plus" | "minus" | "hundred" | "thousand"
            )
    });
    unit_only.then_some((total + group) as f64)
}

fn word_value(w: &str) -> Option<u64> {
    const ONES: &str = "zero one two three four five six seven eight nine ten eleven twelve \
        thirteen fourteen fifteen sixteen seventeen eighteen nineteen";
    const TENS: &str = "twenty thirty forty fifty sixty seventy eighty ninety";
    if let Some(i) = ONES.split_whitespace().position(|o| o == w) {
        return Some(i as u64);
    }
    let tens = TENS.split_whitespace().position(|t| t == w)?;
    Some((tens as u64 + 2) * 10)
}

/// Whether the card asks for an amount of money: its topic is cost, or its prompt or
/// answers name a currency. Only then is `free` an answer (0).
fn asks_for_money(card: &Card) -> bool {
    let texts = std::iter::once(card.prompt.as_str())
        .chain(card.answer.as_deref())
        .chain(card.accept.iter().map(String::as_str));
    card.topic == "cost"
        || texts.into_iter().any(|t| {
            let lower = t.to_lowercase();
            lower.contains('$')
                || lower.contains('€')
                || lower.contains("dollar")
                || lower.contains("usd")
                || lower.contains("euro")
        })
}

/// A reply that means no money at all.
fn is_free(reply: &str) -> bool {
    matches!(
        normalize(reply).as_str(),
        "free" | "for free" | "free of charge" | "no charge" | "it is free" | "it s free"
    )
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Whether `a` becomes `b` in at most `max` edits. Strings whose lengths differ by more
/// cannot, so a long reply never builds the quadratic table.
pub fn within_edits(a: &str, b: &str, max: usize) -> bool {
    a.chars().count().abs_diff(b.chars().count()) <= max && edit_distance(a, b) <= max
}

/// How many typos an accepted answer of this (compact) length tolerates.
fn typo_allowance(len: usize) -> usize {
    match len {
        0..=7 => 0,
        8..=15 => 1,
        _ => 2,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypedVerdict {
    Exact,
    /// Accepted with a typo; carries the accepted spelling to show the learner.
    CloseEnough(String),
    Wrong,
}

/// Grades a typed reply against the card's answer and accepted variants.
pub fn grade_typed(card: &Card, reply: &str) -> TypedVerdict {
    let answer = card.answer.as_deref().unwrap_or_default();
    let candidates: Vec<&str> = std::iter::once(answer)
        .chain(card.accept.iter().map(String::as_str))
        .collect();
    if let Some(expected) = parse_number(answer) {
        let tolerance = card.tolerance.unwrap_or(1e-9);
        let got = parse_number(reply)
            .or_else(|| parse_number_words(reply))
            .or_else(|| (is_free(reply) && asks_for_money(card)).then_some(0.0));
        if let Some(got) = got {
            if (got - expected).abs() <= tolerance {
                return TypedVerdict::Exact;
            }
            // An accepted variant may still match as text (`30 April 2026`).
            if !candidates
                .iter()
                .skip(1)
                .any(|c| compact(c) == compact(reply))
            {
                return TypedVerdict::Wrong;
            }
        }
    }
    let got = compact(reply);
    if got.is_empty() {
        return TypedVerdict::Wrong;
    }
    if candidates.iter().any(|c| compact(c) == got) {
        return TypedVerdict::Exact;
    }
    for c in &candidates {
        let want = compact(c);
        if want.chars().any(|ch| ch.is_ascii_digit()) {
            continue; // numbers and versions must be exact
        }
        let allowed = typo_allowance(want.chars().count());
        if allowed > 0 && within_edits(&want, &got, allowed) {
            return TypedVerdict::CloseEnough(c.to_string());
        }
    }
    TypedVerdict::Wrong
}

/// `2`, `b`, `a,c`, `1 3`: option positions (0-based, as shown). None if unparseable.
pub fn parse_choice(input: &str, n: usize) -> Option<Vec<usize>> {
    let mut picked = Vec::new();
    for tok in input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        let idx = if let Ok(num) = tok.parse::<usize>() {
            num.checked_sub(1)?
        } else {
            let mut chars = tok.chars();
            let c = chars.next()?.to_ascii_lowercase();
            if chars.next().is_some() || !c.is_ascii_lowercase() {
                return None;
            }
            (c as u8 - b'a') as usize
        };
        if idx >= n {
            return None;
        }
        if !picked.contains(&idx) {
            picked.push(idx);
        }
    }
    if picked.is_empty() {
        None
    } else {
        Some(picked)
    }
}

/// `3 1 2 4`: a permutation of the shown item numbers (0-based). None if unparseable.
pub fn parse_order(input: &str, n: usize) -> Option<Vec<usize>> {
    let compact_digits = input.trim();
    // Allow "3124" for lists of up to 9 items.
    let tokens: Vec<String> = if n <= 9
        && compact_digits.len() == n
        && compact_digits.chars().all(|c| c.is_ascii_digit())
    {
        compact_digits.chars().map(|c| c.to_string()).collect()
    } else {
        input
            .split(|c: char| c == ',' || c.is_whitespace() || c == '>' || c == '-')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut seq = Vec::new();
    for t in tokens {
        let v = t.parse::<usize>().ok()?.checked_sub(1)?;
        if v >= n || seq.contains(&v) {
            return None;
        }
        seq.push(v);
    }
    if seq.len() == n { Some(seq) } else { None }
}

/// `1`-`4` or the rating's name.
pub fn parse_rating(input: &str) -> Option<u8> {
    match input.trim().to_ascii_lowercase().as_str() {
        "1" | "again" => Some(1),
        "2" | "hard" => Some(2),
        "3" | "good" => Some(3),
        "4" | "easy" => Some(4),
        _ => None,
    }
}

/// The outcome of one auto-graded answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    /// A typo that was forgiven, or how many order items were in place, for feedback.
    pub note: Option<String>,
    /// Misconceptions the answer revealed.
    pub revealed: Vec<String>,
}

/// Grades a choice answer given as card option indices (not display positions).
pub fn grade_choice(card: &Card, picked: &[usize]) -> Verdict {
    let mut want = card.correct_options();
    let mut got = picked.to_vec();
    want.sort_unstable();
    got.sort_unstable();
    got.dedup();
    let correct = want == got;
    let revealed: Vec<String> = if correct {
        Vec::new()
    } else {
        let mut r: Vec<String> = got
            .iter()
            .filter_map(|&i| card.options.get(i))
            .filter_map(|o| o.misconception.clone())
            .collect();
        r.dedup();
        r
    };
    let note = if !correct && want.len() > 1 {
        let right = got.iter().filter(|i| want.contains(i)).count();
        Some(format!(
            "{right} of {} right options chosen, {} wrong",
            want.len(),
            got.len() - right
        ))
    } else {
        None
    };
    Verdict {
        correct,
        note,
        revealed,
    }
}

/// Grades an order answer given as item indices (0 = the first correct item).
pub fn grade_order(card: &Card, seq: &[usize]) -> Verdict {
    let correct = seq.iter().enumerate().all(|(i, &v)| i == v) && seq.len() == card.items.len();
    let in_place = seq.iter().enumerate().filter(|(i, v)| i == *v).count();
    Verdict {
        correct,
        note: (!correct).then(|| format!("{in_place} of {} in the right place", card.items.len())),
        revealed: if correct {
            Vec::new()
        } else {
            card.misconceptions.clone()
        },
    }
}

pub fn grade_typed_verdict(card: &Card, reply: &str) -> Verdict {
    match grade_typed(card, reply) {
        TypedVerdict::Exact => Verdict {
            correct: true,
            note: None,
            revealed: Vec::new(),
        },
        TypedVerdict::CloseEnough(s) => Verdict {
            correct: true,
            note: Some(format!("accepted with a typo: the spelling is \"{s}\"")),
            revealed: Vec::new(),
        },
        TypedVerdict::Wrong => Verdict {
            correct: false,
            note: None,
            revealed: card.misconceptions.clone(),
        },
    }
}

/// Seconds after which a right answer counts as slow (rated Hard instead of Good).
pub fn slow_after_secs(kind: Kind) -> u64 {
    match kind {
        Kind::Recall => u64::MAX,
        Kind::Choice => 40,
        Kind::Typed => 50,
        Kind::Order => 75,
    }
}

/// The FSRS rating for an auto-graded answer (1 Again, 2 Hard, 3 Good, 4 Easy).
pub fn auto_rating(correct: bool, used_hint: bool, slow: bool, easy: bool) -> u8 {
    match (correct, used_hint || slow, easy) {
        (false, _, _) => 1,
        (true, true, _) => 2,
        (true, false, true) => 4,
        (true, false, false) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::{ChoiceOption, Kind};

    fn card(kind: Kind) -> Card {
        Card {
            misconceptions: vec!["m1".into()],
            ..crate::deck::sample_card("t", "x", kind)
        }
    }

    fn typed(answer: &str, accept: &[&str]) -> Card {
        let mut c = card(Kind::Typed);
        c.answer = Some(answer.into());
        c.accept = accept.iter().map(|s| s.to_string()).collect();
        c
    }

    #[test]
    fn normalisation_ignores_case_spacing_punctuation_articles() {
        assert_eq!(
            normalize("  The Task   Execution-Role! "),
            "task execution role"
        );
        assert_eq!(normalize("a"), "a");
        // Found by fuzzing: every leading article goes, so normalising is idempotent.
        assert_eq!(normalize("a$A..a....or"), "or");
        assert_eq!(normalize(&normalize("the a task")), normalize("the a task"));
        assert_eq!(
            grade_typed(&typed("awsvpc", &[]), "AWS VPC"),
            TypedVerdict::Exact
        );
        assert_eq!(
            grade_typed(
                &typed("minimumHealthyPercent", &[]),
                "minimum healthy percent"
            ),
            TypedVerdict::Exact
        );
    }

    #[test]
    fn accepted_variants_match() {
        let c = typed(
            "Secrets Manager",
            &["AWS Secrets Manager", "secretsmanager"],
        );
        assert_eq!(grade_typed(&c, "aws secrets manager"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&c, "ssm"), TypedVerdict::Wrong);
    }

    #[test]
    fn typos_are_forgiven_only_on_long_answers() {
        let long = typed("execution role", &[]);
        assert!(matches!(
            grade_typed(&long, "exection role"),
            TypedVerdict::CloseEnough(_)
        ));
        assert!(matches!(
            grade_typed(&long, "exectuion role"),
            TypedVerdict::CloseEnough(_)
        ));
        assert_eq!(grade_typed(&long, "task role"), TypedVerdict::Wrong);
        let short = typed("ECR", &[]);
        assert_eq!(grade_typed(&short, "ECS"), TypedVerdict::Wrong);
        let longer = typed("AmazonECSTaskExecutionRolePolicy", &[]);
        assert!(matches!(
            grade_typed(&longer, "AmazonECSTaskExecutonRolePolicyy"),
            TypedVerdict::CloseEnough(_)
        ));
        assert_eq!(
            grade_typed(&longer, "AmazonECSTaskRolePolicy"),
            TypedVerdict::Wrong
        );
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let mut c = typed("22.50", &[]);
        c.tolerance = Some(0.05);
        assert_eq!(grade_typed(&c, "$22.54"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&c, "22.5 USD"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&c, "23"), TypedVerdict::Wrong);
        let exit = typed("137", &[]);
        assert_eq!(grade_typed(&exit, "137"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&exit, "138"), TypedVerdict::Wrong);
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("50%"), Some(50.0));
        assert_eq!(parse_number("ten"), None);
        assert_eq!(parse_number("5 or 6"), None);
    }

    #[test]
    fn number_words_parse() {
        let cases = [
            ("two", Some(2.0)),
            ("Two.", Some(2.0)),
            ("zero", Some(0.0)),
            ("none", Some(0.0)),
            ("nothing", Some(0.0)),
            ("twelve", Some(12.0)),
            ("twenty", Some(20.0)),
            ("twenty five", Some(25.0)),
            ("twenty-five", Some(25.0)),
            ("thirty", Some(30.0)),
            ("forty two", Some(42.0)),
            ("fifty", Some(50.0)),
            ("sixty", Some(60.0)),
            ("a hundred", Some(100.0)),
            ("hundred", Some(100.0)),
            ("one hundred and five", Some(105.0)),
            ("three hundred ten", Some(310.0)),
            ("two thousand and forty eight", Some(2048.0)),
            ("two tasks", Some(2.0)),
            ("zero dollars", Some(0.0)),
            ("two or three", None),
            ("two to three", None),
            ("five twenty", None),
            ("twenty twenty", None),
            ("zero five", None),
            ("eleven two", None),
            ("two 3", None),
            ("none of them", None),
            ("free", None),
            ("tasks", None),
            ("", None),
        ];
        for (reply, want) in cases {
            assert_eq!(parse_number_words(reply), want, "{reply:?}");
        }
    }

    #[test]
    fn number_words_are_right_for_number_answers() {
        let two = typed("2", &[]);
        assert_eq!(grade_typed(&two, "two"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&two, "Two tasks"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&two, "three"), TypedVerdict::Wrong);
        assert_eq!(grade_typed(&two, "two or three"), TypedVerdict::Wrong);
        let zero = typed("0", &[]);
        for reply in ["zero", "none", "nothing", "0"] {
            assert_eq!(grade_typed(&zero, reply), TypedVerdict::Exact, "{reply}");
        }
        assert_eq!(
            grade_typed(&zero, "free"),
            TypedVerdict::Wrong,
            "free is no count of things"
        );
        let mut fifteen = typed("15", &[]);
        fifteen.tolerance = Some(0.5);
        assert_eq!(grade_typed(&fifteen, "fifteen"), TypedVerdict::Exact);
        assert_eq!(
            grade_typed(&typed("25", &[]), "twenty-five"),
            TypedVerdict::Exact
        );
        assert_eq!(
            grade_typed(&typed("300", &[]), "three hundred"),
            TypedVerdict::Exact
        );
    }

    #[test]
    fn free_is_zero_only_for_prices() {
        // As the built-in card cluster-empty-clusters-cost: topic cluster, answer '0',
        // the prompt asks for US dollars.
        let mut clusters = typed("0", &[]);
        clusters.prompt = "What does ECS charge per month, in US dollars?".into();
        clusters.tolerance = Some(0.01);
        for reply in ["free", "Free!", "free of charge", "nothing", "zero", "$0"] {
            assert_eq!(
                grade_typed(&clusters, reply),
                TypedVerdict::Exact,
                "{reply}"
            );
        }
        let mut cost = typed("0", &[]);
        cost.topic = "cost".into();
        assert_eq!(grade_typed(&cost, "free"), TypedVerdict::Exact);
        let mut priced = typed("$0", &[]);
        priced.prompt = "How much?".into();
        assert_eq!(grade_typed(&priced, "free"), TypedVerdict::Exact);
        let mut not_free = typed("18.02", &[]);
        not_free.topic = "cost".into();
        assert_eq!(grade_typed(&not_free, "free"), TypedVerdict::Wrong);
    }

    #[test]
    fn accepted_variants_still_match_on_number_answers() {
        let mut half = typed("0.5", &["half a vCPU", "1/2", "2 GB"]);
        half.tolerance = Some(0.001);
        assert_eq!(grade_typed(&half, "half a vCPU"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&half, "1/2"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&half, "2 GB"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&half, "0.50"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&half, "2"), TypedVerdict::Wrong);
        assert_eq!(grade_typed(&half, "two"), TypedVerdict::Wrong);
        let date = typed("30 April 2026", &["2026-04-30"]);
        assert_eq!(grade_typed(&date, "2026-04-30"), TypedVerdict::Exact);
        assert_eq!(grade_typed(&date, "thirty"), TypedVerdict::Wrong);
    }

    #[test]
    fn choice_input_parsing() {
        assert_eq!(parse_choice("2", 4), Some(vec![1]));
        assert_eq!(parse_choice("b", 4), Some(vec![1]));
        assert_eq!(parse_choice("a, C", 4), Some(vec![0, 2]));
        assert_eq!(parse_choice("1 3 3", 4), Some(vec![0, 2]));
        assert_eq!(parse_choice("5", 4), None);
        assert_eq!(parse_choice("e", 4), None);
        assert_eq!(parse_choice("0", 4), None);
        assert_eq!(parse_choice("", 4), None);
        assert_eq!(parse_choice("ab", 4), None);
    }

    #[test]
    fn order_input_parsing() {
        assert_eq!(parse_order("3 1 2", 3), Some(vec![2, 0, 1]));
        assert_eq!(parse_order("3,1,2", 3), Some(vec![2, 0, 1]));
        assert_eq!(parse_order("312", 3), Some(vec![2, 0, 1]));
        assert_eq!(parse_order("3 1", 3), None);
        assert_eq!(parse_order("3 3 1", 3), None);
        assert_eq!(parse_order("4 1 2", 3), None);
        assert_eq!(
            parse_order("1 2 3 4 5 6 7 8 9 10", 10).map(|v| v.len()),
            Some(10)
        );
    }

    #[test]
    fn choice_grading_single_multiple_and_misconceptions() {
        let mut c = card(Kind::Choice);
        c.options = vec![
            ChoiceOption {
                text: "ECR".into(),
                correct: true,
                misconception: None,
                why: None,
            },
            ChoiceOption {
                text: "ECS".into(),
                correct: false,
                misconception: Some("ecs-stores".into()),
                why: None,
            },
            ChoiceOption {
                text: "S3".into(),
                correct: true,
                misconception: None,
                why: None,
            },
        ];
        assert!(grade_choice(&c, &[0, 2]).correct);
        assert!(grade_choice(&c, &[2, 0]).correct);
        let v = grade_choice(&c, &[0]);
        assert!(!v.correct);
        assert!(v.revealed.is_empty());
        let v = grade_choice(&c, &[1, 0]);
        assert_eq!(v.revealed, vec!["ecs-stores".to_string()]);
    }

    #[test]
    fn order_grading() {
        let mut c = card(Kind::Order);
        c.items = vec!["a".into(), "b".into(), "c".into()];
        assert!(grade_order(&c, &[0, 1, 2]).correct);
        let v = grade_order(&c, &[1, 0, 2]);
        assert!(!v.correct);
        assert_eq!(v.note.as_deref(), Some("1 of 3 in the right place"));
    }

    #[test]
    fn ratings_from_outcomes() {
        assert_eq!(auto_rating(false, false, false, true), 1);
        assert_eq!(auto_rating(true, true, false, true), 2);
        assert_eq!(auto_rating(true, false, true, false), 2);
        assert_eq!(auto_rating(true, false, false, false), 3);
        assert_eq!(auto_rating(true, false, false, true), 4);
        assert_eq!(parse_rating("Good"), Some(3));
        assert_eq!(parse_rating("5"), None);
    }

    #[test]
    fn shuffle_never_returns_identity() {
        for seed in 0..200 {
            let p = crate::rng::shuffled_indices(3, seed);
            assert_ne!(p, vec![0, 1, 2]);
            let mut s = p.clone();
            s.sort();
            assert_eq!(s, vec![0, 1, 2]);
        }
    }
}
