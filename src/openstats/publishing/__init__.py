"""The publishing workflow as services between the routes and the catalogue: uploads and
their import, releases and amendments, approval and the schedule, pre-release access,
and release manifests."""
