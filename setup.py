"""Packaging for the Confluence connector client (package ``connectors``)."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _requirements(name):
    lines = (HERE / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


setup(
    name="confluence-connectors",
    version="0.1.0",
    description="Self-hosted connector service that keeps Elasticsearch in sync with Confluence",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["connectors", "connectors.*"]),
    include_package_data=True,
    package_data={"connectors": ["ui/templates/*", "ui/static/*", "**/*.json"]},
    install_requires=_requirements("requirements.txt"),
    entry_points={"console_scripts": ["connectors = connectors.console:main"]},
)
