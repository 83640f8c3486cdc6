//! The allowed graph: everyone may give to everyone except themselves and their exclusions.
//! Rows are bitsets so that the dense graphs of big exchanges stay compact (n² bits) and set
//! operations (neighbours among the unvisited, reachability) work a word at a time.

/// An unordered pair stored as `(low, high)`.
pub(crate) type Pair = (usize, usize);

/// Sorts and dedupes the exclusions as `(low, high)`, dropping pairs that constrain nobody: a
/// self pair (nobody draws themselves anyway) or a pair naming someone outside `0..n`.
pub(crate) fn normalise(n: usize, exclusions: &[Pair]) -> Vec<Pair> {
    let mut out: Vec<Pair> = exclusions
        .iter()
        .filter(|&&(a, b)| a != b && a < n && b < n)
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `exclusions` minus `removed`, both sorted.
pub(crate) fn without(exclusions: &[Pair], removed: &[Pair]) -> Vec<Pair> {
    exclusions.iter().filter(|p| removed.binary_search(p).is_err()).copied().collect()
}

pub(crate) struct Graph {
    pub n: usize,
    pub words: usize,
    bits: Vec<u64>,
    pub degree: Vec<usize>,
}

impl Graph {
    /// The complete graph on `0..n` minus the (normalised) exclusions.
    pub(crate) fn new(n: usize, exclusions: &[Pair]) -> Graph {
        let words = n.div_ceil(64).max(1);
        let mut full_row = vec![u64::MAX; words];
        if !n.is_multiple_of(64) {
            full_row[words - 1] = (1u64 << (n % 64)) - 1;
        }
        if n == 0 {
            full_row[0] = 0;
        }
        let mut bits = Vec::with_capacity(words * n);
        for v in 0..n {
            bits.extend_from_slice(&full_row);
            bits[v * words + v / 64] &= !(1u64 << (v % 64));
        }
        let mut degree = vec![n.saturating_sub(1); n];
        for &(a, b) in exclusions {
            bits[a * words + b / 64] &= !(1u64 << (b % 64));
            bits[b * words + a / 64] &= !(1u64 << (a % 64));
            degree[a] -= 1;
            degree[b] -= 1;
        }
        Graph { n, words, bits, degree }
    }

    #[inline]
    pub(crate) fn has(&self, a: usize, b: usize) -> bool {
        self.bits[a * self.words + b / 64] >> (b % 64) & 1 == 1
    }

    #[inline]
    pub(crate) fn row(&self, v: usize) -> &[u64] {
        &self.bits[v * self.words..(v + 1) * self.words]
    }
}

/// A set of participants, one bit each.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Set {
    pub words: Vec<u64>,
}

impl Set {
    pub(crate) fn empty(n: usize) -> Set {
        Set { words: vec![0; n.div_ceil(64).max(1)] }
    }

    pub(crate) fn full(n: usize) -> Set {
        let mut s = Set::empty(n);
        for v in 0..n {
            s.insert(v);
        }
        s
    }

    #[inline]
    pub(crate) fn contains(&self, v: usize) -> bool {
        self.words[v / 64] >> (v % 64) & 1 == 1
    }

    #[inline]
    pub(crate) fn insert(&mut self, v: usize) {
        self.words[v / 64] |= 1u64 << (v % 64);
    }

    #[inline]
    pub(crate) fn remove(&mut self, v: usize) {
        self.words[v / 64] &= !(1u64 << (v % 64));
    }

    pub(crate) fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        ones(&self.words)
    }
}

/// The positions of the set bits, in increasing order.
pub(crate) fn ones(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(i, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            if w == 0 {
                None
            } else {
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + b)
            }
        })
    })
}

/// The vertices of `within` reachable from `from` inside `within`.
pub(crate) fn reach(g: &Graph, within: &Set, from: usize) -> Set {
    let mut seen = Set::empty(g.n);
    seen.insert(from);
    let mut stack = vec![from];
    while let Some(v) = stack.pop() {
        let row = g.row(v);
        for (i, word) in seen.words.iter_mut().enumerate() {
            let mut fresh = row[i] & within.words[i] & !*word;
            *word |= fresh;
            while fresh != 0 {
                stack.push(i * 64 + fresh.trailing_zeros() as usize);
                fresh &= fresh - 1;
            }
        }
    }
    seen
}

