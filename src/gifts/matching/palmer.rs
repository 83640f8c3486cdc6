//! Palmer's construction: seat everyone around a table in random order, then repair each
//! "gap" (neighbours at the table who may not give to each other) by reversing a stretch of the
//! table. Under Ore's condition a repair always exists and each one removes a gap without making
//! a new one, so at most n repairs of O(n) each give a cycle. Elsewhere it is only a quick first
//! try: when a gap cannot be repaired it gives up and the exact search decides.

use rand::seq::SliceRandom;
use rand::Rng;

use super::graph::Graph;

pub(crate) fn cycle(g: &Graph, rng: &mut impl Rng) -> Option<Vec<usize>> {
    let n = g.n;
    let mut seat: Vec<usize> = (0..n).collect();
    seat.shuffle(rng);
    let at = |seat: &[usize], i: usize| seat[i % n];
    let mut cursor = 0;
    let mut clean_run = 0;
    while clean_run < n {
        let i = cursor % n;
        if g.has(at(&seat, i), at(&seat, i + 1)) {
            clean_run += 1;
            cursor += 1;
            continue;
        }
        let (a, b) = (at(&seat, i), at(&seat, i + 1));
        // Seats j other than i, i+1 and i-1 with a ~ seat[j] and b ~ seat[j+1]: reversing the
        // stretch i+1..=j puts a next to seat[j] and b next to seat[j+1].
        let offset = (2..n - 1).find(|&off| {
            let j = i + off;
            g.has(a, at(&seat, j)) && g.has(b, at(&seat, j + 1))
        })?;
        reverse(&mut seat, (i + 1) % n, offset);
        clean_run = 0;
    }
    Some(seat)
}

/// Reverses the `len` seats starting at `from`, going round the table. Reversing the other side
/// of the table gives the same cycle read backwards, so the shorter side is the one moved.
fn reverse(seat: &mut [usize], from: usize, len: usize) {
    let n = seat.len();
    let (from, len) = if len * 2 > n { ((from + len) % n, n - len) } else { (from, len) };
    for k in 0..len / 2 {
        seat.swap((from + k) % n, (from + len - 1 - k) % n);
    }
}
