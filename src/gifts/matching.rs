//! The gift cycle: one cycle through every participant that respects every exclusion.
//!
//! Participants are `0..n`; the allowed graph is everyone with everyone, minus the excluded
//! pairs. A cycle through every vertex of it (A gives to B, B to C, ..., back to A) is drawn at
//! random from a seed. The decision is complete: "impossible" is only ever answered with a proof
//! (a failed necessary condition or an exhausted exact search), never because a retry or time
//! budget ran out.
//!
//! In order: too few people; someone with fewer than two allowed partners; Ore's condition,
//! under which Palmer's construction always succeeds (every large exchange with a few random
//! exclusions lands here, in about O(n²/64 + gaps · n)); a disconnected graph or a cut vertex;
//! forced pairings that collide; no assignment of distinct recipients at all (Hall); a few
//! quick Palmer tries; then an exact search: on pairs for sparse exchanges (`pairs.rs`), on a
//! growing path for the others (`search.rs`).

mod checks;
mod graph;
mod pairs;
mod palmer;
mod search;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use checks::{Blocked, Obstacle};
use graph::{normalise, without, Graph, Pair};

/// Why no gift cycle exists, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infeasible {
    pub reason: Reason,
    /// Exclusions that cause it (each as given, i < j normalised): as long as all of them stay,
    /// no cycle exists, whatever happens to the others.
    pub blamed: Vec<(usize, usize)>,
    /// The smallest set of exclusions whose removal makes a cycle possible, when found quickly.
    pub fix: Option<Vec<(usize, usize)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Fewer than 3 participants.
    TooFew { n: usize },
    /// Excluded from everyone or all but one other.
    Isolated { participant: usize },
    /// No single cycle through everyone.
    NoCycle,
}

/// Draws a gift cycle: `Ok(order)` is a permutation of `0..n` where `order[k]` gives to
/// `order[(k + 1) % n]`, nobody gives to themselves and no excluded pair gives to each other
/// (in either direction). The same seed gives the same cycle.
///
/// Exclusions are unordered pairs; duplicates are ignored, and so are pairs that cannot
/// constrain anyone (a self pair, or a participant outside `0..n`; `invalid_pairs` lists them
/// for callers that want to refuse them).
///
/// Errors: `Infeasible` when no such cycle exists (too few participants, someone left with
/// fewer than two allowed partners, or no single cycle possible), with the exclusions to blame
/// and, when one is found quickly, the smallest set of exclusions to remove.
pub fn find_cycle(
    n: usize,
    exclusions: &[(usize, usize)],
    seed: u64,
) -> Result<Vec<usize>, Infeasible> {
    if n < 3 {
        return Err(Infeasible { reason: Reason::TooFew { n }, blamed: Vec::new(), fix: None });
    }
    let exclusions = normalise(n, exclusions);
    let mut rng = StdRng::seed_from_u64(seed);
    match decide(n, &exclusions, &mut rng, None) {
        Decision::Cycle(mut order) => {
            let turn = rng.gen_range(0..n);
            order.rotate_left(turn);
            if rng.gen::<bool>() {
                order.reverse();
            }
            Ok(order)
        }
        Decision::Blocked(blocked, by_search) => {
            let reason = match blocked.obstacle {
                Obstacle::Isolated(participant) => Reason::Isolated { participant },
                Obstacle::NoCycle => Reason::NoCycle,
            };
            let mut budget = Budget::for_size(n, exclusions.len());
            let (blamed, fix) = if by_search {
                narrow(n, &exclusions, &mut rng, &mut budget)
            } else {
                (blocked.blamed, None)
            };
            let first = (blamed.clone(), blocked.need);
            let fix = fix.or_else(|| smallest_fix(n, &exclusions, first, &mut rng, &mut budget));
            Err(Infeasible { reason, blamed, fix })
        }
        Decision::Unknown => unreachable!("a search without a step budget always decides"),
    }
}

/// The pairs `find_cycle` ignores because they name nobody: self pairs and pairs naming
/// someone outside `0..n`, in the order given. Only the tests need the list.
#[cfg(test)]
fn invalid_pairs(n: usize, exclusions: &[(usize, usize)]) -> Vec<(usize, usize)> {
    exclusions.iter().filter(|&&(a, b)| a == b || a >= n || b >= n).copied().collect()
}

enum Decision {
    Cycle(Vec<usize>),
    /// With whether the exact search (rather than a quick check) proved it.
    Blocked(Blocked, bool),
    Unknown,
}

/// Tries of Palmer's construction before the exact search, when Ore's condition fails.
const PALMER_TRIES: usize = 4;

