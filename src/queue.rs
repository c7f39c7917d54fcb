//! Which cards a session shows, in which order. Pure: cards, states and the time in, a
//! list of card ids out. Due learning cards come first (their steps are minutes long),
//! then due reviews, then new cards up to today's limit. Reviews and new cards are
//! interleaved across topics, and topics learners confuse are placed side by side, so
//! "task" is practised next to "task definition" rather than in a block of its own.

use std::collections::{HashMap, VecDeque};

use crate::deck::{Card, Topic};
use crate::sched::{CardState, Phase, Scheduler};

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
fn round_robin(cards: Vec<&Card>, order: &[String]) -> Vec<String> {
    let mut by_topic: HashMap<&str, VecDeque<&Card>> = HashMap::new();
    for c in &cards {
        by_topic.entry(c.topic.as_str()).or_default().push_back(c);
    }
    let mut keys: Vec<&str> = order.iter().map(String::as_str).filter(|t| by_topic.contains_key(t)).collect();
    let mut extra: Vec<&str> = by_topic.keys().copied().filter(|t| !keys.contains(t)).collect();
    extra.sort_unstable();
    keys.extend(extra);
    let mut out = Vec::with_capacity(cards.len());
    loop {
        let mut any = false;
        for k in &keys {
            if let Some(c) = by_topic.get_mut(k).and_then(VecDeque::pop_front) {
                out.push(c.id.clone());
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    out
}

pub fn build(req: &QueueRequest) -> Vec<String> {
    let order = interleave_order(req.topics);
    let mut learning: Vec<(&Card, i64)> = Vec::new();
    let mut reviews: Vec<(&Card, i64)> = Vec::new();
    let mut fresh: Vec<&Card> = Vec::new();
    for &card in req.cards {
        match req.states.get(&card.id) {
            None => fresh.push(card),
            Some(s) if s.phase == Phase::New => fresh.push(card),
            Some(s) if s.due_ms > req.now_ms => {}
            Some(s) if s.phase == Phase::Review => reviews.push((card, s.due_ms)),
            Some(s) => learning.push((card, s.due_ms)),
        }
    }
    learning.sort_by_key(|(c, due)| (*due, c.id.clone()));
    reviews.sort_by_key(|(c, due)| (*due, c.id.clone()));

    let mut out: Vec<String> = learning.into_iter().map(|(c, _)| c.id.clone()).collect();
    out.extend(round_robin(reviews.into_iter().map(|(c, _)| c).collect(), &order));
    let mut fresh = round_robin(fresh, &order);
    fresh.truncate(req.new_allowed as usize);
    out.extend(fresh);
    if let Some(limit) = req.limit {
        out.truncate(limit);
    }
    out
}

/// Cram: every card in scope, least likely remembered first; the schedule is not touched.
pub fn build_cram(req: &QueueRequest, sched: &Scheduler) -> Vec<String> {
    let mut scored: Vec<(f64, usize, &Card)> = req
        .cards
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let r = req.states.get(&c.id).map(|s| sched.retrievability(s, req.now_ms)).unwrap_or(0.0);
            (r, i, *c)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = scored.into_iter().map(|(_, _, c)| c.id.clone()).collect();
    out.truncate(req.limit.unwrap_or(20));
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
        Card {
            id: id.into(), deck: "d".into(), topic: topic.into(), kind: Kind::Recall, stage: None,
            prompt: "p".into(), answer: Some("a".into()), accept: vec![], tolerance: None, options: vec![],
            items: vec![], explanation: "e".into(), sources: vec![], misconceptions: vec![], hint: None,
            as_of: None, origin: "o".into(),
        }
    }

    #[test]
    fn confusable_topics_sit_together() {
        let topics = vec![topic("ecr", &["cluster"]), topic("task-def", &["task"]), topic("cluster", &[]), topic("task", &[])];
        assert_eq!(interleave_order(&topics), vec!["ecr", "cluster", "task-def", "task"]);
    }

    #[test]
    fn new_cards_interleave_topics_and_respect_the_limit() {
        let topics = vec![topic("a", &[]), topic("b", &[])];
        let cards = [card("a1", "a"), card("a2", "a"), card("a3", "a"), card("b1", "b"), card("b2", "b")];
        let refs: Vec<&Card> = cards.iter().collect();
        let states = HashMap::new();
        let req = QueueRequest { cards: &refs, states: &states, topics: &topics, now_ms: 0, new_allowed: 4, limit: None };
        assert_eq!(build(&req), vec!["a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn learning_then_due_reviews_then_new() {
        let topics = vec![topic("a", &[])];
        let cards = [card("new", "a"), card("rev", "a"), card("later", "a"), card("lrn", "a")];
        let refs: Vec<&Card> = cards.iter().collect();
        let mut states = HashMap::new();
        states.insert("rev".to_string(), CardState { phase: Phase::Review, due_ms: 50, ..CardState::new_card() });
        states.insert("later".to_string(), CardState { phase: Phase::Review, due_ms: 500, ..CardState::new_card() });
        states.insert("lrn".to_string(), CardState { phase: Phase::Learning, due_ms: 90, ..CardState::new_card() });
        let req = QueueRequest { cards: &refs, states: &states, topics: &topics, now_ms: 100, new_allowed: 20, limit: None };
        assert_eq!(build(&req), vec!["lrn", "rev", "new"]);
        let limited = QueueRequest { limit: Some(2), ..req };
        assert_eq!(build(&limited), vec!["lrn", "rev"]);
    }
}
