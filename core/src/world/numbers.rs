//! Small numbers for environments, so that the slots of the tables a check
//! reads ([`crate::world::homes`], [`crate::world::cards`]) name an environment in four bytes
//! instead of sixteen, and compare it in one instruction.
//!
//! A number is given on first use and names the same environment for the life
//! of the index; numbers depend on the order things happened, so two worlds
//! with the same entities may number them differently, and the indexes that
//! use numbers compare by the environments they name.

use crate::model::ids::EnvironmentId;
use crate::world::cow_map::CowMap;
use std::sync::Arc;

/// An environment's number (see the module documentation).
pub type EnvNumber = u32;

/// The largest number given: the tables keep the numbers' top bit for marks.
pub const MAX_NUMBER: EnvNumber = (1 << 31) - 2;

/// See the module documentation.
#[derive(Clone, Default)]
pub struct EnvironmentNumbers {
    // INVARIANT: `numbers[environments[n]] == n` for every `n`, and both have
    // the same entries.
    environments: Arc<Vec<EnvironmentId>>,
    numbers: CowMap<EnvironmentId, EnvNumber>,
}

impl EnvironmentNumbers {
    /// The number of `environment`, if it has one.
    #[inline]
    pub fn number(&self, environment: EnvironmentId) -> Option<EnvNumber> {
        self.numbers.get(&environment).copied()
    }

    /// The number of `environment`, given now if it had none. `None` only past
    /// [`MAX_NUMBER`] environments.
    pub fn assign(&mut self, environment: EnvironmentId) -> Option<EnvNumber> {
        if let Some(number) = self.number(environment) {
            return Some(number);
        }
        let number = EnvNumber::try_from(self.environments.len())
            .ok()
            .filter(|n| *n <= MAX_NUMBER)?;
        Arc::make_mut(&mut self.environments).push(environment);
        self.numbers.insert(environment, number);
        Some(number)
    }

    /// The environment numbered `number`.
    #[inline]
    pub fn environment(&self, number: EnvNumber) -> Option<EnvironmentId> {
        self.environments.get(number as usize).copied()
    }

    /// Whether `number` here and `their` number in `theirs` name the same
    /// environment: how indexes numbered in different orders compare.
    pub fn same_environment(
        &self,
        number: EnvNumber,
        theirs: &EnvironmentNumbers,
        their: EnvNumber,
    ) -> bool {
        self.environment(number)
            .is_some_and(|environment| theirs.environment(their) == Some(environment))
    }
}

impl std::fmt::Debug for EnvironmentNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvironmentNumbers(len = {})", self.environments.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_keeps_the_number_it_was_given_first() {
        let mut numbers = EnvironmentNumbers::default();
        let (a, b) = (EnvironmentId::from_u128(10), EnvironmentId::from_u128(20));
        assert_eq!(numbers.number(a), None);
        assert_eq!(numbers.assign(a), Some(0));
        assert_eq!(numbers.assign(b), Some(1));
        assert_eq!(numbers.assign(a), Some(0));
        assert_eq!(numbers.number(b), Some(1));
        assert_eq!(numbers.environment(1), Some(b));
        assert_eq!(numbers.environment(2), None);
    }
}
