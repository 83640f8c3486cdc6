//! The exact search: grow a path from a fixed start until it can close into a cycle,
//! backtracking on dead ends. It is exhaustive, so "no cycle" from here is a proof; the
//! pruning below only skips branches that provably cannot succeed. The rest of the path must
//! run from the head through every unvisited participant to the start, so with the head–start
//! link added the remaining participants need a cycle through all of them:
//! - everyone left needs two usable partners (unvisited ones, or a path end they may use);
//!   those with only one unvisited partner must become an end of the rest (at most two);
//! - whoever has exactly two usable partners forces both pairings: nobody may be forced into
//!   three, and forced pairings may not close a loop that leaves someone out (a head with a
//!   forced pairing has its next step decided);
//! - the remaining participants with both ends must be connected, and with the head–start
//!   link biconnected and not split into more than k parts by removing k of them (tested
//!   greedily, on small remainders);
//! - a (visited set, head) state that failed once fails again whatever order led to it, so
//!   failed states are remembered (up to a memory cap: forgetting one only costs time).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use rand::Rng;

use super::graph::{biconnected, ones, reach, scattering_set, Graph, Set};

pub(crate) enum Outcome {
    Found(Vec<usize>),
    NoCycle,
    /// The node budget ran out first (only when a budget was given).
    Unknown,
}

/// Failed states kept in memory, in 64-bit words.
const MEMO_WORDS: usize = 1 << 21;
/// The costly tests run at every step on sparse remainders (see `sparse`) and on those of at
/// most `EVERY_STEP` participants, where they are cheap; on others every `CHECK_EVERY` steps.
const EVERY_STEP: usize = 128;
const CHECK_EVERY: usize = 16;

/// The work of one pass over `size` participants' bitset rows, in budget units (about a
/// nanosecond each).
pub(crate) fn pass_cost(g: &Graph, size: usize) -> u64 {
    (100 + size * (10 + g.words)) as u64
}

/// Searches for a cycle. `budget`: the work allowed (see `pass_cost`), None for no limit.
pub(crate) fn cycle(g: &Graph, rng: &mut impl Rng, budget: Option<&mut u64>) -> Outcome {
    let mut budget = budget;
    let n = g.n;
    let lowest = (0..n).map(|v| g.degree[v]).min().unwrap_or(0);
    let starts: Vec<usize> = (0..n).filter(|&v| g.degree[v] == lowest).collect();
    let start = starts[rng.gen_range(0..starts.len())];

    let mut s = Search {
        g,
        start,
        unvisited: Set::full(n),
        free: (0..n).map(|v| g.degree[v]).collect(),
        free_edges: g.degree.iter().sum::<usize>() / 2,
        path: Vec::with_capacity(n),
        failed: HashSet::default(),
        failed_words: 0,
        work: 0,
    };
    s.visit(start);
    let Some(first) = s.candidates() else {
        return Outcome::NoCycle;
    };
    // Each frame: the participants to try after this step, how many were tried, and whether
    // this step passed the costly tests (the first one did: they are the root checks).
    let mut stack = vec![(first, 0usize, true)];
    while let Some((cands, next, _)) = stack.last_mut() {
        if *next == cands.len() {
            stack.pop();
            if stack.is_empty() {
                return Outcome::NoCycle;
            }
            s.remember_failure();
            s.unvisit();
            continue;
        }
        let u = s.pick(cands, *next, rng);
        *next += 1;
        if let Some(left) = budget.as_deref_mut() {
            if *left < s.work {
                return Outcome::Unknown;
            }
            *left -= s.work;
        }
        s.visit(u);
        if s.path.len() == n {
            if g.has(u, start) {
                return Outcome::Found(s.path);
            }
            s.unvisit();
            continue;
        }
        if s.failed_before() {
            s.unvisit();
            continue;
        }
        let Some(cands) = s.candidates() else {
            s.unvisit();
            continue;
        };
        // The costly tests run at every step on small graphs, every few steps on big ones.
        // When one fails, the steps since the last test that passed are tested in turn, back
        // to the first one that passes, so a wrong turn is undone at once however deep it was.
        let left = n - s.path.len();
        if left > EVERY_STEP && !s.sparse() && !s.path.len().is_multiple_of(CHECK_EVERY) {
            // Between them, only the cheaper half: connected without the link.
            if s.connected() {
                stack.push((cands, 0, false));
            } else {
                s.unvisit();
            }
            continue;
        }
        if s.holds_together() {
            stack.push((cands, 0, true));
            continue;
        }
        s.unvisit();
        while let Some((_, _, checked)) = stack.last_mut() {
            if *checked {
                break;
            }
            if s.holds_together() {
                *checked = true;
                break;
            }
            stack.pop();
            s.remember_failure();
            s.unvisit();
        }
    }
    Outcome::NoCycle
}

