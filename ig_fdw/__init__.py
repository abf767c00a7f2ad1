"""ig_fdw: the Instagram Graph API as PostgreSQL foreign tables (Multicorn FDW).

    CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn
      OPTIONS (wrapper 'ig_fdw.InstagramFDW', BusinessAccountId '...');
"""

__version__ = "0.1.0"


def __getattr__(name):
    # The FDW class imports `multicorn`, which exists only inside PostgreSQL
    # (or with multicorn2 installed): load it on demand.
    if name == "InstagramFDW":
        from ig_fdw.fdw import InstagramFDW
        return InstagramFDW
    raise AttributeError(name)
