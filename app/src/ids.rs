//! Typed ids, so a user id can never be passed where a customer id is expected.

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

typed_id!(UserId);
typed_id!(TeamId);
typed_id!(CustomerId);
typed_id!(ContactId);
typed_id!(TaskId);
typed_id!(ActivityId);
typed_id!(OrderId);
typed_id!(PaymentId);
typed_id!(ContractId);
