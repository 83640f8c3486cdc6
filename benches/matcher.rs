//! The matcher on generated exchanges: `cargo bench --bench matcher`.
//!
//! Every case is generated from a fixed seed and drawn several times with different draw seeds.
//! Each answer is checked here, independently of the matcher (a wrong answer stops the bench):
//! a drawn cycle must be one cycle through everyone that breaks no exclusion, an impossible
//! exchange must be refused for the expected reason, and a proposed fix must make it possible.
//! The baseline, measured in the same run, is the time to shuffle and check one permutation
//! of the same size against the same exclusions: the least any matcher has to do.
//! The table goes to stdout and to bench/matcher.md.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use clubroom::gifts::matching::{find_cycle, Infeasible, Reason};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

type Pair = (usize, usize);

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Cycle,
    Isolated,
    NoCycle,
}

struct Case {
    name: &'static str,
    n: usize,
    exclusions: Vec<Pair>,
    expect: Expect,
    goal: Duration,
    runs: usize,
}

/// Every pair excluded with probability `share`.
fn random_exclusions(rng: &mut StdRng, n: usize, share: f64) -> Vec<Pair> {
    let mut out = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if rng.gen_bool(share) {
                out.push((a, b));
            }
        }
    }
    out
}

/// Groups whose members may not give across groups; `linkers` (numbered first) may give to
/// anyone. `group` maps each other participant to their group.
fn grouped(n: usize, linkers: usize, group: impl Fn(usize) -> usize) -> Vec<Pair> {
    let mut out = Vec::new();
    for a in linkers..n {
        for b in a + 1..n {
            if group(a) != group(b) {
                out.push((a, b));
            }
        }
    }
    out
}

fn cases() -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(2024);
    let ms = Duration::from_millis;
    let mut cases = vec![
        Case {
            name: "1,000 participants, 5% random exclusions",
            n: 1000,
            exclusions: random_exclusions(&mut rng, 1000, 0.05),
            expect: Expect::Cycle,
            goal: ms(50),
            runs: 15,
        },
        Case {
            name: "5,000 participants, 5% random exclusions",
            n: 5000,
            exclusions: random_exclusions(&mut rng, 5000, 0.05),
            expect: Expect::Cycle,
            goal: ms(1000),
            runs: 5,
        },
    ];

    // One participant excluded from all but one other, on top of 5% random exclusions.
    let mut exclusions = random_exclusions(&mut rng, 1000, 0.05);
    exclusions.retain(|&(a, _)| a != 0);
    exclusions.extend((2..1000).map(|b| (0, b)));
    cases.push(Case {
        name: "1,000: one excluded from all but one other",
        n: 1000,
        exclusions,
        expect: Expect::Isolated,
        goal: ms(100),
        runs: 15,
    });

    // Two groups of 500 and 499 that may not give to each other, joined by participant 0 (a
    // cut vertex), with 5% random exclusions inside the groups.
    let mut exclusions = grouped(1000, 1, |v| usize::from(v > 500));
    exclusions.extend(
        random_exclusions(&mut rng, 1000, 0.05)
            .into_iter()
            .filter(|&(a, b)| a != 0 && (a > 500) == (b > 500)),
    );
    cases.push(Case {
        name: "1,000: two groups joined by one participant",
        n: 1000,
        exclusions,
        expect: Expect::NoCycle,
        goal: ms(100),
        runs: 15,
    });

    // A family of 30 where one household of 16 may not give among itself: 16 givers for
    // the 14 others to receive from.
    cases.push(Case {
        name: "30: one household of 16 in a family of 30",
        n: 30,
        exclusions: (0..16).flat_map(|a| (a + 1..16).map(move |b| (a, b))).collect(),
        expect: Expect::NoCycle,
        goal: ms(100),
        runs: 25,
    });

    // Four households (7, 7, 7, 6) that may only give inside, linked by three people who may
    // give to anyone: four groups cannot be strung on three links.
    let house = |v: usize| (v - 3) / 7;
    cases.push(Case {
        name: "30: four households linked by three people",
        n: 30,
        exclusions: grouped(30, 3, house),
        expect: Expect::NoCycle,
        goal: ms(100),
        runs: 25,
    });
    cases.push(Case {
        name: "30: four households linked by four people",
        n: 31,
        exclusions: grouped(31, 4, |v| (v - 4) / 7),
        expect: Expect::Cycle,
        goal: ms(100),
        runs: 25,
    });

    // The same four households, but each linker may only give to one person in each household
    // and not to the other linkers: no quick check sees it, the exact search proves it.
    let mut exclusions = grouped(30, 3, house);
    for linker in 0..3 {
        for b in 0..30 {
            let allowed = b >= 3 && (b - 3) % 7 == linker;
            if b != linker && !allowed {
                exclusions.push((linker.min(b), linker.max(b)));
            }
        }
    }
    cases.push(Case {
        name: "30: households with sparse linkers (exact search)",
        n: 30,
        exclusions,
        expect: Expect::NoCycle,
        goal: ms(100),
        runs: 25,
    });
    // The generalized Petersen graph GP(17, 2) as the allowed pairs: everyone has exactly three
    // allowed partners and no small group splits it, yet no cycle exists.
    let m = 17;
    let allowed: HashSet<Pair> = (0..m)
        .flat_map(|i| [(i, (i + 1) % m), (i, m + i), (m + i, m + (i + 2) % m)])
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect();
    cases.push(Case {
        name: "34: three partners each, GP(17, 2) (exact search)",
        n: 2 * m,
        exclusions: (0..2 * m)
            .flat_map(|a| (a + 1..2 * m).map(move |b| (a, b)))
            .filter(|p| !allowed.contains(p))
            .collect(),
        expect: Expect::NoCycle,
        goal: ms(100),
        runs: 9,
    });
    cases
}