#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

struct Search<'g> {
    g: &'g Graph,
    start: usize,
    unvisited: Set,
    /// For every participant, how many of their partners are still unvisited.
    free: Vec<usize>,
    /// Allowed pairs among the unvisited.
    free_edges: usize,
    path: Vec<usize>,
    failed: HashSet<Vec<u64>, BuildHasherDefault<WordHasher>>,
    failed_words: usize,
    /// What the last pruning test cost, charged to the budget at the next step.
    work: u64,
}

impl Search<'_> {
    fn visit(&mut self, v: usize) {
        self.unvisited.remove(v);
        self.free_edges -= self.free[v];
        for u in ones(self.g.row(v)) {
            self.free[u] -= 1;
        }
        self.path.push(v);
    }

    fn unvisit(&mut self) {
        let v = self.path.pop().expect("a path step to undo");
        for u in ones(self.g.row(v)) {
            self.free[u] += 1;
        }
        self.free_edges += self.free[v];
        self.unvisited.insert(v);
    }

    /// Whether the unvisited participants have eight allowed partners among them on average,
    /// or fewer: where a wrong turn is most likely, so the costly tests run at every step.
    fn sparse(&self) -> bool {
        self.free_edges <= 4 * (self.g.n - self.path.len())
    }

    /// How many participants the greedy scattering test should remove at most: half of the
    /// `size` remaining when they are few enough for it to be cheap, and 0 when there are more
    /// or when no set of 2 up to that many can scatter them (removing one is the
    /// biconnectivity test). Removing k from a graph where everyone has at least d partners
    /// leaves parts of at least d - k + 1 each, so at most (size - k) / (d - k + 1) of them.
    fn scatter_size(&self, size: usize) -> usize {
        let (head, start) = (self.head(), self.start);
        if size > EVERY_STEP {
            return 0;
        }
        let most = size / 2;
        let ends = [head, start].map(|v| self.free[v] + 1);
        let fewest = self
            .unvisited
            .iter()
            .map(|u| self.free[u] + usize::from(self.g.has(u, head)))
            .chain(ends)
            .min()
            .unwrap_or(0);
        let possible = (2..=most).any(|k| {
            let per_part = (fewest + 1).saturating_sub(k).max(1);
            (size - k) / per_part > k
        });
        if possible {
            most
        } else {
            0
        }
    }

    fn head(&self) -> usize {
        *self.path.last().expect("a non-empty path")
    }

    fn state_key(&self) -> Vec<u64> {
        let mut key = self.unvisited.words.clone();
        key.push(self.head() as u64);
        key
    }

    fn failed_before(&self) -> bool {
        !self.failed.is_empty() && self.failed.contains(&self.state_key())
    }

    fn remember_failure(&mut self) {
        let key = self.state_key();
        if self.failed_words + key.len() <= MEMO_WORDS {
            self.failed_words += key.len();
            self.failed.insert(key);
        }
    }

    /// The participants worth trying next, best first, or None when this path cannot be
    /// completed into a cycle.
    fn candidates(&mut self) -> Option<Vec<usize>> {
        let g = self.g;
        let (head, start) = (self.head(), self.start);
        let left = g.n - self.path.len();
        self.work = pass_cost(g, left);
        if left == 1 {
            let u = self.unvisited.iter().next()?;
            return (g.has(head, u) && g.has(u, start)).then(|| vec![u]);
        }
        if self.free[head] == 0 || self.free[start] == 0 {
            return None;
        }
        let mut ends = 0;
        let mut must_last = None;
        // Pairings that must be in the cycle of the remaining participants: the head–start
        // link, and both usable pairings of anyone who has only two.
        let mut forced: Vec<(usize, usize)> = Vec::new();
        if head != start {
            forced.push((head.min(start), head.max(start)));
        }
        for u in self.unvisited.iter() {
            let (by_head, by_start) = (g.has(u, head), g.has(u, start) && start != head);
            let usable = self.free[u] + usize::from(by_head) + usize::from(by_start);
            if self.free[u] == 0 || usable < 2 {
                return None;
            }
            if self.free[u] == 1 {
                // Its one unvisited partner on one side, so a path end on the other.
                ends += 1;
                if ends > 2 {
                    return None;
                }
                if !by_head && by_start && must_last.replace(u).is_some() {
                    return None;
                }
            }
            if usable == 2 {
                let open = g.row(u).iter().zip(&self.unvisited.words).map(|(a, b)| a & b);
                let open: Vec<u64> = open.collect();
                forced.extend(ones(&open).map(|w| (u.min(w), u.max(w))));
                if by_head {
                    forced.push((u.min(head), u.max(head)));
                }
                if by_start {
                    forced.push((u.min(start), u.max(start)));
                }
            }
        }
        let next = self.settle_forced(&mut forced, left + 1 + usize::from(head != start))?;
        if let Some(u) = next {
            return Some(vec![u]);
        }
        let open: Vec<u64> =
            g.row(head).iter().zip(&self.unvisited.words).map(|(a, b)| a & b).collect();
        Some(ones(&open).filter(|&u| Some(u) != must_last).collect())
    }

    /// Moves the next participant to try to `cands[taken]` and returns it: fewest free partners
    /// first (Warnsdorff's rule: tight spots are settled early, and people who link groups are
    /// kept for when they are needed), ties in seeded random order so the draw stays random.
    /// Chosen one at a time, as most steps of a successful search never need a second choice.
    fn pick(&self, cands: &mut [usize], taken: usize, rng: &mut impl Rng) -> usize {
        let key = |u: usize| self.free[u];
        let best = cands[taken..].iter().map(|&u| key(u)).min().unwrap_or(0);
        let ties = cands[taken..].iter().filter(|&&u| key(u) == best).count();
        let mut chosen = rng.gen_range(0..ties.max(1));
        let at = (taken..cands.len())
            .find(|&i| {
                let hit = key(cands[i]) == best;
                if hit && chosen == 0 {
                    return true;
                }
                chosen -= usize::from(hit);
                false
            })
            .unwrap_or(taken);
        cands.swap(taken, at);
        cands[taken]
    }

    /// Whether the head reaches everyone unvisited and the start without visited people.
    fn connected(&mut self) -> bool {
        let mut rest = self.unvisited.clone();
        rest.insert(self.head());
        rest.insert(self.start);
        self.work += pass_cost(self.g, rest.len());
        reach(self.g, &rest, self.head()).len() == rest.len()
    }

    /// The costly tests of the current step: the remaining participants with the head–start
    /// link must be biconnected (which also means connected without the link), and, unless
    /// their partner counts rule it out, not scattered by a greedily found set: grown from
    /// nothing, and from each end of the path (an end can only be passed once, so it often
    /// belongs to the set that scatters the rest).
    fn holds_together(&mut self) -> bool {
        let g = self.g;
        let (head, start) = (self.head(), self.start);
        let mut rest = self.unvisited.clone();
        rest.insert(head);
        rest.insert(start);
        let link = Some((head, start));
        self.work += pass_cost(g, rest.len()) * 3;
        if !biconnected(g, &rest, link) {
            return false;
        }
        let size = self.scatter_size(rest.len());
        if size > 0 {
            self.work += 3 * size as u64 * pass_cost(g, rest.len()) * 4;
            if [&[][..], &[start], &[head]]
                .iter()
                .any(|seeds| scattering_set(g, &rest, link, seeds, size).is_some())
            {
                return false;
            }
        }
        true
    }

    /// Checks the forced pairings among the `rest` participants left with both path ends: None
    /// when someone is forced into three or they close a loop short of everyone; otherwise the
    /// forced next step, if any.
    fn settle_forced(
        &self,
        forced: &mut Vec<(usize, usize)>,
        rest: usize,
    ) -> Option<Option<usize>> {
        let (head, start) = (self.head(), self.start);
        let link = usize::from(head != start);
        if forced.len() <= link {
            return Some(None);
        }
        forced.sort_unstable();
        forced.dedup();
        let mut degree = vec![0u8; self.g.n];
        let mut root: Vec<usize> = (0..self.g.n).collect();
        let mut size = vec![1usize; self.g.n];
        fn find(root: &mut [usize], mut v: usize) -> usize {
            while root[v] != v {
                root[v] = root[root[v]];
                v = root[v];
            }
            v
        }
        let mut next = None;
        for &(a, b) in forced.iter() {
            for v in [a, b] {
                degree[v] += 1;
                if degree[v] > 2 {
                    return None;
                }
            }
            let (ra, rb) = (find(&mut root, a), find(&mut root, b));
            if ra == rb {
                // A closed loop: only the whole remaining cycle may close.
                if size[ra] != rest {
                    return None;
                }
            } else {
                root[ra] = rb;
                size[rb] += size[ra];
            }
            let other = if a == head { b } else { a };
            if (a == head || b == head) && other != start && self.unvisited.contains(other) {
                next = Some(other);
            }
        }
        Some(next)
    }
}
