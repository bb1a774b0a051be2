//! Where everything lives: the availability zone of each web instance and
//! of the database's primary, standby and replicas, decided once here for
//! the model, the fluid mode and the bill.

use super::Scenario;

impl Scenario {
    /// The index in `web.azs` of AZ `az` (0 if it is not one of them).
    pub fn az_index(&self, az: &str) -> usize {
        self.web.azs.iter().position(|a| a == az).unwrap_or(0)
    }

    /// The AZ of web instance `i`: round robin over `web.azs`.
    pub fn web_az(&self, i: u32) -> &str {
        let azs = &self.web.azs;
        match azs.len() {
            0 => "a",
            n => &azs[i as usize % n],
        }
    }

    /// The AZ of the DB primary: the first web AZ.
    pub fn db_primary_az(&self) -> &str {
        self.web_az(0)
    }

    /// The AZ of the Multi-AZ standby: the next web AZ (the primary's own
    /// when the web tier has only one).
    pub fn db_standby_az(&self) -> &str {
        self.web_az(1)
    }

    /// The AZ of read replica `k` (from 0): round robin over the web AZs,
    /// the first beside the primary.
    pub fn db_replica_az(&self, k: u32) -> &str {
        self.web_az(k)
    }
}
