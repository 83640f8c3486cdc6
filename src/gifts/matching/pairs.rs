//! The exact search for sparse exchanges (a handful of allowed partners each), deciding pairs
//! rather than growing a path. In the cycle everyone uses exactly two of their allowed pairs,
//! so after every decision:
//! - someone left with only two open pairs uses both;
//! - someone who already uses two drops all their other pairs;
//! - the pairs taken so far form chains, and a pair joining the two ends of one chain is
//!   dropped unless that chain already holds everyone (it would close a loop leaving people
//!   out);
//! - the pairs still open or taken must keep everyone in one piece with nobody holding it
//!   together alone (a cut participant would have to be passed twice).
//!
//! Each step takes a participant with the fewest open pairs and tries those pairs in turn,
//! each try with the earlier ones ruled out, so every cycle is reachable and "no cycle" is a
//! proof. On a sparse graph the rules above settle most pairs by themselves, which is where
//! growing a path one participant at a time is slow.

use rand::seq::SliceRandom;
use rand::Rng;

use super::graph::{edges_biconnected, ones, Graph};
use super::search::Outcome;

/// Average allowed partners per participant up to which this search is used.
pub(crate) const SPARSE_DEGREE: usize = 12;

/// Whether `g` is sparse enough for this search.
pub(crate) fn suits(g: &Graph) -> bool {
    g.degree.iter().sum::<usize>() <= SPARSE_DEGREE * g.n
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pair {
    Open,
    Taken,
    Dropped,
}

/// The allowed pairs, numbered, and each participant's pairs sorted by partner.
struct Pairs {
    n: usize,
    ends: Vec<(usize, usize)>,
    incident: Vec<Vec<(usize, usize)>>,
}

impl Pairs {
    fn new(g: &Graph) -> Pairs {
        let mut ends = Vec::new();
        let mut incident = vec![Vec::new(); g.n];
        for a in 0..g.n {
            for b in ones(g.row(a)).filter(|&b| b > a) {
                incident[a].push((b, ends.len()));
                incident[b].push((a, ends.len()));
                ends.push((a, b));
            }
        }
        for list in &mut incident {
            list.sort_unstable();
        }
        Pairs { n: g.n, ends, incident }
    }

    fn find(&self, a: usize, b: usize) -> Option<usize> {
        let list = &self.incident[a];
        list.binary_search_by_key(&b, |&(other, _)| other).ok().map(|i| list[i].1)
    }
}

#[derive(Clone)]
struct State {
    pair: Vec<Pair>,
    /// Open or taken pairs per participant.
    usable: Vec<usize>,
    taken: Vec<usize>,
    /// At each end of a chain of taken pairs, the other end (someone on no taken pair is a
    /// chain of one, their own other end) and the chain's number of participants.
    other_end: Vec<usize>,
    chain: Vec<usize>,
}

impl State {
    fn new(p: &Pairs) -> State {
        State {
            pair: vec![Pair::Open; p.ends.len()],
            usable: p.incident.iter().map(Vec::len).collect(),
            taken: vec![0; p.n],
            other_end: (0..p.n).collect(),
            chain: vec![1; p.n],
        }
    }

    /// Takes pair `e` and applies the rules; false when that breaks one.
    fn take(&mut self, p: &Pairs, e: usize, queue: &mut Vec<usize>) -> bool {
        match self.pair[e] {
            Pair::Taken => return true,
            Pair::Dropped => return false,
            Pair::Open => {}
        }
        let (a, b) = p.ends[e];
        if self.taken[a] == 2 || self.taken[b] == 2 {
            return false;
        }
        let (end_a, end_b) = (self.other_end[a], self.other_end[b]);
        let closing = end_a == b;
        if closing && self.chain[a] != p.n {
            return false;
        }
        self.pair[e] = Pair::Taken;
        self.taken[a] += 1;
        self.taken[b] += 1;
        queue.extend([a, b]);
        if closing {
            return true;
        }
        let len = self.chain[a] + self.chain[b];
        self.other_end[end_a] = end_b;
        self.other_end[end_b] = end_a;
        self.chain[end_a] = len;
        self.chain[end_b] = len;
        // (A chain of two is joined by `e` itself.)
        let joining = p.find(end_a, end_b).filter(|&f| f != e);
        if len == p.n {
            // Everyone is on one chain: it must close through its ends.
            return joining.is_some_and(|f| self.take(p, f, queue));
        }
        joining.is_none_or(|f| self.drop(p, f, queue))
    }

    fn drop(&mut self, p: &Pairs, e: usize, queue: &mut Vec<usize>) -> bool {
        match self.pair[e] {
            Pair::Dropped => return true,
            Pair::Taken => return false,
            Pair::Open => {}
        }
        self.pair[e] = Pair::Dropped;
        let (a, b) = p.ends[e];
        self.usable[a] -= 1;
        self.usable[b] -= 1;
        queue.extend([a, b]);
        true
    }

    /// Applies the per-participant rules until nothing changes.
    fn settle(&mut self, p: &Pairs, queue: &mut Vec<usize>) -> bool {
        while let Some(v) = queue.pop() {
            if self.usable[v] < 2 {
                return false;
            }
            let open = |s: &State| {
                p.incident[v]
                    .iter()
                    .map(|&(_, e)| e)
                    .filter(|&e| s.pair[e] == Pair::Open)
                    .collect::<Vec<_>>()
            };
            if self.taken[v] == 2 && self.usable[v] > 2 {
                for e in open(self) {
                    if !self.drop(p, e, queue) {
                        return false;
                    }
                }
            } else if self.usable[v] == 2 && self.taken[v] < 2 {
                for e in open(self) {
                    if !self.take(p, e, queue) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether the usable pairs keep everyone connected with no cut participant.
    fn holds_together(&self, p: &Pairs) -> bool {
        let usable: Vec<(usize, usize)> = p
            .ends
            .iter()
            .zip(&self.pair)
            .filter(|(_, &state)| state != Pair::Dropped)
            .map(|(&ends, _)| ends)
            .collect();
        edges_biconnected(p.n, &usable)
    }

    fn open_pairs(&self, p: &Pairs, v: usize) -> Vec<usize> {
        p.incident[v].iter().map(|&(_, e)| e).filter(|&e| self.pair[e] == Pair::Open).collect()
    }

    /// The next participant to decide for: fewest open pairs, ties at random; None when
    /// everyone has their two.
    fn pick(&self, rng: &mut impl Rng) -> Option<usize> {
        let key = |v: usize| self.usable[v] - self.taken[v];
        let best = (0..self.taken.len()).filter(|&v| self.taken[v] < 2).map(key).min()?;
        let ties: Vec<usize> =
            (0..self.taken.len()).filter(|&v| self.taken[v] < 2 && key(v) == best).collect();
        Some(ties[rng.gen_range(0..ties.len())])
    }

    /// The cycle of taken pairs as a seating order, once everyone has two.
    fn order(&self, p: &Pairs) -> Vec<usize> {
        let mut order = Vec::with_capacity(p.n);
        let (mut prev, mut v) = (usize::MAX, 0);
        while order.len() < p.n {
            order.push(v);
            let next = p.incident[v]
                .iter()
                .find(|&&(u, e)| self.pair[e] == Pair::Taken && u != prev)
                .map(|&(u, _)| u)
                .expect("a closed cycle of taken pairs");
            (prev, v) = (v, next);
        }
        order
    }
}

struct Run<'a, R> {
    p: &'a Pairs,
    rng: &'a mut R,
    budget: Option<&'a mut u64>,
    /// The budget units one step costs (about a nanosecond each).
    step_cost: u64,
}

/// Searches for a cycle. `budget`: the work allowed, None for no limit.
pub(crate) fn cycle(g: &Graph, rng: &mut impl Rng, budget: Option<&mut u64>) -> Outcome {
    let p = Pairs::new(g);
    let mut state = State::new(&p);
    let mut queue: Vec<usize> = (0..p.n).collect();
    if !state.settle(&p, &mut queue) || !state.holds_together(&p) {
        return Outcome::NoCycle;
    }
    let step_cost = 40 * (p.n + p.ends.len()) as u64;
    let mut run = Run { p: &p, rng, budget, step_cost };
    match run.descend(state) {
        Ok(Some(order)) => Outcome::Found(order),
        Ok(None) => Outcome::NoCycle,
        Err(()) => Outcome::Unknown,
    }
}

impl<R: Rng> Run<'_, R> {
    /// Ok(Some(cycle)), Ok(None) when no cycle extends `state`, Err when the budget ran out.
    fn descend(&mut self, mut state: State) -> Result<Option<Vec<usize>>, ()> {
        let p = self.p;
        let Some(v) = state.pick(self.rng) else {
            return Ok(Some(state.order(p)));
        };
        let mut choices = state.open_pairs(p, v);
        choices.shuffle(self.rng);
        let mut queue = Vec::new();
        for e in choices {
            if let Some(left) = self.budget.as_deref_mut() {
                *left = left.checked_sub(self.step_cost).ok_or(())?;
            }
            let mut child = state.clone();
            queue.clear();
            if child.take(p, e, &mut queue)
                && child.settle(p, &mut queue)
                && child.holds_together(p)
            {
                if let Some(order) = self.descend(child)? {
                    return Ok(Some(order));
                }
            }
            // No cycle uses this pair from here: rule it out for the next tries.
            queue.clear();
            let still = state.drop(p, e, &mut queue)
                && state.settle(p, &mut queue)
                && state.holds_together(p);
            if !still {
                return Ok(None);
            }
            if state.taken[v] == 2 {
                // Ruling pairs out forced the rest: what is left is one state, not a choice.
                return self.descend(state);
            }
        }
        Ok(None)
    }
}
