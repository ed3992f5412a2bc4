"""Public pages: for now the data-set page's first, plain form (title and details)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from openstats.errors import NotFound
from openstats.standards import geography

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter()


def details(data_set: dict[str, Any]) -> dict[str, Any]:
    """The 'Data set details' list, derived from the stored version and catalogue."""
    meta = data_set["metadata"]
    periods = meta["time_periods"]
    time_range = (periods[0]["label"] if len(periods) == 1 else
                  f"{periods[0]['label']} to {periods[-1]['label']}") if periods else ""
    return {
        "Theme": data_set["theme"]["title"],
        "Publication": data_set["publication"]["title"],
        "Release": data_set["release"]["title"],
        "Release type": data_set["release"]["type"],
        "Number of rows": f"{meta['row_count']:,}",
        "Geographic levels": [geography.BY_CODE[c].label for c in meta["geographic_levels"]],
        "Indicators": sorted(i["label"] for i in meta["indicators"]),
        "Filters": sorted(f["label"] for f in meta["filters"]),
        "Time period": time_range,
    }


@router.get("/data-catalogue/data-set/{data_set_id}", response_class=HTMLResponse)
def data_set_page(request: Request, data_set_id: str) -> HTMLResponse:
    platform = request.app.state.platform
    try:
        data_set = platform.catalogue.public_data_set(data_set_id)
    except NotFound:
        raise HTTPException(status_code=404, detail="Page not found") from None
    return templates.TemplateResponse(
        request, "data_set.html", {"ds": data_set, "details": details(data_set)})
