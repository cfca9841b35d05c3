//! RFM scores, named RFM segments and the customer value score (PRODUCT.md §4).

pub mod model;
