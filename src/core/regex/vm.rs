//! A Pike VM: the pattern's tree compiled to a small program, run over the text once, all
//! alternatives in step. Each position visits each instruction at most once, so a match
//! costs at most (text length + 1) × (program length) steps, whatever the pattern: no
//! backtracking, no catastrophic case.

use super::parse::{fold, Class, Look, Node};

#[derive(Debug)]
enum Inst {
    Char(char),
    Class(Class, bool),
    Look(Look),
    Split(u32, u32),
    Jmp(u32),
    Match,
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Program {
    insts: Vec<Inst>,
    icase: bool,
    /// Every match starts at the text's start (`^…`): no new thread after position 0.
    anchored: bool,
    /// The instructions that read a match's first char, when every match reads one and the
    /// pattern is not anchored: while no thread is alive, chars none of them accepts are
    /// skipped without starting one.
    starts: Vec<u32>,
}

impl Program {
    pub fn new(node: &Node, icase: bool) -> Program {
        let mut insts = Vec::with_capacity(node.size() + 1);
        emit(node, &mut insts);
        if icase {
            for i in insts.iter_mut() {
                if let Inst::Class(c, _) = i {
                    c.fold_cases();
                }
            }
        }
        insts.push(Inst::Match);
        let anchored = anchored(node);
        let starts = if anchored { Vec::new() } else { starts(&insts) };
        Program {
            insts,
            icase,
            anchored,
            starts,
        }
    }

    /// Whether the instruction at `pc` reads `c`.
    fn reads(&self, pc: u32, c: char) -> bool {
        match self.insts.get(pc as usize) {
            Some(Inst::Char(x)) => *x == c || self.icase && fold(*x) == fold(c),
            Some(Inst::Class(cl, negated)) => {
                // Case-insensitive classes hold both cases (`fold_cases`).
                let inside = cl.contains(c) || self.icase && cl.contains(fold(c));
                inside != *negated
            }
            _ => false,
        }
    }

    /// The longest text this program runs on (see `regex::text_limit`).
    pub fn text_limit(&self) -> usize {
        (super::MAX_WORK / self.insts.len().max(1)).min(super::MAX_TEXT)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.run(text, &mut 0)
    }

    /// Instructions in the program.
    pub fn len(&self) -> usize {
        self.insts.len()
    }

    /// The match; `work` counts the instructions visited (at most 3 per instruction and
    /// position: into the next list, into the current one, its scan).
    pub fn run(&self, text: &str, work: &mut usize) -> bool {
        let n = self.insts.len();
        let mut clist = Set::new(n);
        let mut nlist = Set::new(n);
        let mut stack = Vec::new();
        let mut chars = text.chars();
        let mut prev = None;
        let mut cur = chars.next();
        let mut first = true;
        loop {
            if clist.len == 0 && !self.starts.is_empty() {
                while let Some(c) = cur {
                    if self.starts.iter().any(|&pc| self.reads(pc, c)) {
                        break;
                    }
                    *work += self.starts.len();
                    prev = cur;
                    cur = chars.next();
                }
            }
            if (first || !self.anchored) && self.add(&mut clist, &mut stack, 0, prev, cur, work) {
                return true;
            }
            let Some(c) = cur else {
                return false;
            };
            if clist.len == 0 && self.anchored {
                return false;
            }
            let next = chars.next();
            *work += clist.len;
            for &pc in clist.dense.get(..clist.len).unwrap_or(&[]) {
                if self.reads(pc, c)
                    && self.add(&mut nlist, &mut stack, pc as usize + 1, Some(c), next, work)
                {
                    return true;
                }
            }
            core::mem::swap(&mut clist, &mut nlist);
            nlist.len = 0;
            prev = Some(c);
            cur = next;
            first = false;
        }
    }

    /// Adds the thread at `pc` and everything it reaches without reading a char; true
    /// when that reaches `Match`.
    fn add(
        &self,
        list: &mut Set,
        stack: &mut Vec<u32>,
        pc: usize,
        prev: Option<char>,
        next: Option<char>,
        work: &mut usize,
    ) -> bool {
        stack.clear();
        stack.push(pc as u32);
        while let Some(pc) = stack.pop() {
            if !list.insert(pc) {
                continue;
            }
            *work += 1;
            match self.insts.get(pc as usize) {
                Some(Inst::Match) => return true,
                Some(Inst::Jmp(t)) => stack.push(*t),
                Some(Inst::Split(a, b)) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Some(Inst::Look(l)) if holds(*l, prev, next) => stack.push(pc + 1),
                _ => {}
            }
        }
        false
    }
}

fn holds(l: Look, prev: Option<char>, next: Option<char>) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    match l {
        Look::Start => prev.is_none(),
        Look::End => next.is_none(),
        Look::Word => word(prev) != word(next),
        Look::NotWord => word(prev) == word(next),
    }
}

