//! Messages as a person reads them: core and the server quote values in
//! backticks, as API clients and logs expect; on a screen they become
//! typographic quotes.

/// `text` with each pair of backticks turned into “ and ”.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut open = false;
    for c in text.chars() {
        if c == '`' {
            out.push(if open { '”' } else { '“' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn backticks_become_quotes() {
        assert_eq!(
            plain("`a@b.example` has already been invited"),
            "“a@b.example” has already been invited"
        );
        assert_eq!(plain("no quotes"), "no quotes");
    }
}
