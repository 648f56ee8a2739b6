//! Peppol participant identifiers, kept apart from documents on purpose.
//!
//! An identifier is read in two strengths because the two uses differ in who
//! bears the risk. Documents written by others carry identifiers we must
//! route or display even when their check digits are wrong, so reading only
//! asks for well-formedness ([`ParticipantId::parse`]). An organisation that
//! registers its own identifier on the platform, by contrast, must not be
//! able to register a mistyped one, because the network would then deliver
//! its invoices nowhere; that is when the full per-scheme rules apply
//! ([`ParticipantId::validate`]).
//!
//! Only the schemes the platform supports are known. An identifier in any
//! other scheme is refused rather than carried along, so that nothing
//! downstream has to cope with a scheme it cannot check.

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// The prefix Peppol uses for the participant identifier scheme, as it
/// appears in SMP URLs and in some configuration files.
const UPIS_PREFIX: &str = "iso6523-actorid-upis::";

/// The longest excerpt of user input repeated in an error message, so that a
/// hostile input cannot blow up logs.
const MAX_EXCERPT_CHARS: usize = 64;

fn excerpt(input: &str) -> String {
    super::excerpt(input, MAX_EXCERPT_CHARS)
}

/// The identifier schemes (ISO 6523 ICD codes) the platform supports.
///
/// Variants are declared in the order of their codes, so the derived
/// ordering sorts by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// 0007: Swedish organisation number, 10 digits with a Luhn check digit.
    SwedishOrganisationNumber,
    /// 0088: GS1 Global Location Number, 13 digits with a GS1 check digit.
    Gln,
    /// 0106: Dutch Chamber of Commerce (KvK) number, 8 digits.
    DutchKvk,
    /// 0184: Danish CVR number, 8 digits with a weighted mod 11 check.
    DanishCvr,
    /// 0190: Dutch government organisation identifier (OIN), 20 digits.
    DutchOin,
    /// 0192: Norwegian organisation number, 9 digits with a mod 11 check digit.
    NorwegianOrganisationNumber,
    /// 0208: Belgian enterprise number, 10 digits ending in mod 97 check digits.
    BelgianEnterpriseNumber,
    /// 9925: Belgian VAT number, `BE` followed by a Belgian enterprise number.
    BelgianVat,
    /// 9930: German VAT number, `DE` followed by 9 digits.
    GermanVat,
    /// 9944: Dutch VAT number, `NL`, 9 digits, `B` and 2 digits.
    DutchVat,
}

const ALL_SCHEMES: &[Scheme] = &[
    Scheme::SwedishOrganisationNumber,
    Scheme::Gln,
    Scheme::DutchKvk,
    Scheme::DanishCvr,
    Scheme::DutchOin,
    Scheme::NorwegianOrganisationNumber,
    Scheme::BelgianEnterpriseNumber,
    Scheme::BelgianVat,
    Scheme::GermanVat,
    Scheme::DutchVat,
];

impl Scheme {
    /// The four-digit ICD code, for example `"0208"`.
    pub const fn code(self) -> &'static str {
        match self {
            Scheme::SwedishOrganisationNumber => "0007",
            Scheme::Gln => "0088",
            Scheme::DutchKvk => "0106",
            Scheme::DanishCvr => "0184",
            Scheme::DutchOin => "0190",
            Scheme::NorwegianOrganisationNumber => "0192",
            Scheme::BelgianEnterpriseNumber => "0208",
            Scheme::BelgianVat => "9925",
            Scheme::GermanVat => "9930",
            Scheme::DutchVat => "9944",
        }
    }

    /// A human-readable English name, for example `"Belgian enterprise number"`.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::SwedishOrganisationNumber => "Swedish organisation number",
            Scheme::Gln => "Global Location Number",
            Scheme::DutchKvk => "Dutch Chamber of Commerce number",
            Scheme::DanishCvr => "Danish CVR number",
            Scheme::DutchOin => "Dutch government organisation identifier",
            Scheme::NorwegianOrganisationNumber => "Norwegian organisation number",
            Scheme::BelgianEnterpriseNumber => "Belgian enterprise number",
            Scheme::BelgianVat => "Belgian VAT number",
            Scheme::GermanVat => "German VAT number",
            Scheme::DutchVat => "Dutch VAT number",
        }
    }

    /// The scheme with this exact ICD code, if it is supported.
    pub fn from_code(code: &str) -> Option<Scheme> {
        ALL_SCHEMES
            .iter()
            .copied()
            .find(|scheme| scheme.code() == code)
    }

    /// Every supported scheme, ordered by code.
    pub const fn all() -> &'static [Scheme] {
        ALL_SCHEMES
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Scheme {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Scheme {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Scheme::from_code(&code).ok_or_else(|| {
            de::Error::custom(ParticipantIdError::UnknownScheme {
                scheme: excerpt(&code),
            })
        })
    }
}

