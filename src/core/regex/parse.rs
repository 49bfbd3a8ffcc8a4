//! The pattern language: JavaScript's `RegExp` syntax without flags (Annex B, as browsers
//! read it), parsed into a tree. What cannot be matched in linear time — backreferences
//! and lookaround — is refused with a reason, as is a pattern whose compiled program would
//! exceed [`MAX_INSTS`].

/// Most instructions a compiled pattern may have (counted repetitions are expanded).
pub const MAX_INSTS: usize = 1000;
/// Longest pattern source, in bytes.
pub const MAX_PATTERN: usize = 1000;
/// Largest bound of a counted repetition (`{n,m}`).
const MAX_COUNT: u32 = 1000;

/// A set of characters as sorted, disjoint, inclusive ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct Class(pub Vec<(char, char)>);

impl Class {
    fn of(ranges: &[(char, char)]) -> Class {
        let mut c = Class(ranges.to_vec());
        c.normalize();
        c
    }

    fn normalize(&mut self) {
        // By insertion: classes are short, and `sort_unstable` would add 5 KB of wasm.
        let v = &mut self.0;
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && v.get(j - 1) > v.get(j) {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out: Vec<(char, char)> = Vec::with_capacity(self.0.len());
        for &(lo, hi) in &self.0 {
            match out.last_mut() {
                Some(last) if (lo as u32) <= (last.1 as u32).saturating_add(1) => {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                }
                _ => out.push((lo, hi)),
            }
        }
        self.0 = out;
    }

    fn negate(&self) -> Class {
        let mut out = Vec::new();
        let mut next = 0u32;
        for &(lo, hi) in &self.0 {
            if (lo as u32) > next {
                push_range(&mut out, next, lo as u32 - 1);
            }
            next = hi as u32 + 1;
        }
        push_range(&mut out, next, char::MAX as u32);
        Class(out)
    }

    /// Adds the case variant (`fold`) of each member, for case-insensitive matching, when
    /// the class has at most `MAX_FOLDED` members (wider sets are taken as they are).
    pub fn fold_cases(&mut self) {
        let size: u32 = self
            .0
            .iter()
            .map(|&(lo, hi)| hi as u32 - lo as u32 + 1)
            .sum();
        if size > MAX_FOLDED {
            return;
        }
        let mut extra = Vec::new();
        for &(lo, hi) in &self.0 {
            for c in (lo..=hi).map(fold) {
                if !self.contains(c) {
                    extra.push((c, c));
                }
            }
        }
        self.0.extend(extra);
        self.normalize();
    }

    pub fn contains(&self, c: char) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= c && c <= hi)
    }
}

/// Classes wider than this are not case-folded.
const MAX_FOLDED: u32 = 4096;

/// The case-insensitive form of `c`: its simple lower case, as one char, and never an
/// ASCII char for a non-ASCII one (JavaScript's rule: `K`, the Kelvin sign, is not `k`).
pub fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) if !x.is_ascii() => x,
        _ => c,
    }
}

/// Pushes `lo..=hi` minus the surrogate gap (no `char` lives there).
fn push_range(out: &mut Vec<(char, char)>, lo: u32, hi: u32) {
    let parts = [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)];
    for (a, b) in parts {
        if let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) {
            if a <= b {
                out.push((a, b));
            }
        }
    }
}

const DIGIT: &[(char, char)] = &[('0', '9')];
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
/// JavaScript's `\s`: WhiteSpace and LineTerminator.
const SPACE: &[(char, char)] = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
    ('\u{feff}', '\u{feff}'),
];
/// What `.` does not match: the line terminators.
const LINE_END: &[(char, char)] = &[('\n', '\n'), ('\r', '\r'), ('\u{2028}', '\u{2029}')];

/// Zero-width assertions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Look {
    Start,
    End,
    Word,
    NotWord,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Empty,
    Char(char),
    /// A set, and whether it is negated (`[^…]`: negated after case folding).
    Class(Class, bool),
    Look(Look),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

impl Node {
    /// Instructions this node compiles to (saturating), as the VM's compiler emits them.
    pub fn size(&self) -> usize {
        match self {
            Node::Empty => 0,
            Node::Char(_) | Node::Class(..) | Node::Look(_) => 1,
            Node::Concat(v) => v.iter().fold(0, |a, n| a.saturating_add(n.size())),
            Node::Alt(v) => v
                .iter()
                .fold(0, |a, n| a.saturating_add(n.size()).saturating_add(2)),
            Node::Repeat(n, min, max) => {
                let body = n.size();
                let fixed = body.saturating_mul(*min as usize);
                let rest = match max {
                    None => body.saturating_add(2),
                    Some(m) => body.saturating_add(1).saturating_mul((m - min) as usize),
                };
                fixed.saturating_add(rest)
            }
        }
    }
}

