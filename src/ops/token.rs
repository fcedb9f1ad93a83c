//! The admin token check: `Authorization: Bearer <token>`, compared in constant time.

use crate::error::{ApiError, ErrorCode};
use sha2::{Digest, Sha256};

/// Allows an admin request when its `Authorization` header carries the configured token:
/// 401 without a bearer token, 403 with a wrong one (or when no token is configured).
pub fn check(configured: Option<&str>, authorization: Option<&str>) -> Result<(), ApiError> {
    let Some(given) = authorization
        .and_then(|h| {
            h.trim()
                .strip_prefix("Bearer ")
                .or_else(|| h.trim().strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "admin routes need the header Authorization: Bearer <ADMIN_TOKEN>",
        ));
    };
    let Some(configured) = configured.filter(|t| !t.is_empty()) else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "admin routes are disabled: this deployment has no ADMIN_TOKEN",
        ));
    };
    if constant_time_eq(given, configured) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "the admin token is wrong",
        ))
    }
}

/// Compares two secrets in time independent of where they differ: both are hashed first, so
/// even their lengths are not compared directly.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let status = |c: Option<&str>, h: Option<&str>| check(c, h).map_err(|e| e.code.status());
        assert_eq!(status(Some("s3cret"), Some("Bearer s3cret")), Ok(()));
        assert_eq!(status(Some("s3cret"), None), Err(401));
        assert_eq!(status(Some("s3cret"), Some("Basic abc")), Err(401));
        assert_eq!(status(Some("s3cret"), Some("Bearer ")), Err(401));
        assert_eq!(status(Some("s3cret"), Some("Bearer s3cret2")), Err(403));
        assert_eq!(status(None, Some("Bearer s3cret")), Err(403));
    }
}
