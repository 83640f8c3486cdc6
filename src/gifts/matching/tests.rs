//! Property tests against two independent oracles (every permutation for n <= 8, a subset
//! dynamic programme for n <= 12), plus one test per reason and message.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{find_cycle, invalid_pairs, Infeasible, Reason};

type Pair = (usize, usize);

fn excluded(exclusions: &[Pair], a: usize, b: usize) -> bool {
    exclusions.iter().any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
}

/// Panics unless `order` is one gift cycle through everyone that respects every exclusion.
fn assert_valid(n: usize, exclusions: &[Pair], order: &[usize]) {
    assert_eq!(order.len(), n, "everyone is in the cycle once: {order:?}");
    let mut seen = vec![false; n];
    for &v in order {
        assert!(v < n && !seen[v], "a permutation of 0..{n}: {order:?}");
        seen[v] = true;
    }
    for k in 0..n {
        let (giver, receiver) = (order[k], order[(k + 1) % n]);
        assert_ne!(giver, receiver, "nobody draws themselves");
        assert!(
            !excluded(exclusions, giver, receiver),
            "{giver} gives to {receiver} despite their exclusion: {order:?}"
        );
    }
}

/// Every cycle through 0 (each cycle has one), tried one permutation at a time.
fn oracle_permutations(n: usize, exclusions: &[Pair]) -> bool {
    fn extend(n: usize, ex: &[Pair], path: &mut Vec<usize>, used: &mut [bool]) -> bool {
        if path.len() == n {
            return !excluded(ex, path[n - 1], path[0]);
        }
        for v in 1..n {
            if !used[v] {
                used[v] = true;
                path.push(v);
                let ok = !excluded(ex, path[path.len() - 2], v) && extend(n, ex, path, used);
                path.pop();
                used[v] = false;
                if ok {
                    return true;
                }
            }
        }
        false
    }
    n >= 3 && extend(n, exclusions, &mut vec![0], &mut vec![false; n])
}

/// Held–Karp: can[set][v] says a path from 0 through exactly `set` can end at v.
fn oracle_subsets(n: usize, exclusions: &[Pair]) -> bool {
    if n < 3 {
        return false;
    }
    let ok = |a: usize, b: usize| a != b && !excluded(exclusions, a, b);
    let mut can = vec![vec![false; n]; 1 << n];
    can[1][0] = true;
    for set in 1..(1usize << n) {
        for v in 0..n {
            if !can[set][v] {
                continue;
            }
            for u in 0..n {
                if set >> u & 1 == 0 && ok(v, u) {
                    can[set | 1 << u][u] = true;
                }
            }
        }
    }
    (1..n).any(|v| can[(1 << n) - 1][v] && ok(v, 0))
}

fn random_case(rng: &mut StdRng, n: usize) -> Vec<Pair> {
    let density: f64 = [0.0, 0.1, 0.3, 0.5, 0.6, 0.7][rng.gen_range(0..6)];
    let mut out = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if rng.gen_bool(density) {
                // As a caller might give them: either order, sometimes twice.
                out.push(if rng.gen() { (a, b) } else { (b, a) });
                if rng.gen_bool(0.05) {
                    out.push((b, a));
                }
            }
        }
    }
    out
}

/// The exclusions of `all` not in `removed` (both may hold pairs in either order).
fn minus(all: &[Pair], removed: &[Pair]) -> Vec<Pair> {
    all.iter().filter(|&&(a, b)| !excluded(removed, a, b)).copied().collect()
}

