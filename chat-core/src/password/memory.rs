//! `HashMemory`: argon2's 19 MiB of working memory, allocated once and reused.
//!
//! Hashing through [`hash_password`](super::hash_password) allocates and frees
//! 19 MiB per call; glibc keeps such freed blocks in per-thread arenas, so a
//! server hashing on many threads grows without bound. A long-lived hashing
//! thread that owns one `HashMemory` keeps memory flat.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::hash::{
    ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, HashError, SALT_LEN, Verification,
    verify_password,
};

/// Hash output bytes at the current parameters.
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// Reusable working memory for hashing and verifying at the current parameters.
pub struct HashMemory {
    argon2: Argon2<'static>,
    blocks: Vec<Block>,
}

impl std::fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashMemory")
            .field("blocks", &self.blocks.len())
            .finish_non_exhaustive()
    }
}

impl HashMemory {
    /// Allocates the working memory (19 MiB).
    pub fn new() -> Result<Self, HashError> {
        let params = current_params()?;
        let blocks = vec![Block::default(); params.block_count()];
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            blocks,
        })
    }

    /// Same result as [`hash_password`](super::hash_password), without allocating.
    pub fn hash_password(
        &mut self,
        password: &str,
        salt: &[u8; SALT_LEN],
    ) -> Result<String, HashError> {
        let mut out = [0u8; OUTPUT_LEN];
        self.argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut self.blocks)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let salt = SaltString::encode_b64(salt).map_err(|e| HashError::Failed(e.to_string()))?;
        let hash = Output::new(&out).map_err(|e| HashError::Failed(e.to_string()))?;
        Ok(format!(
            "$argon2id$v=19$m={ARGON2_M_COST_KIB},t={ARGON2_T_COST},p={ARGON2_P_COST}${}${hash}",
            salt.as_str()
        ))
    }

    /// Same result as [`verify_password`](super::verify_password). Hashes at the
    /// current parameters reuse this memory; others (older, weaker ones that then
    /// report `needs_rehash`) fall back to a one-off allocation.
    pub fn verify_password(
        &mut self,
        password: &str,
        phc: &str,
    ) -> Result<Verification, HashError> {
        let stored = PasswordHash::new(phc).map_err(|_| HashError::Malformed)?;
        let current = Params::try_from(&stored).ok().is_some_and(|p| {
            p.m_cost() == ARGON2_M_COST_KIB
                && p.t_cost() == ARGON2_T_COST
                && p.p_cost() == ARGON2_P_COST
        }) && stored.algorithm.as_str() == "argon2id"
            && stored.version == Some(0x13);
        let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
            return Err(HashError::Malformed);
        };
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| HashError::Malformed)?;
        if !current || expected.len() != OUTPUT_LEN || salt_bytes.len() < 8 {
            return verify_password(password, phc);
        }
        let mut out = [0u8; OUTPUT_LEN];
        self.argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                &mut self.blocks,
            )
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let computed = Output::new(&out).map_err(|e| HashError::Failed(e.to_string()))?;
        // `Output`'s equality is constant-time.
        if computed == expected {
            Ok(Verification::Valid {
                needs_rehash: salt_bytes.len() < SALT_LEN,
            })
        } else {
            Ok(Verification::Invalid)
        }
    }
}

fn current_params() -> Result<Params, HashError> {
    Params::new(
        ARGON2_M_COST_KIB,
        ARGON2_T_COST,
        ARGON2_P_COST,
        Some(OUTPUT_LEN),
    )
    .map_err(|e| HashError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::{hash_password, verify_password};
    use super::*;

    #[test]
    fn reused_memory_gives_the_same_phc_string_as_the_one_off_path() {
        let mut memory = HashMemory::new().unwrap();
        for (password, salt) in [
            ("correct horse battery", [7u8; 16]),
            ("émoji 🔑 pass", [1u8; 16]),
        ] {
            let reused = memory.hash_password(password, &salt).unwrap();
            assert_eq!(reused, hash_password(password, &salt).unwrap());
            assert_eq!(
                verify_password(password, &reused).unwrap(),
                Verification::Valid {
                    needs_rehash: false
                }
            );
        }
    }

    #[test]
    fn verify_table() {
        let mut memory = HashMemory::new().unwrap();
        let phc = hash_password("right password", &[3u8; 16]).unwrap();
        let weak = {
            let params = Params::new(4096, 1, 1, None).unwrap();
            let salt = SaltString::encode_b64(&[9u8; 16]).unwrap();
            argon2::password_hash::PasswordHasher::hash_password(
                &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
                b"right password",
                &salt,
            )
            .unwrap()
            .to_string()
        };
        let cases: [(&str, &str, Result<Verification, HashError>); 5] = [
            (
                "right password",
                &phc,
                Ok(Verification::Valid {
                    needs_rehash: false,
                }),
            ),
            ("wrong password", &phc, Ok(Verification::Invalid)),
            (
                "right password",
                &weak,
                Ok(Verification::Valid { needs_rehash: true }),
            ),
            ("wrong password", &weak, Ok(Verification::Invalid)),
            (
                "right password",
                "$argon2id$nonsense",
                Err(HashError::Malformed),
            ),
        ];
        for (password, stored, want) in cases {
            assert_eq!(
                memory.verify_password(password, stored),
                want,
                "{password} vs {stored}"
            );
        }
    }
}