/// The connected components of the graph restricted to `within`, as a component number per
/// vertex (`usize::MAX` outside `within`) and the number of components.
pub(crate) fn components(g: &Graph, within: &Set) -> (Vec<usize>, usize) {
    let mut comp = vec![usize::MAX; g.n];
    let mut count = 0;
    for v in within.iter() {
        if comp[v] == usize::MAX {
            for u in reach(g, within, v).iter() {
                comp[u] = count;
            }
            count += 1;
        }
    }
    (comp, count)
}

/// A cut vertex of the graph restricted to `within`, with `extra` counted as one more edge, or
/// None when there is none.
pub(crate) fn cut_vertex(g: &Graph, within: &Set, extra: Option<Pair>) -> Option<usize> {
    splits(g, within, extra).iter().position(|&more| more > 0)
}

/// For every vertex, how many more connected parts the graph restricted to `within` (with
/// `extra` counted as one more edge) falls into without it: > 0 exactly for the cut vertices.
/// Iterative Tarjan, one depth-first tree per part.
pub(crate) fn splits(g: &Graph, within: &Set, extra: Option<Pair>) -> Vec<usize> {
    let n = g.n;
    let mut more = vec![0usize; n];
    let mut disc = vec![0usize; n];
    let mut low = vec![0usize; n];
    let mut time = 0;
    struct Frame {
        v: usize,
        parent: usize,
        word: usize,
        pending: u64,
        extra_done: bool,
    }
    let neighbour_word = |v: usize, i: usize| g.row(v)[i] & within.words[i];
    let frame = |v: usize, parent: usize| Frame {
        v,
        parent,
        word: 0,
        pending: neighbour_word(v, 0),
        extra_done: false,
    };
    for root in within.iter() {
        if disc[root] != 0 {
            continue;
        }
        time += 1;
        disc[root] = time;
        low[root] = time;
        let mut root_children = 0usize;
        let mut stack = vec![frame(root, usize::MAX)];
        while let Some(top) = stack.last_mut() {
            let v = top.v;
            // The next neighbour of v: first the extra edge, then the row.
            let mut next = None;
            if !top.extra_done {
                top.extra_done = true;
                next = match extra {
                    Some((a, b)) if a == v && within.contains(b) && !g.has(a, b) => Some(b),
                    Some((a, b)) if b == v && within.contains(a) && !g.has(a, b) => Some(a),
                    _ => None,
                };
            }
            while next.is_none() {
                if top.pending != 0 {
                    let b = top.pending.trailing_zeros() as usize;
                    top.pending &= top.pending - 1;
                    next = Some(top.word * 64 + b);
                } else if top.word + 1 < g.words {
                    top.word += 1;
                    top.pending = neighbour_word(v, top.word);
                } else {
                    break;
                }
            }
            match next {
                Some(u) if u == top.parent || u == v => {}
                Some(u) if disc[u] != 0 => low[v] = low[v].min(disc[u]),
                Some(u) => {
                    time += 1;
                    disc[u] = time;
                    low[u] = time;
                    stack.push(frame(u, v));
                }
                None => {
                    let done = stack.pop().expect("a frame");
                    if let Some(parent) = stack.last() {
                        let p = parent.v;
                        low[p] = low[p].min(low[done.v]);
                        if p == root {
                            root_children += 1;
                        } else if low[done.v] >= disc[p] {
                            more[p] += 1;
                        }
                    }
                }
            }
        }
        more[root] = root_children.saturating_sub(1);
    }
    more
}

/// Whether the graph restricted to `within`, with `extra` counted as one more edge, is
/// biconnected, in O(n²/64) rather than O(edges): Tarjan runs on a sparse certificate instead,
/// the union of two breadth-first forests (the second avoiding the edges of the first), which
/// is biconnected exactly when the graph is (Cheriyan, Kao and Thurimella's scan-first search
/// certificates; breadth-first search is a scan-first search).
pub(crate) fn biconnected(g: &Graph, within: &Set, extra: Option<Pair>) -> bool {
    match Sparse::certificate(g, within, extra) {
        Some(sparse) => sparse.splits(within).iter().all(|&more| more == 0),
        None => false,
    }
}