/// Decides one exchange (n >= 3, exclusions normalised). Complete when `budget` is None.
fn decide(n: usize, exclusions: &[Pair], rng: &mut StdRng, budget: Option<&mut u64>) -> Decision {
    let g = Graph::new(n, exclusions);
    if let Some(blocked) = checks::isolated(&g, exclusions) {
        return Decision::Blocked(blocked, false);
    }
    let ore = checks::ore(&g, exclusions);
    if ore {
        if let Some(order) = palmer::cycle(&g, rng) {
            return Decision::Cycle(order);
        }
    }
    type Check = fn(&Graph, &[Pair]) -> Option<Blocked>;
    let quick: [Check; 4] = [checks::separated, checks::scattered, checks::forced, checks::hall];
    for check in quick {
        if let Some(blocked) = check(&g, exclusions) {
            return Decision::Blocked(blocked, false);
        }
    }
    if !ore {
        // Outside Ore's condition the construction can get stuck where a cycle exists; a few
        // fresh seatings cost far less than the search.
        for _ in 0..PALMER_TRIES {
            if let Some(order) = palmer::cycle(&g, rng) {
                return Decision::Cycle(order);
            }
        }
    }
    let outcome = if pairs::suits(&g) {
        pairs::cycle(&g, rng, budget)
    } else {
        search::cycle(&g, rng, budget)
    };
    match outcome {
        search::Outcome::Found(order) => Decision::Cycle(order),
        search::Outcome::NoCycle => Decision::Blocked(
            Blocked { obstacle: Obstacle::NoCycle, blamed: exclusions.to_vec(), need: 1 },
            true,
        ),
        search::Outcome::Unknown => Decision::Unknown,
    }
}

/// The work allowed for explaining an infeasible exchange (not for deciding it), shared by all
/// trial decisions, in the search's units (about a nanosecond each): some 20 ms, more for big
/// exchanges, at most some 35 ms. One trial may use a third of what is left, so a trial that
/// cannot be decided quickly does not stop the others. Counting work rather than time keeps
/// the answer the same for the same seed on any machine.
struct Budget {
    work: u64,
    trial_cost: u64,
}

impl Budget {
    const LEAST: u64 = 20_000_000;
    const MOST: u64 = 35_000_000;

    fn for_size(n: usize, m: usize) -> Budget {
        let g_pass = (100 + n * (10 + n.div_ceil(64))) as u64;
        Budget {
            work: (4 * n as u64 * g_pass).clamp(Self::LEAST, Self::MOST),
            trial_cost: 20 * g_pass + 20 * m as u64 + checks::small_sets_work(n) as u64,
        }
    }

    /// Decides the exchange without `exclusions` within a share of the budget; None when the
    /// budget cannot pay for the trial's quick checks.
    fn decide(&mut self, n: usize, exclusions: &[Pair], rng: &mut StdRng) -> Option<Decision> {
        self.work = self.work.checked_sub(self.trial_cost)?;
        let share = self.work / 3;
        let mut left = share;
        let decision = decide(n, exclusions, rng, Some(&mut left));
        self.work -= share - left;
        Some(decision)
    }
}

/// When only the exhaustive search proved it, every exclusion is a suspect. Drop those that
/// are not needed for the proof: if the exchange stays impossible without a group of them,
/// that group is not to blame (and the trial's own proof may clear more). Groups start at half
/// the suspects and halve down to single exclusions while the budget lasts; the suspects left
/// always still prove it impossible on their own. Returns them and, when one exclusion alone
/// turned out to be enough to remove, that fix.
fn narrow(
    n: usize,
    exclusions: &[Pair],
    rng: &mut StdRng,
    budget: &mut Budget,
) -> (Vec<Pair>, Option<Vec<Pair>>) {
    let mut suspects = exclusions.to_vec();
    let mut fix = None;
    let mut group = suspects.len().div_ceil(2);
    while group > 0 {
        let mut at = 0;
        while at < suspects.len() {
            let end = (at + group).min(suspects.len());
            let tried = suspects[at..end].to_vec();
            let rest = without(&suspects, &tried);
            let Some(decision) = budget.decide(n, &rest, rng) else {
                return (suspects, fix);
            };
            match decision {
                Decision::Blocked(blocked, _) => {
                    // The proof holds without the group: keep what it names, from here on.
                    suspects = blocked.blamed;
                    at = suspects.partition_point(|&p| p < tried[0]);
                }
                Decision::Cycle(_) => {
                    if tried.len() == 1 && suspects.len() == exclusions.len() && fix.is_none() {
                        fix = Some(tried);
                    }
                    at = end;
                }
                Decision::Unknown => at = end,
            }
        }
        group /= 2;
    }
    (suspects, fix)
}

/// The largest fix looked for.
const FIX_SIZE: usize = 4;

/// The smallest set of exclusions whose removal makes the exchange possible, by growing
/// candidates that satisfy every known obstacle (a set of exclusions that blocks as long as
/// enough of it stays, so every fix must remove at least `need` of each): try the smallest
/// such candidate; if it does not work, the trial names a new obstacle it misses, and the
/// next candidate must satisfy that one too. The first candidate that works is a smallest fix.
/// None when the budget runs out or a smaller candidate could not be decided within it.
fn smallest_fix(
    n: usize,
    exclusions: &[Pair],
    first: (Vec<Pair>, usize),
    rng: &mut StdRng,
    budget: &mut Budget,
) -> Option<Vec<Pair>> {
    let mut obstacles = vec![first];
    let mut undecided: Vec<Vec<Pair>> = Vec::new();
    let mut work = 1_000_000u64;
    for size in 1..=FIX_SIZE {
        loop {
            let candidate = match hitting_set(&obstacles, size, &undecided, &mut work) {
                Hit::Found(candidate) => candidate,
                Hit::None => break,
                Hit::GaveUp => return None,
            };
            let rest = without(exclusions, &candidate);
            match budget.decide(n, &rest, rng)? {
                Decision::Cycle(_) => {
                    return undecided.iter().all(|u| u.len() >= size).then_some(candidate);
                }
                Decision::Blocked(blocked, _) => obstacles.push((blocked.blamed, blocked.need)),
                Decision::Unknown => undecided.push(candidate),
            }
        }
    }
    None
}

