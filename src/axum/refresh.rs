//! Implicit refresh of access cookies (filled in with the cookie work).

/// Placeholder layer, replaced below.
#[derive(Debug, Clone)]
pub struct ImplicitRefreshLayer;

/// Placeholder service.
#[derive(Debug, Clone)]
pub struct ImplicitRefresh;
