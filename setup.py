from setuptools import find_packages, setup

setup(
    name="ig_fdw",
    version="0.1.0",
    description="The Instagram Graph API as PostgreSQL foreign tables (a Multicorn FDW)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["ig_fdw", "ig_fdw.*"]),
    # the ig_sync schema: `ig-fdw sync --install`, or psql -f "$(ig-fdw sync --sql-path)"
    package_data={"ig_fdw": ["sql/*.sql"]},
    python_requires=">=3.9",
    install_requires=["requests>=2.28", "cryptography>=41"],
    entry_points={"console_scripts": ["ig-fdw=ig_fdw.cli:main"]},
    license="PostgreSQL",
)
