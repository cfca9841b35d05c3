//! The `/rfm` page and the customer page's RFM card.