/// Whether the graph on `0..n` with just these edges is connected and has no cut vertex.
pub(crate) fn edges_biconnected(n: usize, edges: &[Pair]) -> bool {
    let sparse = Sparse::from_edges(n, edges);
    let mut seen = vec![false; n];
    let mut stack = vec![0];
    seen[0] = true;
    let mut reached = 1;
    while let Some(v) = stack.pop() {
        for &u in sparse.neighbours(v) {
            if !seen[u] {
                seen[u] = true;
                reached += 1;
                stack.push(u);
            }
        }
    }
    reached == n && sparse.splits(&Set::full(n)).iter().all(|&more| more == 0)
}

/// A graph given by its edges in compressed rows: the neighbours of v are
/// `targets[start[v]..start[v + 1]]`.
struct Sparse {
    start: Vec<usize>,
    targets: Vec<usize>,
}

impl Sparse {
    fn from_edges(n: usize, edges: &[Pair]) -> Sparse {
        let mut start = vec![0usize; n + 1];
        for &(a, b) in edges {
            start[a + 1] += 1;
            start[b + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut targets = vec![0usize; 2 * edges.len()];
        for &(a, b) in edges {
            targets[fill[a]] = b;
            fill[a] += 1;
            targets[fill[b]] = a;
            fill[b] += 1;
        }
        Sparse { start, targets }
    }

    fn neighbours(&self, v: usize) -> &[usize] {
        &self.targets[self.start[v]..self.start[v + 1]]
    }

    /// The two-forest certificate, or None when the graph is not connected.
    fn certificate(g: &Graph, within: &Set, extra: Option<Pair>) -> Option<Sparse> {
        const NONE: usize = usize::MAX;
        let n = g.n;
        let extra = extra
            .filter(|&(a, b)| a != b && within.contains(a) && within.contains(b) && !g.has(a, b));
        let other_end = |x: usize| match extra {
            Some((a, b)) if a == x => Some(b),
            Some((a, b)) if b == x => Some(a),
            _ => None,
        };
        let size = within.len();
        let mut edges: Vec<Pair> = Vec::with_capacity(2 * size);
        let mut parent = vec![NONE; n];
        let mut queue = Vec::with_capacity(size);
        // The first forest: one breadth-first tree, or the graph is not connected.
        let root = within.iter().next()?;
        let mut marked = Set::empty(n);
        marked.insert(root);
        queue.push(root);
        let mut head = 0;
        while let Some(&x) = queue.get(head) {
            head += 1;
            let row = g.row(x);
            for (i, word) in marked.words.iter_mut().enumerate() {
                let mut fresh = row[i] & within.words[i] & !*word;
                *word |= fresh;
                while fresh != 0 {
                    let y = i * 64 + fresh.trailing_zeros() as usize;
                    fresh &= fresh - 1;
                    parent[y] = x;
                    edges.push((x, y));
                    queue.push(y);
                }
            }
            if let Some(y) = other_end(x).filter(|&y| !marked.contains(y)) {
                marked.insert(y);
                parent[y] = x;
                edges.push((x, y));
                queue.push(y);
            }
        }
        if queue.len() != size {
            return None;
        }
        // The second forest, over the edges the first did not use.
        let in_first = |x: usize, y: usize| parent[y] == x || parent[x] == y;
        let mut marked = Set::empty(n);
        for root in within.iter() {
            if marked.contains(root) {
                continue;
            }
            marked.insert(root);
            queue.clear();
            queue.push(root);
            let mut head = 0;
            while let Some(&x) = queue.get(head) {
                head += 1;
                let row = g.row(x);
                for (i, (&allowed, &inside)) in row.iter().zip(&within.words).enumerate() {
                    let mut fresh = allowed & inside & !marked.words[i];
                    while fresh != 0 {
                        let y = i * 64 + fresh.trailing_zeros() as usize;
                        fresh &= fresh - 1;
                        if !in_first(x, y) {
                            marked.insert(y);
                            edges.push((x, y));
                            queue.push(y);
                        }
                    }
                }
                if let Some(y) = other_end(x) {
                    if !marked.contains(y) && !in_first(x, y) {
                        marked.insert(y);
                        edges.push((x, y));
                        queue.push(y);
                    }
                }
            }
        }
        Some(Sparse::from_edges(n, &edges))
    }

    /// `splits` for the sparse graph.
    fn splits(&self, within: &Set) -> Vec<usize> {
        let n = self.start.len() - 1;
        let mut more = vec![0usize; n];
        let mut disc = vec![0usize; n];
        let mut low = vec![0usize; n];
        let mut time = 0;
        let mut stack: Vec<(usize, usize, usize)> = Vec::new();
        for root in within.iter() {
            if disc[root] != 0 {
                continue;
            }
            time += 1;
            disc[root] = time;
            low[root] = time;
            let mut root_children = 0usize;
            // (vertex, parent, index of the next neighbour)
            stack.push((root, usize::MAX, 0));
            while let Some(top) = stack.last_mut() {
                let (v, parent, next) = *top;
                if let Some(&u) = self.neighbours(v).get(next) {
                    top.2 += 1;
                    if u == parent {
                        continue;
                    }
                    if disc[u] != 0 {
                        low[v] = low[v].min(disc[u]);
                    } else {
                        time += 1;
                        disc[u] = time;
                        low[u] = time;
                        stack.push((u, v, 0));
                    }
                    continue;
                }
                stack.pop();
                if let Some(&(p, _, _)) = stack.last() {
                    low[p] = low[p].min(low[v]);
                    if p == root {
                        root_children += 1;
                    } else if low[v] >= disc[p] {
                        more[p] += 1;
                    }
                }
            }
            more[root] = root_children.saturating_sub(1);
        }
        more
    }
}

/// The connected parts of `within` with `extra` counted as one more edge.
fn linked_components(g: &Graph, within: &Set, extra: Option<Pair>) -> (Vec<usize>, usize) {
    let (mut comp, mut count) = components(g, within);
    if let Some((a, b)) = extra {
        if within.contains(a) && within.contains(b) && comp[a] != comp[b] {
            let (from, to) = (comp[a], comp[b]);
            comp.iter_mut().filter(|c| **c == from).for_each(|c| *c = to);
            count -= 1;
        }
    }
    (comp, count)
}

/// A greedy look for a set S whose removal splits the graph restricted to `within` (with
/// `extra` counted as one more edge) into more than |S| parts, which no cycle through all of
/// it survives (each part needs its own way in and out through S). Starting from `seeds`, it
/// removes one vertex at a time, up to `max` in all: the one that splits off the most parts,
/// else the best connected one. Returns S and the parts, numbered per vertex, when found.
pub(crate) fn scattering_set(
    g: &Graph,
    within: &Set,
    extra: Option<Pair>,
    seeds: &[usize],
    max: usize,
) -> Option<(Set, Vec<usize>)> {
    let mut rest = within.clone();
    let mut removed = Set::empty(g.n);
    for &v in seeds {
        rest.remove(v);
        removed.insert(v);
    }
    let limit = max.min(within.len() / 2);
    let mut size = seeds.len();
    loop {
        if size > 0 {
            let (comp, count) = linked_components(g, &rest, extra);
            if count > size {
                return Some((removed, comp));
            }
        }
        if size >= limit {
            return None;
        }
        // Which vertex splits off the most parts is only a guide here, so on big graphs it
        // is read from the cheap certificate (exact on its own edges) rather than the graph.
        let more = match Sparse::certificate(g, &rest, extra) {
            Some(sparse) => sparse.splits(&rest),
            None => splits(g, &rest, extra),
        };
        let v = rest.iter().max_by_key(|&v| {
            let linked =
                g.row(v).iter().zip(&rest.words).map(|(a, b)| (a & b).count_ones()).sum::<u32>();
            (more[v], linked, std::cmp::Reverse(v))
        })?;
        rest.remove(v);
        removed.insert(v);
        size += 1;
    }
}
