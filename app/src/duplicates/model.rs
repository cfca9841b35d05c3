use crate::i18n::Key;
use crate::ids::CustomerId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// At most this many pairs are reported: a review list, not an export.
pub const PAIR_CAP: usize = 200;
/// Upper bound on name comparisons, so the fuzzy pass stays cheap at 100 000 customers.
pub const COMPARISON_BUDGET: usize = 2_000_000;
/// Fuzzy matching only for names at least this long (shorter ones differ too easily).
pub const FUZZY_MIN_CHARS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MatchReason {
    SameEmail,
    SamePhone,
    SameName,
    SimilarName,
}

impl MatchReason {
    pub fn label(self) -> Key {
        match self {
            MatchReason::SameEmail => Key::MatchSameEmail,
            MatchReason::SamePhone => Key::MatchSamePhone,
            MatchReason::SameName => Key::MatchSameName,
            MatchReason::SimilarName => Key::MatchSimilarName,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub owner_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub a: DuplicateCandidate,
    pub b: DuplicateCandidate,
    pub reason: MatchReason,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateReport {
    pub pairs: Vec<DuplicatePair>,
    /// More pairs exist than are shown.
    pub capped: bool,
}

/// Latin company suffixes dropped from the end of a name.
const LATIN_SUFFIXES: [&str; 12] = [
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "co",
    "corp",
    "corporation",
    "llc",
    "plc",
    "gmbh",
    "company",
    "group",
];
/// Chinese company suffixes, longest first.
const CJK_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "集团", "公司"];

/// The comparison key of a name: lower-case, company suffixes removed, punctuation and
/// whitespace removed. "ACME Co., Ltd." and "Acme" share a key.
pub fn normalise_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    while words.len() > 1 && words.last().is_some_and(|w| LATIN_SUFFIXES.contains(w)) {
        words.pop();
    }
    let mut key: String = words.concat();
    loop {
        let before = key.len();
        for suffix in CJK_SUFFIXES {
            if key.len() > suffix.len() {
                if let Some(stripped) = key.strip_suffix(suffix) {
                    key = stripped.to_string();
                }
            }
        }
        if key.len() == before {
            break;
        }
    }
    key
}

/// The digits of a phone number.
pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Whether two strings differ by at most one insertion, deletion or substitution.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(&long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix..]
            .iter()
            .skip(1)
            .eq(long[prefix..].iter().skip(1))
    } else {
        short[prefix..].iter().eq(long[prefix + 1..].iter())
    }
}

/// Name-based pairs among `(id, name)`: equal keys, or (for keys of at least
/// [`FUZZY_MIN_CHARS`] characters) keys one edit apart that share their first three
/// characters. At most `cap` pairs; comparisons bounded by [`COMPARISON_BUDGET`].
pub fn name_pairs(
    customers: &[(CustomerId, String)],
    cap: usize,
) -> Vec<(CustomerId, CustomerId, MatchReason)> {
    let mut by_key: BTreeMap<String, Vec<CustomerId>> = BTreeMap::new();
    for (id, name) in customers {
        let key = normalise_name(name);
        if !key.is_empty() {
            by_key.entry(key).or_default().push(*id);
        }
    }
    let mut pairs = Vec::new();
    for ids in by_key.values() {
        for other in &ids[1..] {
            if pairs.len() >= cap {
                return pairs;
            }
            pairs.push((ids[0], *other, MatchReason::SameName));
        }
    }
    // Distinct keys grouped by their first three characters.
    let mut buckets: BTreeMap<String, Vec<(&str, CustomerId)>> = BTreeMap::new();
    for (key, ids) in &by_key {
        if key.chars().count() >= FUZZY_MIN_CHARS {
            let prefix: String = key.chars().take(3).collect();
            buckets
                .entry(prefix)
                .or_default()
                .push((key.as_str(), ids[0]));
        }
    }
    let mut budget = COMPARISON_BUDGET;
    let mut seen: HashSet<(CustomerId, CustomerId)> = HashSet::new();
    for bucket in buckets.values() {
        for (i, (ka, ia)) in bucket.iter().enumerate() {
            for (kb, ib) in &bucket[i + 1..] {
                if budget == 0 || pairs.len() >= cap {
                    return pairs;
                }
                budget -= 1;
                if within_one_edit(ka, kb) && seen.insert((*ia, *ib)) {
                    pairs.push((*ia, *ib, MatchReason::SimilarName));
                }
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalise_name("ACME Co., Ltd."), "acme");
        assert_eq!(normalise_name("  Acme  "), "acme");
        assert_eq!(normalise_name("Acme Trading Inc"), "acmetrading");
        assert_eq!(normalise_name("上海华东贸易有限公司"), "上海华东贸易");
        assert_eq!(normalise_name("Co"), "co");
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("harbour", "harbor"));
        assert!(within_one_edit("abcdef", "abcxef"));
        assert!(within_one_edit("abc", "abc"));
        assert!(!within_one_edit("abcdef", "abxdyf"));
        assert!(!within_one_edit("abc", "abcde"));
    }

    #[test]
    fn pairs_by_name() {
        let list = vec![
            (CustomerId(1), "Harbour Trading Ltd".to_string()),
            (CustomerId(2), "harbour trading".to_string()),
            (CustomerId(3), "Harbor Trading".to_string()),
            (CustomerId(4), "Zeta".to_string()),
            (CustomerId(5), "Zeto".to_string()),
        ];
        let pairs = name_pairs(&list, 10);
        assert!(pairs.contains(&(CustomerId(1), CustomerId(2), MatchReason::SameName)));
        assert!(pairs
            .iter()
            .any(|p| p.2 == MatchReason::SimilarName
                && (p.0 == CustomerId(3) || p.1 == CustomerId(3))));
        // Short names are not fuzzy-matched.
        assert!(!pairs
            .iter()
            .any(|p| p.0 == CustomerId(4) || p.1 == CustomerId(4)));
        assert_eq!(name_pairs(&list, 1).len(), 1);
    }
}