/// The reading instructions reachable from the start without reading; empty when `Match`
/// is (the pattern can match the empty text).
fn starts(insts: &[Inst]) -> Vec<u32> {
    let mut seen = vec![false; insts.len()];
    let mut out = Vec::new();
    let mut stack = vec![0u32];
    while let Some(pc) = stack.pop() {
        match seen.get_mut(pc as usize) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        match insts.get(pc as usize) {
            Some(Inst::Match) | None => return Vec::new(),
            Some(Inst::Jmp(t)) => stack.push(*t),
            Some(Inst::Split(a, b)) => stack.extend([*a, *b]),
            // An assertion only narrows where a match starts: pass through it.
            Some(Inst::Look(_)) => stack.push(pc + 1),
            Some(Inst::Char(_) | Inst::Class(..)) => out.push(pc),
        }
    }
    out
}

fn anchored(node: &Node) -> bool {
    match node {
        Node::Look(Look::Start) => true,
        Node::Concat(v) => v.first().is_some_and(anchored),
        Node::Alt(v) => v.iter().all(anchored),
        _ => false,
    }
}

fn here(out: &[Inst]) -> u32 {
    out.len() as u32
}

fn emit(node: &Node, out: &mut Vec<Inst>) {
    match node {
        Node::Empty => {}
        Node::Char(c) => out.push(Inst::Char(*c)),
        Node::Class(c, negated) => out.push(Inst::Class(c.clone(), *negated)),
        Node::Look(l) => out.push(Inst::Look(*l)),
        Node::Concat(v) => v.iter().for_each(|n| emit(n, out)),
        Node::Alt(v) => {
            let mut jumps = Vec::new();
            let last = v.len().saturating_sub(1);
            for (i, branch) in v.iter().enumerate() {
                if i == last {
                    emit(branch, out);
                    break;
                }
                let split = out.len();
                out.push(Inst::Split(here(out) + 1, 0));
                emit(branch, out);
                jumps.push(out.len());
                out.push(Inst::Jmp(0));
                let next = here(out);
                if let Some(Inst::Split(_, b)) = out.get_mut(split) {
                    *b = next;
                }
            }
            let end = here(out);
            for j in jumps {
                if let Some(Inst::Jmp(t)) = out.get_mut(j) {
                    *t = end;
                }
            }
        }
        Node::Repeat(body, min, max) => {
            for _ in 0..*min {
                emit(body, out);
            }
            match max {
                None => {
                    let top = here(out);
                    out.push(Inst::Split(top + 1, 0));
                    emit(body, out);
                    out.push(Inst::Jmp(top));
                    let end = here(out);
                    if let Some(Inst::Split(_, b)) = out.get_mut(top as usize) {
                        *b = end;
                    }
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(out.len());
                        out.push(Inst::Split(here(out) + 1, 0));
                        emit(body, out);
                    }
                    let end = here(out);
                    for s in splits {
                        if let Some(Inst::Split(_, b)) = out.get_mut(s) {
                            *b = end;
                        }
                    }
                }
            }
        }
    }
}

/// A sparse set of instruction indexes: insert and membership in O(1), cleared in O(1).
struct Set {
    dense: Vec<u32>,
    sparse: Vec<u32>,
    len: usize,
}

impl Set {
    fn new(n: usize) -> Set {
        Set {
            dense: vec![0; n],
            sparse: vec![0; n],
            len: 0,
        }
    }

    /// False when `pc` was already in.
    fn insert(&mut self, pc: u32) -> bool {
        let i = pc as usize;
        let Some(&s) = self.sparse.get(i) else {
            return false;
        };
        if (s as usize) < self.len && self.dense.get(s as usize) == Some(&pc) {
            return false;
        }
        if let (Some(d), Some(sp)) = (self.dense.get_mut(self.len), self.sparse.get_mut(i)) {
            *d = pc;
            *sp = self.len as u32;
            self.len += 1;
        }
        true
    }
}