fn normalised(exclusions: &[Pair]) -> Vec<Pair> {
    let mut out: Vec<Pair> = exclusions.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The size of the smallest set of exclusions whose removal allows a cycle, up to `max`.
fn oracle_min_fix(n: usize, exclusions: &[Pair], max: usize) -> Option<usize> {
    let all = normalised(exclusions);
    fn subsets(
        all: &[Pair],
        size: usize,
        from: usize,
        chosen: &mut Vec<Pair>,
        f: &mut dyn FnMut(&[Pair]) -> bool,
    ) -> bool {
        if chosen.len() == size {
            return f(chosen);
        }
        for i in from..all.len() {
            chosen.push(all[i]);
            let found = subsets(all, size, i + 1, chosen, f);
            chosen.pop();
            if found {
                return true;
            }
        }
        false
    }
    (0..=max).find(|&size| {
        subsets(&all, size, 0, &mut Vec::new(), &mut |removed: &[Pair]| {
            oracle_subsets(n, &minus(&all, removed))
        })
    })
}

/// Checks one answer against the oracle and against its own claims.
fn check_case(n: usize, exclusions: &[Pair], seed: u64) -> Result<Vec<usize>, Infeasible> {
    let result = find_cycle(n, exclusions, seed);
    let possible = oracle_subsets(n, exclusions);
    if n <= 8 {
        assert_eq!(possible, oracle_permutations(n, exclusions), "the two oracles agree");
    }
    match &result {
        Ok(order) => assert_valid(n, exclusions, order),
        Err(e) => {
            assert!(!possible, "a false impossible for n={n} {exclusions:?}: {e:?}");
            let all = normalised(exclusions);
            for pair in &e.blamed {
                assert!(pair.0 < pair.1 && all.contains(pair), "blamed {pair:?} is an exclusion");
            }
            if n >= 3 {
                // The blamed exclusions alone keep it impossible.
                assert!(
                    !oracle_subsets(n, &e.blamed),
                    "the blamed exclusions alone allow a cycle: n={n} {exclusions:?} {e:?}"
                );
            }
            if let Reason::Isolated { participant } = e.reason {
                let partners = (0..n)
                    .filter(|&v| v != participant && !excluded(exclusions, participant, v))
                    .count();
                assert!(partners < 2, "{participant} really is isolated");
            }
            if let Some(fix) = &e.fix {
                assert!(!fix.is_empty());
                assert!(fix.iter().all(|p| all.contains(p)), "the fix removes exclusions");
                assert!(
                    oracle_subsets(n, &minus(exclusions, fix)),
                    "removing the fix allows a cycle: n={n} {exclusions:?} {fix:?}"
                );
            }
        }
    }
    result
}

#[test]
fn random_exchanges_up_to_eight_match_both_oracles_and_fixes_are_smallest() {
    let mut rng = StdRng::seed_from_u64(7);
    let (mut feasible, mut infeasible, mut fixes) = (0, 0, 0);
    for case in 0..500 {
        let n = rng.gen_range(3..=8);
        let exclusions = random_case(&mut rng, n);
        match check_case(n, &exclusions, case) {
            Ok(_) => feasible += 1,
            Err(e) => {
                infeasible += 1;
                if n <= 7 && !matches!(e.reason, Reason::TooFew { .. }) {
                    // Smallest, and found whenever two removals or fewer suffice.
                    let smallest = oracle_min_fix(n, &exclusions, 2);
                    match (&e.fix, smallest) {
                        (Some(fix), _) => {
                            fixes += 1;
                            let below = oracle_min_fix(n, &exclusions, fix.len() - 1);
                            assert_eq!(below, None, "a smaller fix exists than {fix:?}");
                        }
                        (None, Some(size)) => {
                            panic!("no fix found, yet {size} removals suffice: {exclusions:?}")
                        }
                        (None, None) => {}
                    }
                }
            }
        }
    }
    assert!(feasible > 100 && infeasible > 100, "{feasible} / {infeasible}");
    assert!(fixes > 50, "{fixes}");
}

#[test]
fn random_exchanges_up_to_twelve_are_decided_exactly() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut infeasible = 0;
    for case in 0..300 {
        let n = rng.gen_range(9..=12);
        let exclusions = random_case(&mut rng, n);
        if check_case(n, &exclusions, case).is_err() {
            infeasible += 1;
        }
    }
    assert!(infeasible > 20, "{infeasible}");
}