/// Why a participant identifier was refused.
///
/// Every message names the rule that failed and, where there is one, the
/// offending character and its 1-based position in the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParticipantIdError {
    /// The input is not of the form `scheme:value`.
    #[error("`{input}` is not a well-formed participant identifier: {reason}")]
    Malformed { input: String, reason: String },
    /// The ICD code is well-formed but not a supported scheme.
    #[error("`{scheme}` is not a supported participant identifier scheme")]
    UnknownScheme { scheme: String },
    /// The value has the wrong number of digits or characters.
    #[error("`{value}` is not a valid {}: must have {expected} {what}, found {found}", describe(.scheme))]
    Length {
        scheme: Scheme,
        value: String,
        expected: usize,
        found: usize,
        what: &'static str,
    },
    /// A character where a digit is required.
    #[error("`{value}` is not a valid {}: character `{}` at position {position} is not a digit", describe(.scheme), .character.escape_default())]
    NotADigit {
        scheme: Scheme,
        value: String,
        character: char,
        position: usize,
    },
    /// A character other than the fixed letter the format requires there.
    #[error("`{value}` is not a valid {}: character `{}` at position {position} should be `{expected}`", describe(.scheme), .character.escape_default())]
    UnexpectedCharacter {
        scheme: Scheme,
        value: String,
        character: char,
        position: usize,
        expected: char,
    },
    /// The value does not start with the country prefix the scheme requires.
    #[error("`{value}` is not a valid {}: must start with `{expected}`", describe(.scheme))]
    Prefix {
        scheme: Scheme,
        value: String,
        expected: &'static str,
    },
    /// The check digits do not match the ones computed from the other digits.
    #[error("`{value}` is not a valid {}: the {} `{found}` should be `{expected}`", describe(.scheme), check_label(.found))]
    CheckDigit {
        scheme: Scheme,
        value: String,
        found: String,
        expected: String,
    },
    /// No check digit can make the value valid, so it was never issued.
    #[error("`{value}` is not a valid {}: the mod 11 checksum of the leading digits leaves no possible check digit", describe(.scheme))]
    NoCheckDigit { scheme: Scheme, value: String },
}

impl ParticipantIdError {
    /// A stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        "invalid_participant_id"
    }
}

fn describe(scheme: &Scheme) -> String {
    format!("{} ({})", scheme.name(), scheme.code())
}

fn check_label(found: &str) -> &'static str {
    if found.len() > 1 {
        "check digits"
    } else {
        "check digit"
    }
}

/// A Peppol participant identifier: a supported scheme and a value.
///
/// The value is printable ASCII without spaces; whether it also satisfies its
/// scheme's format and check digits is a separate question answered by
/// [`ParticipantId::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId {
    scheme: Scheme,
    value: String,
}

