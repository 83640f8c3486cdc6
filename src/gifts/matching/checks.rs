//! Quick necessary conditions for a gift cycle. Each failed condition names the exclusions that
//! keep it failing: as long as every one of them stays, no cycle exists, whatever else changes.
//! That is what makes them useful to the person fixing the exchange, and to the search for the
//! smallest fix: a fix must remove at least `need` of every such set.

use super::graph::{components, cut_vertex, ones, scattering_set, Graph, Pair, Set};

/// Why a condition fails, before it is turned into the public `Infeasible`.
pub(crate) enum Obstacle {
    Isolated(usize),
    NoCycle,
}

pub(crate) struct Blocked {
    pub obstacle: Obstacle,
    pub blamed: Vec<Pair>,
    /// How many of the blamed exclusions any fix removes, at least.
    pub need: usize,
}

fn blame(exclusions: &[Pair], keep: impl Fn(usize, usize) -> bool) -> Vec<Pair> {
    exclusions.iter().filter(|&&(a, b)| keep(a, b)).copied().collect()
}

/// Everyone needs two different people in the allowed graph: one to give to, one to receive
/// from. The participant with the fewest is reported, with all of their exclusions.
pub(crate) fn isolated(g: &Graph, exclusions: &[Pair]) -> Option<Blocked> {
    let v = (0..g.n).filter(|&v| g.degree[v] < 2).min_by_key(|&v| g.degree[v])?;
    Some(Blocked {
        obstacle: Obstacle::Isolated(v),
        blamed: blame(exclusions, |a, b| a == v || b == v),
        need: 2 - g.degree[v],
    })
}

/// Ore's condition: every excluded pair together has at least n allowed partners. It
/// guarantees a cycle (and the Palmer construction finds it), and the only non-adjacent pairs
/// are the exclusions, so checking it costs one pass over them.
pub(crate) fn ore(g: &Graph, exclusions: &[Pair]) -> bool {
    exclusions.iter().all(|&(a, b)| g.degree[a] + g.degree[b] >= g.n)
}

/// A cycle through everyone survives the loss of any one vertex, so the allowed graph must be
/// connected and have no cut vertex. Blamed: the exclusions between the separated groups (the
/// cycle must pass between c groups c times, or through a cut vertex once).
pub(crate) fn separated(g: &Graph, exclusions: &[Pair]) -> Option<Blocked> {
    let everyone = Set::full(g.n);
    let (comp, count) = components(g, &everyone);
    if count > 1 {
        return Some(Blocked {
            obstacle: Obstacle::NoCycle,
            blamed: blame(exclusions, |a, b| comp[a] != comp[b]),
            need: count,
        });
    }
    let cut = cut_vertex(g, &everyone, None)?;
    let mut hub = Set::empty(g.n);
    hub.insert(cut);
    Some(scattering(g, exclusions, &hub))
}

/// More generally, removing k participants may not leave more than k separate groups: the
/// cycle enters and leaves every group through them. Checked exactly for every small k that
/// is cheap (all sets of 2, 3, ... participants), then greedily (removing first whoever splits
/// off most groups, else the best connected), which finds the typical case of a few people
/// linking several groups that may not exchange with each other.
pub(crate) fn scattered(g: &Graph, exclusions: &[Pair]) -> Option<Blocked> {
    if let Some(hubs) = small_scattering_set(g) {
        return Some(scattering(g, exclusions, &hubs));
    }
    // Each greedy step is a few passes over everyone: fewer steps for big exchanges.
    let steps = (1_000_000 / (5 * per_set(g.n))).clamp(8, 64);
    let (hubs, _) = scattering_set(g, &Set::full(g.n), None, &[], steps)?;
    Some(scattering(g, exclusions, &hubs))
}

/// Set sizes are tried while all the sets so far cost at most this much (in the search's
/// units, about a nanosecond each).
const SMALL_SETS_WORK: usize = 2_000_000;

/// The cost of one set: a pass over the remaining participants.
fn per_set(n: usize) -> usize {
    100 + n * (10 + n.div_ceil(64))
}

/// The largest set size tried exactly for n participants.
fn small_sets_size(n: usize) -> usize {
    let per_set = per_set(n);
    let mut work = 0;
    (2..n / 2)
        .take_while(|&k| {
            work += binomial(n, k).saturating_mul(per_set);
            work <= SMALL_SETS_WORK
        })
        .last()
        .unwrap_or(0)
}

/// What the exact part of `scattered` costs, in the same units.
pub(crate) fn small_sets_work(n: usize) -> usize {
    let per_set = per_set(n);
    (2..=small_sets_size(n)).map(|k| binomial(n, k) * per_set).sum()
}