/// Sparse graphs with a planted structure: a cycle that may or may not be broken.
#[test]
fn sparse_exchanges_near_the_edge_are_decided_exactly() {
    let mut rng = StdRng::seed_from_u64(13);
    let mut outcomes = [0, 0];
    for case in 0..300 {
        let n = rng.gen_range(6..=12);
        // Allow a ring plus a few chords, then break one ring pair half the time.
        let mut allowed = HashSet::new();
        for v in 0..n {
            allowed.insert((v.min((v + 1) % n), v.max((v + 1) % n)));
        }
        for _ in 0..rng.gen_range(0..n) {
            let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
            if a != b {
                allowed.insert((a.min(b), a.max(b)));
            }
        }
        if rng.gen() {
            let v = rng.gen_range(0..n);
            allowed.remove(&(v.min((v + 1) % n), v.max((v + 1) % n)));
        }
        let exclusions: Vec<Pair> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|p| !allowed.contains(p))
            .collect();
        outcomes[check_case(n, &exclusions, case).is_ok() as usize] += 1;
    }
    assert!(outcomes[0] > 30 && outcomes[1] > 30, "{outcomes:?}");
}

#[test]
fn the_same_seed_gives_the_same_cycle_and_seeds_vary_it() {
    let exclusions = [(0, 1), (2, 3), (4, 5), (1, 7)];
    let first = find_cycle(10, &exclusions, 99).expect("possible");
    assert_eq!(find_cycle(10, &exclusions, 99).expect("possible"), first);
    let gifts = |order: &[usize]| -> Vec<Pair> {
        let mut out: Vec<Pair> =
            (0..order.len()).map(|k| (order[k], order[(k + 1) % order.len()])).collect();
        out.sort_unstable();
        out
    };
    let draws: HashSet<Vec<Pair>> =
        (0..30).map(|seed| gifts(&find_cycle(10, &exclusions, seed).expect("possible"))).collect();
    assert!(draws.len() >= 20, "30 seeds gave only {} different draws", draws.len());
    // Also for a constrained family settled by the exact search.
    let family = ring_with_chords(12);
    let draws: HashSet<Vec<Pair>> =
        (0..30).map(|seed| gifts(&check_case(12, &family, seed).expect("possible"))).collect();
    assert!(draws.len() >= 5, "{}", draws.len());
}

/// Each person may give only to their two ring neighbours and the person opposite.
fn ring_with_chords(n: usize) -> Vec<Pair> {
    let near = |a: usize, b: usize| {
        let d = (a + n - b) % n;
        d == 1 || d == n - 1 || d == n / 2
    };
    (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).filter(|&(a, b)| !near(a, b)).collect()
}

#[test]
fn fewer_than_three_participants_is_too_few() {
    for n in 0..3 {
        let e = find_cycle(n, &[], 1).unwrap_err();
        assert_eq!(e.reason, Reason::TooFew { n });
        assert!(e.blamed.is_empty() && e.fix.is_none());
        assert_eq!(
            e.message(|i| format!("P{i}")),
            format!("At least 3 participants are needed for a gift cycle (there are {n}).")
        );
    }
    assert!(find_cycle(3, &[], 1).is_ok());
}

#[test]
fn someone_excluded_from_all_but_one_is_isolated_and_named() {
    // 2 is excluded from 0, 1 and 4: only 3 is left.
    let e = check_case(5, &[(0, 2), (2, 1), (4, 2)], 3).unwrap_err();
    assert_eq!(e.reason, Reason::Isolated { participant: 2 });
    assert_eq!(e.blamed, vec![(0, 2), (1, 2), (2, 4)]);
    let fix = e.fix.clone().expect("one removal suffices");
    assert_eq!(fix.len(), 1);
    let names = ["Ann", "Bo", "Kim", "Lee", "Max"];
    let text = e.message(|i| names[i].to_string());
    assert!(
        text.starts_with(
            "Kim is excluded from Ann, Bo and Max, which leaves fewer than two people to give to \
             and receive from, so no gift cycle can include them."
        ),
        "{text}"
    );
    assert!(text.contains("Removing the exclusion Kim – "), "{text}");
}

