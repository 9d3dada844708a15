//! Value types that cannot hold an invalid value: each is built only by parsing.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use utoipa::openapi::ObjectBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, SchemaFormat, Type};

use super::input::{FromJson, Stored, schema_of};

/// A trimmed string of `MIN..=MAX` characters (Unicode scalar values).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 if MIN == 1 => Err("must not be empty".to_owned()),
            length if length < MIN => Err(format!("must be at least {MIN} characters")),
            length if length > MAX => Err(format!("must be at most {MAX} characters")),
            _ => Ok(Self(trimmed.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> FromJson for Text<MIN, MAX> {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .ok_or_else(|| "must be a string".to_owned())
            .and_then(Self::parse)
    }
}

schema_of!(Text<MIN, MAX> [const MIN: usize, const MAX: usize] => {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX));
    if MIN == 0 {
        schema
    } else {
        // Strings are trimmed: MIN characters, one of them not a space.
        schema.min_length(Some(MIN)).pattern(Some(r"\S"))
    }
});

/// Free text that may be cleared: an empty (after trimming) string means "no value".
pub type OptionalText<const MAX: usize> = Text<0, MAX>;

impl<const MIN: usize, const MAX: usize> Stored for Text<MIN, MAX> {
    type Output = String;

    /// An empty optional text means "no value".
    fn stored(self) -> Option<String> {
        (!self.0.is_empty()).then_some(self.0)
    }
}

/// A list of trimmed strings, each `1..=MAX_LEN` characters, at most `MAX_ITEMS` after
/// duplicates are dropped (first occurrence kept). `null` reads as the empty list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextList<const MAX_ITEMS: usize, const MAX_LEN: usize>(Vec<String>);

impl<const MAX_ITEMS: usize, const MAX_LEN: usize> FromJson for TextList<MAX_ITEMS, MAX_LEN> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value
            .as_array()
            .ok_or_else(|| "must be an array of strings".to_owned())?;
        let mut list: Vec<String> = Vec::with_capacity(items.len().min(MAX_ITEMS));
        for (index, item) in items.iter().enumerate() {
            let text = Text::<1, MAX_LEN>::from_json(item)
                .map_err(|message| format!("item {index} {message}"))?;
            if !list.iter().any(|seen| seen == text.as_str()) {
                if list.len() == MAX_ITEMS {
                    // One distinct item too many: the rest is neither read nor compared, so a
                    // huge list costs no more than a short one.
                    return Err(format!("must have at most {MAX_ITEMS} distinct items"));
                }
                list.push(text.0);
            }
        }
        Ok(Self(list))
    }
}

schema_of!(TextList<MAX_ITEMS, MAX_LEN> [const MAX_ITEMS: usize, const MAX_LEN: usize] =>
    ArrayBuilder::new()
        .items(<Text<1, MAX_LEN> as utoipa::PartialSchema>::schema())
        .max_items(Some(MAX_ITEMS))
        .description(Some(format!(
            "At most {MAX_ITEMS} distinct items (duplicates are dropped), each 1–{MAX_LEN} characters"
        )))
);

impl<const MAX_ITEMS: usize, const MAX_LEN: usize> Stored for TextList<MAX_ITEMS, MAX_LEN> {
    type Output = Vec<String>;

    fn stored(self) -> Option<Vec<String>> {
        Some(self.0)
    }

    /// `null` clears a list: it becomes the empty list.
    fn cleared() -> Option<Vec<String>> {
        Some(Vec::new())
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

impl FromStr for Date {
    type Err = ();

    /// Exactly four digits, `-`, two digits, `-`, two digits, naming a real day: chrono alone
    /// also reads `2026-1-1`, `2026-01- 1` or `+026-01-01`.
    fn from_str(raw: &str) -> Result<Self, ()> {
        let shaped = raw.len() == 10
            && raw.bytes().enumerate().all(|(index, byte)| match index {
                4 | 7 => byte == b'-',
                _ => byte.is_ascii_digit(),
            });
        if !shaped {
            return Err(());
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| ())
    }
}

impl FromJson for Date {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| "must be a date as YYYY-MM-DD".to_owned())
    }
}

/// Writes the value as it is.
macro_rules! stored_as {
    ($ty:ty $([$($generic:tt)*])? => $output:ty, $value:ident => $stored:expr) => {
        impl<$($($generic)*)?> Stored for $ty {
            type Output = $output;

            fn stored(self) -> Option<$output> {
                let $value = self;
                Some($stored)
            }
        }
    };
}

stored_as!(Date => NaiveDate, date => date.0);

schema_of!(Date => ObjectBuilder::new()
    .schema_type(Type::String)
    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))));