fn excluded_set(exclusions: &[Pair]) -> HashSet<Pair> {
    exclusions.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect()
}

/// True when `order` is one gift cycle through everyone breaking no exclusion.
fn valid(n: usize, excluded: &HashSet<Pair>, order: &[usize]) -> bool {
    let mut seen = vec![false; n];
    for &v in order {
        if v >= n || seen[v] {
            return false;
        }
        seen[v] = true;
    }
    order.len() == n
        && (0..n).all(|k| {
            let (a, b) = (order[k], order[(k + 1) % n]);
            a != b && !excluded.contains(&(a.min(b), a.max(b)))
        })
}

/// Stops the bench on a wrong answer.
fn check(case: &Case, excluded: &HashSet<Pair>, result: &Result<Vec<usize>, Infeasible>) {
    match (result, case.expect) {
        (Ok(order), Expect::Cycle) => {
            assert!(valid(case.n, excluded, order), "{}: invalid cycle", case.name);
        }
        (Err(e), Expect::Isolated | Expect::NoCycle) => {
            let reason_ok = match e.reason {
                Reason::Isolated { .. } => case.expect == Expect::Isolated,
                Reason::NoCycle => case.expect == Expect::NoCycle,
                Reason::TooFew { .. } => false,
            };
            assert!(reason_ok, "{}: unexpected reason {:?}", case.name, e.reason);
            assert!(!e.blamed.is_empty(), "{}: nothing blamed", case.name);
            assert!(
                e.blamed.iter().all(|p| excluded.contains(p)),
                "{}: blamed a pair that is not excluded",
                case.name
            );
            if let Some(fix) = &e.fix {
                let rest: Vec<Pair> =
                    excluded.iter().filter(|p| !fix.contains(p)).copied().collect();
                let order = find_cycle(case.n, &rest, 1)
                    .unwrap_or_else(|_| panic!("{}: the fix does not work", case.name));
                assert!(valid(case.n, &excluded_set(&rest), &order));
            }
        }
        (Ok(_), _) => panic!("{}: drew a cycle where none exists", case.name),
        (Err(e), _) => panic!("{}: refused a possible exchange: {e:?}", case.name),
    }
}

fn baseline(case: &Case, excluded: &HashSet<Pair>) -> Duration {
    let mut rng = StdRng::seed_from_u64(9);
    let mut order: Vec<usize> = (0..case.n).collect();
    let mut times: Vec<Duration> = (0..case.runs.max(15))
        .map(|_| {
            let start = Instant::now();
            order.shuffle(&mut rng);
            black_box(valid(case.n, excluded, black_box(&order)));
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut table = String::from(
        "| Case | Exclusions | Answer | Median | Max | Goal | | Baseline | × baseline |\n\
         |---|---:|---|---:|---:|---:|---|---:|---:|\n",
    );
    // `MATCHER_CASE=words cargo bench --bench matcher` runs only the cases named so (and
    // leaves bench/matcher.md alone).
    let only = std::env::var("MATCHER_CASE").ok();
    let mut missed = 0;
    for case in cases() {
        if only.as_ref().is_some_and(|words| !case.name.contains(words.as_str())) {
            continue;
        }
        eprintln!("matcher: {}", case.name);
        let excluded = excluded_set(&case.exclusions);
        let mut times = Vec::with_capacity(case.runs);
        let mut answer = String::new();
        for run in 0..case.runs {
            let start = Instant::now();
            let result = find_cycle(case.n, black_box(&case.exclusions), run as u64);
            times.push(start.elapsed());
            check(&case, &excluded, &result);
            if run == 0 {
                answer = match &result {
                    Ok(_) => "cycle".into(),
                    Err(e) => format!(
                        "{}, {} blamed, fix {}",
                        match e.reason {
                            Reason::Isolated { .. } => "isolated",
                            Reason::NoCycle => "no cycle",
                            Reason::TooFew { .. } => "too few",
                        },
                        e.blamed.len(),
                        e.fix.as_ref().map_or("none".into(), |f| f.len().to_string())
                    ),
                };
            }
        }
        times.sort();
        let (median, max) = (times[times.len() / 2], times[times.len() - 1]);
        let pass = max <= case.goal;
        missed += usize::from(!pass);
        let base = baseline(&case, &excluded);
        writeln!(
            table,
            "| {} | {} | {} | {} | {} | < {} | {} | {} | {:.0} |",
            case.name,
            excluded.len(),
            answer,
            ms(median),
            ms(max),
            ms(case.goal),
            if pass { "PASS" } else { "MISS" },
            ms(base),
            median.as_secs_f64() / base.as_secs_f64().max(1e-9),
        )
        .expect("writing to a String");
    }
    let report = format!(
        "# Matcher benchmark\n\n`cargo bench --bench matcher` (release build). Goals apply to \
         the slowest run of each case; the baseline shuffles and checks one permutation of the \
         same size.\n\n{table}\n{}\n",
        if missed == 0 {
            "All goals met.".to_string()
        } else {
            format!("{missed} goal(s) missed.")
        }
    );
    print!("{report}");
    if only.is_some() {
        return;
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/matcher.md");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/bench"))
        .and_then(|()| std::fs::write(path, &report))
        .unwrap_or_else(|e| panic!("writing {path}: {e}"));
}