#[test]
fn someone_excluded_from_everyone_needs_two_removals() {
    let e = check_case(6, &[(3, 0), (3, 1), (3, 2), (3, 4), (3, 5)], 3).unwrap_err();
    assert_eq!(e.reason, Reason::Isolated { participant: 3 });
    assert_eq!(e.blamed.len(), 5);
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(2));
    let text = e.message(|i| format!("P{i}"));
    assert!(text.contains("Removing these 2 exclusions would make a gift cycle possible: P"));
}

/// Two groups that may only exchange among themselves, plus `bridge` allowed with everyone.
fn two_groups(left: usize, right: usize, bridge: bool) -> (usize, Vec<Pair>) {
    let n = left + right + bridge as usize;
    let exclusions = (0..left).flat_map(|a| (left..left + right).map(move |b| (a, b))).collect();
    (n, exclusions)
}

#[test]
fn two_groups_joined_by_one_person_have_a_cut_vertex() {
    let (n, exclusions) = two_groups(4, 4, true);
    let e = check_case(n, &exclusions, 5).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    assert_eq!(e.blamed, normalised(&exclusions), "every cross exclusion is to blame");
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(1));
    let text = e.message(|i| format!("P{i}"));
    assert!(
        text.starts_with(
            "No single gift cycle can go through everyone with these exclusions. It is ruled \
             out by these exclusions together: P0 – P4, P0 – P5,"
        ),
        "{text}"
    );
    assert!(text.contains("and 8 more."), "{text}");
    assert!(text.ends_with("would make a gift cycle possible."), "{text}");
}

#[test]
fn two_separate_groups_are_not_one_cycle() {
    let (n, exclusions) = two_groups(3, 4, false);
    let e = check_case(n, &exclusions, 5).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    assert_eq!(e.blamed.len(), 12);
    // One link between the groups is not enough: a cycle must cross twice.
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(2));
}

#[test]
fn a_group_that_excludes_each_other_outnumbering_the_rest_is_impossible() {
    // 0..4 exclude each other: they can only give to 4 and 5, but there are four of them.
    let exclusions: Vec<Pair> = (0..4).flat_map(|a| (a + 1..4).map(move |b| (a, b))).collect();
    let e = check_case(6, &exclusions, 1).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    // Five of eight exclude each other and the other three cannot separate them all: two
    // removals make pairs of them, which three can separate.
    let exclusions: Vec<Pair> = (0..5).flat_map(|a| (a + 1..5).map(move |b| (a, b))).collect();
    let e = check_case(8, &exclusions, 1).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    assert!(e.blamed.iter().all(|&(a, b)| a < 5 && b < 5));
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(2));
}

#[test]
fn three_people_who_each_may_only_pair_with_the_same_person_collide() {
    // 1, 2 and 3 may give only to 0 and 4 (and receive from them); 0 cannot serve all three.
    let mut exclusions = vec![];
    for v in 1..=3 {
        for u in 0..8 {
            if u != v && u != 0 && u != 4 {
                exclusions.push((v.min(u), v.max(u)));
            }
        }
    }
    let e = check_case(8, &exclusions, 2).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
}

/// Three hosts allowed with everyone and four households that may only give within
/// themselves: without the hosts the households fall apart into four, more than three hosts
/// can join into one cycle. No quick check sees it; the exact search proves it.
fn households(sizes: &[usize], hosts: usize) -> (usize, Vec<Pair>) {
    let n = hosts + sizes.iter().sum::<usize>();
    let mut house = vec![usize::MAX; n];
    let mut v = hosts;
    for (h, &size) in sizes.iter().enumerate() {
        for _ in 0..size {
            house[v] = h;
            v += 1;
        }
    }
    let exclusions = (hosts..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter(|&(a, b)| house[a] != house[b])
        .collect();
    (n, exclusions)
}

#[test]
fn households_that_outnumber_their_hosts_are_proved_impossible_by_the_search() {
    let (n, exclusions) = households(&[2, 2, 2, 3], 3);
    let e = check_case(n, &exclusions, 4).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(1));
    // Bigger than the oracles can check: still decided, with a working fix.
    let (n, exclusions) = households(&[7, 7, 7, 6], 3);
    assert_eq!(n, 30);
    let e = find_cycle(n, &exclusions, 4).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    let fix = e.fix.expect("one cross-household exclusion less is enough");
    assert_eq!(fix.len(), 1);
    let order = find_cycle(n, &minus(&exclusions, &fix), 4).expect("possible once fixed");
    assert_valid(n, &minus(&exclusions, &fix), &order);
    // One host more makes it possible.
    let (n, exclusions) = households(&[7, 7, 7, 6], 4);
    let order = find_cycle(n, &exclusions, 4).expect("four hosts can link four households");
    assert_valid(n, &exclusions, &order);
}

