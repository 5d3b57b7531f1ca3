//! Serde for the enums that are words in files: written as their
//! `Display`, read back through their `FromStr`, so that a results file
//! holds exactly the strings the schema gives and a bad value is refused
//! with the type's own message.

/// Implements `Serialize` and `Deserialize` for a type with `Display` and
/// `FromStr<Err: Display>`, and comparison with the string it is written
/// as (`row.thread_mode == "all"`).
#[macro_export]
macro_rules! serde_as_string {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                other.parse::<$t>().is_ok_and(|o| o == *self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