/// A whole number in `MIN..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundedInt<const MIN: u64, const MAX: u64>(u64);

impl<const MIN: u64, const MAX: u64> BoundedInt<MIN, MAX> {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<const MIN: u64, const MAX: u64> FromJson for BoundedInt<MIN, MAX> {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_u64()
            .filter(|number| (MIN..=MAX).contains(number))
            .map(Self)
            .ok_or_else(|| format!("must be a whole number between {MIN} and {MAX}"))
    }
}

stored_as!(BoundedInt<MIN, MAX> [const MIN: u64, const MAX: u64] => u64, number => number.0);

schema_of!(BoundedInt<MIN, MAX> [const MIN: u64, const MAX: u64] => ObjectBuilder::new()
    .schema_type(Type::Integer)
    .minimum(Some(MIN))
    .maximum(Some(MAX)));

/// The largest salary accepted: keeps every amount exact in JavaScript clients.
pub const SALARY_MAX: u64 = 1_000_000_000_000;
pub type Salary = BoundedInt<0, SALARY_MAX>;
pub type Rating = BoundedInt<1, 5>;

/// An absolute `http`/`https` URL of at most 2048 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub const MAX_LEN: usize = 2048;
}

impl FromJson for WebUrl {
    fn from_json(value: &Value) -> Result<Self, String> {
        const MESSAGE: &str = "must be an absolute http or https URL";
        let raw = value.as_str().ok_or(MESSAGE)?.trim();
        if raw.chars().count() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let url = url::Url::parse(raw).map_err(|_| MESSAGE.to_owned())?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(MESSAGE.to_owned());
        }
        // The stored form is what must fit (a restore reads it back through this parser).
        let normalized = rfc3986(&url);
        let stored_len = normalized.chars().count();
        if stored_len > Self::MAX_LEN {
            return Err(format!(
                "must be at most {} characters once percent-encoded ({stored_len})",
                Self::MAX_LEN
            ));
        }
        Ok(Self(normalized))
    }
}

stored_as!(WebUrl => String, url => url.0);

schema_of!(WebUrl => ObjectBuilder::new()
.schema_type(Type::String)
.format(Some(SchemaFormat::Custom("uri".to_owned())))
.max_length(Some(WebUrl::MAX_LEN))
.pattern(Some(
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,4})?([/?#][!-~]*)?$"
)));

/// The URL as a strict RFC 3986 URI: the WHATWG serialization (scheme and host lower-cased,
/// non-ASCII encoded) with every character RFC 3986 does not allow in the path, query or
/// fragment percent-encoded too (WHATWG leaves some, such as `{` or a second `#`).
fn rfc3986(url: &url::Url) -> String {
    fn encode_part(part: &str, also_allowed: &str, out: &mut String) {
        let bytes = part.as_bytes();
        for (index, ch) in part.char_indices() {
            let allowed = ch.is_ascii_alphanumeric()
                || "-._~!$&'()*+,;=:@".contains(ch)
                || also_allowed.contains(ch)
                || (ch == '%'
                    && bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit));
            if allowed {
                out.push(ch);
            } else {
                let mut buffer = [0; 4];
                for byte in ch.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    let mut out = url[..url::Position::BeforePath].to_owned();
    encode_part(url.path(), "/", &mut out);
    if let Some(query) = url.query() {
        out.push('?');
        encode_part(query, "/?", &mut out);
    }
    if let Some(fragment) = url.fragment() {
        out.push('#');
        encode_part(fragment, "/?", &mut out);
    }
    out
}

/// An ISO 4217 currency code, upper-case (input is accepted in any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

/// Active ISO 4217 codes.
pub const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

impl FromJson for Currency {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(|raw| raw.trim().to_ascii_uppercase())
            .filter(|code| ISO_4217.binary_search(&code.as_str()).is_ok())
            .map(Self)
            .ok_or_else(|| "must be an ISO 4217 currency code such as USD".to_owned())
    }
}

stored_as!(Currency => String, code => code.0);

schema_of!(Currency => ObjectBuilder::new()
    .schema_type(Type::String)
    .description(Some("ISO 4217 code (any case on input, stored upper-case)"))
    .enum_values(Some(ISO_4217.iter().copied()))
    .examples([serde_json::json!("EUR")]));

/// A closed set of lower-case names (the enums derive it with strum): parsed trimmed and
/// case-insensitively, written lower-case.
pub trait NamedEnum: Copy + FromStr + strum::VariantNames + Into<&'static str> + 'static {
    fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse_name(raw: &str) -> Result<Self, String> {
        raw.trim()
            .parse()
            .map_err(|_| format!("must be one of: {}", Self::VARIANTS.join(", ")))
    }
}

impl<T: NamedEnum> FromJson for T {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value.as_str() {
            Some(raw) => Self::parse_name(raw),
            None => Err(format!(
                "must be a string, one of: {}",
                Self::VARIANTS.join(", ")
            )),
        }
    }
}