/// Parses `pattern`; `Err` is the reason, for the config error.
pub fn parse(pattern: &str) -> Result<Node, String> {
    if pattern.len() > MAX_PATTERN {
        return Err(format!(
            "regular expression is longer than {MAX_PATTERN} characters"
        ));
    }
    let mut p = Parser {
        chars: pattern.chars().collect(),
        at: 0,
        depth: 0,
    };
    let node = p.alternation()?;
    if p.at < p.chars.len() {
        return Err(p.fail("unmatched ')'"));
    }
    if node.size() > MAX_INSTS {
        return Err(format!(
            "regular expression is too large (more than {MAX_INSTS} steps once repetitions are counted out)"
        ));
    }
    Ok(node)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    depth: u32,
}

impl Parser {
    fn fail(&self, what: &str) -> String {
        format!("invalid regular expression: {what} at position {}", self.at)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut alts = vec![self.sequence()?];
        while self.eat('|') {
            alts.push(self.sequence()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn sequence(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            // An assertion cannot be repeated (`^*`), a group holding one can (`(?:^)*`).
            let atom = self.atom()?;
            let quantifiable = c == '(' || !matches!(atom, Node::Look(_));
            let atom = self.quantifier(atom, quantifiable)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn quantifier(&mut self, atom: Node, quantifiable: bool) -> Result<Node, String> {
        let start = self.at;
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.braces() {
                Some(b) => b?,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if self.at == start {
            self.at += 1;
        }
        if !quantifiable {
            self.at = start;
            return Err(self.fail("nothing to repeat"));
        }
        self.eat('?'); // lazy: the same answer for a yes/no match
                       // A quantifier right after a quantifier is an error in JavaScript (`a**`).
        if matches!(self.peek(), Some('*' | '+' | '?')) || self.braces_ahead() {
            return Err(self.fail("nothing to repeat"));
        }
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    /// Whether `{` here starts a valid counted repetition.
    fn braces_ahead(&mut self) -> bool {
        let at = self.at;
        let r = self.braces().is_some();
        self.at = at;
        r
    }

    /// `{n}`, `{n,}`, `{n,m}`; `None` (and no input used) when the brace is a literal.
    fn braces(&mut self) -> Option<Result<(u32, Option<u32>), String>> {
        let at = self.at;
        self.at += 1;
        let min = self.number();
        let max = match (min, self.eat(',')) {
            (Some(n), false) => Some(Some(n)),
            (Some(_), true) => Some(self.number()),
            (None, _) => None,
        };
        match (min, max) {
            (Some(min), Some(max)) if self.eat('}') => {
                if max.is_some_and(|m| m < min) {
                    self.at = at;
                    return Some(Err(self.fail("numbers out of order in {} quantifier")));
                }
                if min > MAX_COUNT || max.is_some_and(|m| m > MAX_COUNT) {
                    self.at = at;
                    return Some(Err(format!(
                        "regular expression repeats more than {MAX_COUNT} times"
                    )));
                }
                Some(Ok((min, max)))
            }
            _ => {
                self.at = at;
                None
            }
        }
    }

    fn number(&mut self) -> Option<u32> {
        let mut n: Option<u32> = None;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.at += 1;
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d));
        }
        n
    }

    fn atom(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.at += 1;
        Ok(match c {
            '^' => Node::Look(Look::Start),
            '$' => Node::Look(Look::End),
            '.' => Node::Class(Class::of(LINE_END), true),
            '(' => self.group()?,
            '[' => {
                let (class, negated) = self.class()?;
                Node::Class(class, negated)
            }
            '\\' => self.escape()?,
            '*' | '+' | '?' => {
                self.at -= 1;
                return Err(self.fail("nothing to repeat"));
            }
            '{' => {
                self.at -= 1;
                if self.braces_ahead() {
                    return Err(self.fail("nothing to repeat"));
                }
                self.at += 1;
                Node::Char('{')
            }
            c => Node::Char(c),
        })
    }

    fn group(&mut self) -> Result<Node, String> {
        if self.eat('?') {
            match self.peek() {
                Some(':') => self.at += 1,
                Some('<') if !matches!(self.chars.get(self.at + 1), Some('=' | '!')) => {
                    // A named group: the name is irrelevant to a yes/no match.
                    while let Some(c) = self.peek() {
                        self.at += 1;
                        if c == '>' {
                            break;
                        }
                    }
                }
                Some('=' | '!' | '<') => {
                    return Err(self.fail("lookaround is not supported (not linear-time)"))
                }
                _ => return Err(self.fail("invalid group")),
            }
        }
        self.depth += 1;
        if self.depth > 100 {
            return Err(self.fail("groups nested too deeply"));
        }
        let inner = self.alternation()?;
        self.depth -= 1;
        if !self.eat(')') {
            return Err(self.fail("unterminated group"));
        }
        Ok(inner)
    }

    fn class(&mut self) -> Result<(Class, bool), String> {
        let negated = self.eat('^');
        let mut ranges: Vec<(char, char)> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.fail("unterminated character class"));
            };
            self.at += 1;
            if c == ']' {
                break;
            }
            let lo = self.class_atom(c, &mut ranges)?;
            let Some(lo) = lo else { continue };
            if self.peek() == Some('-') && !matches!(self.chars.get(self.at + 1), Some(']') | None)
            {
                self.at += 1;
                let c2 = self.peek().unwrap_or(']');
                self.at += 1;
                match self.class_atom(c2, &mut ranges)? {
                    Some(hi) if hi < lo => {
                        return Err(self.fail("range out of order in character class"))
                    }
                    Some(hi) => ranges.push((lo, hi)),
                    // `[a-\d]`: in Annex B the '-' is a literal.
                    None => ranges.extend([(lo, lo), ('-', '-')]),
                }
            } else {
                ranges.push((lo, lo));
            }
        }
        let mut class = Class(ranges);
        class.normalize();
        Ok((class, negated))
    }