enum Hit {
    Found(Vec<Pair>),
    None,
    GaveUp,
}

/// A set of exactly `size` exclusions with at least `need` from every obstacle, other than
/// those in `skip`.
fn hitting_set(
    obstacles: &[(Vec<Pair>, usize)],
    size: usize,
    skip: &[Vec<Pair>],
    work: &mut u64,
) -> Hit {
    fn grow(
        obstacles: &[(Vec<Pair>, usize)],
        size: usize,
        skip: &[Vec<Pair>],
        chosen: &mut Vec<Pair>,
        work: &mut u64,
    ) -> Hit {
        if *work == 0 {
            return Hit::GaveUp;
        }
        *work -= 1;
        // The unmet obstacle with the fewest choices, and the most any obstacle still lacks.
        let mut most_lacking = 0;
        let mut pick: Option<&Vec<Pair>> = None;
        for (blamed, need) in obstacles {
            let have = chosen.iter().filter(|c| blamed.binary_search(c).is_ok()).count();
            if have < *need {
                most_lacking = most_lacking.max(need - have);
                if pick.is_none_or(|p| blamed.len() < p.len()) {
                    pick = Some(blamed);
                }
            }
        }
        let Some(pick) = pick else {
            let mut set = chosen.clone();
            set.sort_unstable();
            return if set.len() == size && !skip.contains(&set) {
                Hit::Found(set)
            } else {
                Hit::None
            };
        };
        if chosen.len() + most_lacking > size {
            return Hit::None;
        }
        for &choice in pick {
            if chosen.contains(&choice) {
                continue;
            }
            chosen.push(choice);
            let hit = grow(obstacles, size, skip, chosen, work);
            chosen.pop();
            if !matches!(hit, Hit::None) {
                return hit;
            }
        }
        Hit::None
    }
    grow(obstacles, size, skip, &mut Vec::new(), work)
}

impl Infeasible {
    /// The explanation in plain words, naming participants with `name`.
    pub(crate) fn message(&self, name: impl Fn(usize) -> String) -> String {
        // An isolated participant is named first in every pair, as the subject of the message.
        let lead = match self.reason {
            Reason::Isolated { participant } => Some(participant),
            _ => None,
        };
        let pair = |&(a, b): &Pair| {
            let (a, b) = if Some(b) == lead { (b, a) } else { (a, b) };
            format!("{} – {}", name(a), name(b))
        };
        let mut text = match self.reason {
            Reason::TooFew { n } => {
                format!("At least 3 participants are needed for a gift cycle (there are {n}).")
            }
            Reason::Isolated { participant } => {
                let others: Vec<String> = self
                    .blamed
                    .iter()
                    .map(|&(a, b)| name(if a == participant { b } else { a }))
                    .collect();
                let who = name(participant);
                if others.is_empty() {
                    format!("{who} has nobody to give to, so no gift cycle can include them.")
                } else {
                    format!(
                        "{who} is excluded from {}, which leaves fewer than two people to give \
                         to and receive from, so no gift cycle can include them.",
                        listing(others, "other")
                    )
                }
            }
            Reason::NoCycle => {
                let mut text = String::from(
                    "No single gift cycle can go through everyone with these exclusions.",
                );
                if !self.blamed.is_empty() {
                    let blamed = self.blamed.iter().map(pair).collect();
                    text += &format!(
                        " It is ruled out by {}: {}.",
                        if self.blamed.len() == 1 {
                            "this exclusion"
                        } else {
                            "these exclusions together"
                        },
                        listing(blamed, "more")
                    );
                }
                text
            }
        };
        if let Some(fix) = &self.fix {
            let fix: Vec<String> = fix.iter().map(pair).collect();
            text += &if fix.len() == 1 {
                format!(" Removing the exclusion {} would make a gift cycle possible.", fix[0])
            } else {
                format!(
                    " Removing these {} exclusions would make a gift cycle possible: {}.",
                    fix.len(),
                    listing(fix, "more")
                )
            };
        }
        text
    }
}

/// "A", "A and B", "A, B and C"; long lists end with "and N more" (or "N others").
fn listing(mut items: Vec<String>, rest_word: &str) -> String {
    const SHOWN: usize = 8;
    if items.len() > SHOWN + 1 {
        let hidden = items.len() - SHOWN;
        items.truncate(SHOWN);
        let word = if rest_word == "other" { "others" } else { rest_word };
        items.push(format!("{hidden} {word}"));
    }
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} and {last}", first.join(", ")),
    }
}

#[cfg(test)]
mod tests;