impl ParticipantId {
    /// Checks well-formedness only: `scheme:value`, optionally preceded by
    /// `iso6523-actorid-upis::` and surrounded by whitespace.
    ///
    /// The scheme prefix is matched without regard to ASCII case, as Peppol
    /// treats identifier schemes case-insensitively; the value is kept as is.
    pub fn parse(input: &str) -> Result<ParticipantId, ParticipantIdError> {
        let malformed = |reason: String| ParticipantIdError::Malformed {
            input: excerpt(input),
            reason,
        };
        let trimmed = input.trim();
        let rest = strip_prefix_ignore_ascii_case(trimmed, UPIS_PREFIX).unwrap_or(trimmed);
        let Some((code, value)) = rest.split_once(':') else {
            return Err(malformed(
                "expected `scheme:value` but there is no `:`".to_owned(),
            ));
        };
        if value.contains(':') {
            return Err(malformed(
                "expected exactly one `:` between scheme and value".to_owned(),
            ));
        }
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!(
                "the scheme `{}` is not a 4-digit ICD code",
                excerpt(code)
            )));
        }
        let scheme = Scheme::from_code(code).ok_or_else(|| ParticipantIdError::UnknownScheme {
            scheme: code.to_owned(),
        })?;
        if value.is_empty() {
            return Err(malformed("the value after `:` is empty".to_owned()));
        }
        if let Some((index, character)) = value
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())
        {
            return Err(malformed(format!(
                "character `{}` at position {} of the value is not printable ASCII",
                character.escape_default(),
                index + 1
            )));
        }
        Ok(ParticipantId {
            scheme,
            value: value.to_owned(),
        })
    }

    /// Parses, then checks the scheme's format and check digits.
    pub fn parse_valid(input: &str) -> Result<ParticipantId, ParticipantIdError> {
        let id = ParticipantId::parse(input)?;
        id.validate()?;
        Ok(id)
    }

    /// Checks the value against its scheme's format and check digits.
    pub fn validate(&self) -> Result<(), ParticipantIdError> {
        let rules = Rules {
            scheme: self.scheme,
            value: &self.value,
        };
        match self.scheme {
            Scheme::BelgianEnterpriseNumber => rules.mod97(rules.digits(&self.value, 0, 10)?),
            Scheme::BelgianVat => {
                let body = rules.prefix("BE")?;
                rules.mod97(rules.digits(body, 2, 10)?)
            }
            Scheme::Gln => rules.gs1(rules.digits(&self.value, 0, 13)?),
            Scheme::NorwegianOrganisationNumber => {
                rules.norwegian_mod11(rules.digits(&self.value, 0, 9)?)
            }
            Scheme::SwedishOrganisationNumber => rules.luhn(rules.digits(&self.value, 0, 10)?),
            Scheme::DanishCvr => rules.danish_mod11(rules.digits(&self.value, 0, 8)?),
            Scheme::DutchKvk => rules.digits(&self.value, 0, 8).map(drop),
            Scheme::DutchOin => rules.digits(&self.value, 0, 20).map(drop),
            Scheme::DutchVat => {
                let body = rules.prefix("NL")?;
                rules.dutch_vat_body(body)
            }
            Scheme::GermanVat => {
                let body = rules.prefix("DE")?;
                rules.digits(body, 2, 9).map(drop)
            }
        }
    }

    /// The identifier's scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The identifier's value, without the scheme.
    pub fn value(&self) -> &str {
        &self.value
    }
}

fn strip_prefix_ignore_ascii_case<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        input.get(prefix.len()..)
    } else {
        None
    }
}

/// The per-scheme format rules, with the identifier they report errors on.
struct Rules<'a> {
    scheme: Scheme,
    value: &'a str,
}

