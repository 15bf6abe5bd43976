"""The synthetic portal's people: authors, their teams and their author rows.

Twelve synthetic authors (one without an ORCID iD), the teams of datasets, tomograms,
annotations and depositions, and the ``...Author`` rows of one owner.
"""

from __future__ import annotations

from typing import NamedTuple

from ..replica.store import Row
from .annotations import AnnotationProfile
from .rows import Rows


class Person(NamedTuple):
    """An author; ``orcid`` None for one who has none."""

    name: str
    orcid: str | None
    affiliation: str
    address: str
    email: str


class Team(NamedTuple):
    """Authors in list order; the first ``n_primary`` are primary, the last corresponds."""

    people: tuple[Person, ...]
    n_primary: int = 1


_AFFILIATIONS = [
    ("Synthetic Imaging Institute", "1 Example Road, Sampletown"),
    ("Synthetic Structural Biology Centre", "2 Example Avenue, Sampleville"),
    ("Synthetic University, Department of Biophysics", "3 Example Square, Samplecity"),
]


def orcid(number: int) -> str:
    """An ORCID iD with a valid ISO 7064 11,2 check character."""
    digits = f"{number:015d}"
    total = 0
    for c in digits:
        total = (total + int(c)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def _person(i: int) -> Person:
    letter = chr(ord("A") + i)
    affiliation, address = _AFFILIATIONS[i % len(_AFFILIATIONS)]
    return Person(
        f"Synthetic Author {letter}",
        None if letter == "L" else orcid(2_500_000_000_000 + 104_729 * (i + 1)),
        affiliation,
        address,
        f"author.{letter.lower()}@synthetic.example.org",
    )


PEOPLE = tuple(_person(i) for i in range(12))
CURATORS = Team((PEOPLE[10], PEOPLE[11]))


def dataset_team(dataset_index: int) -> Team:
    """Authors of a dataset: three or four people, sometimes two primary ones."""
    d = dataset_index
    start = (5 * d) % len(PEOPLE)
    size = 3 + d % 2
    people = tuple(PEOPLE[(start + i) % len(PEOPLE)] for i in range(size))
    return Team(people, 2 if d % 5 == 2 else 1)


def tomogram_team(dataset_index: int) -> Team:
    """Author of a dataset's author-submitted tomograms."""
    return Team(dataset_team(dataset_index).people[:1])


def annotation_team(dataset_index: int, k: int, profile: AnnotationProfile) -> Team:
    """Authors of a dataset's ``k``-th annotated object; hybrids add a second annotator."""
    people = dataset_team(dataset_index).people
    first = people[1 + k % (len(people) - 1)]
    return Team((first, people[0]) if profile.method_type == "hybrid" else (first,))


def annotation_deposition_team(index: int) -> Team:
    """Authors of the ``index``-th annotation-only deposition (and of its annotations)."""
    n = len(PEOPLE)
    return Team((PEOPLE[(6 + 2 * index) % n], PEOPLE[(7 + 2 * index) % n]))


def authors(rows: Rows, type_name: str, owner_key: str, owner_id: int, team: Team) -> list[Row]:
    """Author rows (``DatasetAuthor``, ``TomogramAuthor``...) of one owner, in list order.

    The first ``team.n_primary`` people are primary authors and the last one is the
    corresponding author, who alone gives an email address.
    """
    out = []
    for order, person in enumerate(team.people, start=1):
        corresponding = order == len(team.people)
        row = {
            "id": rows.new_id(type_name),
            owner_key: owner_id,
            "name": person.name,
            "authorListOrder": order,
            "orcid": person.orcid,
            "email": person.email if corresponding else None,
            "affiliationName": person.affiliation,
            "affiliationAddress": person.address,
            "affiliationIdentifier": None,
            "primaryAuthorStatus": order <= team.n_primary,
            "correspondingAuthorStatus": corresponding,
        }
        out.append(rows.add(type_name, row))
    return out