    /// One member of a class: `Some(char)`, or `None` when it was a set (`\d`) added to
    /// `ranges`.
    fn class_atom(
        &mut self,
        c: char,
        ranges: &mut Vec<(char, char)>,
    ) -> Result<Option<char>, String> {
        if c != '\\' {
            return Ok(Some(c));
        }
        if self.eat('b') {
            return Ok(Some('\u{8}'));
        }
        if self.eat('-') {
            return Ok(Some('-'));
        }
        match self.escape()? {
            Node::Char(c) => Ok(Some(c)),
            Node::Class(cl, _) => {
                ranges.extend(cl.0);
                Ok(None)
            }
            _ => Err(self.fail("invalid escape in character class")),
        }
    }

    fn escape(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Err(self.fail("\\ at end of pattern"));
        };
        self.at += 1;
        let set = |r: &[(char, char)], neg: bool| {
            let c = Class::of(r);
            Node::Class(if neg { c.negate() } else { c }, false)
        };
        Ok(match c {
            'd' => set(DIGIT, false),
            'D' => set(DIGIT, true),
            'w' => set(WORD, false),
            'W' => set(WORD, true),
            's' => set(SPACE, false),
            'S' => set(SPACE, true),
            'b' => Node::Look(Look::Word),
            'B' => Node::Look(Look::NotWord),
            't' => Node::Char('\t'),
            'n' => Node::Char('\n'),
            'r' => Node::Char('\r'),
            'v' => Node::Char('\u{b}'),
            'f' => Node::Char('\u{c}'),
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => Node::Char('\0'),
            '1'..='9' | '0' => {
                return Err(self.fail("backreferences are not supported (not linear-time)"))
            }
            'k' if self.peek() == Some('<') => {
                return Err(self.fail("backreferences are not supported (not linear-time)"))
            }
            'x' => self.hex(2).map_or(Node::Char('x'), Node::Char),
            'u' => self.hex(4).map_or(Node::Char('u'), Node::Char),
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.at += 1;
                    Node::Char(char::from(l as u8 % 32))
                }
                // `\c` not followed by a letter: a backslash, and the 'c' is read again.
                _ => {
                    self.at -= 1;
                    Node::Char('\\')
                }
            },
            c => Node::Char(c),
        })
    }

    /// `n` hex digits as a char, consuming them; nothing consumed when they are not.
    fn hex(&mut self, n: usize) -> Option<char> {
        let digits = self.chars.get(self.at..self.at + n)?;
        let mut v = 0u32;
        for d in digits {
            v = v * 16 + d.to_digit(16)?;
        }
        // A lone surrogate (`\ud800`) matches no char of a Rust string.
        let c = char::from_u32(v).unwrap_or('\u{fffd}');
        self.at += n;
        Some(c)
    }
}
