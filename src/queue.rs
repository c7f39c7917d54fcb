//! Which cards a session shows, in which order. Pure: cards, states and the time in, a
//! list of card ids out. Due learning cards come first (their steps are minutes long),
//! then due reviews, then new cards up to today's limit. Reviews and new cards are
//! interleaved across topics, and topics learners confuse are placed side by side, so
//! "task" is practised next to "task definition" rather than in a block of its own.

use std::collections::{HashMap, VecDeque};

#[cfg(test)]
use crate::deck::Card;
use crate::deck::Topic;
#[cfg(test)]
use crate::sched::Phase;
use crate::sched::{CardState, Scheduler};

#[cfg(test)]
pub struct QueueRequest<'a> {
    pub cards: &'a [&'a Card],
    pub states: &'a HashMap<String, CardState>,
    pub topics: &'a [Topic],
    pub now_ms: i64,
    /// New cards still allowed today.
    pub new_allowed: u32,
    pub limit: Option<usize>,
}

/// Topic ids in an order where each topic is followed by the topics it is confused with.
pub fn interleave_order(topics: &[Topic]) -> Vec<String> {
    let mut placed: Vec<String> = Vec::new();
    for t in topics {
        if placed.contains(&t.id) {
            continue;
        }
        placed.push(t.id.clone());
        for c in &t.confusable_with {
            if !placed.contains(c) && topics.iter().any(|x| &x.id == c) {
                placed.push(c.clone());
            }
        }
    }
    placed
}

/// Round-robin over topics in `order`; each topic's cards keep their given order.
fn round_robin(cards: Vec<(String, String)>, order: &[String]) -> Vec<String> {
    let mut by_topic: HashMap<String, VecDeque<String>> = HashMap::new();
    let mut first_seen: Vec<String> = Vec::new();
    for (id, topic) in cards {
        if !by_topic.contains_key(&topic) {
            first_seen.push(topic.clone());
        }
        by_topic.entry(topic).or_default().push_back(id);
    }
    let mut keys: Vec<String> = order
        .iter()
        .filter(|t| by_topic.contains_key(*t))
        .cloned()
        .collect();
    let mut extra: Vec<String> = first_seen
        .into_iter()
        .filter(|t| !keys.contains(t))
        .collect();
    extra.sort_unstable();
    keys.extend(extra);
    let total: usize = by_topic.values().map(VecDeque::len).sum();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for k in &keys {
            if let Some(id) = by_topic.get_mut(k).and_then(VecDeque::pop_front) {
                out.push(id);
            }
        }
    }
    out
}

/// The cards a session may show, already split by kind of work.
#[derive(Default)]
pub struct Candidates {
    /// Learning and relearning cards that are due: (id, due).
    pub learning: Vec<(String, i64)>,
    /// Review cards that are due: (id, topic, due).
    pub reviews: Vec<(String, String, i64)>,
    /// Unseen cards in deck order: (id, topic).
    pub fresh: Vec<(String, String)>,
    /// Unseen cards asked for first (`Store::priority_new_cards`), in that order: they come
    /// before the other new cards instead of being interleaved across topics.
    pub priority: Vec<String>,
}

/// Learning first (oldest due first), then reviews, then new cards up to the limit,
/// reviews and new cards interleaved across topics.
pub fn order(
    mut c: Candidates,
    topics: &[Topic],
    new_allowed: u32,
    limit: Option<usize>,
) -> Vec<String> {
    let topic_order = interleave_order(topics);
    c.learning.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    c.reviews.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    let mut out: Vec<String> = c.learning.into_iter().map(|(id, _)| id).collect();
    out.extend(round_robin(
        c.reviews
            .into_iter()
            .map(|(id, topic, _)| (id, topic))
            .collect(),
        &topic_order,
    ));
    let (first, rest): (Vec<_>, Vec<_>) = c
        .fresh
        .into_iter()
        .partition(|(id, _)| c.priority.contains(id));
    let mut first: Vec<String> = first.into_iter().map(|(id, _)| id).collect();
    first.sort_by_key(|id| c.priority.iter().position(|p| p == id));
    let mut fresh = first;
    fresh.extend(round_robin(rest, &topic_order));
    fresh.truncate(new_allowed as usize);
    out.extend(fresh);
    if let Some(limit) = limit {
        out.truncate(limit);
    }
    out
}

