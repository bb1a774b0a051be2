//! "Did you mean" suggestions for misspelled names.

/// The candidate closest to `word`, if one is close enough to be a likely
/// typo (Jaro-Winkler similarity of at least 0.8, the threshold clap uses).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        // The highest score wins; among equals, the first candidate.
        .fold(None, |best: Option<(f64, &str)>, (s, c)| match best {
            Some((b, _)) if b >= s => best,
            _ => Some((s, c)),
        })
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_near_misses_only() {
        let types = ["m5.large", "m5.xlarge", "t2.micro"];
        assert_eq!(did_you_mean("m5.larg", types), Some("m5.large"));
        assert_eq!(did_you_mean("t2.mikro", types), Some("t2.micro"));
        assert_eq!(did_you_mean("banana", types), None);
        assert_eq!(
            did_you_mean("isntance", ["instance", "count"]),
            Some("instance")
        );
    }
}
