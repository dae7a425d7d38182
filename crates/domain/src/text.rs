//! The one validator of human-entered text (account names and descriptions,
//! disconnect reasons, token, client and user names …): control characters,
//! bidirectional overrides and text made only of invisible characters are
//! refused; what is kept is normalised to NFC, so the same name is stored the
//! same way whatever keyboard typed it, and lengths count NFC characters.

use crate::commands::Rule;
use unicode_normalization::UnicodeNormalization;

/// Whether line breaks and tabs are text (a description) or not (a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Bidirectional embeddings, overrides and isolates: they make text display
/// other than it reads (U+202A–U+202E, U+2066–U+2069).
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: format characters and fillers.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
    )
}

/// Checks a value and returns it in NFC. `required`: blank is refused too.
pub fn clean(value: &str, max: usize, lines: Lines, required: bool) -> Result<String, Rule> {
    if value.chars().any(bidi_control) {
        return Err(Rule::BidiControl);
    }
    let allowed_control = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\t' | '\r');
    if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(Rule::ControlCharacters);
    }
    let normalized: String = value.nfc().collect();
    if !normalized.chars().any(|c| !c.is_whitespace() && !invisible(c)) {
        if required {
            return Err(Rule::Blank);
        }
        if normalized.chars().any(invisible) {
            return Err(Rule::Invisible);
        }
    }
    if normalized.chars().count() > max {
        return Err(Rule::TooLong { max });
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_hides_or_misleads_and_normalises_the_rest() {
        let name = |s: &str| clean(s, 10, Lines::Single, true);
        assert_eq!(name("Ann"), Ok("Ann".into()));
        assert_eq!(name("e\u{301}"), Ok("\u{e9}".into()), "NFC");
        assert_eq!(name("\u{200b}"), Err(Rule::Blank));
        assert_eq!(name("\u{feff} \u{2060}"), Err(Rule::Blank));
        assert_eq!(name("  "), Err(Rule::Blank));
        assert_eq!(name("a\u{0}b"), Err(Rule::ControlCharacters));
        assert_eq!(name("a\nb"), Err(Rule::ControlCharacters));
        assert_eq!(name("abc\u{202e}cba"), Err(Rule::BidiControl));
        assert_eq!(name("\u{2067}x"), Err(Rule::BidiControl));
        assert_eq!(name(&"é".repeat(11)), Err(Rule::TooLong { max: 10 }));
        assert_eq!(name(&"e\u{301}".repeat(10)), Ok("é".repeat(10)), "length counts NFC characters");
        let text = |s: &str| clean(s, 100, Lines::Multi, false);
        assert_eq!(text("line 1\nline 2\ttab"), Ok("line 1\nline 2\ttab".into()));
        assert_eq!(text(""), Ok(String::new()), "an optional text may be empty");
        assert_eq!(text("\u{200b}"), Err(Rule::Invisible));
        assert_eq!(text("a\u{7}"), Err(Rule::ControlCharacters));
    }
}
