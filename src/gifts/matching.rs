//! TEMPORARY: replaced by the real matcher at merge.
//! The gift cycle: one cycle through every participant that respects every exclusion.
//! This version is a plain randomised backtracking search, enough for small exchanges.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Why no gift cycle exists, and which exclusions cause it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infeasible {
    pub reason: Reason,
    /// Exclusions that cause it (each as given, i < j normalised).
    pub blamed: Vec<(usize, usize)>,
    /// The smallest set of exclusions whose removal makes a cycle possible, when found quickly.
    pub fix: Option<Vec<(usize, usize)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    TooFew { n: usize },
    Isolated { participant: usize },
    NoCycle,
}

impl Infeasible {
    /// The problem in plain words, naming participants with `name`.
    pub fn message(&self, name: impl Fn(usize) -> String) -> String {
        match self.reason {
            Reason::TooFew { n } => {
                format!("A gift exchange needs at least 3 participants; this one has {n}.")
            }
            Reason::Isolated { participant } => format!(
                "{} is excluded from everyone, or from all but one other participant, so no \
                 single gift cycle can include them.",
                name(participant)
            ),
            Reason::NoCycle => {
                "The exclusions leave no single gift cycle through everyone.".to_string()
            }
        }
    }
}

/// Participants are 0..n; exclusions are unordered pairs (i, j), i != j, both < n.
/// Ok(order): a permutation of 0..n; order[k] gives to order[(k + 1) % n].
pub fn find_cycle(
    n: usize,
    exclusions: &[(usize, usize)],
    seed: u64,
) -> Result<Vec<usize>, Infeasible> {
    let mut pairs: Vec<(usize, usize)> = exclusions
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .filter(|&(a, b)| a != b && b < n)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    if n < 3 {
        return Err(Infeasible { reason: Reason::TooFew { n }, blamed: Vec::new(), fix: None });
    }
    let mut banned = vec![vec![false; n]; n];
    for &(a, b) in &pairs {
        banned[a][b] = true;
        banned[b][a] = true;
    }
    for (i, row) in banned.iter().enumerate() {
        let open = (0..n).filter(|&j| j != i && !row[j]).count();
        if open < 2 {
            let blamed = pairs.iter().copied().filter(|&(a, b)| a == i || b == i).collect();
            return Err(Infeasible {
                reason: Reason::Isolated { participant: i },
                blamed,
                fix: None,
            });
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut path = vec![order[0]];
    let mut used = vec![false; n];
    used[order[0]] = true;
    if extend(&banned, &mut path, &mut used, &mut rng) {
        Ok(path)
    } else {
        Err(Infeasible { reason: Reason::NoCycle, blamed: pairs, fix: None })
    }
}

fn extend(
    banned: &[Vec<bool>],
    path: &mut Vec<usize>,
    used: &mut [bool],
    rng: &mut StdRng,
) -> bool {
    let n = banned.len();
    let last = path[path.len() - 1];
    if path.len() == n {
        return !banned[last][path[0]];
    }
    let mut next: Vec<usize> = (0..n).filter(|&j| !used[j] && !banned[last][j]).collect();
    next.shuffle(rng);
    for j in next {
        used[j] = true;
        path.push(j);
        if extend(banned, path, used, rng) {
            return true;
        }
        path.pop();
        used[j] = false;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cycle_that_respects_exclusions() {
        let order = find_cycle(5, &[(0, 1), (2, 3)], 7).unwrap();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
        for k in 0..5 {
            let (a, b) = (order[k], order[(k + 1) % 5]);
            assert!(![(0, 1), (1, 0), (2, 3), (3, 2)].contains(&(a, b)));
        }
        assert_eq!(find_cycle(5, &[(0, 1), (2, 3)], 7).unwrap(), order);
    }

    #[test]
    fn reports_too_few_and_isolated() {
        assert_eq!(find_cycle(2, &[], 1).unwrap_err().reason, Reason::TooFew { n: 2 });
        let err = find_cycle(4, &[(0, 1), (0, 2)], 1).unwrap_err();
        assert_eq!(err.reason, Reason::Isolated { participant: 0 });
        assert_eq!(err.blamed, vec![(0, 1), (0, 2)]);
    }
}