stored_as!(T [T: NamedEnum + serde::Serialize] => T, name => name);

/// Declares a [`NamedEnum`]: serde, strum and the OpenAPI schema agree on every name. A variant
/// may take `#[strum(to_string = "name", serialize = "alias")]`: the alias is accepted on input,
/// the name is what is written.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
            ::strum::EnumString, ::strum::IntoStaticStr, ::strum::Display, ::strum::VariantNames,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case", ascii_case_insensitive)]
        pub enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $crate::values::NamedEnum for $name {}
    };
}
pub(crate) use named_enum;

/// A time-sortable, server-generated id (ULID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(ulid::Ulid);

impl Id {
    /// A new id, after every id this process generated before: within one millisecond a plain
    /// ULID's random part would order ids made in a row at random (lists are newest first).
    pub fn generate() -> Self {
        static GENERATOR: std::sync::Mutex<ulid::Generator> =
            std::sync::Mutex::new(ulid::Generator::new());
        let next = GENERATOR
            .lock()
            .map(|mut generator| generator.generate())
            .unwrap_or_else(|poisoned| poisoned.into_inner().generate());
        // Past 2^80 ids in one millisecond: a fresh random one.
        Self(next.unwrap_or_else(|_| ulid::Ulid::new()))
    }

    /// A deterministic id: `timestamp_ms` (sorting) and 80 bits of `random` (an import derives
    /// them from a row's fingerprint, so a re-import names the same keys).
    pub fn from_parts(timestamp_ms: u64, random: u128) -> Self {
        Self(ulid::Ulid::from_parts(timestamp_ms, random))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Id {
    type Err = ();
    /// Only the 26-character form: anything else is not an id of this API. Its letters are read
    /// in either case, as the ULID spec decodes them (an id is always written upper-case).
    fn from_str(raw: &str) -> Result<Self, ()> {
        // 26 characters hold 130 bits, a ULID 128: a first character above `7` names no ULID
        // (the decoder would drop the top bits, and `8…` would name the id `0…`).
        if raw.len() != ulid::ULID_LEN || !matches!(raw.as_bytes()[0], b'0'..=b'7') {
            return Err(());
        }
        ulid::Ulid::from_string(raw).map(Self).map_err(|_| ())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse()
            .map_err(|()| serde::de::Error::custom("not a ULID"))
    }
}

/// An instant, written RFC 3339 in UTC with milliseconds and `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        // Truncated to what is written, so a value read back equals the one written.
        Self(Utc::now().trunc_subsecs(3))
    }

    pub fn date(self) -> NaiveDate {
        self.0.date_naive()
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.timestamp()
    }

