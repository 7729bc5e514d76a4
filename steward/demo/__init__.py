"""A simulated SaaS company whose churn drivers are known, for ``steward demo``.

``generate_company`` writes it as files that ``steward/demo/mapping.yaml``
imports through the same path as a team's own exports; ``DRIVERS`` lists the
behaviours that decide its renewals, so a fitted health score can be checked
against them. See docs/demo-company.md.
"""

from steward.demo.build import Company, build_company
from steward.demo.company import CompanyFiles, generate_company
from steward.demo.drivers import DRIVERS, Driver

__all__ = [
    "DRIVERS",
    "Company",
    "CompanyFiles",
    "Driver",
    "build_company",
    "generate_company",
]