impl Rules<'_> {
    fn value(&self) -> String {
        excerpt(self.value)
    }

    /// Requires the value to start with `expected` and returns the rest.
    fn prefix(&self, expected: &'static str) -> Result<&str, ParticipantIdError> {
        self.value
            .strip_prefix(expected)
            .ok_or_else(|| ParticipantIdError::Prefix {
                scheme: self.scheme,
                value: self.value(),
                expected,
            })
    }

    /// Requires `body`, which starts after `offset` characters of the value,
    /// to be exactly `expected` ASCII digits and returns their values.
    fn digits(
        &self,
        body: &str,
        offset: usize,
        expected: usize,
    ) -> Result<Vec<u32>, ParticipantIdError> {
        let mut digits = Vec::with_capacity(expected);
        for (index, character) in body.chars().enumerate() {
            let digit = character
                .to_digit(10)
                .ok_or_else(|| ParticipantIdError::NotADigit {
                    scheme: self.scheme,
                    value: self.value(),
                    character,
                    position: offset + index + 1,
                })?;
            digits.push(digit);
        }
        if digits.len() != expected {
            return Err(ParticipantIdError::Length {
                scheme: self.scheme,
                value: self.value(),
                expected,
                found: digits.len(),
                what: if offset == 0 {
                    "digits"
                } else {
                    "digits after the country prefix"
                },
            });
        }
        Ok(digits)
    }

    fn check_digit_error(&self, found: &[u32], expected: String) -> ParticipantIdError {
        ParticipantIdError::CheckDigit {
            scheme: self.scheme,
            value: self.value(),
            found: found.iter().map(u32::to_string).collect(),
            expected,
        }
    }

    /// The last two digits equal 97 minus the first eight modulo 97.
    fn mod97(&self, digits: Vec<u32>) -> Result<(), ParticipantIdError> {
        let (stem, check) = split_check(&digits, 2);
        let expected = 97 - number(stem) % 97;
        if number(check) == expected {
            Ok(())
        } else {
            Err(self.check_digit_error(check, format!("{expected:02}")))
        }
    }

    /// GS1: weights 3 and 1 alternate leftwards from the digit before the
    /// check digit, which brings the weighted sum to a multiple of 10.
    fn gs1(&self, digits: Vec<u32>) -> Result<(), ParticipantIdError> {
        let (stem, check) = split_check(&digits, 1);
        let sum: u32 = stem
            .iter()
            .rev()
            .zip([3, 1].into_iter().cycle())
            .map(|(digit, weight)| digit * weight)
            .sum();
        self.single_check(check, (10 - sum % 10) % 10)
    }

    /// Luhn over the whole value: doubling every second digit from the
    /// right, the digit sums add up to a multiple of 10.
    fn luhn(&self, digits: Vec<u32>) -> Result<(), ParticipantIdError> {
        let (stem, check) = split_check(&digits, 1);
        let sum: u32 = stem
            .iter()
            .rev()
            .zip([true, false].into_iter().cycle())
            .map(|(&digit, doubled)| match (doubled, digit * 2) {
                (false, _) => digit,
                (true, twice) if twice > 9 => twice - 9,
                (true, twice) => twice,
            })
            .sum();
        self.single_check(check, (10 - sum % 10) % 10)
    }

    /// Norway: weights 3,2,7,6,5,4,3,2; the check digit is 11 minus the
    /// remainder, 0 for remainder 0, and remainder 1 is never issued.
    fn norwegian_mod11(&self, digits: Vec<u32>) -> Result<(), ParticipantIdError> {
        let (stem, check) = split_check(&digits, 1);
        let remainder = weighted_sum(stem, &[3, 2, 7, 6, 5, 4, 3, 2]) % 11;
        match remainder {
            0 => self.single_check(check, 0),
            1 => Err(self.no_check_digit()),
            _ => self.single_check(check, 11 - remainder),
        }
    }

    /// Denmark: weights 2,7,6,5,4,3,2,1 give a sum divisible by 11.
    fn danish_mod11(&self, digits: Vec<u32>) -> Result<(), ParticipantIdError> {
        let (stem, check) = split_check(&digits, 1);
        let expected = (11 - weighted_sum(stem, &[2, 7, 6, 5, 4, 3, 2]) % 11) % 11;
        if expected == 10 {
            Err(self.no_check_digit())
        } else {
            self.single_check(check, expected)
        }
    }

    /// The Netherlands: 9 digits, the letter `B`, then 2 digits.
    fn dutch_vat_body(&self, body: &str) -> Result<(), ParticipantIdError> {
        const LETTER_INDEX: usize = 9;
        const BODY_LENGTH: usize = 12;
        for (index, character) in body.chars().enumerate() {
            let position = 2 + index + 1;
            if index == LETTER_INDEX {
                if character != 'B' {
                    return Err(ParticipantIdError::UnexpectedCharacter {
                        scheme: self.scheme,
                        value: self.value(),
                        character,
                        position,
                        expected: 'B',
                    });
                }
            } else if !character.is_ascii_digit() {
                return Err(ParticipantIdError::NotADigit {
                    scheme: self.scheme,
                    value: self.value(),
                    character,
                    position,
                });
            }
        }
        let found = body.chars().count();
        if found == BODY_LENGTH {
            Ok(())
        } else {
            Err(ParticipantIdError::Length {
                scheme: self.scheme,
                value: self.value(),
                expected: BODY_LENGTH,
                found,
                what: "characters after the country prefix (9 digits, `B`, 2 digits)",
            })
        }
    }

    fn single_check(&self, check: &[u32], expected: u32) -> Result<(), ParticipantIdError> {
        if check == [expected] {
            Ok(())
        } else {
            Err(self.check_digit_error(check, expected.to_string()))
        }
    }

    fn no_check_digit(&self) -> ParticipantIdError {
        ParticipantIdError::NoCheckDigit {
            scheme: self.scheme,
            value: self.value(),
        }
    }
}

/// Splits off the trailing `check_len` digits.
fn split_check(digits: &[u32], check_len: usize) -> (&[u32], &[u32]) {
    digits.split_at(digits.len().saturating_sub(check_len))
}

fn number(digits: &[u32]) -> u32 {
    digits.iter().fold(0, |acc, digit| acc * 10 + digit)
}

fn weighted_sum(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme.code(), self.value)
    }
}

impl FromStr for ParticipantId {
    type Err = ParticipantIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        ParticipantId::parse(input)
    }
}

