//! Password hashing: argon2id at OWASP's recommended parameters, stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! The caller supplies the salt (the core has no randomness) and runs these on a
//! blocking thread: one hash takes tens of milliseconds and 19 MiB of memory.

use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost in KiB (OWASP: 19 MiB).
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// Time cost: passes over memory.
pub const ARGON2_T_COST: u32 = 2;
/// Parallelism: lanes.
pub const ARGON2_P_COST: u32 = 1;
/// Bytes of salt [`hash_password`] takes: fill them from a CSPRNG for every new hash.
pub const SALT_LEN: usize = 16;

/// Hash output bytes at the current parameters (argon2's default, 32).
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;
/// Length of a [`SALT_LEN`]-byte salt in unpadded base 64.
const SALT_B64_LEN: usize = 22;

/// [`hash_password`] of `"chat-core dummy password"` with the salt `[0; 16]`.
/// Checked by a test, which prints the new value when the parameters change.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$UaacggSjqKhXYt4JSI7AM0FbT0cqSebCaqVRK0csQSo";

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches.
    Valid {
        /// The stored hash is weaker than what [`hash_password`] makes today
        /// (another algorithm or version, lower memory or time cost, shorter salt
        /// or output): hash the password again and store the new hash.
        needs_rehash: bool,
    },
    /// The password does not match.
    Invalid,
}

/// Why hashing or verifying could not be done (a wrong password is not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The stored string is not a PHC string of a supported argon2 variant with
    /// valid parameters, salt and hash.
    #[error("stored password hash is malformed")]
    Malformed,
    /// argon2 refused to hash (not expected at the fixed parameters).
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Hashes `password` with argon2id at the current parameters and returns the PHC
/// string to store. `salt` must be fresh random bytes for every hash.
pub fn hash_password(password: &str, salt: &[u8; SALT_LEN]) -> Result<String, HashError> {
    let salt = SaltString::encode_b64(salt).map_err(failed)?;
    let params = Params::new(
        ARGON2_M_COST_KIB,
        ARGON2_T_COST,
        ARGON2_P_COST,
        Some(OUTPUT_LEN),
    )
    .map_err(failed)?;
    let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map_err(failed)?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string, using the algorithm and
/// parameters recorded in it. The comparison of outputs is constant-time.
pub fn verify_password(password: &str, phc: &str) -> Result<Verification, HashError> {
    let stored = PasswordHash::new(phc).map_err(|_| HashError::Malformed)?;
    let algorithm = Algorithm::try_from(stored.algorithm).map_err(|_| HashError::Malformed)?;
    let params = Params::try_from(&stored).map_err(|_| HashError::Malformed)?;
    let (Some(salt), Some(_)) = (stored.salt, &stored.hash) else {
        return Err(HashError::Malformed);
    };
    match Argon2::default().verify_password(password.as_bytes(), &stored) {
        Ok(()) => Ok(Verification::Valid {
            needs_rehash: algorithm != Algorithm::Argon2id
                || stored.version != Some(Version::V0x13.into())
                || params.m_cost() < ARGON2_M_COST_KIB
                || params.t_cost() < ARGON2_T_COST
                || params.output_len().unwrap_or(0) < OUTPUT_LEN
                || salt.as_str().len() < SALT_B64_LEN,
        }),
        Err(password_hash::Error::Password) => Ok(Verification::Invalid),
        Err(_) => Err(HashError::Malformed),
    }
}

/// A valid hash at the current parameters, for timing: when a login names an unknown
/// user, verify the given password against this and refuse the login whatever the
/// outcome, so the response takes as long as for a known user. Its password is public
/// (it is in this crate's source), so a match must never count as a login.
pub fn dummy_hash() -> &'static str {
    DUMMY_HASH
}

fn failed(error: impl std::fmt::Display) -> HashError {
    HashError::Failed(error.to_string())
}

#[cfg(test)]
mod tests;
