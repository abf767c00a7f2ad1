"""ig_fdw: the Instagram Graph API as PostgreSQL foreign tables (Multicorn FDW)."""

__version__ = "0.1.0"