#[test]
fn pairs_that_name_nobody_are_ignored_and_listed() {
    let given = [(0, 0), (1, 9), (0, 1), (1, 0), (2, 3)];
    assert_eq!(invalid_pairs(5, &given), vec![(0, 0), (1, 9)]);
    let order = find_cycle(5, &given, 8).expect("possible");
    assert_valid(5, &[(0, 1), (2, 3)], &order);
    // Every pair of a triangle excluded, written both ways: the first is isolated.
    let e = find_cycle(3, &[(1, 0), (0, 1), (2, 1)], 0).unwrap_err();
    assert_eq!(e.reason, Reason::Isolated { participant: 1 });
    assert_eq!(e.blamed, vec![(0, 1), (1, 2)]);
}

#[test]
fn large_exchanges_with_random_exclusions_are_drawn() {
    let mut rng = StdRng::seed_from_u64(3);
    for n in [50, 300] {
        let exclusions: Vec<Pair> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|_| rng.gen_bool(0.05))
            .collect();
        let order = find_cycle(n, &exclusions, n as u64).expect("possible");
        assert_valid(n, &exclusions, &order);
    }
    // Half the pairs excluded at random: below Ore's condition, still found.
    let n = 60;
    let exclusions: Vec<Pair> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter(|_| rng.gen_bool(0.6))
        .collect();
    if let Ok(order) = find_cycle(n, &exclusions, 1) {
        assert_valid(n, &exclusions, &order);
    }
}

#[test]
fn a_long_list_of_blamed_exclusions_is_shortened() {
    let (n, exclusions) = two_groups(10, 10, true);
    let e = find_cycle(n, &exclusions, 1).unwrap_err();
    let text = e.message(|i| format!("P{i}"));
    assert!(text.contains("P0 – P10, P0 – P11"), "{text}");
    assert!(text.contains("and 92 more."), "{text}");
    assert!(text.len() < 400, "{text}");
}

/// The two-forest certificate must agree with Tarjan on the whole graph, with and without the
/// extra link the search adds, on random subsets of random graphs.
#[test]
fn the_biconnectivity_certificate_agrees_with_the_exact_test() {
    use super::graph::{biconnected, components, normalise, splits, Graph, Set};
    let mut rng = StdRng::seed_from_u64(17);
    let mut seen = [0usize; 2];
    for _ in 0..400 {
        let n = rng.gen_range(3..=80);
        let density = rng.gen_range(0.3..0.97);
        let exclusions: Vec<Pair> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|_| rng.gen_bool(density))
            .collect();
        let exclusions = normalise(n, &exclusions);
        let g = Graph::new(n, &exclusions);
        let mut within = Set::empty(n);
        for v in 0..n {
            if rng.gen_bool(0.8) {
                within.insert(v);
            }
        }
        if within.len() < 3 {
            continue;
        }
        let members: Vec<usize> = within.iter().collect();
        let extra = rng.gen_bool(0.5).then(|| (members[0], members[members.len() - 1]));
        let (comp, count) = components(&g, &within);
        let linked = match extra {
            Some((a, b)) if count == 2 && comp[a] != comp[b] => true,
            _ => count == 1,
        };
        let exact = linked && splits(&g, &within, extra).iter().all(|&more| more == 0);
        assert_eq!(biconnected(&g, &within, extra), exact, "n={n} {exclusions:?}");
        seen[exact as usize] += 1;
    }
    assert!(seen[0] > 50 && seen[1] > 50, "{seen:?}");
}