    /// Milliseconds since the epoch (0 before it).
    pub fn unix_millis(self) -> u64 {
        self.0.timestamp_millis().max(0) as u64
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// RFC 3339 whose instant in UTC is still in the years 0000–9999: an offset can move
    /// `9999-12-31T23:59:59-23:59` past them, and such a value would be written as
    /// `+10000-…`, which RFC 3339 (and this parser) cannot read back.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let at = DateTime::parse_from_rfc3339(&raw)
            .map_err(serde::de::Error::custom)?
            .with_timezone(&Utc);
        if !(0..=9999).contains(&at.year()) {
            return Err(serde::de::Error::custom(
                "the instant in UTC is outside the years 0000 to 9999",
            ));
        }
        Ok(Self(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(Text::<1, 3>::parse("  abc ").unwrap().as_str(), "abc");
        assert_eq!(Text::<1, 3>::parse("ééé").unwrap().as_str(), "ééé");
        assert!(Text::<1, 3>::parse("abcd").is_err());
        assert_eq!(Text::<1, 3>::parse("   ").unwrap_err(), "must not be empty");
        assert!(Text::<1, 3>::from_json(&json!(5)).is_err());
    }

    #[test]
    fn lists_are_deduplicated_then_counted() {
        let list = TextList::<2, 5>::from_json(&json!(["a", " a", "b", "b"])).unwrap();
        assert_eq!(list.0, ["a", "b"]);
        assert!(TextList::<2, 5>::from_json(&json!(["a", "b", "c"])).is_err());
        assert!(TextList::<2, 5>::from_json(&json!(["toolong"])).is_err());
        assert!(TextList::<2, 5>::from_json(&json!([""])).is_err());
        assert!(TextList::<2, 5>::from_json(&json!("a")).is_err());
    }

    #[test]
    fn a_huge_list_is_read_only_until_it_passes_the_limit() {
        // 200,000 distinct items: compared pairwise to the end, this took minutes.
        let huge: Vec<Value> = (0..200_000).map(|n| json!(n.to_string())).collect();
        let error = TextList::<20, 50>::from_json(&Value::Array(huge)).unwrap_err();
        assert_eq!(error, "must have at most 20 distinct items");
        // What follows the first item past the limit is not read: not even a wrong type.
        let mut list: Vec<Value> = (0..21).map(|n| json!(format!("skill {n}"))).collect();
        list.push(json!(42));
        assert_eq!(
            TextList::<20, 50>::from_json(&Value::Array(list)).unwrap_err(),
            "must have at most 20 distinct items"
        );
        // Duplicates never count: 20 distinct items repeated are fine.
        let repeated: Vec<Value> = (0..10_000).map(|n| json!(format!("{}", n % 20))).collect();
        assert_eq!(
            TextList::<20, 50>::from_json(&Value::Array(repeated))
                .unwrap()
                .0
                .len(),
            20
        );
    }

    #[test]
    fn dates_are_strict() {
        assert!(Date::from_json(&json!("2026-11-24")).is_ok());
        assert!(Date::from_json(&json!("2026-2-30")).is_err());
        assert!(Date::from_json(&json!("2026-02-30")).is_err());
        assert!(Date::from_json(&json!("24/11/2026")).is_err());
        for lenient in [
            "2026-1-1",
            "2026-01- 1",
            " 026-01-01",
            "+026-01-01",
            "2026-01-1 ",
        ] {
            assert!(Date::from_json(&json!(lenient)).is_err(), "{lenient:?}");
        }
        assert!(Date::from_json(&json!("0026-01-01")).is_ok());
    }

    #[test]
    fn urls_must_be_absolute_web_urls() {
        assert!(WebUrl::from_json(&json!("https://jobs.example.com/1")).is_ok());
        assert!(WebUrl::from_json(&json!("ftp://example.com")).is_err());
        assert!(WebUrl::from_json(&json!("/relative")).is_err());
        assert!(WebUrl::from_json(&json!("javascript:alert(1)")).is_err());
        let normalized = WebUrl::from_json(&json!("HTTp://C.Dg6.JWh.j-yA.b.0f0kFcx#N{")).unwrap();
        assert_eq!(normalized.0, "http://c.dg6.jwh.j-ya.b.0f0kfcx/#N%7B");
        let encoded = WebUrl::from_json(&json!("https://a.example/p a/{x}?q=|&r=%zz#f#g")).unwrap();
        assert_eq!(
            encoded.0,
            "https://a.example/p%20a/%7Bx%7D?q=%7C&r=%25zz#f%23g"
        );
        let kept =
            WebUrl::from_json(&json!("https://jobs.example.com/42?ref=li&x=%41#top")).unwrap();
        assert_eq!(kept.0, "https://jobs.example.com/42?ref=li&x=%41#top");
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(WebUrl::from_json(&json!(long)).is_err());
    }

    #[test]
    fn currencies_are_iso_codes() {
        assert!(
            ISO_4217.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert_eq!(Currency::from_json(&json!("eur")).unwrap().0, "EUR");
        assert!(Currency::from_json(&json!("EURO")).is_err());
        assert!(Currency::from_json(&json!("ABC")).is_err());
    }

    #[test]
    fn bounded_ints_reject_fractions_negatives_and_strings() {
        assert_eq!(Rating::from_json(&json!(5)).unwrap().get(), 5);
        for bad in [json!(0), json!(6), json!(2.5), json!(-1), json!("3")] {
            assert!(Rating::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_made_in_a_row_sort_in_the_order_they_were_made() {
        // A thousand ids take well under a second: many share a millisecond.
        let ids: Vec<Id> = (0..1000).map(|_| Id::generate()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        let texts: Vec<String> = ids.iter().map(Id::to_string).collect();
        assert!(texts.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn ids_are_canonical_ulids() {
        let id = Id::generate();
        assert_eq!(id.to_string().parse::<Id>().unwrap(), id);
        assert!("not-an-id".parse::<Id>().is_err());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FAVX".parse::<Id>().is_err());
        let lower: Id = "01arz3ndektsv4rrffq69g5fav".parse().unwrap();
        assert_eq!(lower.to_string(), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let text = Timestamp::now().to_string();
        assert_eq!(text.len(), "2026-11-24T08:03:01.636Z".len());
        assert!(text.ends_with('Z'));
    }
}