/// The same from in-memory cards and states (tests).
#[cfg(test)]
pub fn build(req: &QueueRequest) -> Vec<String> {
    let mut c = Candidates::default();
    for &card in req.cards {
        match req.states.get(&card.id) {
            None => c.fresh.push((card.id.clone(), card.topic.clone())),
            Some(s) if s.phase == Phase::New => c.fresh.push((card.id.clone(), card.topic.clone())),
            Some(s) if s.due_ms > req.now_ms => {}
            Some(s) if s.phase == Phase::Review => {
                c.reviews
                    .push((card.id.clone(), card.topic.clone(), s.due_ms))
            }
            Some(s) => c.learning.push((card.id.clone(), s.due_ms)),
        }
    }
    order(c, req.topics, req.new_allowed, req.limit)
}

/// Cram: cards least likely remembered first (unseen cards count 0); the schedule is not touched.
pub fn cram_order(
    cards: Vec<(String, Option<CardState>)>,
    sched: &Scheduler,
    now_ms: i64,
    limit: Option<usize>,
) -> Vec<String> {
    let mut scored: Vec<(f64, usize, String)> = cards
        .into_iter()
        .enumerate()
        .map(|(i, (id, st))| {
            (
                st.map(|s| sched.retrievability(&s, now_ms)).unwrap_or(0.0),
                i,
                id,
            )
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = scored.into_iter().map(|(_, _, id)| id).collect();
    out.truncate(limit.unwrap_or(20));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::Kind;

    fn topic(id: &str, confusable: &[&str]) -> Topic {
        Topic {
            id: id.into(),
            title: id.into(),
            summary: String::new(),
            prerequisites: vec![],
            confusable_with: confusable.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn card(id: &str, topic: &str) -> Card {
        crate::deck::sample_card(id, topic, Kind::Recall)
    }

    #[test]
    fn confusable_topics_sit_together() {
        let topics = vec![
            topic("ecr", &["cluster"]),
            topic("task-def", &["task"]),
            topic("cluster", &[]),
            topic("task", &[]),
        ];
        assert_eq!(
            interleave_order(&topics),
            vec!["ecr", "cluster", "task-def", "task"]
        );
    }

    #[test]
    fn new_cards_interleave_topics_and_respect_the_limit() {
        let topics = vec![topic("a", &[]), topic("b", &[])];
        let cards = [
            card("a1", "a"),
            card("a2", "a"),
            card("a3", "a"),
            card("b1", "b"),
            card("b2", "b"),
        ];
        let refs: Vec<&Card> = cards.iter().collect();
        let states = HashMap::new();
        let req = QueueRequest {
            cards: &refs,
            states: &states,
            topics: &topics,
            now_ms: 0,
            new_allowed: 4,
            limit: None,
        };
        assert_eq!(build(&req), vec!["a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn learning_then_due_reviews_then_new() {
        let topics = vec![topic("a", &[])];
        let cards = [
            card("new", "a"),
            card("rev", "a"),
            card("later", "a"),
            card("lrn", "a"),
        ];
        let refs: Vec<&Card> = cards.iter().collect();
        let mut states = HashMap::new();
        states.insert(
            "rev".to_string(),
            CardState {
                phase: Phase::Review,
                due_ms: 50,
                ..CardState::new_card()
            },
        );
        states.insert(
            "later".to_string(),
            CardState {
                phase: Phase::Review,
                due_ms: 500,
                ..CardState::new_card()
            },
        );
        states.insert(
            "lrn".to_string(),
            CardState {
                phase: Phase::Learning,
                due_ms: 90,
                ..CardState::new_card()
            },
        );
        let req = QueueRequest {
            cards: &refs,
            states: &states,
            topics: &topics,
            now_ms: 100,
            new_allowed: 20,
            limit: None,
        };
        assert_eq!(build(&req), vec!["lrn", "rev", "new"]);
        let limited = QueueRequest {
            limit: Some(2),
            ..req
        };
        assert_eq!(build(&limited), vec!["lrn", "rev"]);
    }
}