impl Serialize for ParticipantId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ParticipantId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ParticipantId::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::value::{Error as ValueError, StrDeserializer};
    use serde::de::IntoDeserializer;

    fn id(input: &str) -> ParticipantId {
        ParticipantId::parse(input).unwrap()
    }

    /// The message of the validation error for `input`, which must parse.
    fn invalid(input: &str) -> String {
        id(input).validate().unwrap_err().to_string()
    }

    fn assert_valid(input: &str) {
        let parsed = ParticipantId::parse_valid(input);
        assert!(parsed.is_ok(), "{input}: {parsed:?}");
    }

    #[test]
    fn schemes_have_unique_codes_in_order() {
        let codes: Vec<&str> = Scheme::all().iter().map(|s| s.code()).collect();
        let mut sorted = codes.clone();
        crate::util::sort::sort_dedup(&mut sorted);
        assert_eq!(codes, sorted);
        assert_eq!(codes.len(), 10);
        for &scheme in Scheme::all() {
            assert_eq!(Scheme::from_code(scheme.code()), Some(scheme));
            assert!(!scheme.name().is_empty());
        }
        assert_eq!(Scheme::BelgianEnterpriseNumber.code(), "0208");
        assert_eq!(
            Scheme::BelgianEnterpriseNumber.name(),
            "Belgian enterprise number"
        );
        assert_eq!(Scheme::from_code("9999"), None);
        assert_eq!(Scheme::from_code(" 0208"), None);
    }

    #[test]
    fn parse_accepts_the_usual_spellings() {
        let expected = id("0208:0123456749");
        assert_eq!(expected.scheme(), Scheme::BelgianEnterpriseNumber);
        assert_eq!(expected.value(), "0123456749");
        assert_eq!(expected.to_string(), "0208:0123456749");
        for spelling in [
            "  0208:0123456749\n",
            "iso6523-actorid-upis::0208:0123456749",
            "ISO6523-ACTORID-UPIS::0208:0123456749",
            "\tiso6523-actorid-upis::0208:0123456749 ",
        ] {
            assert_eq!(id(spelling), expected, "{spelling:?}");
        }
        assert_eq!("0208:0123456749".parse::<ParticipantId>(), Ok(expected));
    }

    #[test]
    fn parse_checks_well_formedness_only() {
        // A wrong check digit is still well-formed.
        assert_eq!(id("0208:0123456789").value(), "0123456789");
        assert_eq!(id("0088:9482348239847239874").scheme(), Scheme::Gln);
    }

    #[test]
    fn parse_refuses_malformed_input() {
        let cases = [
            ("", "there is no `:`"),
            ("0208", "there is no `:`"),
            ("0208:01:23", "exactly one `:`"),
            ("iso6523-actorid-upis::0208::1", "exactly one `:`"),
            (
                "208:0123456749",
                "the scheme `208` is not a 4-digit ICD code",
            ),
            (
                "02O8:0123456749",
                "the scheme `02O8` is not a 4-digit ICD code",
            ),
            (":0123456749", "the scheme `` is not a 4-digit ICD code"),
            ("0208:", "the value after `:` is empty"),
            ("0208:0123 456749", "character ` ` at position 5"),
            ("0208:01234é", "character `\\u{e9}` at position 6"),
            ("0208:0123\u{7f}", "character `\\u{7f}` at position 5"),
        ];
        for (input, reason) in cases {
            let error = ParticipantId::parse(input).unwrap_err();
            assert!(
                matches!(error, ParticipantIdError::Malformed { .. }),
                "{input:?}: {error:?}"
            );
            let message = error.to_string();
            assert!(message.contains(reason), "{input:?}: {message}");
            assert!(message.contains("is not a well-formed participant identifier"));
            assert_eq!(error.code(), "invalid_participant_id");
        }
    }

    #[test]
    fn parse_names_an_unknown_scheme() {
        let error = ParticipantId::parse("9999:abc").unwrap_err();
        assert_eq!(
            error,
            ParticipantIdError::UnknownScheme {
                scheme: "9999".to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            "`9999` is not a supported participant identifier scheme"
        );
        // 0002 (SIRENE) appears in the fixtures but is not supported.
        assert!(ParticipantId::parse("0002:FR23342").is_err());
    }

    #[test]
    fn error_excerpts_stay_short() {
        let long = format!("0208:{}", "1".repeat(1000));
        let message = invalid(&long);
        assert!(message.len() < 200, "{message}");
        assert!(message.contains("must have 10 digits, found 1000"));
    }

    #[test]
    fn belgian_enterprise_number() {
        // 01234567 mod 97 = 48 and 97 - 48 = 49.
        assert_valid("0208:0123456749");
        // 04031707 mod 97 = 96 and 97 - 96 = 01.
        assert_valid("0208:0403170701");
        // 00000000 mod 97 = 0, so the check digits are 97, never 00.
        assert_valid("0208:0000000097");
        assert_eq!(
            invalid("0208:0123456789"),
            "`0123456789` is not a valid Belgian enterprise number (0208): \
             the check digits `89` should be `49`"
        );
        assert_eq!(
            invalid("0208:0000000000"),
            "`0000000000` is not a valid Belgian enterprise number (0208): \
             the check digits `00` should be `97`"
        );
        assert_eq!(
            invalid("0208:012345674"),
            "`012345674` is not a valid Belgian enterprise number (0208): \
             must have 10 digits, found 9"
        );
        assert_eq!(
            invalid("0208:012x456749"),
            "`012x456749` is not a valid Belgian enterprise number (0208): \
             character `x` at position 4 is not a digit"
        );
        assert!(invalid("0208:BE0123456749").contains("character `B` at position 1"));
    }

    #[test]
    fn belgian_vat_number() {
        assert_valid("9925:BE0123456749");
        assert_valid("9925:BE0403170701");
        assert_eq!(
            invalid("9925:be0123456749"),
            "`be0123456749` is not a valid Belgian VAT number (9925): must start with `BE`"
        );
        assert_eq!(
            invalid("9925:0123456749"),
            "`0123456749` is not a valid Belgian VAT number (9925): must start with `BE`"
        );
        assert!(
            invalid("9925:BE0123456748").contains("the check digits `48` should be `49`"),
            "the enterprise number rule applies after the prefix"
        );
        assert!(invalid("9925:BE012345674")
            .contains("must have 10 digits after the country prefix, found 9"));
        // Positions count from the start of the value, prefix included.
        assert!(invalid("9925:BE01234.6749").contains("character `.` at position 8"));
    }

    #[test]
    fn global_location_number() {
        // 7·1 + 3·3 + 1·3 = 19 from the left with weights 1,3,1,3,...; 20 - 19 = 1.
        assert_valid("0088:7300010000001");
        // 5+21+9+0+0+0+0+12+3+15+9+18 = 92, so the check digit is 8.
        assert_valid("0088:5790000435968");
        assert_eq!(
            invalid("0088:7300010000002"),
            "`7300010000002` is not a valid Global Location Number (0088): \
             the check digit `2` should be `1`"
        );
        // The supplier endpoint of several fixtures.
        assert!(invalid("0088:9482348239847239874").contains("must have 13 digits, found 19"));
        assert!(invalid("0088:730001000000A").contains("character `A` at position 13"));
    }

    #[test]
    fn norwegian_organisation_number() {
        // 9·3+8·2+7·7+6·6+5·5+4·4+3·3+2·2 = 182 = 16·11 + 6, so 11 - 6 = 5.
        assert_valid("0192:987654325");
        // 9·3+2·2+3·7+4·6+5·5+6·4+7·3+8·2 = 162 = 14·11 + 8, so 11 - 8 = 3.
        assert_valid("0192:923456783");
        // 0 leaves remainder 0, so the check digit is 0.
        assert_valid("0192:000000000");
        assert_eq!(
            invalid("0192:987654321"),
            "`987654321` is not a valid Norwegian organisation number (0192): \
             the check digit `1` should be `5`"
        );
        // 1·3 + 1·3 + 3·2 = 12 leaves remainder 1: no check digit works.
        assert_eq!(
            invalid("0192:100000130"),
            "`100000130` is not a valid Norwegian organisation number (0192): \
             the mod 11 checksum of the leading digits leaves no possible check digit"
        );
        assert!(invalid("0192:9876543250").contains("must have 9 digits, found 10"));
        assert!(invalid("0192:NO987654325").contains("character `N` at position 1"));
    }

    #[test]
    fn swedish_organisation_number() {
        // Saab AB, 556036-0793: doubling every second digit of 556036079
        // from the right gives 9+7+0+6+6+0+3+5+1 = 37, so the check digit is 3.
        assert_valid("0007:5560360793");
        // 212000-0142: 8+1+0+0+0+0+4+1+4 = 18, so the check digit is 2.
        assert_valid("0007:2120000142");
        assert_eq!(
            invalid("0007:5560360794"),
            "`5560360794` is not a valid Swedish organisation number (0007): \
             the check digit `4` should be `3`"
        );
        assert!(invalid("0007:556036-0793").contains("character `-` at position 7"));
        assert!(invalid("0007:556036079").contains("must have 10 digits, found 9"));
    }

    #[test]
    fn danish_cvr_number() {
        // 1·2+3·7+5·6+8·5+5·4+6·3+2·2+8·1 = 143 = 13·11.
        assert_valid("0184:13585628");
        // 2+14+18+20+20+18+14 = 106 = 9·11 + 7, so the last digit is 4.
        assert_valid("0184:12345674");
        // The customer endpoint of vat-category-Z.xml.
        assert_eq!(
            invalid("0184:12345678"),
            "`12345678` is not a valid Danish CVR number (0184): \
             the check digit `8` should be `4`"
        );
        // 2·2+9·7+9·6+8·5+1·4+2·3+3·2 = 177 = 16·11 + 1 needs a last digit of 10.
        assert!(invalid("0184:29981230").contains("leaves no possible check digit"));
        assert!(invalid("0184:DK13585628").contains("character `D` at position 1"));
        assert!(invalid("0184:1358562").contains("must have 8 digits, found 7"));
    }

    #[test]
    fn dutch_chamber_of_commerce_number() {
        assert_valid("0106:12345678");
        assert_valid("0106:00000000");
        assert_eq!(
            invalid("0106:1234567"),
            "`1234567` is not a valid Dutch Chamber of Commerce number (0106): \
             must have 8 digits, found 7"
        );
        assert!(invalid("0106:1234567a").contains("character `a` at position 8"));
    }

    #[test]
    fn dutch_government_organisation_identifier() {
        assert_valid("0190:00000001003214345000");
        assert!(invalid("0190:0000000100321434500").contains(
            "Dutch government organisation identifier (0190): must have 20 digits, found 19"
        ));
        assert!(invalid("0190:0000000100321434500O").contains("character `O` at position 20"));
    }

    #[test]
    fn dutch_vat_number() {
        assert_valid("9944:NL123456789B01");
        assert_eq!(
            invalid("9944:NL123456789C01"),
            "`NL123456789C01` is not a valid Dutch VAT number (9944): \
             character `C` at position 12 should be `B`"
        );
        assert!(invalid("9944:nl123456789B01").contains("must start with `NL`"));
        assert!(invalid("9944:NL12345678xB01").contains("character `x` at position 11"));
        assert!(invalid("9944:NL123456789B0").contains(
            "must have 12 characters after the country prefix (9 digits, `B`, 2 digits), found 11"
        ));
        assert!(invalid("9944:NL123456789B012").contains("found 13"));
    }

    #[test]
    fn german_vat_number() {
        assert_valid("9930:DE123456789");
        assert!(invalid("9930:de123456789").contains("must start with `DE`"));
        assert_eq!(
            invalid("9930:DE12345678"),
            "`DE12345678` is not a valid German VAT number (9930): \
             must have 9 digits after the country prefix, found 8"
        );
        assert!(invalid("9930:DE12345678X").contains("character `X` at position 11"));
    }

    #[test]
    fn deserializes_with_parse_and_no_validation() {
        let deserializer: StrDeserializer<'_, ValueError> = "0208:0123456789".into_deserializer();
        let parsed = ParticipantId::deserialize(deserializer).unwrap();
        assert_eq!(parsed, id("0208:0123456789"));

        let deserializer: StrDeserializer<'_, ValueError> = "9999:1".into_deserializer();
        let error = ParticipantId::deserialize(deserializer).unwrap_err();
        assert!(error.to_string().contains("`9999`"), "{error}");

        let deserializer: StrDeserializer<'_, ValueError> = "0192".into_deserializer();
        assert_eq!(
            Scheme::deserialize(deserializer).unwrap(),
            Scheme::NorwegianOrganisationNumber
        );
    }

    #[test]
    fn orders_by_scheme_code_then_value() {
        let mut ids = [
            id("9925:BE0123456749"),
            id("0208:2"),
            id("0007:1"),
            id("0208:1"),
        ];
        ids.sort();
        let sorted: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, ["0007:1", "0208:1", "0208:2", "9925:BE0123456749"]);
    }

    /// The schemes whose check digits catch every single-digit substitution.
    const CHECKED: &[Scheme] = &[
        Scheme::BelgianEnterpriseNumber,
        Scheme::BelgianVat,
        Scheme::Gln,
        Scheme::NorwegianOrganisationNumber,
        Scheme::SwedishOrganisationNumber,
        Scheme::DanishCvr,
    ];

    fn joined(digits: &[u32]) -> String {
        digits.iter().map(u32::to_string).collect()
    }

    /// A valid value for `scheme` built from the random `digits` (20 of
    /// them), or `None` when the stem admits no check digit.
    fn make_valid(scheme: Scheme, digits: &[u32]) -> Option<String> {
        let take = |n: usize| digits[..n].to_vec();
        let value = match scheme {
            Scheme::BelgianEnterpriseNumber | Scheme::BelgianVat => {
                let stem = take(8);
                let n = stem.iter().fold(0u64, |acc, d| acc * 10 + u64::from(*d));
                let prefix = if scheme == Scheme::BelgianVat {
                    "BE"
                } else {
                    ""
                };
                format!("{prefix}{}{:02}", joined(&stem), 97 - n % 97)
            }
            Scheme::Gln => {
                // From the left, a 12-digit stem is weighted 1,3,1,3,...
                let stem = take(12);
                let sum: u32 = stem
                    .iter()
                    .enumerate()
                    .map(|(i, d)| if i % 2 == 0 { *d } else { 3 * d })
                    .sum();
                format!("{}{}", joined(&stem), (10 - sum % 10) % 10)
            }
            Scheme::NorwegianOrganisationNumber => {
                let stem = take(8);
                let sum: u32 = stem
                    .iter()
                    .zip([3, 2, 7, 6, 5, 4, 3, 2])
                    .map(|(d, w)| d * w)
                    .sum();
                let check = match sum % 11 {
                    0 => 0,
                    1 => return None,
                    r => 11 - r,
                };
                format!("{}{check}", joined(&stem))
            }
            Scheme::SwedishOrganisationNumber => {
                // Try each check digit and keep the one whose Luhn sum over
                // all ten digits is a multiple of 10.
                let stem = take(9);
                let luhn = |all: &[u32]| -> u32 {
                    all.iter()
                        .rev()
                        .enumerate()
                        .map(|(i, &d)| {
                            if i % 2 == 1 {
                                (2 * d) / 10 + (2 * d) % 10
                            } else {
                                d
                            }
                        })
                        .sum()
                };
                let check = (0..10)
                    .find(|c| {
                        let mut all = stem.clone();
                        all.push(*c);
                        luhn(&all) % 10 == 0
                    })
                    .unwrap();
                format!("{}{check}", joined(&stem))
            }
            Scheme::DanishCvr => {
                let stem = take(7);
                let sum: u32 = stem
                    .iter()
                    .zip([2, 7, 6, 5, 4, 3, 2])
                    .map(|(d, w)| d * w)
                    .sum();
                let check = (0..10).find(|c| (sum + c).is_multiple_of(11))?;
                format!("{}{check}", joined(&stem))
            }
            Scheme::DutchKvk => joined(&take(8)),
            Scheme::DutchOin => joined(&take(20)),
            Scheme::DutchVat => format!("NL{}B{}", joined(&take(9)), joined(&digits[9..11])),
            Scheme::GermanVat => format!("DE{}", joined(&take(9))),
        };
        Some(value)
    }

    fn valid_id(schemes: &'static [Scheme]) -> impl Strategy<Value = ParticipantId> {
        (
            prop::sample::select(schemes),
            prop::collection::vec(0u32..10, 20),
        )
            .prop_filter_map("stem admits no check digit", |(scheme, digits)| {
                make_valid(scheme, &digits).map(|value| id(&format!("{}:{value}", scheme.code())))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn generated_valid_values_validate(id in valid_id(Scheme::all())) {
            prop_assert_eq!(id.validate(), Ok(()));
        }

        #[test]
        fn changing_one_digit_is_detected(
            id in valid_id(CHECKED),
            pick in any::<prop::sample::Index>(),
            delta in 1u32..10,
        ) {
            let chars: Vec<char> = id.value().chars().collect();
            let digit_positions: Vec<usize> =
                (0..chars.len()).filter(|&i| chars[i].is_ascii_digit()).collect();
            let position = *pick.get(&digit_positions);
            let mut mutated = chars.clone();
            let old = chars[position].to_digit(10).unwrap();
            mutated[position] = char::from_digit((old + delta) % 10, 10).unwrap();
            let mutated: String = mutated.into_iter().collect();
            let mutated = ParticipantId::parse(&format!("{}:{mutated}", id.scheme().code())).unwrap();
            prop_assert!(mutated.validate().is_err(), "{} validated", mutated);
        }

        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = ParticipantId::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_likely_shapes(input in "[ 0-9A-Za-z:é-]{0,40}") {
            if let Ok(id) = ParticipantId::parse(&input) {
                let _ = id.validate();
            }
        }

        #[test]
        fn display_and_parse_round_trip(
            scheme in prop::sample::select(Scheme::all()),
            value in "[!-9;-~]{1,40}",
        ) {
            let id = ParticipantId::parse(&format!("{}:{value}", scheme.code())).unwrap();
            prop_assert_eq!(id.value(), value.as_str());
            prop_assert_eq!(ParticipantId::parse(&id.to_string()), Ok(id.clone()));
            // Validation must not panic either, whatever the value.
            let _ = id.validate();
        }
    }
}
