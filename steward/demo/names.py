"""Plausible names for the demo company's customers, their people and the CS team.

Names come from Faker, seeded, one generator per locale so that a German
account gets a German company and German contacts. Every e-mail address is
under ``.example`` (reserved by RFC 2606), so no demo message can reach anyone.
"""

from __future__ import annotations

import re
import unicodedata

from faker import Faker

TEAM_DOMAIN = "demo.steward.example"


class NameBook:
    """Seeded names that never repeat within one company."""

    def __init__(self, seed: int, locales: list[str]) -> None:
        self._fakers: dict[str, Faker] = {}
        for offset, locale in enumerate(sorted(set(locales))):
            faker = Faker(locale)
            faker.seed_instance(seed * 1009 + offset)
            self._fakers[locale] = faker
        self._companies: set[str] = set()
        self._domains: set[str] = set()

    def company(self, locale: str) -> str:
        faker = self._fakers[locale]
        for _ in range(50):
            name = faker.company()
            if name not in self._companies:
                break
        else:
            name = f"{name} {len(self._companies)}"
        self._companies.add(name)
        return name

    def domain(self, company: str) -> str:
        """A unique ``.example`` domain made of the company name's first words."""
        words = slug(company).split("-")
        base = "-".join(words[:2]) or "customer"
        domain, number = f"{base}.example", 2
        while domain in self._domains:
            domain, number = f"{base}{number}.example", number + 1
        self._domains.add(domain)
        return domain

    def person(self, locale: str) -> tuple[str, str]:
        """(first name, last name)."""
        faker = self._fakers[locale]
        return faker.first_name(), faker.last_name()


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: 'Müller & Söhne' -> 'muller-sohne'."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def email(first: str, last: str, domain: str, taken: set[str]) -> str:
    """first.last@domain, numbered when two people share a name."""
    local = ".".join(part for part in (slug(first), slug(last)) if part) or "contact"
    address, number = f"{local}@{domain}", 2
    while address in taken:
        address, number = f"{local}{number}@{domain}", number + 1
    taken.add(address)
    return address
