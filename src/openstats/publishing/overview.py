"""What the publishing side's pages read besides the services' own answers (workflow.py,
publications.py): a publication's releases, a release's data-set versions and which of
them are published. Typed answers the admin routes render; the SQL is the
catalogue's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openstats.catalogue import data_sets, publications, releases
from openstats.catalogue.db import Catalogue
from openstats.model.catalogue import Publication, ReleaseVersion, Theme
from openstats.publishing.workflow import ReleaseInfo


@dataclass(frozen=True)
class PublicationReleases:
    theme: Theme | None
    releases: list[ReleaseVersion]  # the latest version of each release, newest first


def publication_releases(catalogue: Catalogue, publication: Publication) -> PublicationReleases:
    with catalogue.connect() as conn:
        return PublicationReleases(
            publications.theme(conn, publication.theme_id),
            releases.latest_versions_of_publication(conn, publication.id))


@dataclass(frozen=True)
class ReleaseDataSets:
    publication: Publication | None
    numbers: dict[str, str]  # data-set version id -> its version number ("1.0")
    published: set[str]  # ids of the versions some public release version holds


def release_data_sets(catalogue: Catalogue, info: ReleaseInfo, at: datetime) -> ReleaseDataSets:
    """The publication of a release, and of the data-set versions its latest version holds,
    their numbers and which are published at `at` (else they are new in this release)."""
    with catalogue.connect() as conn:
        pub = publications.publication(conn, info.latest.publication_id)
        numbers = {v.id: v.version for v in data_sets.versions_by_id(
            conn, {e.version_id for e in info.entries}).values()}
        public_versions = {e.version_id for e in info.entries if any(
            rv is not None and rv.public_at(at) for rv in (
                releases.release_version(conn, held.release_version_id)
                for held in releases.holding(conn, e.version_id)))}
    return ReleaseDataSets(pub, numbers, public_versions)
