//! Passwords: the signup policy ([`check_password`]) and argon2id hashing
//! ([`hash_password`], [`verify_password`], [`dummy_hash`]).
//!
//! The policy follows Django's default validators (minimum length, not entirely
//! numeric, not too similar to the username, not a common password) plus an upper
//! bound on length so hashing cost stays bounded.

mod common;
mod hash;
mod memory;
mod policy;
mod similarity;

pub use hash::{
    ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, HashError, SALT_LEN, Verification, dummy_hash,
    hash_password, verify_password,
};
pub use memory::HashMemory;
pub use policy::{PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, PasswordProblem, check_password};