fn small_scattering_set(g: &Graph) -> Option<Set> {
    let n = g.n;
    for k in 2..=small_sets_size(n) {
        let mut chosen: Vec<usize> = (0..k).collect();
        loop {
            let mut rest = Set::full(n);
            for &v in &chosen {
                rest.remove(v);
            }
            if components(g, &rest).1 > k {
                let mut hubs = Set::empty(n);
                chosen.iter().for_each(|&v| hubs.insert(v));
                return Some(hubs);
            }
            // The next k-subset in lexicographic order.
            let Some(i) = (0..k).rev().find(|&i| chosen[i] < n - k + i) else {
                break;
            };
            chosen[i] += 1;
            for j in i + 1..k {
                chosen[j] = chosen[j - 1] + 1;
            }
        }
    }
    None
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1usize, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// The obstacle of `hubs` splitting the rest into more groups than there are hubs: every
/// added link between two groups merges at most two of them.
fn scattering(g: &Graph, exclusions: &[Pair], hubs: &Set) -> Blocked {
    let mut rest = Set::full(g.n);
    hubs.iter().for_each(|v| rest.remove(v));
    let (comp, count) = components(g, &rest);
    Blocked {
        obstacle: Obstacle::NoCycle,
        blamed: blame(exclusions, |a, b| {
            !hubs.contains(a) && !hubs.contains(b) && comp[a] != comp[b]
        }),
        need: count.saturating_sub(hubs.len()).max(1),
    }
}

/// Someone allowed only two partners must use both in the cycle. Nobody can take part in
/// three such forced pairings, and the forced pairings cannot close a loop that leaves people
/// out. Blamed: the exclusions of the participants whose few partners force it.
pub(crate) fn forced(g: &Graph, exclusions: &[Pair]) -> Option<Blocked> {
    let pinned: Vec<usize> = (0..g.n).filter(|&v| g.degree[v] == 2).collect();
    if pinned.is_empty() {
        return None;
    }
    let mut edges: Vec<Pair> = Vec::with_capacity(pinned.len() * 2);
    for &w in &pinned {
        edges.extend(ones(g.row(w)).map(|x| (w.min(x), w.max(x))));
    }
    edges.sort_unstable();
    edges.dedup();
    let mut forced_degree = vec![0usize; g.n];
    for &(a, b) in &edges {
        forced_degree[a] += 1;
        forced_degree[b] += 1;
    }
    // Only someone with more than two partners can collect three forced pairings.
    if let Some(v) = (0..g.n).find(|&v| forced_degree[v] > 2) {
        let three: Vec<usize> = ones(g.row(v)).filter(|&x| g.degree[x] == 2).take(3).collect();
        return Some(Blocked {
            obstacle: Obstacle::NoCycle,
            blamed: blame(exclusions, |a, b| three.contains(&a) || three.contains(&b)),
            need: 1,
        });
    }
    let mut parent: Vec<usize> = (0..g.n).collect();
    fn root(parent: &mut [usize], mut v: usize) -> usize {
        while parent[v] != v {
            parent[v] = parent[parent[v]];
            v = parent[v];
        }
        v
    }
    for &(a, b) in &edges {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            continue;
        }
        // The forced pairings close a loop; fine only if it takes in everyone.
        let members: Vec<usize> = (0..g.n).filter(|&v| root(&mut parent, v) == ra).collect();
        if members.len() == g.n {
            return None;
        }
        let mut inside = Set::empty(g.n);
        for &v in &members {
            if g.degree[v] == 2 {
                inside.insert(v);
            }
        }
        return Some(Blocked {
            obstacle: Obstacle::NoCycle,
            blamed: blame(exclusions, |a, b| inside.contains(a) || inside.contains(b)),
            need: 1,
        });
    }
    None
}

/// A gift cycle gives everyone exactly one recipient and one giver, so there must be an
/// assignment of distinct allowed recipients (a perfect matching from givers to receivers).
/// When there is none, some group X of participants can only give to fewer people than X has
/// (Hall's condition); the exclusions between X and everyone outside its reach are blamed.
pub(crate) fn hall(g: &Graph, exclusions: &[Pair]) -> Option<Blocked> {
    const FREE: usize = usize::MAX;
    let n = g.n;
    let mut receiver_of = vec![FREE; n];
    let mut giver_of = vec![FREE; n];
    let mut free_receivers = Set::full(n);
    for (u, receiver) in receiver_of.iter_mut().enumerate() {
        let row = g.row(u);
        if let Some(v) = (0..g.words)
            .map(|i| (i, row[i] & free_receivers.words[i]))
            .find(|&(_, w)| w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
        {
            *receiver = v;
            giver_of[v] = u;
            free_receivers.remove(v);
        }
    }
    for start in 0..n {
        if receiver_of[start] != FREE {
            continue;
        }
        // Breadth-first search for an alternating path to a free receiver.
        let mut seen_givers = Set::empty(n);
        let mut seen_receivers = Set::empty(n);
        let mut came_from = vec![FREE; n];
        let mut queue = std::collections::VecDeque::from([start]);
        seen_givers.insert(start);
        let mut end = None;
        'bfs: while let Some(x) = queue.pop_front() {
            let row = g.row(x);
            for (i, (&allowed, seen)) in row.iter().zip(&mut seen_receivers.words).enumerate() {
                let mut fresh = allowed & !*seen;
                *seen |= fresh;
                while fresh != 0 {
                    let v = i * 64 + fresh.trailing_zeros() as usize;
                    fresh &= fresh - 1;
                    came_from[v] = x;
                    if giver_of[v] == FREE {
                        end = Some(v);
                        break 'bfs;
                    }
                    let next = giver_of[v];
                    if !seen_givers.contains(next) {
                        seen_givers.insert(next);
                        queue.push_back(next);
                    }
                }
            }
        }
        match end {
            Some(mut v) => loop {
                let x = came_from[v];
                let previous = receiver_of[x];
                receiver_of[x] = v;
                giver_of[v] = x;
                if x == start {
                    break;
                }
                v = previous;
            },
            None => {
                let (givers, reach) = (seen_givers, seen_receivers);
                return Some(Blocked {
                    obstacle: Obstacle::NoCycle,
                    blamed: blame(exclusions, |a, b| {
                        (givers.contains(a) && !reach.contains(b))
                            || (givers.contains(b) && !reach.contains(a))
                    }),
                    need: 1,
                });
            }
        }
    }
    None
}