/// The generalized Petersen graph GP(m, 2) as the allowed pairs: an outer ring of m people, an
/// inner star of m, each linked to one outer person. Every degree is 3 and no small set splits
/// it; it has no cycle through everyone exactly when m % 6 == 5 (Petersen's graph is m = 5).
fn petersen(m: usize) -> (usize, Vec<Pair>) {
    let n = 2 * m;
    let mut allowed = HashSet::new();
    for i in 0..m {
        allowed.insert((i, (i + 1) % m));
        allowed.insert((i, m + i));
        allowed.insert((m + i, m + (i + 2) % m));
    }
    let allowed: HashSet<Pair> = allowed.into_iter().map(|(a, b)| (a.min(b), a.max(b))).collect();
    let exclusions = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter(|p| !allowed.contains(p))
        .collect();
    (n, exclusions)
}

#[test]
fn petersen_like_exchanges_are_settled_by_the_exact_search() {
    let (n, exclusions) = petersen(5);
    let e = check_case(n, &exclusions, 1).unwrap_err();
    assert_eq!(e.reason, Reason::NoCycle);
    assert_eq!(oracle_min_fix(n, &exclusions, 1), Some(1));
    assert_eq!(e.fix.as_ref().map(Vec::len), Some(1));
    let (n, exclusions) = petersen(6);
    check_case(n, &exclusions, 1).expect("GP(6, 2) has a cycle");
    for m in [11, 17] {
        let (n, exclusions) = petersen(m);
        let e = find_cycle(n, &exclusions, 1).unwrap_err();
        assert_eq!(e.reason, Reason::NoCycle);
        if let Some(fix) = e.fix {
            let rest = minus(&exclusions, &fix);
            assert_valid(n, &rest, &find_cycle(n, &rest, 1).expect("possible once fixed"));
        }
    }
    for m in [9, 12, 13, 16] {
        let (n, exclusions) = petersen(m);
        let order = find_cycle(n, &exclusions, 2).expect("possible");
        assert_valid(n, &exclusions, &order);
    }
}

/// `find_cycle` sends each exchange to one of its two exact searches (by how sparse it is), so
/// both are also checked directly, on every kind of graph, against the oracle.
#[test]
fn both_exact_searches_agree_with_the_oracle_on_any_graph() {
    use super::graph::{normalise, Graph};
    use super::{pairs, search};
    let mut rng = StdRng::seed_from_u64(17);
    let mut found = [0, 0];
    let mut refused = [0, 0];
    for _ in 0..400 {
        let n = rng.gen_range(3..=11);
        let exclusions = normalise(n, &random_case(&mut rng, n));
        let g = Graph::new(n, &exclusions);
        let possible = oracle_subsets(n, &exclusions);
        let outcomes = [search::cycle(&g, &mut rng, None), pairs::cycle(&g, &mut rng, None)];
        for (which, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                search::Outcome::Found(order) => {
                    assert!(possible, "search {which} drew a cycle: {exclusions:?}");
                    assert_valid(n, &exclusions, &order);
                    found[which] += 1;
                }
                search::Outcome::NoCycle => {
                    assert!(!possible, "search {which}: a false impossible {exclusions:?}");
                    refused[which] += 1;
                }
                search::Outcome::Unknown => panic!("no budget was given"),
            }
        }
    }
    assert!(found.iter().chain(&refused).all(|&count| count > 50), "{found:?} {refused:?}");
}

/// A search that runs out of work says it does not know; it never says "impossible".
#[test]
fn an_exhausted_budget_is_unknown_not_impossible() {
    use super::graph::Graph;
    use super::{pairs, search};
    let (n, exclusions) = petersen(17);
    let g = Graph::new(n, &exclusions);
    let mut rng = StdRng::seed_from_u64(3);
    for outcome in [
        pairs::cycle(&g, &mut rng, Some(&mut 10_000)),
        search::cycle(&g, &mut rng, Some(&mut 10_000)),
    ] {
        assert!(matches!(outcome, search::Outcome::Unknown));
    }
    assert!(matches!(pairs::cycle(&g, &mut rng, None), search::Outcome::NoCycle));
}
